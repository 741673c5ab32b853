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
import { urlToHttpOptions } from 'node:url';
import { describeNetworkError, isPermanentNetworkCode } from '../network-error.js';

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
  /** true when another try cannot help (the host does not resolve, TLS fails): not retried. */
  permanent?: boolean;
  durationMs: number;
}

export function createAgent(url: URL, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

/** What node:http takes from a URL (urlToHttpOptions's fields that matter for a request). */
interface Target {
  protocol: string | null | undefined;
  hostname: string | null | undefined;
  port: string | number | null | undefined;
  path: string | null | undefined;
  auth: string | null | undefined;
}

const targets = new WeakMap<URL, Target>();

/**
 * The URL as request options, converted once per URL object: given a URL, node:http converts it
 * again on every request (urlToHttpOptions was ~4 us of each replay delivery). Node's own
 * conversion, so IPv6 brackets, credentials and the path are exactly what it would use.
 */
function targetOf(url: URL): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const o = urlToHttpOptions(url);
    target = { protocol: o.protocol, hostname: o.hostname, port: o.port, path: o.path, auth: o.auth };
    targets.set(url, target);
  }
  return target;
}

export function send(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let req: http.ClientRequest | undefined;
    // Declared before anything can call finish(): finish() removes this listener, and a `const`
    // declared further down was still in its temporal dead zone when a header was refused
    // synchronously (issue #9: every replay run with such an id crashed with exit 1).
    function onAbort(): void {
      fail('interrupted');
      req?.destroy();
    }
    function finish(result: Omit<SendResult, 'durationMs'>): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, durationMs: Math.round(performance.now() - started) });
    }
    function fail(error: string, permanent = false): void {
      finish({ status: null, statusText: null, retryAfter: undefined, error, ...(permanent ? { permanent } : {}) });
    }

    const mod = request.url.protocol === 'https:' ? https : http;
    try {
      const target = targetOf(request.url);
      // One literal of a fixed shape per request (spreading the options cost more than the rest).
      const headers = { ...request.headers };
      headers['content-length'] = String(request.body.length);
      req = mod.request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        auth: target.auth,
        method: 'POST',
        headers,
        agent: request.agent,
      });
    } catch (error) {
      // Node validates headers synchronously. The runner checks the delivery id before calling
      // send and --header values are checked up front, so this is a last line of defence: the
      // request fails, it never throws.
      fail(describeNetworkError(error as NodeJS.ErrnoException), true);
      return;
    }
    const sending = req;
    timer = setTimeout(() => {
      fail(`timed out after ${formatMs(request.timeoutMs)}`);
      sending.destroy();
    }, request.timeoutMs);
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });

    sending.on('response', (res) => {
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
    sending.on('error', (error: NodeJS.ErrnoException) => fail(describeNetworkError(error), isPermanentNetworkCode(error.code)));
    sending.end(request.body);
  });
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
