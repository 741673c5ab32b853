/**
 * Sends the selected entries: a pool of `concurrency` workers, each taking the next entry and
 * trying it (with retries) until success, a permanent failure, exhausted retries or an abort.
 * Every try is handed to the recorder as it ends; nothing here touches the file directly.
 */
import { validateHeaderValue, type Agent } from 'node:http';
import type { DlqEntry, ReplayAttempt } from '../dlq-entry.js';
import type { RateLimiter } from './rate-limiter.js';
import { buildRequestHeaders, type HeaderList } from './request-headers.js';
import { decideRetry, isSuccessStatus, type RetryPolicy } from './retry-policy.js';
import { send, type SendResult } from './sender.js';
import { signatureHeaders } from './signer.js';
import type { ReplayTarget } from './target-url.js';

export interface RunnerConfig {
  target: ReplayTarget;
  timeoutMs: number;
  policy: RetryPolicy;
  concurrency: number;
  headers: HeaderList;
  userAgent: string;
  signKey: Buffer | undefined;
  /** Stored with every try so --max-replays can count runs, not tries. */
  runId: string;
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
  /** The run is done with the entry (tried: it was decided, a request went out or not). */
  release?(deliveryId: string, tried: boolean): void;
}

export interface RunnerDeps {
  recorder: TryRecorder;
  limiter: RateLimiter;
  agent?: Agent;
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

/**
 * Results in the order of `entries`; entries an abort or a stop prevented from starting are absent.
 * With a `source`, the entries to send are taken from it (each one of `entries`) instead.
 */
export async function runReplays(
  entries: readonly DlqEntry[],
  config: RunnerConfig,
  deps: RunnerDeps,
  source: EntrySource = arraySource(entries),
): Promise<EntryResult[]> {
  const position = new Map(entries.map((e, i) => [e.delivery_id, i]));
  const results: (EntryResult | undefined)[] = new Array(entries.length);
  // Waiting (rate limit, backoff) ends on a signal and on a stop alike; a request only on a signal.
  // Combined once per run, not per entry.
  const waitSignal = deps.stop ? AbortSignal.any([deps.signal, deps.stop]) : deps.signal;
  const worker = async () => {
    while (!deps.signal.aborted && !deps.stop?.aborted) {
      const entry = await source.next();
      if (entry === undefined) break;
      let result: EntryResult | undefined;
      try {
        result = await replayEntry(entry, config, deps, waitSignal);
      } catch (error) {
        // A bug or an unforeseen input must cost one delivery, never the run: a worker that
        // threw would make Promise.all settle while the other requests are still in flight,
        // and their results would never be saved (issue #9).
        result = internalFailure(entry, error, config, deps);
      }
      source.release?.(entry.delivery_id, result !== undefined);
      if (result) {
        results[position.get(entry.delivery_id) ?? results.length] = result;
        deps.onResult?.(result);
      }
    }
  };
  const workers = Math.max(1, Math.min(config.concurrency, entries.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.filter((r): r is EntryResult => r !== undefined);
}

function arraySource(entries: readonly DlqEntry[]): EntrySource {
  let next = 0;
  return { next: async () => entries[next++] };
}

function internalFailure(entry: DlqEntry, error: unknown, config: RunnerConfig, deps: RunnerDeps): EntryResult {
  const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
  deps.recorder.record(entry.delivery_id, {
    at: deps.now().toISOString(),
    target: config.target.redacted,
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

/** Returns undefined when aborted before the first try (nothing was sent, nothing to record). */
export async function replayEntry(
  entry: DlqEntry,
  config: RunnerConfig,
  deps: RunnerDeps,
  waitSignal: AbortSignal = deps.signal,
): Promise<EntryResult | undefined> {
  const id = entry.delivery_id;
  if (typeof entry.request_body !== 'string') {
    return { delivery_id: id, status: 'failed', http_status: null, attempts: 0, error: describeMissingBody(entry.request_body) };
  }
  const unsendable = unsendableIdReason(id);
  if (unsendable !== undefined) {
    // Recorded as a try, so the entry shows why it failed instead of staying pending forever.
    deps.recorder.record(id, {
      at: deps.now().toISOString(),
      target: config.target.redacted,
      http_status: null,
      error: unsendable,
      duration_ms: 0,
      run_id: config.runId,
    });
    return { delivery_id: id, status: 'failed', http_status: null, attempts: 1, error: unsendable };
  }
  // The stored string's UTF-8 bytes: exactly what was harvested, never re-serialised.
  const body = Buffer.from(entry.request_body, 'utf8');
  const previousTries = Array.isArray(entry.replays) ? entry.replays.length : 0;
  let tries = 0;
  let last: SendResult | undefined;
  let giveUpReason: string | null = null;

  for (let retryNumber = 1; ; retryNumber++) {
    await deps.limiter.acquire(waitSignal);
    if (waitSignal.aborted) break;
    tries++;
    const at = deps.now();
    const headers = buildRequestHeaders({
      deliveryId: id,
      attempt: previousTries + tries,
      userAgent: config.userAgent,
      extra: config.headers,
      ...(config.signKey ? { signature: signatureHeaders(config.signKey, id, Math.floor(at.getTime() / 1000), body) } : {}),
    });
    last = await send({
      url: config.target.url,
      headers,
      body,
      timeoutMs: config.timeoutMs,
      signal: deps.signal,
      ...(deps.agent ? { agent: deps.agent } : {}),
    });
    deps.recorder.record(id, {
      at: at.toISOString(),
      target: config.target.redacted,
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
    await deps.sleep(decision.delayMs, waitSignal);
    if (waitSignal.aborted) break;
  }

  if (last === undefined) return undefined;
  const ok = isSuccessStatus(last.status);
  return {
    delivery_id: id,
    status: ok ? 'succeeded' : 'failed',
    http_status: last.status,
    attempts: tries,
    error: ok ? null : describeFailure(last, giveUpReason),
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
