/**
 * The local Genesys-compatible server itself, through plain fetch(): shapes, errors and headers
 * as in ../shared/genesys-dlq-contract.md, plus the knobs tests and the bench rely on (rate
 * limit, faults, latency, page growth). One test drives the real SDK through the gateway setting.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import platformClient from 'purecloud-platform-client-v2';
import { DATA_ACTION_FAILED, FLOW_ERROR, FakeGenesys, makeEvents, makeFailures, type FakeGenesysOptions } from './fake-genesys/index.js';

const failures = makeFailures(450, { seed: 3 });
const successes = makeFailures(10, { seed: 4, idPrefix: 'ok' }).map((s) => ({ ...s, statusCode: 200, statusMessage: 'OK' }));
const server = new FakeGenesys({
  clients: { c1: 's1' },
  integrations: [
    { id: 'w1', name: 'Orders', failures, successes },
    { id: 'w2', name: 'Orders v2', failures: [] },
    { id: 'd1', name: 'Orders lookup', integrationType: 'purecloud-data-actions', failures: [] },
  ],
});
let base = '';
let token = '';

before(async () => {
  base = (await server.start()).url;
  token = await login(base, 'c1', 's1');
});
after(() => server.stop());

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

function tokenRequest(url: string, id: string, secret: string, body = 'grant_type=client_credentials') {
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

async function login(url: string, id: string, secret: string): Promise<string> {
  const res = await tokenRequest(url, id, secret);
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`login failed: ${res.status}`);
  return body.access_token;
}

function call(url: string, bearer: string, path: string, body?: unknown) {
  return fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const api = (path: string, body?: unknown, bearer = token) => call(base, bearer, path, body);

/** A separate server for tests that need their own options or stats. */
async function withServer(options: FakeGenesysOptions, run: (s: FakeGenesys, url: string, token: string) => Promise<void>): Promise<void> {
  const s = new FakeGenesys({ clients: { c: 's' }, ...options });
  const { url } = await s.start();
  try {
    await run(s, url, await login(url, 'c', 's'));
  } finally {
    await s.stop();
  }
}

type Page = { entities: { id: string; name?: string; timestamp?: string }[]; pageSize: number; pageNumber: number; total: number };

test('client credentials: a bearer token for a known client; 401 invalid_client for a wrong secret or unknown client; 400 for another grant', async () => {
  assert.match(token, /^[A-Za-z0-9_-]{20,}$/);
  const ok = await tokenRequest(base, 'c1', 's1');
  const body = (await ok.json()) as Record<string, unknown>;
  assert.equal(body['token_type'], 'bearer');
  assert.equal(body['expires_in'], 86400);
  assert.notEqual(body['access_token'], token, 'each login issues a new token');
  for (const [id, secret] of [['c1', 'wrong'], ['nobody', 's1']] as const) {
    const res = await tokenRequest(base, id, secret);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'invalid_client', description: 'client not found', error_description: 'client not found' });
  }
  const noAuth = await fetch(`${base}/oauth/token`, { method: 'POST', body: 'grant_type=client_credentials' });
  assert.equal(noAuth.status, 401);
  const badGrant = await tokenRequest(base, 'c1', 's1', 'grant_type=password');
  assert.equal(badGrant.status, 400);
});

test('API calls need a valid bearer token: missing, unknown, revoked and expired tokens answer 401 bad.credentials', async () => {
  const noHeader = await fetch(`${base}/api/v2/integrations`);
  assert.equal(noHeader.status, 401);
  const err = (await noHeader.json()) as Record<string, unknown>;
  assert.deepEqual([err['code'], err['status'], typeof err['message'], typeof err['contextId']], ['bad.credentials', 401, 'string', 'string']);
  assert.equal(noHeader.headers.get('content-type'), 'application/json');
  assert.equal((await api('/api/v2/integrations', undefined, 'nope')).status, 401);

  const t = await login(base, 'c1', 's1');
  assert.equal((await api('/api/v2/integrations', undefined, t)).status, 200);
  server.revokeTokens();
  const revoked = await api('/api/v2/integrations', undefined, t);
  assert.equal(revoked.status, 401);
  assert.equal(((await revoked.json()) as { code: string }).code, 'bad.credentials');
  token = await login(base, 'c1', 's1');
  assert.equal((await api('/api/v2/integrations')).status, 200, 'logging in again works');

  await withServer({ tokenTtlSeconds: 0 }, async (_s, url, expired) => {
    assert.equal((await call(url, expired, '/api/v2/integrations')).status, 401);
  });
});

