/**
 * THE ONLY MODULE THAT IMPORTS THE GENESYS SDK (purecloud-platform-client-v2).
 *
 * It is loaded lazily (on first use) because the SDK takes hundreds of milliseconds to load and
 * the offline commands (list, inspect, replay) must not pay for it.
 *
 * Responsibilities: log in with client credentials, call the three platform operations dlq needs,
 * log in again once on a 401 mid-run, and turn every SDK rejection into a GenesysApiError or an
 * AuthError built from plain data — never the raw SDK/axios error, whose `config` carries the
 * Authorization header (contract §4).
 */
import { createRequire } from 'node:module';
import { AuthError } from '../errors.js';
import { registerSecret } from '../output/redact.js';
import { GenesysApiError } from './api-error.js';

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

export const REQUIRED_SCOPES = ['integration:webhook:view', 'integration:webhook:read'] as const;

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
}

export class GenesysClient {
  private readonly api: SdkApiClient;
  private readonly config: GenesysClientConfig;
  private relogin: Promise<void> | undefined;
  /** Bumped by each successful login, so a 401 for a request sent with an old token just retries. */
  private tokenGeneration = 0;
  readonly events: GenesysClientEvents;

  private constructor(api: SdkApiClient, config: GenesysClientConfig, events: GenesysClientEvents) {
    this.api = api;
    this.config = config;
    this.events = events;
  }

  /** Loads the SDK and configures its (process-wide) ApiClient. Does not log in yet. */
  static async create(config: GenesysClientConfig, events: GenesysClientEvents = {}): Promise<GenesysClient> {
    registerSecret(config.clientSecret);
    // require(), not import(): importing this 3.9 MB CommonJS bundle from ESM makes Node run its
    // CJS export lexer over it first, which costs about a third of a second on every run.
    const sdk = createRequire(import.meta.url)('purecloud-platform-client-v2') as { ApiClient: { instance: SdkApiClient } };
    const api = sdk.ApiClient.instance;
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

  /** Client-credentials login. AuthError (exit 3) with the HTTP status and error_description. */
  async login(): Promise<void> {
    try {
      await this.api.loginClientCredentialsGrant(this.config.clientId, this.config.clientSecret);
      registerSecret(this.api.authData?.accessToken);
      this.tokenGeneration += 1;
    } catch (error) {
      throw loginError(error);
    }
  }

  searchWebhooks(name: string, page: number, size: number): Promise<ApiResponse<Paged<IntegrationSummary>>> {
    return this.call(`webhook search page ${page}`, '/api/v2/integrations/webhooks/search', 'POST', {}, { name, size, page });
  }

  /** GET /api/v2/integrations (what IntegrationsApi.getIntegrations calls), through callApi so headers come back. */
  listIntegrations(pageNumber: number, pageSize: number): Promise<ApiResponse<Paged<IntegrationSummary>>> {
    return this.call(`integrations page ${pageNumber}`, '/api/v2/integrations', 'GET', { pageSize, pageNumber }, null);
  }

  historyPage(integrationId: string, page: number, size: number): Promise<ApiResponse<Paged<HistoryItem>>> {
    return this.call(
      `history page ${page}`,
      `/api/v2/integrations/${encodeURIComponent(integrationId)}/history`,
      'POST',
      {},
      { status: 'failed', size, page },
    );
  }

  private async call<T>(
    operation: string,
    path: string,
    method: string,
    query: object,
    body: unknown,
  ): Promise<ApiResponse<T>> {
    const generation = this.tokenGeneration;
    try {
      return await this.callOnce<T>(operation, path, method, query, body);
    } catch (error) {
      // Client-credentials tokens have no refresh token (contract §1): on a 401 log in again,
      // once per run; a second 401 after that is an authentication failure (exit 3).
      if (error instanceof GenesysApiError && error.status === 401) {
        if (this.tokenGeneration === generation) {
          // The first 401 starts the one re-login; concurrent 401s wait for it.
          await this.reauthenticate();
          if (this.tokenGeneration === generation) throw error;
        }
        return await this.callOnce<T>(operation, path, method, query, body);
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
    path: string,
    method: string,
    query: object,
    body: unknown,
  ): Promise<ApiResponse<T>> {
    let raw: ExtendedResponse;
    try {
      raw = (await this.api.callApi(
        path,
        method,
        {},
        query,
        {},
        {},
        body,
        ['PureCloud OAuth'],
        ['application/json'],
        ['application/json'],
      )) as ExtendedResponse;
    } catch (rejection) {
      throw apiError(operation, rejection);
    }
    const headers = plainHeaders(raw.headers);
    const status = raw.status ?? 200;
    // axios keeps an unparseable body as a string: a page that is not valid JSON.
    if (raw.body === null || typeof raw.body !== 'object') {
      throw new GenesysApiError(operation, 'invalid-response', 'response body is not valid JSON', { status, headers });
    }
    return { status, headers, body: raw.body as T };
  }
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
function apiError(operation: string, rejection: unknown): GenesysApiError {
  const r = (rejection ?? {}) as ExtendedResponse & { code?: unknown; message?: unknown };
  if (typeof r.status === 'number') {
    const body = (r.body && typeof r.body === 'object' ? r.body : {}) as { message?: unknown; code?: unknown };
    const message = typeof body.message === 'string' ? body.message : `request failed with status ${r.status}`;
    return new GenesysApiError(operation, 'http', message, {
      status: r.status,
      ...(typeof body.code === 'string' ? { code: body.code } : {}),
      headers: plainHeaders(r.headers),
    });
  }
  return networkError(operation, r.code);
}

/** No response at all. The raw error holds the request config (with the token): keep only its code. */
function networkError(operation: string, code: unknown): GenesysApiError {
  const c = typeof code === 'string' ? code : undefined;
  const timeout = c === 'ECONNABORTED' || c === 'ETIMEDOUT';
  return new GenesysApiError(operation, timeout ? 'timeout' : 'network', timeout ? 'request timed out' : `connection failed (${c ?? 'no response'})`);
}

function loginError(rejection: unknown): AuthError | GenesysApiError {
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
  return networkError('login', e.code);
}
