/**
 * Sends the selected entries: a pool of `concurrency` workers, each taking the next entry (in the
 * order given: starts follow it) and trying it (with retries) until success, a permanent failure,
 * exhausted retries or an abort. Every try is handed to the recorder as it ends; nothing here
 * touches the file directly.
 *
 * Circuit breaker (issue #13, --max-consecutive-failures n): per route, after n deliveries in a
 * row failed for good with no answer, a timeout or a 5xx, no new delivery of that route starts;
 * deliveries already under way finish (with their retries), and the ones never started stay
 * exactly as they were (no try recorded). A 2xx resets the count; a 4xx (or 3xx) neither counts
 * nor resets: that is the payload's fault, not the receiver's.
 *
 * Waiting is cancelled through AbortFanout: one listener on the run's signal however many
 * requests and waits are in flight (see abort-fanout.ts for why).
 */
import { validateHeaderValue, type Agent } from 'node:http';
import { AbortFanout, type AbortLink } from '../abort-fanout.js';
import { isSuccessStatus, type DlqEntry, type ReplayAttempt } from '../dlq-entry.js';
import type { RateLimiter } from './rate-limiter.js';
import { buildRequestHeaders } from './request-headers.js';
import { decideRetry, type RetryPolicy } from './retry-policy.js';
import type { Route } from './routes.js';
import { send, type SendResult } from './sender.js';
import { signatureHeaders } from './signer.js';

export interface RunnerConfig {
  /** The route of every entry handed to runReplays (selection already dropped the unrouted). */
  routeFor: (entry: DlqEntry) => Route;
  timeoutMs: number;
  policy: RetryPolicy;
  concurrency: number;
  userAgent: string;
  /** Stored with every try so --max-replays can count runs, not tries. */
  runId: string;
  /** 0 = no circuit breaker. */
  maxConsecutiveFailures: number;
}

/** Where tries are recorded: the store's replay session. */
export interface TryRecorder {
  record(deliveryId: string, attempt: ReplayAttempt): void;
}

/**
 * Hands out the entries to send, each at most once. A store shared by several machines claims
 * them as the run goes (src/store/postgres/replay-session.ts), so `next` returns fresh entries.
 */
export interface EntrySource {
  next(): Promise<DlqEntry | undefined>;
  /** The run is done with the entry (tried: it was decided, whether or not a request went out). */
  release?(deliveryId: string, tried: boolean): void;
}

export interface RunnerDeps {
  recorder: TryRecorder;
  limiter: RateLimiter;
  agentFor?: (route: Route) => Agent;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => Date;
  /** Aborted on SIGINT/SIGTERM: no new tries start, in-flight ones end as "interrupted". */
  signal: AbortSignal;
  /**
   * Aborted when results can no longer be saved: no new delivery or try starts, but requests
   * already in flight finish normally (their outcome is recorded and saved once more).
   */
  stop?: AbortSignal;
  onResult?: (result: EntryResult) => void;
  onRetry?: (deliveryId: string, tried: SendResult, delayMs: number) => void;
  /** The breaker of `route` opened (once per route). */
  onTrip?: (route: Route, reason: string) => void;
}

export interface EntryResult {
  delivery_id: string;
  status: 'succeeded' | 'failed';
  /** Status of the last try, null when none answered. */
  http_status: number | null;
  /** Tries in this run. */
  attempts: number;
  error: string | null;
}

/** A route whose breaker opened. */
export interface Trip {
  route: Route;
  /** e.g. "receiver looks down: 20 deliveries in a row failed (connection refused)" */
  reason: string;
  /** Entries of this route never started. */
  notAttempted: number;
}

export interface RunOutcome {
  /** In the order of `entries`; entries never started (abort, stop, breaker) are absent. */
  results: EntryResult[];
  trips: Trip[];
}

/** Per-route state: the breaker, and a signal that stops waits for a first try once it opens. */
class RouteState {
  consecutive = 0;
  trip: Trip | undefined;

  constructor(
    readonly route: Route,
    readonly stop: AbortLink,
    readonly starts: AbortFanout,
  ) {}

  countNotAttempted(): void {
    if (this.trip) this.trip.notAttempted++;
  }
}

/**
 * Sends `entries`, or what `source` hands out (a store's replay session: `total` entries at most,
 * claimed as the run goes, so a million of them never sit in memory). Results are in hand-out order.
 */