test('webhook search matches names partially, case-insensitively and only among webhooks; validates size and page', async () => {
  const res = await api('/api/v2/integrations/webhooks/search', { name: 'ORDERS', size: 10, page: 1 });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Page;
  assert.deepEqual(body.entities.map((e) => e.name).sort(), ['Orders', 'Orders v2']);
  assert.deepEqual([body.total, body.pageSize, body.pageNumber], [2, 10, 1]);
  const second = (await (await api('/api/v2/integrations/webhooks/search', { name: 'orders', size: 1, page: 2 })).json()) as Page;
  assert.equal(second.entities.length, 1);
  assert.equal(second.total, 2);
  for (const bad of [{ size: 500, page: 1 }, { size: 0, page: 1 }, { size: 10, page: 0 }]) {
    const r = await api('/api/v2/integrations/webhooks/search', { name: 'x', ...bad });
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(((await r.json()) as { code: string }).code, 'bad.request');
  }
  await withServer({ searchAvailable: false, integrations: [{ id: 'a', name: 'A', failures: [] }] }, async (_s, url, t) => {
    const r = await call(url, t, '/api/v2/integrations/webhooks/search', { name: 'A', size: 10, page: 1 });
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { code: string }).code, 'not.found');
    assert.equal((await call(url, t, '/api/v2/integrations')).status, 200, 'the listing still answers');
  });
});

test('the integrations listing returns every type, pages with pageSize up to 100 and reports pageCount', async () => {
  const res = await api('/api/v2/integrations?pageSize=2&pageNumber=2');
  const body = (await res.json()) as { entities: { id: string; integrationType: { id: string } }[]; total: number; pageCount: number; pageSize: number; pageNumber: number };
  assert.deepEqual(body.entities.map((e) => [e.id, e.integrationType.id]), [['d1', 'purecloud-data-actions']]);
  assert.deepEqual([body.total, body.pageCount, body.pageSize, body.pageNumber], [3, 2, 2, 2]);
  const first = (await (await api('/api/v2/integrations?pageSize=100&pageNumber=1')).json()) as typeof body;
  assert.deepEqual(first.entities.map((e) => [e.id, e.integrationType.id]), [['w1', 'webhook'], ['w2', 'webhook'], ['d1', 'purecloud-data-actions']]);
  assert.equal((await api('/api/v2/integrations?pageSize=101&pageNumber=1')).status, 400);
});

