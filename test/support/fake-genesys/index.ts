/**
 * The project's local Genesys-compatible HTTP server (loopback only, random port), implementing
 * the endpoints of ../shared/genesys-dlq-contract.md with their shapes, errors and rate-limit
 * headers, plus configurable latency, a per-client rate limit, injected faults and page growth.
 * Both platform sources are here: the designed webhook search and history (§2, §3; with
 * `historyAvailable: false` the history path answers 404 like any unknown path, as a real org
 * does) and the operational events of a real org (§6: definitions, and the query with keyset
 * cursor paging, the 10-day retention and pageSize ≤ 200).
 * Tests, `npm run demo` and `npm run bench` drive the real SDK through it via the SDK's gateway
 * setting (login at /oauth/token, API at /api/v2/...).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeEventDefinition, FakeOperationalEvent } from './events.js';
import { seededRandom, uuidFrom, type HistoryItem } from './failures.js';

export { makeFailures, type HistoryItem } from './failures.js';
export { DATA_ACTION_FAILED, FLOW_ERROR, makeEvents, type FakeEventDefinition, type FakeOperationalEvent } from './events.js';

export interface FakeIntegration {
  id: string;
  name: string;
  /** Default 'webhook'. */
  integrationType?: string;
  /** Newest first. */
  failures: HistoryItem[];
  successes?: HistoryItem[];
}

export interface FaultSpec {
  route: 'token' | 'search' | 'history' | 'integrations' | 'definitions' | 'events';
  /** 'html': 200 (or `status`) with a text/html page, as a captive portal or a misrouted proxy answers. */
  kind: 'status' | 'drop' | 'invalid-json' | 'delay' | 'html';
  status?: number;
  retryAfter?: string;
  body?: unknown;
  delayMs?: number;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Matching requests to let through first (default 0). */
  skip?: number;
  /** Only history requests for this page. */
  page?: number;
}

/** The permissions of contract §1: the integrations paths need the first, the events paths the second. */
export const INTEGRATIONS_PERMISSION = 'integrations:integration:view';
export const EVENTS_PERMISSION = 'usage:events:view';

export interface FakeGenesysOptions {
  clients?: Record<string, string>;
  /** Permissions the clients' roles grant (default both); a missing one answers 403 naming it. */
  permissions?: string[];
  integrations?: FakeIntegration[];
  searchAvailable?: boolean;
  /** false: the history path answers 404 like any unknown path (a real org, contract §3). */
  historyAvailable?: boolean;
  eventDefinitions?: FakeEventDefinition[];
  /** Operational events, any order; the query answers newest first (or oldest with ASC). */
  events?: FakeOperationalEvent[];
  /** How long events are kept (default 10 days): the query never returns older ones. */
  eventRetentionMs?: number;
  /** New events of this definition arrive (dated now) before each events query. */
  eventGrowth?: { definitionId: string; perQuery: number } | null;
  latencyMs?: number;
  rateLimit?: { allowed: number; windowMs: number } | null;
  pageGrowth?: { integrationId: string; perHistoryRequest: number } | null;
  /**
   * New failures arriving at the head of an integration's history, by history request: right
   * before the n-th history request for it (1-based) is answered, `count(n)` failures arrive. A
   * generalisation of pageGrowth for arrival patterns ("one every 3 requests", random).
   */
  arrivals?: { integrationId: string; count: (n: number) => number } | null;
  /** Extra latency per API request, uniform in [0, maxMs), seeded: pages complete out of order. */
  latencyJitter?: { seed: number; maxMs: number } | null;
  /**
   * Random faults on history requests, seeded, each a probability per request: 503, a dropped
   * connection, a truncated (malformed) page, a 429 with Retry-After `retryAfter` (default "0").
   */
  chaos?: { seed: number; status503?: number; drop?: number; invalidJson?: number; tooMany?: number; retryAfter?: string } | null;
  faults?: FaultSpec[];
  tokenTtlSeconds?: number;
}