export async function runReplays(
  entries: readonly DlqEntry[] | { source: EntrySource; total: number },
  config: RunnerConfig,
  deps: RunnerDeps,
): Promise<RunOutcome> {
  const { source, total } = Array.isArray(entries) ? { source: arraySource(entries), total: entries.length } : (entries as { source: EntrySource; total: number });
  let handedOut = 0;
  const results: (EntryResult | undefined)[] = [];
  // Requests end on a signal only; waits (rate limit, backoff) on a signal or a stop; a first
  // try's waits also when its route's breaker opens. Each through one fan-out (one listener).
  const interrupts = new AbortFanout(deps.signal);
  // AbortSignal.any adds no listener to its sources, so the run's signal still has exactly one.
  const waitSignal = deps.stop ? AbortSignal.any([deps.signal, deps.stop]) : deps.signal;
  const waits = deps.stop ? new AbortFanout(waitSignal) : interrupts;
  const states = new Map<Route, RouteState>();
  const stateOf = (route: Route): RouteState => {
    let state = states.get(route);
    if (!state) {
      const stop = waits.link();
      state = new RouteState(route, stop, new AbortFanout(stop.signal));
      states.set(route, state);
    }
    return state;
  };

  const worker = async () => {
    while (!deps.signal.aborted && !deps.stop?.aborted) {
      const entry = await source.next();
      if (entry === undefined) break;
      // Taking the entry may have waited (a shared store's claim): a signal or a stop meanwhile
      // means it is not started, exactly as if it had come before.
      if (deps.signal.aborted || deps.stop?.aborted) {
        source.release?.(entry.delivery_id, false);
        break;
      }
      const index = handedOut++;
      const state = stateOf(config.routeFor(entry));
      if (state.trip) {
        state.countNotAttempted();
        source.release?.(entry.delivery_id, false);
        continue;
      }
      let outcome: Attempted | 'not-attempted' | undefined;
      try {
        outcome = await replayEntry(entry, state, config, deps, { interrupts, waits, waitSignal });
      } catch (error) {
        // A bug or an unforeseen input must cost one delivery, never the run: a worker that
        // threw would make Promise.all settle while the other requests are still in flight,
        // and their results would never be saved (issue #9).
        outcome = { result: internalFailure(entry, state.route, error, config, deps) };
      }
      source.release?.(entry.delivery_id, outcome !== undefined && outcome !== 'not-attempted');
      if (outcome === 'not-attempted') {
        state.countNotAttempted();
        continue;
      }
      if (!outcome) continue;
      results[index] = outcome.result;
      deps.onResult?.(outcome.result);
      noteForBreaker(state, outcome.last, config.maxConsecutiveFailures, deps);
    }
  };
  const workers = Math.max(1, Math.min(config.concurrency, total));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    for (const state of states.values()) state.starts.close();
    if (waits !== interrupts) waits.close();
    interrupts.close();
  }
  const trips = [...states.values()].flatMap((s) => (s.trip ? [s.trip] : []));
  return { results: results.filter((r): r is EntryResult => r !== undefined), trips };
}

function arraySource(entries: readonly DlqEntry[]): EntrySource {
  let next = 0;
  return { next: async () => entries[next++] };
}

function noteForBreaker(state: RouteState, last: SendResult | undefined, limit: number, deps: RunnerDeps): void {
  if (limit === 0 || state.trip || last === undefined) return;
  if (isSuccessStatus(last.status)) {
    state.consecutive = 0;
    return;
  }
  if (!receiverLooksDown(last)) return;
  state.consecutive++;
  if (state.consecutive < limit) return;
  const reason = `receiver looks down: ${limit} ${limit === 1 ? 'delivery' : 'deliveries'} in a row failed (${shortFailure(last)})`;
  state.trip = { route: state.route, reason, notAttempted: 0 };
  // Workers waiting for a rate-limit slot for a first try give up at once.
  state.stop.abort('circuit breaker');
  deps.onTrip?.(state.route, reason);
}

/** No answer at all (refused, reset, timed out, DNS, TLS) or a 5xx; an interrupt is not the receiver's doing. */
function receiverLooksDown(last: SendResult): boolean {
  if (last.status !== null) return last.status >= 500;
  return last.error !== 'interrupted';
}

/** "connection refused (ECONNREFUSED)" → "connection refused"; "HTTP 503". */
function shortFailure(last: SendResult): string {
  if (last.status !== null) return `HTTP ${last.status}`;
  return (last.error ?? 'no response').replace(/ \([A-Z0-9_]+\)$/, '');
}

function internalFailure(entry: DlqEntry, route: Route, error: unknown, config: RunnerConfig, deps: RunnerDeps): EntryResult {
  const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
  deps.recorder.record(entry.delivery_id, {
    at: deps.now().toISOString(),
    target: route.target.redacted,
    http_status: null,
    error: message,
    duration_ms: 0,
    run_id: config.runId,
  });
  return { delivery_id: entry.delivery_id, status: 'failed', http_status: null, attempts: 1, error: message };
}

/**
 * Why a delivery id cannot travel in the Idempotency-Key / X-DLQ-Delivery-Id / webhook-id
 * headers, or undefined when it can. HTTP field values carry visible ASCII, spaces, tabs and
 * obs-text bytes (RFC 9110 §5.5); node:http refuses the rest (characters above U+00FF such as
 * 東京, control characters such as ESC, CR, LF) and we ask it rather than keep a second copy of
 * its rule.
 */