test('history pages by offset; status failed leaves successes out; other statuses merge them newest first; unknown id is 404', async () => {
  const page3 = (await (await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 3 })).json()) as Page;
  assert.deepEqual([page3.total, page3.pageNumber, page3.pageSize], [450, 3, 200]);
  assert.deepEqual(page3.entities.map((e) => e.id), failures.slice(400).map((f) => f.id));
  const page2of7 = (await (await api('/api/v2/integrations/w1/history', { status: 'failed', size: 7, page: 2 })).json()) as Page;
  assert.deepEqual(page2of7.entities.map((e) => e.id), failures.slice(7, 14).map((f) => f.id));
  const beyond = (await (await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 4 })).json()) as Page;
  assert.deepEqual([beyond.entities.length, beyond.total], [0, 450]);

  const all = (await (await api('/api/v2/integrations/w1/history', { size: 200, page: 1 })).json()) as Page;
  assert.equal(all.total, 460);
  const allItems = [...all.entities];
  for (let p = 2; p <= 3; p += 1) allItems.push(...((await (await api('/api/v2/integrations/w1/history', { size: 200, page: p })).json()) as Page).entities);
  assert.deepEqual(new Set(allItems.map((e) => e.id)), new Set([...failures, ...successes].map((f) => f.id)));
  const times = allItems.map((e) => Date.parse(e.timestamp ?? ''));
  assert.ok(times.every((t, i) => i === 0 || t <= (times[i - 1] as number)), 'merged newest first');

  const empty = (await (await api('/api/v2/integrations/w2/history', { status: 'failed', size: 200, page: 1 })).json()) as Page;
  assert.deepEqual([empty.entities.length, empty.total], [0, 0]);
  const missing = await api('/api/v2/integrations/nope/history', { status: 'failed', size: 200, page: 1 });
  assert.equal(missing.status, 404);
  const err = (await missing.json()) as Record<string, unknown>;
  assert.deepEqual([err['code'], err['status'], typeof err['contextId'], err['details'], err['errors']], ['not.found', 404, 'string', [], []]);
  assert.equal((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 201, page: 1 })).status, 400);
  assert.equal((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: -1 })).status, 400);
});

test('history requests are recorded: page numbers, bodies and the bearer header', async () => {
  await withServer({ integrations: [{ id: 'h', name: 'H', failures: makeFailures(5) }] }, async (s, url, t) => {
    s.resetStats();
    for (const page of [2, 1]) await call(url, t, '/api/v2/integrations/h/history', { status: 'failed', size: 3, page });
    assert.deepEqual(s.stats.historyPages, [2, 1]);
    assert.deepEqual(s.stats.historyBodies, [{ status: 'failed', size: 3, page: 2 }, { status: 'failed', size: 3, page: 1 }]);
    assert.deepEqual(s.stats.authorizationHeaders, [`Bearer ${t}`, `Bearer ${t}`]);
    assert.deepEqual(s.stats.requests, { token: 0, search: 0, history: 2, integrations: 0, definitions: 0, events: 0, other: 0 });
    s.resetStats();
    assert.deepEqual([s.stats.historyPages, s.stats.requests.history], [[], 0]);
  });
});

test('a role without integrations:integration:view gets 403 missing.permissions (naming it) from search, listing and history', async () => {
  await withServer({ permissions: ['usage:events:view'], integrations: [{ id: 'a', name: 'A', failures: [] }] }, async (_s, url, t) => {
    for (const [path, body] of [['/api/v2/integrations/webhooks/search', { name: 'A', size: 1, page: 1 }], ['/api/v2/integrations', undefined], ['/api/v2/integrations/a/history', { status: 'failed', size: 1, page: 1 }]] as const) {
      const res = await call(url, t, path, body);
      assert.equal(res.status, 403, path);
      const err = (await res.json()) as { code: string; status: number; message: string };
      assert.deepEqual([err.code, err.status], ['missing.permissions', 403]);
      assert.match(err.message, /integrations:integration:view/);
    }
  });
});

