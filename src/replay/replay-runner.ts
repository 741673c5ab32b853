/**
 * Sends the selected entries: a pool of `concurrency` workers, each taking the next entry and
 * trying it (with retries) until success, a permanent failure, exhausted retries or an abort.
 * Every try is handed to the recorder as it ends; nothing here touches the file directly.
 */
import type { Agent } from 'node:http';
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

/** Where tries are recorded (the store's replay session, or a ResultRecorder). */
export interface TryRecorder {
  record(deliveryId: string, attempt: ReplayAttempt): void;
}

/** Hands out the entries to send, each once; a shared store's session claims them as it goes. */
export interface EntrySource {
  next(): Promise<DlqEntry | undefined>;
  /** The run is done with the entry (tried: a request went out). */
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
 * Results in the order of `entries`; entries an abort prevented from starting are absent. With a
 * `source`, entries are taken from it (each one of `entries`, fresh from the store) instead.
 */
export async function runReplays(
  entries: readonly DlqEntry[],
  config: RunnerConfig,
  deps: RunnerDeps,
  source: EntrySource = arraySource(entries),
): Promise<EntryResult[]> {
  const position = new Map(entries.map((e, i) => [e.delivery_id, i]));
  const results: (EntryResult | undefined)[] = new Array(entries.length);
  const worker = async () => {
    while (!deps.signal.aborted) {
      const entry = await source.next();
      if (entry === undefined) break;
      let result: EntryResult | undefined;
      try {
        result = await replayEntry(entry, config, deps);
      } finally {
        source.release?.(entry.delivery_id, result !== undefined);
      }
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

/** Returns undefined when aborted before the first try (nothing was sent, nothing to record). */
export async function replayEntry(entry: DlqEntry, config: RunnerConfig, deps: RunnerDeps): Promise<EntryResult | undefined> {
  const id = entry.delivery_id;
  if (typeof entry.request_body !== 'string') {
    return { delivery_id: id, status: 'failed', http_status: null, attempts: 0, error: 'no request_body stored; nothing sent' };
  }
  // The stored string's UTF-8 bytes: exactly what was harvested, never re-serialised.
  const body = Buffer.from(entry.request_body, 'utf8');
  const previousTries = Array.isArray(entry.replays) ? entry.replays.length : 0;
  let tries = 0;
  let last: SendResult | undefined;
  let giveUpReason: string | null = null;

  for (let retryNumber = 1; ; retryNumber++) {
    await deps.limiter.acquire(deps.signal);
    if (deps.signal.aborted) break;
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
    await deps.sleep(decision.delayMs, deps.signal);
    if (deps.signal.aborted) break;
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
