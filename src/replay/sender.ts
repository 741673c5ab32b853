/**
 * One HTTP POST of a stored payload, through node:http/https (not fetch: we want the exact bytes
 * on the wire, Node's error codes for the log, and an agent whose sockets we close when done).
 *
 * Never throws: every outcome, network failures included, comes back as a SendResult, because
 * each one is recorded in the entry's `replays`. The timeout covers connecting, sending and
 * waiting for the response head; the response body is drained in the background and ignored.
 */
import http from 'node:http';
import https from 'node:https';

export interface SendRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  agent?: http.Agent;
  /** Aborting (SIGINT/SIGTERM) ends the request at once; the result says "interrupted". */
  signal?: AbortSignal;
}

export interface SendResult {
  /** null when no response arrived. */
  status: number | null;
  statusText: string | null;
  retryAfter: string | undefined;
  error: string | null;
  durationMs: number;
}

export function createAgent(url: URL, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export function send(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, durationMs: Math.round(performance.now() - started) });
    };
    const fail = (error: string) => finish({ status: null, statusText: null, retryAfter: undefined, error });

    const mod = request.url.protocol === 'https:' ? https : http;
    let req: http.ClientRequest;
    try {
      req = mod.request(request.url, {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(request.body.length) },
        ...(request.agent ? { agent: request.agent } : {}),
      });
    } catch (error) {
      // Node validates headers synchronously: a delivery id that cannot be a header value (say,
      // non-Latin-1 text) fails this delivery, not the whole run.
      fail(describeNetworkError(error as NodeJS.ErrnoException));
      return;
    }
    timer = setTimeout(() => {
      fail(`timed out after ${formatMs(request.timeoutMs)}`);
      req.destroy();
    }, request.timeoutMs);
    const onAbort = () => {
      fail('interrupted');
      req.destroy();
    };
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('response', (res) => {
      // Drain so the keep-alive socket can be reused; the body itself is not needed.
      res.on('error', () => {});
      res.resume();
      const retryAfter = res.headers['retry-after'];
      finish({
        status: res.statusCode ?? null,
        statusText: res.statusMessage ?? null,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        error: null,
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => fail(describeNetworkError(error)));
    req.end(request.body);
  });
}

/** A short, stable description without stack or host internals beyond the error code. */
export function describeNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET)';
    case 'ENOTFOUND':
      return 'host not found (ENOTFOUND)';
    case 'ETIMEDOUT':
      return 'connection timed out (ETIMEDOUT)';
    case 'EAI_AGAIN':
      return 'DNS lookup failed (EAI_AGAIN)';
    default:
      return error.code ? `${error.message} (${error.code})` : error.message || 'network error';
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