test('every API response, errors included, carries the inin-ratelimit-* headers, a correlation id and JSON content type', async () => {
  const responses = [await api('/api/v2/integrations'), await api('/api/v2/integrations/nope/history', { status: 'failed', size: 1, page: 1 }), await api('/api/v2/integrations', undefined, 'bad-token')];
  const ids = new Set<string>();
  for (const res of responses) {
    for (const h of ['inin-ratelimit-count', 'inin-ratelimit-allowed', 'inin-ratelimit-reset']) assert.match(res.headers.get(h) ?? '', /^\d+$/, `${h} on ${res.status}`);
    assert.match(res.headers.get('inin-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('content-type'), 'application/json');
    ids.add(res.headers.get('inin-correlation-id') ?? '');
  }
  assert.equal(ids.size, 3, 'a new correlation id per response');
  // No limit configured: values that never bind a pacing client.
  const res = responses[0] as Response;
  assert.deepEqual([res.headers.get('inin-ratelimit-count'), res.headers.get('inin-ratelimit-allowed')], ['0', '300']);
});

test('rate limit: a fixed window per client from its first request, 429 too.many.requests with Retry-After, 429s not counted, reset after the window', async () => {
  await withServer({ clients: { c: 's', other: 'o' }, rateLimit: { allowed: 3, windowMs: 1500 }, integrations: [] }, async (s, url, t) => {
    const get = (bearer = t) => call(url, bearer, '/api/v2/integrations');
    const counts: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const r = await get();
      assert.equal(r.status, 200);
      counts.push(r.headers.get('inin-ratelimit-count') ?? '');
      assert.equal(r.headers.get('inin-ratelimit-allowed'), '3');
      assert.ok(['1', '2'].includes(r.headers.get('inin-ratelimit-reset') ?? ''), 'reset = whole seconds left in the window');
    }
    assert.deepEqual(counts, ['1', '2', '3']);
    for (let i = 0; i < 2; i += 1) {
      const res = await get();
      assert.equal(res.status, 429);
      const body = (await res.json()) as { code: string; status: number; message: string };
      assert.deepEqual([body.code, body.status], ['too.many.requests', 429]);
      assert.match(body.message, /^Rate limit exceeded the maximum/);
      assert.ok(['1', '2'].includes(res.headers.get('retry-after') ?? ''), `Retry-After ${res.headers.get('retry-after')}`);
      assert.equal(res.headers.get('inin-ratelimit-count'), '3', 'a 429 does not count');
    }
    assert.equal(s.stats.rateLimited, 2);

    // Another OAuth client has its own window.
    const other = await login(url, 'other', 'o');
    const otherRes = await get(other);
    assert.equal(otherRes.status, 200);
    assert.equal(otherRes.headers.get('inin-ratelimit-count'), '1');

    await new Promise((r) => setTimeout(r, 1600));
    const fresh = await get();
    assert.equal(fresh.status, 200, 'a new window after windowMs');
    assert.equal(fresh.headers.get('inin-ratelimit-count'), '1');
  });
});

test('faults hit matching requests in order, honouring route, page, skip and times; with Retry-After and body overrides', async () => {
  server.injectFault({ route: 'history', kind: 'status', status: 503, page: 2, skip: 1, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 2 })).status);
  assert.deepEqual(statuses, [200, 503, 503, 200]);

  // Page-specific faults leave other pages alone; two faults on one route apply one after the other.
  server.injectFault({ route: 'history', kind: 'status', status: 429, retryAfter: '2', page: 3 });
  server.injectFault({ route: 'history', kind: 'status', status: 500, body: { message: 'custom', code: 'boom', status: 500 }, page: 3 });
  assert.equal((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 1 })).status, 200);
  const r429 = await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 3 });
  assert.equal(r429.status, 429);
  assert.equal(r429.headers.get('retry-after'), '2');
  assert.equal(((await r429.json()) as { code: string }).code, 'too.many.requests');
  assert.ok(r429.headers.get('inin-ratelimit-count') !== null, 'injected errors carry the rate-limit headers too');
  const r500 = await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 3 });
  assert.equal(r500.status, 500);
  assert.equal(r500.headers.get('retry-after'), null, 'no Retry-After unless asked');
  assert.deepEqual(await r500.json(), { message: 'custom', code: 'boom', status: 500 });
  assert.equal((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 3 })).status, 200);

  server.injectFault({ route: 'history', kind: 'invalid-json' });
  const truncated = await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 1 });
  assert.equal(truncated.status, 200);
  const text = await truncated.text();
  assert.throws(() => JSON.parse(text));
  assert.equal((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 1 })).status, 200);

  server.injectFault({ route: 'search', kind: 'drop', times: 2 });
  await assert.rejects(api('/api/v2/integrations/webhooks/search', { name: 'x', size: 1, page: 1 }));
  await assert.rejects(api('/api/v2/integrations/webhooks/search', { name: 'x', size: 1, page: 1 }));
  assert.equal((await api('/api/v2/integrations/webhooks/search', { name: 'x', size: 1, page: 1 })).status, 200);

  server.injectFault({ route: 'token', kind: 'status', status: 503 });
  assert.equal((await tokenRequest(base, 'c1', 's1')).status, 503);
  assert.equal((await tokenRequest(base, 'c1', 's1')).status, 200);
});

