/**
 * When a replay attempt is retried, as one policy object plus pure functions (in the spirit of
 * @octokit/plugin-retry), so the decisions are unit-tested without a network or a clock.
 *
 * - 2xx: success.
 * - 408, 429, 5xx, timeouts, connection errors: retried up to `retries` times. The wait is the
 *   server's Retry-After when it sends one (seconds or HTTP date), else exponential backoff with
 *   jitter. A Retry-After longer than `maxRetryAfterMs` ends the retries for that delivery: a
 *   receiver asking for an hour's pause should not pin a worker for an hour.
 * - Failures another try cannot fix (the host name does not resolve, TLS fails; see
 *   network-error.ts): permanent, like a 4xx.
 * - Anything else (other 4xx, and 1xx/3xx: redirects are not followed, a POST must not be
 *   silently re-targeted): permanent, sent once.
 */
import { parseRetryAfter } from '../retry-after.js';

export interface RetryPolicy {
  /** Retries after the first try (so up to `retries + 1` tries per delivery per run). */
  retries: number;
  /** First backoff; doubles per retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** In [0, 1); injectable so tests get deterministic jitter. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  random: Math.random,
});

export type Verdict = 'success' | 'retryable' | 'permanent';

/** `status` is null when no HTTP response arrived (timeout, refused, reset). */
export function classifyAttempt(status: number | null): Verdict {
  if (status === null) return 'retryable';
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'retryable';
  return 'permanent';
}

/**
 * "Equal jitter": half the exponential delay fixed, half random, so retries of many deliveries
 * spread out but never retry immediately. `retryNumber` starts at 1.
 */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(exp / 2 + (exp / 2) * policy.random());
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string | null };

/**
 * Decides what follows a try. `retryNumber` is the number of the retry that would come next (1 =
 * first retry). `reason` is null for success and permanent failures, a sentence when retries end.
 */
export function decideRetry(
  attempt: { status: number | null; retryAfter?: string | undefined; permanent?: boolean | undefined },
  retryNumber: number,
  policy: RetryPolicy,
  now: Date,
): RetryDecision {
  // No response, and another try cannot change that (DNS name unknown, TLS failure).
  if (attempt.permanent) return { retry: false, reason: null };
  if (classifyAttempt(attempt.status) !== 'retryable') return { retry: false, reason: null };
  if (retryNumber > policy.retries) {
    return { retry: false, reason: policy.retries === 0 ? null : `gave up after ${policy.retries} retries` };
  }
  const fromServer = parseRetryAfter(attempt.retryAfter, now);
  if (fromServer !== undefined) {
    if (fromServer > policy.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `Retry-After of ${Math.ceil(fromServer / 1000)}s exceeds the ${Math.round(policy.maxRetryAfterMs / 1000)}s limit`,
      };
    }
    return { retry: true, delayMs: fromServer };
  }
  return { retry: true, delayMs: backoffDelayMs(retryNumber, policy) };
}