export interface FakeGenesysStats {
  requests: { token: number; search: number; history: number; integrations: number; definitions: number; events: number; other: number };
  /** Every events query: its query parameters and body. */
  eventQueries: { pageSize: string | null; after: string | null; before: string | null; body: unknown }[];
  rateLimited: number;
  maxInFlight: number;
  historyPages: number[];
  historyBodies: unknown[];
  authorizationHeaders: string[];
}

type Route = FaultSpec['route'] | 'other';

interface Window {
  startedAt: number;
  count: number;
}

interface LiveFault extends FaultSpec {
  hits: number;
  seen: number;
}

const EVENT_RETENTION_MS = 10 * 86_400_000;
const EVENTS_PATH = '/api/v2/usage/events/query';

/** An event as stored: its keyset position (time, then arrival order) fixed once. */
interface StoredEvent {
  ms: number;
  seq: number;
  event: FakeOperationalEvent;
}

export class FakeGenesys {
  readonly stats: FakeGenesysStats = emptyStats();
  private readonly options: FakeGenesysOptions;
  private readonly clients: Record<string, string>;
  private readonly integrations: FakeIntegration[];
  private readonly events: StoredEvent[] = [];
  private eventSeq = 0;
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly windows = new Map<string, Window>(); // clientId -> window
  private readonly faults: LiveFault[] = [];
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  private inFlight = 0;
  private growthRandom = seededRandom(99);
  private growthClock = Date.parse('2026-11-23T00:00:00Z');
  private readonly jitterRandom: () => number;
  private readonly chaosRandom: () => number;
  /** History requests answered so far, per integration id (for `arrivals`). */
  private readonly historyRequests = new Map<string, number>();

  constructor(options: FakeGenesysOptions = {}) {
    this.options = options;
    this.clients = options.clients ?? { 'dlq-test-client': 'dlq-test-secret' };
    this.integrations = (options.integrations ?? []).map((i) => ({ ...i, failures: [...i.failures] }));
    this.addEvents(options.events ?? []);
    for (const f of options.faults ?? []) this.injectFault(f);
    this.jitterRandom = seededRandom(options.latencyJitter?.seed ?? 1);
    this.chaosRandom = seededRandom(options.chaos?.seed ?? 1);
  }

  /** Events arriving now (each keeps its own dateCreated; an event without one is dated now). */
  addEvents(events: readonly FakeOperationalEvent[]): void {
    for (const event of events) {
      const parsed = typeof event.dateCreated === 'string' ? Date.parse(event.dateCreated) : Number.NaN;
      this.events.push({ ms: Number.isNaN(parsed) ? Date.now() : parsed, seq: this.eventSeq++, event });
    }
  }

