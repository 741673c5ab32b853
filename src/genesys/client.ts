/**
 * THE ONLY MODULE THAT IMPORTS THE GENESYS SDK (purecloud-platform-client-v2).
 *
 * It is loaded lazily (on first use) because the SDK takes hundreds of milliseconds to load and
 * the offline commands (list, inspect, replay) must not pay for it.
 *
 * Responsibilities: log in with client credentials, call the platform operations dlq needs (the
 * designed webhook/history paths through callApi, the operational-events ones through the typed
 * OperationalEventsApi), log in again once on a 401 mid-run, and turn every SDK rejection into a
 * GenesysApiError or an AuthError built from plain data — never the raw SDK/axios error, whose
 * `config` carries the Authorization header (contract §4). It also hands out the SDK's list of
 * region hosts (PureCloudRegionHosts), so --environment is checked against the SDK in use.
 */
import { createRequire } from 'node:module';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { GenesysApiError } from './api-error.js';
import { describeNetworkError, isPermanentNetworkCode } from '../network-error.js';

export interface GenesysClientConfig {
  clientId: string;
  clientSecret: string;
  /** e.g. mypurecloud.com, mypurecloud.ie, usw2.pure.cloud */
  environment: string;
  /** Send login and API requests to this host instead (the SDK's gateway setting). */
  gateway?: URL | undefined;
}

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export interface Paged<T> {
  entities: T[];
  pageSize?: number;
  pageNumber?: number;
  total?: number;
  pageCount?: number;
}

export interface IntegrationSummary {
  id: string;
  name: string;
  integrationType?: { id?: string };
}

/** A history item as the platform sends it; any field may be missing (contract §3). */
export interface HistoryItem {
  id?: string;
  timestamp?: string;
  statusCode?: number;
  statusMessage?: string;
  requestBody?: string;
  responseBody?: string;
  [extra: string]: unknown;
}

/** An operational-event definition (contract §6, SDK model EventDefinition). */
export interface EventDefinition {
  id?: string;
  name?: string;
  description?: string;
  [extra: string]: unknown;
}

/** SDK model OperationalEvent (contract §6): every field optional, no id, no payload. */
export interface OperationalEvent {
  eventDefinition?: { id?: string; selfUri?: string };
  entityId?: string;
  entityToken?: string;
  entityName?: string;
  previousValue?: string;
  currentValue?: string;
  errorCode?: string;
  parentEntityId?: string;
  conversation?: { id?: string; selfUri?: string };
  dateCreated?: string;
  dateModified?: string;
  entityModifiedBy?: string;
  entityVersion?: string;
  phoneNumber?: string;
  externalContactId?: string;
  [extra: string]: unknown;
}

/** SDK model EventQueryRequest. */
export interface EventQueryRequest {
  /** `<ISO start>/<ISO end>`, required. */
  interval: string;
  eventDefinitionIds?: string[];
  searchTerm?: string;
  sortOrder?: 'ASC' | 'DESC';
}

/** SDK model EventQueryResponse: cursor paging through nextUri's `after`. */
export interface EventQueryResponse {
  entities?: OperationalEvent[];
  nextUri?: string;
  previousUri?: string;
  selfUri?: string;
}

/**
 * The permissions a role must grant the OAuth client (contract §1). Client-credentials clients get
 * them through roles; the "scopes" the design documents named do not exist in Genesys Cloud.
 */
export const PERMISSIONS = {
  history: 'integrations:integration:view',
  events: 'usage:events:view',
} as const;

/** One platform request as it went out and came back (for `doctor --verbose`): no headers, no body. */
export interface RequestTrace {
  method: string;
  path: string;
  /** undefined when no response arrived. */
  status: number | undefined;
  ms: number;
}

type Sdk = {
  ApiClient: { instance: SdkApiClient };
  PureCloudRegionHosts: Record<string, string>;
  OperationalEventsApi: new (api: SdkApiClient) => SdkOperationalEventsApi;
};

type SdkOperationalEventsApi = {
  getUsageEventsDefinitions(opts?: object): Promise<unknown>;
  postUsageEventsQuery(opts: { before?: string; after?: string; pageSize?: string; body: EventQueryRequest }): Promise<unknown>;
};

let loadedSdk: Sdk | undefined;

/**
 * require(), not import(): importing this 3.9 MB CommonJS bundle from ESM makes Node run its CJS
 * export lexer over it first, which costs about a third of a second on every run.
 */
function sdk(): Sdk {
  loadedSdk ??= createRequire(import.meta.url)('purecloud-platform-client-v2') as Sdk;
  return loadedSdk;
}