test('faults from the options apply too; a delay fault delays and then answers normally', async () => {
  await withServer(
    {
      integrations: [{ id: 'a', name: 'A', failures: makeFailures(3) }],
      faults: [{ route: 'integrations', kind: 'delay', delayMs: 300 }, { route: 'integrations', kind: 'status', status: 502, skip: 1 }],
    },
    async (_s, url, t) => {
      const started = Date.now();
      const first = await call(url, t, '/api/v2/integrations');
      assert.equal(first.status, 200);
      assert.ok(Date.now() - started >= 250, 'the delay fault held the first request');
      assert.equal((await call(url, t, '/api/v2/integrations')).status, 502);
      assert.equal((await call(url, t, '/api/v2/integrations')).status, 200);
    },
  );
});

test('latency delays every API response, so concurrent requests overlap (maxInFlight)', async () => {
  await withServer({ latencyMs: 200, integrations: [] }, async (s, url, t) => {
    const requests = Array.from({ length: 5 }, () => call(url, t, '/api/v2/integrations'));
    const statuses = await Promise.all(requests.map(async (r) => (await r).status));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.equal(s.stats.maxInFlight, 5);
    assert.equal(s.stats.requests.integrations, 5);
  });
  await withServer({ integrations: [] }, async (s, url, t) => {
    for (let i = 0; i < 3; i += 1) await call(url, t, '/api/v2/integrations');
    assert.equal(s.stats.maxInFlight, 1, 'sequential requests never overlap');
  });
});

test('page growth prepends new failures before each history answer, shifting offsets; addFailures prepends too', async () => {
  await withServer({ integrations: [{ id: 'g', name: 'G', failures: makeFailures(10, { seed: 9 }) }], pageGrowth: { integrationId: 'g', perHistoryRequest: 2 } }, async (s, url, t) => {
    const page = async (p: number) => (await (await call(url, t, '/api/v2/integrations/g/history', { status: 'failed', size: 5, page: p })).json()) as Page;
    const first = await page(1);
    const second = await page(2);
    assert.equal(first.total, 12);
    assert.equal(second.total, 14);
    assert.equal(second.entities[0]!.id, first.entities[3]!.id, 'two new items shifted the rest by two');
    const newest = Date.parse(second.entities[0]!.timestamp!);
    const grown = (await page(1)).entities;
    assert.ok(Date.parse(grown[0]!.timestamp!) > Date.parse(grown[1]!.timestamp!), 'new failures are newest first');
    assert.ok(Number.isFinite(newest));

    const extra = makeFailures(3, { seed: 10, idPrefix: 'late' });
    s.addFailures('g', extra);
    const after = await page(1);
    assert.deepEqual(after.entities.slice(2, 5).map((e) => e.id), extra.map((e) => e.id), 'added items come right after the two grown this request');
    assert.throws(() => s.addFailures('nope', extra), /nope/);
  });
});

test('addFailures handles large batches and paging stays exact over 20,000 items', async () => {
  await withServer({ integrations: [{ id: 'big', name: 'Big', failures: [] }] }, async (s, url, t) => {
    const items = makeFailures(20_000, { seed: 5 });
    s.addFailures('big', items);
    const last = (await (await call(url, t, '/api/v2/integrations/big/history', { status: 'failed', size: 200, page: 100 })).json()) as Page;
    assert.equal(last.total, 20_000);
    assert.deepEqual(last.entities.map((e) => e.id), items.slice(19_800).map((e) => e.id));
  });
});