  /** Listens on 127.0.0.1 only; port 0 (the default) picks a free one. */
  async start(port = 0): Promise<{ url: string; host: string; port: number }> {
    if (this.server) throw new Error('FakeGenesys already started');
    this.server = http.createServer((req, res) => {
      // A handler failure must not take the test process down: answer 500 (or drop) instead.
      this.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else json(res, 500, errorBody(500, 'internal.server.error', `fake server error: ${String(err)}`));
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    return { url: `http://127.0.0.1:${bound}`, host: '127.0.0.1', port: bound };
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  injectFault(fault: FaultSpec): void {
    this.faults.push({ ...fault, hits: 0, seen: 0 });
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  addFailures(integrationId: string, items: HistoryItem[]): void {
    const integration = this.integrations.find((i) => i.id === integrationId);
    if (!integration) throw new Error(`no integration ${integrationId}`);
    integration.failures = items.concat(integration.failures);
  }

  /** The integration's failed deliveries as they are now, newest first (a copy). */
  failuresOf(integrationId: string): HistoryItem[] {
    const integration = this.integrations.find((i) => i.id === integrationId);
    if (!integration) throw new Error(`no integration ${integrationId}`);
    return [...integration.failures];
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    if (route === 'token') return this.token(req, res, body);

    this.stats.requests[route] += 1;
    this.inFlight += 1;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    try {
      const jitter = this.options.latencyJitter ? Math.floor(this.jitterRandom() * this.options.latencyJitter.maxMs) : 0;
      if (this.options.latencyMs || jitter) await sleep((this.options.latencyMs ?? 0) + jitter);
      await this.api(route, req, res, url, body);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async token(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    this.stats.requests.token += 1;
    if (await this.applyFault('token', res, undefined)) return;
    const auth = req.headers.authorization ?? '';
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    const id = sep >= 0 ? decoded.slice(0, sep) : '';
    const secret = sep >= 0 ? decoded.slice(sep + 1) : '';
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      return json(res, 400, { error: 'unsupported_grant_type', description: 'grant type not supported', error_description: 'grant type not supported' });
    }
    if (!id || this.clients[id] === undefined || this.clients[id] !== secret) {
      return json(res, 401, { error: 'invalid_client', description: 'client not found', error_description: 'client not found' });
    }
    const token = randomBytes(24).toString('base64url');
    const ttl = this.options.tokenTtlSeconds ?? 86400;
    this.tokens.set(token, { clientId: id, expiresAt: Date.now() + ttl * 1000 });
    json(res, 200, { access_token: token, token_type: 'bearer', expires_in: ttl });
  }

  private async api(route: Route, req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): Promise<void> {
    const auth = req.headers.authorization ?? '';
    this.stats.authorizationHeaders.push(auth);
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const grant = this.tokens.get(token);
    const clientId = grant && grant.expiresAt > Date.now() ? grant.clientId : undefined;
    if (!clientId) {
      return json(res, 401, errorBody(401, 'bad.credentials', 'Invalid login credentials.'), this.rateHeaders(undefined));
    }
    // Rate limit: a fixed window per OAuth client, starting at its first request.
    const limit = this.options.rateLimit;
    const now = Date.now();
    let window = this.windows.get(clientId);
    if (!window || (limit && now - window.startedAt >= limit.windowMs)) {
      window = { startedAt: now, count: 0 };
      this.windows.set(clientId, window);
    }
    if (limit && window.count >= limit.allowed) {
      this.stats.rateLimited += 1;
      const resetSeconds = Math.max(1, Math.ceil((window.startedAt + limit.windowMs - now) / 1000));
      return json(res, 429, errorBody(429, 'too.many.requests', `Rate limit exceeded the maximum. [${limit.allowed}] requests for [${limit.windowMs / 1000}] seconds`), {
        ...this.rateHeaders(window),
        'retry-after': String(resetSeconds),
      });
    }
    window.count += 1;
    const headers = this.rateHeaders(window);

    let parsed: Record<string, unknown> = {};
    if (req.method === 'POST') {
      try {
        parsed = (JSON.parse(body || '{}') as Record<string, unknown>) ?? {};
      } catch {
        return json(res, 400, errorBody(400, 'bad.request', 'The request could not be understood by the server due to malformed syntax.'), headers);
      }
    }
    const page = route === 'history' ? Number(parsed['page']) : undefined;
    if (route === 'history') {
      this.stats.historyPages.push(page ?? NaN);
      this.stats.historyBodies.push(parsed);
    }
    // A real org has no history path: it answers like any unknown path, before any permission check.
    if (route === 'other' || (route === 'history' && this.options.historyAvailable === false)) {
      return json(res, 404, errorBody(404, 'not.found', `Resource not found: ${url.pathname}`), headers);
    }
    // The permission check comes first, as a gateway would; injected faults model the backend.
    const needed = route === 'definitions' || route === 'events' ? EVENTS_PERMISSION : INTEGRATIONS_PERMISSION;
    if (!(this.options.permissions ?? [INTEGRATIONS_PERMISSION, EVENTS_PERMISSION]).includes(needed)) {
      return json(res, 403, errorBody(403, 'missing.permissions', `Unable to perform the requested action. You are missing the following permission(s): ${needed}`), headers);
    }
    if (await this.applyFault(route, res, page, headers)) return;
    // Arrivals land as the page is about to be answered (after any injected delay), so a delayed
    // page sees them and a page answered before does not.
    if (route === 'history') this.arrive(decodeURIComponent(url.pathname.split('/')[4] ?? ''));
    if (route === 'history' && this.chaos(res, headers)) return;

    switch (route) {
      case 'search':
        return this.search(res, parsed, headers);
      case 'integrations':
        return this.list(res, url, headers);
      case 'history':
        return this.history(res, url, parsed, headers);
      case 'definitions':
        return json(res, 200, { entities: (this.options.eventDefinitions ?? []).map((d) => ({ ...d })) }, headers);
      case 'events':
        return this.queryEvents(res, url, parsed, headers);
    }
  }

  /**
   * POST /api/v2/usage/events/query (EventQueryRequest → EventQueryResponse). Keyset paging: a
   * cursor names the last (first, for `before`) event of a page by its (time, arrival) position,
   * so events arriving meanwhile never shift the pages still to come.
   */
  private queryEvents(res: http.ServerResponse, url: URL, body: Record<string, unknown>, headers: Record<string, string>): void {
    const q = url.searchParams;
    this.stats.eventQueries.push({ pageSize: q.get('pageSize'), after: q.get('after'), before: q.get('before'), body });
    const bad = (message: string) => json(res, 400, errorBody(400, 'bad.request', message), headers);
    const pageSize = q.get('pageSize') === null ? 25 : Number(q.get('pageSize'));
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200) return bad('pageSize must be between 1 and 200');
    const interval = typeof body['interval'] === 'string' ? body['interval'].split('/') : [];
    const from = Date.parse(interval[0] ?? '');
    const to = Date.parse(interval[1] ?? '');
    if (interval.length !== 2 || Number.isNaN(from) || Number.isNaN(to) || from >= to) {
      return bad('interval is required: <ISO-8601 start>/<ISO-8601 end>');
    }
    const order = body['sortOrder'] === undefined ? 'DESC' : body['sortOrder'];
    if (order !== 'ASC' && order !== 'DESC') return bad('sortOrder must be ASC or DESC');
    const ids = body['eventDefinitionIds'];
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) return bad('eventDefinitionIds must be a list of ids');
    const search = typeof body['searchTerm'] === 'string' ? body['searchTerm'].toLowerCase() : undefined;
    const after = q.get('after') === null ? undefined : decodeCursor(q.get('after') as string);
    const before = q.get('before') === null ? undefined : decodeCursor(q.get('before') as string);
    if (after === null || before === null) return bad('invalid cursor');

    const growth = this.options.eventGrowth;
    if (growth && growth.perQuery > 0) {
      const at = new Date().toISOString();
      this.addEvents(
        Array.from({ length: growth.perQuery }, () => ({
          eventDefinition: { id: growth.definitionId, selfUri: `/api/v2/usage/events/definitions/${growth.definitionId}` },
          entityId: randomUUID(),
          entityName: 'late arrival',
          errorCode: 'http.status.503',
          dateCreated: at,
        })),
      );
    }

    const kept = Date.now() - (this.options.eventRetentionMs ?? EVENT_RETENTION_MS);
    const wanted = new Set(Array.isArray(ids) ? (ids as string[]) : []);
    // Position in the requested order: negative for DESC so one ascending comparison serves both.
    const sign = order === 'DESC' ? -1 : 1;
    const key = (e: { ms: number; seq: number }): [number, number] => [sign * e.ms, sign * e.seq];
    const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
    const matching = this.events
      .filter((e) => e.ms >= Math.max(from, kept) && e.ms < to)
      .filter((e) => wanted.size === 0 || wanted.has(String(e.event.eventDefinition?.id)))
      .filter((e) => search === undefined || searchable(e.event).includes(search))
      .sort((a, b) => cmp(key(a), key(b)));
    let page: StoredEvent[];
    if (before !== undefined) {
      const earlier = matching.filter((e) => cmp(key(e), before) < 0);
      page = earlier.slice(Math.max(0, earlier.length - pageSize));
    } else {
      const start = after === undefined ? 0 : matching.findIndex((e) => cmp(key(e), after) > 0);
      page = start < 0 ? [] : matching.slice(start, start + pageSize);
    }
    const last = page[page.length - 1];
    const first = page[0];
    const uri = (cursor: Record<string, string>) => `${EVENTS_PATH}?${new URLSearchParams({ pageSize: String(pageSize), ...cursor })}`;
    const more = last !== undefined && matching.some((e) => cmp(key(e), key(last)) > 0);
    const fewer = first !== undefined && matching.some((e) => cmp(key(e), key(first)) < 0);
    json(
      res,
      200,
      {
        entities: page.map((e) => e.event),
        ...(more ? { nextUri: uri({ after: encodeCursor(key(last as StoredEvent)) }) } : {}),
        ...(fewer ? { previousUri: uri({ before: encodeCursor(key(first as StoredEvent)) }) } : {}),
        selfUri: `${url.pathname}${url.search}`,
      },
      headers,
    );
  }

  private search(res: http.ServerResponse, body: Record<string, unknown>, headers: Record<string, string>): void {
    if (this.options.searchAvailable === false) {
      return json(res, 404, errorBody(404, 'not.found', 'Unable to find a resource at /api/v2/integrations/webhooks/search'), headers);
    }
    const paging = pagingOf(body['size'], body['page'], 200);
    if (!paging) return json(res, 400, errorBody(400, 'bad.request', 'size must be 1..200 and page >= 1'), headers);
    const wanted = String(body['name'] ?? '').toLowerCase();
    const matches = this.integrations
      .filter((i) => (i.integrationType ?? 'webhook') === 'webhook' && i.name.toLowerCase().includes(wanted))
      .map((i) => ({ id: i.id, name: i.name, integrationType: { id: 'webhook' }, reportedState: { code: 'ACTIVE' } }));
    json(res, 200, pageOf(matches, paging), headers);
  }

  private list(res: http.ServerResponse, url: URL, headers: Record<string, string>): void {
    const paging = pagingOf(url.searchParams.get('pageSize') ?? 25, url.searchParams.get('pageNumber') ?? 1, 100);
    if (!paging) return json(res, 400, errorBody(400, 'bad.request', 'pageSize must be 1..100 and pageNumber >= 1'), headers);
    const all = this.integrations.map((i) => ({
      id: i.id,
      name: i.name,
      integrationType: { id: i.integrationType ?? 'webhook' },
      intendedState: 'ENABLED',
      reportedState: { code: 'ACTIVE' },
    }));
    const page = pageOf(all, paging);
    json(res, 200, { ...page, pageCount: Math.ceil(all.length / paging.size) }, headers);
  }

  private history(res: http.ServerResponse, url: URL, body: Record<string, unknown>, headers: Record<string, string>): void {
    const id = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    const integration = this.integrations.find((i) => i.id === id);
    if (!integration) return json(res, 404, errorBody(404, 'not.found', `Integration ${id} not found`), headers);
    const paging = pagingOf(body['size'], body['page'], 200);
    if (!paging) return json(res, 400, errorBody(400, 'bad.request', 'size must be 1..200 and page >= 1'), headers);
    const items = body['status'] === 'failed' ? integration.failures : mergeNewestFirst(integration.failures, integration.successes ?? []);
    json(res, 200, pageOf(items, paging), headers);
  }

  /** New failures arrive at the front (pageGrowth, arrivals), shifting everything else to later offsets. */
  private arrive(integrationId: string): void {
    const integration = this.integrations.find((i) => i.id === integrationId);
    if (!integration) return;
    const n = (this.historyRequests.get(integrationId) ?? 0) + 1;
    this.historyRequests.set(integrationId, n);
    let count = 0;
    const growth = this.options.pageGrowth;
    if (growth && growth.integrationId === integrationId) count += Math.max(0, growth.perHistoryRequest);
    const arrivals = this.options.arrivals;
    if (arrivals && arrivals.integrationId === integrationId) count += Math.max(0, arrivals.count(n));
    if (count === 0) return;
    const fresh: HistoryItem[] = [];
    for (let k = 0; k < count; k += 1) {
      this.growthClock += 1000;
      fresh.push({
        id: uuidFrom(this.growthRandom),
        timestamp: new Date(this.growthClock).toISOString(),
        statusCode: 503,
        statusMessage: 'Service Unavailable',
        requestBody: '{"eventId":"late-arrival"}',
        responseBody: '',
      });
    }
    integration.failures = fresh.reverse().concat(integration.failures);
  }

  /** The seeded random faults of `chaos`; true when it answered the request. */
  private chaos(res: http.ServerResponse, headers: Record<string, string>): boolean {
    const c = this.options.chaos;
    if (!c) return false;
    let x = this.chaosRandom();
    const hit = (p: number | undefined) => {
      if (p === undefined || p <= 0) return false;
      if (x < p) return true;
      x -= p;
      return false;
    };
    if (hit(c.status503)) {
      json(res, 503, errorBody(503, 'service.unavailable', 'Injected fault: HTTP 503'), headers);
      return true;
    }
    if (hit(c.drop)) {
      res.socket?.destroy();
      return true;
    }
    if (hit(c.invalidJson)) {
      res.writeHead(200, { 'content-type': 'application/json', 'inin-correlation-id': randomUUID(), ...headers });
      res.end('{"entities": [{"id": "trunc');
      return true;
    }
    if (hit(c.tooMany)) {
      this.stats.rateLimited += 1;
      json(res, 429, errorBody(429, 'too.many.requests', 'Injected fault: rate limited'), { ...headers, 'retry-after': c.retryAfter ?? '0' });
      return true;
    }
    return false;
  }

  /**
   * Offers the request to each live fault of its route (and page) in order; each counts what it
   * is offered, lets its first `skip` through and then hits `times` requests. 'delay' waits and
   * lets later faults (and the normal answer) follow; the others answer. True when answered.
   */
  private async applyFault(route: FaultSpec['route'], res: http.ServerResponse, page: number | undefined, headers: Record<string, string> = {}): Promise<boolean> {
    for (const fault of this.faults) {
      if (fault.route !== route || (fault.page !== undefined && fault.page !== page) || fault.hits >= (fault.times ?? 1)) continue;
      fault.seen += 1;
      if (fault.seen <= (fault.skip ?? 0)) continue;
      fault.hits += 1;
      switch (fault.kind) {
        case 'delay':
          await sleep(fault.delayMs ?? 1000);
          continue;
        case 'drop':
          res.socket?.destroy();
          return true;
        case 'html':
          res.writeHead(fault.status ?? 200, { 'content-type': 'text/html; charset=utf-8', ...headers });
          res.end('<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>');
          return true;
        case 'invalid-json':
          res.writeHead(200, { 'content-type': 'application/json', 'inin-correlation-id': randomUUID(), ...headers });
          res.end('{"entities": [{"id": "trunc');
          return true;
        case 'status': {
          const status = fault.status ?? 500;
          const extra: Record<string, string> = { ...headers };
          if (fault.retryAfter !== undefined) extra['retry-after'] = fault.retryAfter;
          const body =
            fault.body ??
            (route === 'token'
              ? { error: status === 401 ? 'invalid_client' : 'server_error', description: `injected HTTP ${status}`, error_description: `injected HTTP ${status}` }
              : errorBody(status, codeFor(status), `Injected fault: HTTP ${status}`));
          json(res, status, body, extra);
          return true;
        }
      }
    }
    return false;
  }

  private rateHeaders(window: Window | undefined): Record<string, string> {
    const limit = this.options.rateLimit;
    if (!limit) {
      // No limit configured: platform-like values that never bind a client's pacing.
      return { 'inin-ratelimit-count': '0', 'inin-ratelimit-allowed': '300', 'inin-ratelimit-reset': '60' };
    }
    const count = window?.count ?? 0;
    const reset = window ? Math.max(0, Math.ceil((window.startedAt + limit.windowMs - Date.now()) / 1000)) : Math.ceil(limit.windowMs / 1000);
    return {
      'inin-ratelimit-count': String(count),
      'inin-ratelimit-allowed': String(limit.allowed),
      'inin-ratelimit-reset': String(reset),
    };
  }
}

function emptyStats(): FakeGenesysStats {
  return {
    requests: { token: 0, search: 0, history: 0, integrations: 0, definitions: 0, events: 0, other: 0 },
    eventQueries: [],
    rateLimited: 0,
    maxInFlight: 0,
    historyPages: [],
    historyBodies: [],
    authorizationHeaders: [],
  };
}

function routeOf(method: string, path: string): Route {
  if (method === 'POST' && path === '/oauth/token') return 'token';
  if (method === 'POST' && path === '/api/v2/integrations/webhooks/search') return 'search';
  if (method === 'GET' && path === '/api/v2/integrations') return 'integrations';
  if (method === 'POST' && /^\/api\/v2\/integrations\/[^/]+\/history$/.test(path)) return 'history';
  if (method === 'GET' && path === '/api/v2/usage/events/definitions') return 'definitions';
  if (method === 'POST' && path === EVENTS_PATH) return 'events';
  return 'other';
}

/** Opaque to clients: the keyset position, base64url JSON. null when it does not decode. */
function encodeCursor(position: [number, number]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(text: string): [number, number] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      return value as [number, number];
    }
  } catch {
    // fall through
  }
  return null;
}

/** What searchTerm matches against (case-insensitive). */
function searchable(event: FakeOperationalEvent): string {
  return [event.entityName, event.entityId, event.errorCode, event.currentValue, event.previousValue]
    .filter((v): v is string => typeof v === 'string')
    .join('\n')
    .toLowerCase();
}

function pagingOf(size: unknown, page: unknown, maxSize: number): { size: number; page: number } | undefined {
  const s = Number(size ?? 25);
  const p = Number(page ?? 1);
  if (!Number.isInteger(s) || !Number.isInteger(p) || s < 1 || s > maxSize || p < 1) return undefined;
  return { size: s, page: p };
}

/** Linear merge of two newest-first lists by timestamp (items without one sort last). */
function mergeNewestFirst(a: readonly HistoryItem[], b: readonly HistoryItem[]): HistoryItem[] {
  if (b.length === 0) return a as HistoryItem[];
  const time = (h: HistoryItem | undefined) => (h?.timestamp ? Date.parse(h.timestamp) || 0 : 0);
  const out: HistoryItem[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && time(a[i]) >= time(b[j]))) out.push(a[i++] as HistoryItem);
    else out.push(b[j++] as HistoryItem);
  }
  return out;
}

function pageOf<T>(items: readonly T[], paging: { size: number; page: number }) {
  const start = (paging.page - 1) * paging.size;
  return { entities: items.slice(start, start + paging.size), pageSize: paging.size, pageNumber: paging.page, total: items.length };
}

function codeFor(status: number): string {
  return (
    { 400: 'bad.request', 401: 'bad.credentials', 403: 'missing.permissions', 404: 'not.found', 408: 'request.timeout', 429: 'too.many.requests', 500: 'internal.server.error', 502: 'bad.gateway', 503: 'service.unavailable', 504: 'gateway.timeout' } as Record<number, string>
  )[status] ?? 'error';
}

function errorBody(status: number, code: string, message: string) {
  return { message, code, status, contextId: randomUUID(), details: [], errors: [] };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'inin-correlation-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