export function unsendableIdReason(id: string): string | undefined {
  try {
    validateHeaderValue('x-dlq-delivery-id', id);
    return undefined;
  } catch {
    return 'the delivery id cannot be sent as an HTTP header value (Idempotency-Key, X-DLQ-Delivery-Id): it holds a control character or a character above U+00FF; nothing sent';
  }
}

interface Attempted {
  result: EntryResult;
  /** The last try; absent when nothing was sent. */
  last?: SendResult;
}

/**
 * undefined: interrupted before the first try (nothing sent, nothing to record);
 * 'not-attempted': the route's breaker opened before the first try.
 */
async function replayEntry(
  entry: DlqEntry,
  state: RouteState,
  config: RunnerConfig,
  deps: RunnerDeps,
  { interrupts, waits, waitSignal }: { interrupts: AbortFanout; waits: AbortFanout; waitSignal: AbortSignal },
): Promise<Attempted | 'not-attempted' | undefined> {
  const id = entry.delivery_id;
  const route = state.route;
  // Neither failure below sends anything, so says nothing about the receiver (no `last` for the breaker).
  if (typeof entry.request_body !== 'string') {
    return { result: { delivery_id: id, status: 'failed', http_status: null, attempts: 0, error: describeMissingBody(entry.request_body) } };
  }
  const unsendable = unsendableIdReason(id);
  if (unsendable !== undefined) {
    // Recorded as a try, so the entry shows why it failed instead of staying pending forever.
    deps.recorder.record(id, {
      at: deps.now().toISOString(),
      target: route.target.redacted,
      http_status: null,
      error: unsendable,
      duration_ms: 0,
      run_id: config.runId,
    });
    return { result: { delivery_id: id, status: 'failed', http_status: null, attempts: 1, error: unsendable } };
  }
  // The stored string's UTF-8 bytes: exactly what was harvested, never re-serialised.
  const body = Buffer.from(entry.request_body, 'utf8');
  const previousTries = Array.isArray(entry.replays) ? entry.replays.length : 0;
  const agent = deps.agentFor?.(route);
  let tries = 0;
  let last: SendResult | undefined;
  let giveUpReason: string | null = null;

  for (let retryNumber = 1; ; retryNumber++) {
    // A first try's wait also ends when the route's breaker opens; a retry of a delivery already
    // under way goes on regardless of the breaker (in-flight deliveries finish), not after a stop.
    if (deps.limiter.unlimited) await deps.limiter.acquire();
    else await (tries === 0 ? state.starts : waits).run((signal) => deps.limiter.acquire(signal));
    if (waitSignal.aborted) break;
    if (tries === 0 && state.trip) return 'not-attempted';
    tries++;
    const at = deps.now();
    const headers = buildRequestHeaders({
      deliveryId: id,
      attempt: previousTries + tries,
      userAgent: config.userAgent,
      extra: route.headers,
      ...(route.signKey ? { signature: signatureHeaders(route.signKey, id, Math.floor(at.getTime() / 1000), body) } : {}),
    });
    last = await interrupts.watch((signal) =>
      send({
        url: route.target.url,
        headers,
        body,
        timeoutMs: config.timeoutMs,
        signal,
        ...(agent ? { agent } : {}),
      }),
    );
    deps.recorder.record(id, {
      at: at.toISOString(),
      target: route.target.redacted,
      http_status: last.status,
      error: last.error,
      duration_ms: last.durationMs,
      run_id: config.runId,
    });
    const decision = decideRetry(last, retryNumber, config.policy, deps.now());
    if (!decision.retry) {
      giveUpReason = decision.reason;
      break;
    }
    deps.onRetry?.(id, last, decision.delayMs);
    const delayMs = decision.delayMs;
    await waits.run((signal) => deps.sleep(delayMs, signal));
    if (waitSignal.aborted) break;
  }

  if (last === undefined) return undefined;
  const ok = isSuccessStatus(last.status);
  return {
    result: {
      delivery_id: id,
      status: ok ? 'succeeded' : 'failed',
      http_status: last.status,
      attempts: tries,
      error: ok ? null : describeFailure(last, giveUpReason),
    },
    last,
  };
}

function describeFailure(last: SendResult, reason: string | null): string {
  const what = last.status === null ? (last.error ?? 'no response') : `HTTP ${last.status}${last.statusText ? ` ${last.statusText}` : ''}`;
  return reason ? `${what} (${reason})` : what;
}
/** Why a stored request_body cannot be sent: absent, or (hand-edited, another tool) not a string. */
function describeMissingBody(body: unknown): string {
  if (body === undefined || body === null) return 'no request_body stored; nothing sent';
  const kind = Array.isArray(body) ? 'an array' : typeof body === 'object' ? 'an object' : `a ${typeof body}`;
  return `request_body is ${kind}, not a string (the payload must be stored as the exact text that was sent); nothing sent`;
}