test('stop() closes kept-alive connections promptly and the port stops answering', { timeout: 5000 }, async () => {
  const s = new FakeGenesys({ clients: { c: 's' } });
  const { url, host, port } = await s.start();
  assert.equal(host, '127.0.0.1');
  assert.equal(url, `http://127.0.0.1:${port}`);
  await login(url, 'c', 's'); // leaves a keep-alive socket open
  await s.stop();
  await assert.rejects(fetch(`${url}/oauth/token`, { method: 'POST' }));
  await s.stop(); // idempotent
});

test('makeFailures is deterministic and realistic', () => {
  const a = makeFailures(300, { seed: 42 });
  assert.deepEqual(makeFailures(300, { seed: 42 }), a, 'same seed, same items');
  assert.notDeepEqual(makeFailures(300, { seed: 43 }).map((f) => f.id), a.map((f) => f.id));
  assert.equal(new Set(a.map((f) => f.id)).size, 300, 'unique ids');
  for (const f of a) assert.match(f.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const times = a.map((f) => Date.parse(f.timestamp ?? ''));
  assert.ok(times.every((t, i) => i === 0 || t < (times[i - 1] as number)), 'timestamps descending');
  assert.deepEqual(new Set(a.map((f) => f.statusCode)), new Set([500, 502, 503, 504, 404, 408, 429, 400]));
  const messages: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 404: 'Not Found', 408: 'Request Timeout', 429: 'Too Many Requests', 400: 'Bad Request' };
  for (const f of a) assert.equal(f.statusMessage, messages[f.statusCode as number]);
  for (const f of a) assert.equal(typeof JSON.parse(f.requestBody ?? ''), 'object');
  assert.ok(a.some((f) => /[^\x00-\x7f]/.test(f.requestBody ?? '')), 'some payloads carry non-ASCII text');
  assert.ok(a.every((f) => typeof f.responseBody === 'string'));
  const start = new Date('2026-01-01T00:00:00Z');
  const b = makeFailures(3, { startTime: start, idPrefix: 'x', integrationName: 'Hook' });
  assert.ok(b.every((f) => Date.parse(f.timestamp!) < start.getTime() && f.id!.startsWith('x-') && JSON.parse(f.requestBody!).eventBody.webhook === 'Hook'));
});

test('the real SDK logs in and calls the API through the gateway setting', async () => {
  const { port } = new URL(base);
  const client = platformClient.ApiClient.instance;
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port: Number(port) });
  client.setReturnExtendedResponses(true);
  await assert.rejects(client.loginClientCredentialsGrant('c1', 'wrong'), (err: { status?: number; response?: { status?: number } }) => (err.status ?? err.response?.status) === 401);
  server.resetStats();
  await client.loginClientCredentialsGrant('c1', 's1');
  const res = (await client.callApi('/api/v2/integrations/webhooks/search', 'POST', {}, {}, {}, {}, { name: 'orders', size: 10, page: 1 }, ['PureCloud OAuth'], ['application/json'], ['application/json'])) as {
    status: number;
    headers: Record<string, string>;
    body: Page;
  };
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.entities.map((e) => e.name).sort(), ['Orders', 'Orders v2']);
  assert.match(res.headers['inin-ratelimit-allowed'] ?? '', /^\d+$/);
  assert.equal(server.stats.requests.token, 1);
  assert.equal(server.stats.requests.search, 1);
  assert.match(server.stats.authorizationHeaders[0] ?? '', /^Bearer [A-Za-z0-9_-]{20,}$/, 'the SDK used the issued token');

  // A rejection exposes status and Retry-After with extended responses.
  server.injectFault({ route: 'history', kind: 'status', status: 429, retryAfter: '3' });
  const rejected = (await client
    .callApi('/api/v2/integrations/{id}/history', 'POST', { id: 'w1' }, {}, {}, {}, { status: 'failed', size: 5, page: 1 }, ['PureCloud OAuth'], ['application/json'], ['application/json'])
    .then(() => undefined, (e: unknown) => e)) as { status?: number; headers?: Record<string, string> } | undefined;
  assert.equal(rejected?.status, 429);
  assert.equal(rejected?.headers?.['retry-after'], '3');
  const history = (await client.callApi('/api/v2/integrations/{id}/history', 'POST', { id: 'w1' }, {}, {}, {}, { status: 'failed', size: 5, page: 1 }, ['PureCloud OAuth'], ['application/json'], ['application/json'])) as { body: Page };
  assert.deepEqual(history.body.entities.map((e) => e.id), failures.slice(0, 5).map((f) => f.id));
});