type SdkApiClient = {
  setEnvironment(env: string): void;
  setGateway(gateway?: object): void;
  setReturnExtendedResponses(flag: boolean): void;
  loginClientCredentialsGrant(id: string, secret: string): Promise<unknown>;
  callApi(
    path: string,
    method: string,
    pathParams: object,
    queryParams: object,
    headerParams: object,
    formParams: object,
    body: unknown,
    authNames: string[],
    contentTypes: string[],
    accepts: string[],
  ): Promise<unknown>;
  getHttpClient(): { setTimeout?(ms: number): void };
  authData?: { accessToken?: string };
};

type ExtendedResponse = { status?: number; headers?: Record<string, unknown>; body?: unknown; error?: unknown };

export interface GenesysClientEvents {
  /** Called when a 401 mid-run made us log in again. */
  onReauthenticated?: () => void;
  /** Called after every request (login included) with its method, path and status. */
  onRequest?: (trace: RequestTrace) => void;
}

/** What a successful login tells: when the token expires (from the token response's expires_in). */
export interface LoginInfo {
  expiresAt: number | undefined;
}

/** A request of the designed paths, sent through callApi. */
interface RawRequest {
  method: string;
  path: string;
  query?: object;
  body?: unknown;
}

export class GenesysClient {
  private readonly api: SdkApiClient;
  private readonly eventsApi: SdkOperationalEventsApi;
  private readonly config: GenesysClientConfig;
  private relogin: Promise<void> | undefined;
  /** Bumped by each successful login, so a 401 for a request sent with an old token just retries. */
  private tokenGeneration = 0;
  readonly events: GenesysClientEvents;

  private constructor(api: SdkApiClient, config: GenesysClientConfig, events: GenesysClientEvents) {
    this.api = api;
    this.eventsApi = new (sdk().OperationalEventsApi)(api);
    this.config = config;
    this.events = events;
  }

  /** The region hosts of the SDK in use (`PureCloudRegionHosts`: mypurecloud.com, mypurecloud.ie, …). */
  static regionHosts(): string[] {
    return [...new Set(Object.values(sdk().PureCloudRegionHosts))];
  }

  /** Loads the SDK and configures its (process-wide) ApiClient. Does not log in yet. */
  static async create(
    config: GenesysClientConfig,
    events: GenesysClientEvents = {},
    options: { loginSignal?: AbortSignal } = {},
  ): Promise<GenesysClient> {
    registerSecret(config.clientSecret);
    const api = sdk().ApiClient.instance;
    observeLogins(api, options.loginSignal);
    api.setEnvironment(config.environment);
    if (config.gateway) {
      const g = config.gateway;
      const port = g.port !== '' ? Number(g.port) : undefined;
      const path = g.pathname.replace(/\/+$/, '');
      api.setGateway({
        host: g.hostname,
        protocol: g.protocol.replace(/:$/, ''),
        ...(port !== undefined ? { port } : {}),
        ...(path ? { path_params_login: path, path_params_api: path } : {}),
      });
    } else {
      api.setGateway(undefined);
    }
    // Without extended responses a rejection carries only the body: no status, no Retry-After.
    api.setReturnExtendedResponses(true);
    // The SDK's default is 16 s; a slow history page of 200 items deserves longer before a retry.
    api.getHttpClient().setTimeout?.(30_000);
    return new GenesysClient(api, config, events);
  }

  /** Where login goes: the gateway's origin, or `login.<environment>`. */
  loginHost(): string {
    return this.config.gateway ? this.config.gateway.origin : `login.${this.config.environment}`;
  }

  /** Where API calls go: the gateway's origin, or `api.<environment>`. */
  apiHost(): string {
    return this.config.gateway ? this.config.gateway.origin : `api.${this.config.environment}`;
  }

