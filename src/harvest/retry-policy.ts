/**
 * How dlq retries platform calls, as one data object plus small pure predicates
 * (in the spirit of @octokit/plugin-retry and plugin-throttling).
 *
 * - 429: wait exactly what Retry-After says (never sooner); without it, exponential backoff.
 *   A 429 does not use up the retry budget; all rate-limit waiting together is bounded by
 *   --max-wait (enforced by the RateLimitPacer, which does all the waiting).
 * - 5xx, 408, dropped connections, timeouts, a body that is not valid JSON: bounded retries with
 *   exponential backoff and jitter (p-retry).
 * - Any other 4xx: no retry.
 */
import { parseRetryAfter } from '../retry-after.js';
import { GenesysApiError } from '../genesys/api-error.js';

export interface RetryPolicy {
  /** Retries for transient failures, per request (so `retries + 1` attempts). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  factor: number;
  /** Multiply each backoff by a random factor in [1, 2) so parallel clients spread out. */
  randomize: boolean;
  /** First wait after a 429 that carries no usable Retry-After; doubles per consecutive 429. */
  rateLimitBackoffMs: number;
  rateLimitBackoffMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 5,
  minTimeoutMs: 500,
  maxTimeoutMs: 15_000,
  factor: 2,
  randomize: true,
  rateLimitBackoffMs: 1_000,
  rateLimitBackoffMaxMs: 60_000,
});

export function isRateLimited(error: unknown): error is GenesysApiError {
  return error instanceof GenesysApiError && error.status === 429;
}

/** Worth another attempt: server errors, request timeouts, dropped connections, unparseable pages. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof GenesysApiError)) return false;
  // network, timeout, invalid-response; not a host that does not resolve or a TLS failure
  if (error.kind !== 'http') return !error.permanent;
  const status = error.status ?? 0;
  return status >= 500 || status === 408;
}

/** How long to wait after a 429: Retry-After if usable, else exponential backoff. */
export function rateLimitDelayMs(error: GenesysApiError, consecutive429s: number, policy: RetryPolicy, now: Date): number {
  const fromHeader = parseRetryAfter(error.headers['retry-after'], now);
  if (fromHeader !== undefined) return fromHeader;
  const exp = policy.rateLimitBackoffMs * policy.factor ** Math.max(0, consecutive429s - 1);
  return Math.min(policy.rateLimitBackoffMaxMs, exp);
}