// ---------------------------------------------------------------- operational events (contract §6)

const DAY = 86_400_000;
const QUERY = '/api/v2/usage/events/query';
type EventPage = { entities: { dateCreated: string; eventDefinition: { id: string } }[]; nextUri?: string; previousUri?: string; selfUri: string };

function eventsServer(extra: FakeGenesysOptions = {}): FakeGenesysOptions {
  const now = Date.now();
  return {
    eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR],
    events: [
      ...makeEvents(450, { definition: DATA_ACTION_FAILED, newest: new Date(now - 60_000), stepMs: Math.floor((9 * DAY) / 450), seed: 1 }),
      ...makeEvents(30, { definition: FLOW_ERROR, newest: new Date(now - 30_000), stepMs: 60_000, seed: 2 }),
      ...makeEvents(20, { definition: DATA_ACTION_FAILED, newest: new Date(now - 12 * DAY), stepMs: 60_000, seed: 3 }),
    ],
    ...extra,
  };
}

const whole = () => `${new Date(Date.now() - 30 * DAY).toISOString()}/${new Date(Date.now() + 60_000).toISOString()}`;

/** Follows nextUri's `after` cursor to the end, like a client would. */
async function allPages(url: string, t: string, body: unknown, pageSize = 200, onPage?: (n: number) => void): Promise<EventPage[]> {
  const pages: EventPage[] = [];
  let next: string | undefined = `${QUERY}?pageSize=${pageSize}`;
  while (next) {
    const res = await call(url, t, next, body);
    assert.equal(res.status, 200);
    const page = (await res.json()) as EventPage;
    pages.push(page);
    onPage?.(pages.length);
    next = page.nextUri;
  }
  return pages;
}

test('event definitions: an EventDefinitionListing (not paged)', async () => {
  await withServer(eventsServer(), async (_s, url, t) => {
    const res = await call(url, t, '/api/v2/usage/events/definitions');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { entities: [DATA_ACTION_FAILED, FLOW_ERROR] });
  });
});

test('events query: newest first by definition, cursor pages of pageSize, the 10-day retention; nextUri only while more follow', async () => {
  await withServer(eventsServer(), async (s, url, t) => {
    const pages = await allPages(url, t, { interval: whole(), eventDefinitionIds: [DATA_ACTION_FAILED.id] });
    assert.deepEqual(pages.map((p) => p.entities.length), [200, 200, 50], '450 kept, the 20 older than 10 days never');
    assert.equal(pages[2]?.nextUri, undefined);
    assert.match(pages[0]?.nextUri ?? '', /^\/api\/v2\/usage\/events\/query\?pageSize=200&after=[\w-]+$/);
    assert.match(pages[1]?.previousUri ?? '', /[?&]before=/);
    const times = pages.flatMap((p) => p.entities.map((e) => Date.parse(e.dateCreated)));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.ok(pages.every((p) => p.entities.every((e) => e.eventDefinition.id === DATA_ACTION_FAILED.id)));
    const asc = await allPages(url, t, { interval: whole(), sortOrder: 'ASC' }, 100);
    const ascTimes = asc.flatMap((p) => p.entities.map((e) => Date.parse(e.dateCreated)));
    assert.equal(ascTimes.length, 480);
    assert.deepEqual(ascTimes, [...ascTimes].sort((a, b) => a - b));
    // A narrower interval; searchTerm matches entity names, case-insensitively.
    const day = await allPages(url, t, { interval: `${new Date(Date.now() - 2 * DAY).toISOString()}/${new Date(Date.now() - DAY).toISOString()}`, eventDefinitionIds: [DATA_ACTION_FAILED.id] });
    assert.equal(day.flatMap((p) => p.entities).length, 50);
    const found = await allPages(url, t, { interval: whole(), searchTerm: 'ZENDESK' });
    assert.ok(found.flatMap((p) => p.entities).every((e) => (e as unknown as { entityName: string }).entityName === 'Zendesk - Create Ticket'));
    assert.equal(s.stats.eventQueries[0]?.pageSize, '200');
  });
});