  /** Client-credentials login. AuthError (exit 3) with the HTTP status and error_description. */
  async login(): Promise<LoginInfo> {
    const started = performance.now();
    let status: number | undefined;
    try {
      const auth = (await this.api.loginClientCredentialsGrant(this.config.clientId, this.config.clientSecret)) as
        | { tokenExpiryTime?: unknown }
        | undefined;
      status = 200;
      const token = this.api.authData?.accessToken;
      // A 200 without a token (a captive portal's or a proxy's HTML page): the SDK stores
      // `undefined` and every call after it would fail with a misleading 401 or 404.
      if (typeof token !== 'string' || token === '') {
        throw new AuthError(`login answered 200 but no access_token (${loginObservation.contentType ?? 'no content type'})`, { status: 200 });
      }
      registerSecret(token);
      this.tokenGeneration += 1;
      const expiresAt = auth?.tokenExpiryTime;
      return { expiresAt: typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const mapped = loginError(error, this.loginHost());
      status = mapped.status;
      throw mapped;
    } finally {
      this.events.onRequest?.({ method: 'POST', path: '/oauth/token', status, ms: Math.round(performance.now() - started) });
    }
  }

  searchWebhooks(name: string, page: number, size: number): Promise<ApiResponse<Paged<IntegrationSummary>>> {
    return this.raw(`webhook search page ${page}`, PERMISSIONS.history, {
      method: 'POST',
      path: '/api/v2/integrations/webhooks/search',
      body: { name, size, page },
    });
  }

  /** GET /api/v2/integrations (what IntegrationsApi.getIntegrations calls), through callApi so headers come back. */
  listIntegrations(pageNumber: number, pageSize: number): Promise<ApiResponse<Paged<IntegrationSummary>>> {
    return this.raw(`integrations page ${pageNumber}`, PERMISSIONS.history, {
      method: 'GET',
      path: '/api/v2/integrations',
      query: { pageSize, pageNumber },
    });
  }

  historyPage(integrationId: string, page: number, size: number): Promise<ApiResponse<Paged<HistoryItem>>> {
    return this.raw(`history page ${page}`, PERMISSIONS.history, {
      method: 'POST',
      path: historyPath(integrationId),
      body: { status: 'failed', size, page },
    });
  }

  /** OperationalEventsApi.getUsageEventsDefinitions: GET /api/v2/usage/events/definitions (not paged). */
  eventDefinitions(): Promise<ApiResponse<{ entities?: EventDefinition[] }>> {
    return this.call('event definitions', PERMISSIONS.events, 'GET', '/api/v2/usage/events/definitions', () =>
      this.eventsApi.getUsageEventsDefinitions(),
    );
  }

  /**
   * OperationalEventsApi.postUsageEventsQuery: POST /api/v2/usage/events/query. `after` is the
   * cursor from the previous page's nextUri (absent for the first page).
   */
  queryEvents(query: { after?: string | undefined; pageSize: number; body: EventQueryRequest }, operation = 'events query'): Promise<ApiResponse<EventQueryResponse>> {
    return this.call(operation, PERMISSIONS.events, 'POST', '/api/v2/usage/events/query', () =>
      this.eventsApi.postUsageEventsQuery({
        ...(query.after !== undefined ? { after: query.after } : {}),
        // The SDK types pageSize as a string.
        pageSize: String(query.pageSize),
        body: query.body,
      }),
    );
  }

  /** A designed path (no typed SDK method exists for it), sent through callApi. */
  private raw<T>(operation: string, permission: string, request: RawRequest): Promise<ApiResponse<T>> {
    return this.call(operation, permission, request.method, request.path, () =>
      this.api.callApi(
        request.path,
        request.method,
        {},
        request.query ?? {},
        {},
        {},
        request.body ?? null,
        ['PureCloud OAuth'],
        ['application/json'],
        ['application/json'],
      ),
    );
  }

  private async call<T>(
    operation: string,
    permission: string,
    method: string,
    path: string,
    send: () => Promise<unknown>,
  ): Promise<ApiResponse<T>> {
    const once = () => this.callOnce<T>(operation, permission, method, path, send);
    const generation = this.tokenGeneration;
    try {
      return await once();
    } catch (error) {
      // Client-credentials tokens have no refresh token (contract §1): on a 401 log in again,
      // once per run; a second 401 after that is an authentication failure (exit 3).
      if (error instanceof GenesysApiError && error.status === 401) {
        if (this.tokenGeneration === generation) {
          // The first 401 starts the one re-login; concurrent 401s wait for it.
          await this.reauthenticate();
          if (this.tokenGeneration === generation) throw error;
        }
        return await once();
      }
      throw error;
    }
  }

  /** Concurrent workers that all see a 401 share one new login. */
  private reauthenticate(): Promise<void> {
    this.relogin ??= (async () => {
      await this.login();
      this.events.onReauthenticated?.();
    })();
    return this.relogin;
  }

  private async callOnce<T>(
    operation: string,
    permission: string,
    method: string,
    path: string,
    send: () => Promise<unknown>,
  ): Promise<ApiResponse<T>> {
    const started = performance.now();
    const trace = (status: number | undefined) =>
      this.events.onRequest?.({ method, path, status, ms: Math.round(performance.now() - started) });
    let raw: ExtendedResponse;
    try {
      raw = (await send()) as ExtendedResponse;
    } catch (rejection) {
      const error = apiError(operation, rejection, permission, this.apiHost());
      trace(error.status);
      throw error;
    }
    const headers = plainHeaders(raw.headers);
    const status = raw.status ?? 200;
    trace(status);
    // axios keeps an unparseable body as a string: a page that is not valid JSON.
    if (raw.body === null || typeof raw.body !== 'object') {
      throw new GenesysApiError(operation, 'invalid-response', 'response body is not valid JSON', { status, headers });
    }
    return { status, headers, body: raw.body as T };
  }
}

/** The designed history path of one integration (contract §3). */
export function historyPath(integrationId: string): string {
  return `/api/v2/integrations/${encodeURIComponent(integrationId)}/history`;
}

function plainHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  // AxiosHeaders has toJSON(); a plain object works as it is.
  const source = typeof (headers as { toJSON?: unknown }).toJSON === 'function'
    ? ((headers as { toJSON(): Record<string, unknown> }).toJSON())
    : (headers as Record<string, unknown>);
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined || v === null) continue;
    const key = k.toLowerCase();
    if (key === 'set-cookie' || key === 'authorization') continue;
    out[key] = Array.isArray(v) ? v.map(String).join(', ') : String(v);
  }
  return out;
}

