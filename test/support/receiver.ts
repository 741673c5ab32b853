/**
 * A loopback HTTP receiver for replay tests (and the demo): records every request (raw body
 * bytes, headers, arrival time) and answers from a programmable script: status sequences,
 * Retry-After, delays, hanging forever, or hanging up without an answer.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** performance.now() when the request head arrived. */
  receivedAt: number;
  /** 0-based position among all requests this receiver got. */
  index: number;
}

export interface ReceiverAction {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this long. */
  delayMs?: number;
  /** Never answer (until the client gives up or the receiver closes). */
  hang?: boolean;
  /** Close the connection without any response. */
  hangUp?: boolean;
}

/** Decides the answer to each request; default: 200 `{"ok":true}`. */
export type Responder = (request: ReceivedRequest) => ReceiverAction;

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Most requests in flight at once, seen so far. */
  maxInFlight: number;
  inFlight: number;
  setResponder(responder: Responder): void;
  /** Requests for one delivery id (by X-DLQ-Delivery-Id). */
  requestsFor(deliveryId: string): ReceivedRequest[];
  close(): Promise<void>;
}

/** Answers with `statuses` in order per delivery id (the last one repeats), e.g. [503, 200]. */
export function statusSequence(statuses: readonly number[], extra: Partial<ReceiverAction> = {}): Responder {
  const seen = new Map<string, number>();
  return (req) => {
    const id = String(req.headers['x-dlq-delivery-id'] ?? '');
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    return { ...extra, status: statuses[Math.min(n, statuses.length - 1)] ?? 200 };
  };
}

export async function startReceiver(responder: Responder = () => ({ status: 200 })): Promise<Receiver> {
  let respond = responder;
  const sockets = new Set<Socket>();
  const pendingTimers = new Set<NodeJS.Timeout>();
  const state = {
    requests: [] as ReceivedRequest[],
    inFlight: 0,
    maxInFlight: 0,
  };
  const server = http.createServer((req, res) => {
    const receivedAt = performance.now();
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    let counted = true;
    const release = () => {
      if (counted) {
        counted = false;
        state.inFlight--;
      }
    };
    res.on('close', release);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt,
        index: state.requests.length,
      };
      state.requests.push(received);
      const action = respond(received);
      const answer = () => {
        if (action.hangUp) {
          req.socket.destroy();
          return;
        }
        if (action.hang) return;
        const body = action.body ?? '{"ok":true}';
        res.writeHead(action.status ?? 200, { 'content-type': 'application/json', ...action.headers });
        res.end(body);
      };
      if (action.delayMs) {
        const t = setTimeout(() => {
          pendingTimers.delete(t);
          answer();
        }, action.delayMs);
        pendingTimers.add(t);
      } else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get inFlight() {
      return state.inFlight;
    },
    setResponder(r) {
      respond = r;
    },
    requestsFor(id) {
      return state.requests.filter((r) => r.headers['x-dlq-delivery-id'] === id);
    },
    close() {
      for (const t of pendingTimers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