test('events query: the pages still to come do not shift while new events arrive', async () => {
  await withServer(eventsServer({ eventGrowth: { definitionId: DATA_ACTION_FAILED.id, perQuery: 25 } }), async (_s, url, t) => {
    const interval = whole();
    const pages = await allPages(url, t, { interval, eventDefinitionIds: [DATA_ACTION_FAILED.id] });
    const seen = pages.flatMap((p) => p.entities.map((e) => e.dateCreated + JSON.stringify(e)));
    assert.equal(new Set(seen).size, seen.length, 'no event twice');
    // 450 old ones plus the 25 that arrived before the first page was answered; none of the old ones missing.
    assert.equal(seen.length, 475);
  });
});

test('events query: interval required, pageSize 1..200, cursors and sortOrder checked (400); 403 without usage:events:view', async () => {
  await withServer(eventsServer(), async (_s, url, t) => {
    const bad: [string, unknown][] = [
      [QUERY, {}],
      [QUERY, { interval: 'yesterday' }],
      [QUERY, { interval: '2026-11-02T00:00:00Z/2026-11-01T00:00:00Z' }],
      [`${QUERY}?pageSize=201`, { interval: whole() }],
      [`${QUERY}?pageSize=0`, { interval: whole() }],
      [`${QUERY}?after=not-a-cursor`, { interval: whole() }],
      [QUERY, { interval: whole(), sortOrder: 'NEWEST' }],
    ];
    for (const [path, body] of bad) {
      const res = await call(url, t, path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(((await res.json()) as { code: string }).code, 'bad.request');
    }
  });
  await withServer(eventsServer({ permissions: ['integrations:integration:view'] }), async (_s, url, t) => {
    for (const [path, body] of [['/api/v2/usage/events/definitions', undefined], [QUERY, { interval: whole() }]] as const) {
      const res = await call(url, t, path, body);
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { message: string }).message, /usage:events:view/);
    }
  });
});

test('events query: 429 with Retry-After under the rate limit, like every API path', async () => {
  await withServer(eventsServer({ rateLimit: { allowed: 2, windowMs: 10_000 } }), async (_s, url, t) => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(url, t, `${QUERY}?pageSize=10`, { interval: whole() })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const res = await call(url, t, `${QUERY}?pageSize=10`, { interval: whole() });
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
  });
});

test('historyAvailable false: the history path answers 404 exactly like an unknown path', async () => {
  await withServer({ historyAvailable: false, integrations: [{ id: 'w1', name: 'Orders', failures }] }, async (_s, url, t) => {
    const history = await call(url, t, '/api/v2/integrations/w1/history', { status: 'failed', size: 1, page: 1 });
    const unknown = await call(url, t, '/api/v2/nothing/here', { x: 1 });
    assert.deepEqual([history.status, unknown.status], [404, 404]);
    const [h, u] = (await Promise.all([history.json(), unknown.json()])) as { code: string; message: string }[];
    assert.deepEqual([h?.code, u?.code], ['not.found', 'not.found']);
    assert.match(h?.message ?? '', /^Resource not found: \/api\/v2\/integrations\/w1\/history$/);
  });
});