/** Reads only plain data off an SDK rejection (extended response or raw axios error). */
function apiError(operation: string, rejection: unknown, permission: string, host: string): GenesysApiError {
  const r = (rejection ?? {}) as ExtendedResponse & { code?: unknown; message?: unknown };
  if (typeof r.status === 'number') {
    const body = (r.body && typeof r.body === 'object' ? r.body : {}) as { message?: unknown; code?: unknown };
    const message = typeof body.message === 'string' ? body.message : `request failed with status ${r.status}`;
    return new GenesysApiError(operation, 'http', message, {
      status: r.status,
      ...(typeof body.code === 'string' ? { code: body.code } : {}),
      headers: plainHeaders(r.headers),
      permission,
    });
  }
  return networkError(operation, rejection, host);
}

/**
 * No response at all. The raw error holds the request config (with the token): keep only its
 * code and message (the message is the system's, e.g. "getaddrinfo ENOTFOUND host" or
 * OpenSSL's reason, never the config). The line names the host, so a typo'd environment or
 * gateway is visible without -v; a host that does not resolve and TLS failures are not retried.
 */
function networkError(operation: string, rejection: unknown, host: string): GenesysApiError {
  const raw = (rejection ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof raw.code === 'string' ? raw.code : undefined;
  const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  if (timeout) return new GenesysApiError(operation, 'timeout', `request to ${host} timed out`);
  const message = typeof raw.message === 'string' ? raw.message : undefined;
  const what = code ? describeNetworkError({ code, message }) : 'no response';
  return new GenesysApiError(operation, 'network', `cannot reach ${host}: ${what}`, { permanent: isPermanentNetworkCode(code) });
}

/**
 * What the SDK does not tell about a login (it resolves with its own authData): the content type
 * of the last token response, for the "200 but no access_token" message. And while `loginSignal`
 * is given, aborting it cancels a login request in flight (SIGTERM while login hangs), through
 * the SDK http client's pre-hook (axios's `signal`). ApiClient.instance is process-wide, so this
 * state is too; the wrapper is installed once.
 */
const loginObservation: { contentType: string | undefined; signal: AbortSignal | undefined } = { contentType: undefined, signal: undefined };
const observedClients = new WeakSet<object>();
const isLoginUrl = (url: unknown) => typeof url === 'string' && /\/oauth\/token$/.test(url);

function observeLogins(api: SdkApiClient, signal: AbortSignal | undefined): void {
  loginObservation.signal = signal;
  const http = api.getHttpClient() as {
    request?: (options: { url?: string }) => Promise<{ headers?: Record<string, unknown> }>;
    setPreHook?: (hook: (config: { url?: string; signal?: AbortSignal }) => object) => void;
  };
  if (observedClients.has(http) || typeof http.request !== 'function') return;
  observedClients.add(http);
  const request = http.request.bind(http);
  http.request = async (options) => {
    const response = await request(options);
    if (isLoginUrl(options.url)) {
      const type = response?.headers?.['content-type'];
      loginObservation.contentType = typeof type === 'string' ? (type.split(';')[0]?.trim() || undefined) : undefined;
    }
    return response;
  };
  http.setPreHook?.((config) => {
    if (isLoginUrl(config.url) && loginObservation.signal) config.signal = loginObservation.signal;
    return config;
  });
}

function loginError(rejection: unknown, host: string): AuthError | GenesysApiError {
  const e = (rejection ?? {}) as { response?: { status?: number; data?: unknown }; code?: unknown };
  const status = e.response?.status;
  if (typeof status === 'number') {
    const data = (e.response?.data && typeof e.response.data === 'object' ? e.response.data : {}) as {
      error_description?: unknown;
      description?: unknown;
      error?: unknown;
      message?: unknown;
    };
    const description = [data.error_description, data.description, data.message, data.error].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    if (status >= 500 || status === 429) {
      return new GenesysApiError('login', 'http', description ?? 'login failed', { status });
    }
    return new AuthError(`login rejected: HTTP ${status}: ${description ?? 'no description'} (check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET)`, {
      status,
    });
  }
  return networkError('login', rejection, host);
}
