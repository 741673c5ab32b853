/**
 * Runs one platform call with pacing and retries, and turns its final failure into the error
 * the user sees (AuthError, PlatformError). Reports through callbacks; never touches the console.
 */
import pRetry, { AbortError } from 'p-retry';
import { AbortFanout } from '../abort-fanout.js';
import { AuthError, PlatformError } from '../errors.js';
import { GenesysApiError } from '../genesys/api-error.js';
import type { ApiResponse } from '../genesys/client.js';
import { RateLimitPacer, RateLimitWaitExceeded } from './rate-limit-pacer.js';
import { isRateLimited, isTransient, rateLimitDelayMs, type RetryPolicy } from './retry-policy.js';

export interface RunnerEvents {
  onRetry?: (info: { operation: string; attempt: number; error: string }) => void;
}

export interface RunnerStats {
  retries: number;
}

export class RequestRunner {
  readonly stats: RunnerStats = { retries: 0 };
  /** p-retry listens on its signal during each backoff: one fan-out keeps that to one listener on the run's signal. */
  private readonly fanout: AbortFanout | undefined;

  constructor(
    readonly pacer: RateLimitPacer,
    private readonly policy: RetryPolicy,
    private readonly events: RunnerEvents = {},
    /** Aborting it stops retry backoffs (and the pacer's waits, through its own signal). */
    private readonly signal?: AbortSignal,
  ) {
    this.fanout = signal ? new AbortFanout(signal) : undefined;
  }

  async run<T>(operation: string, call: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
    const link = this.fanout?.link();
    try {
      return await pRetry(() => this.attempt(call), {
        retries: this.policy.retries,
        factor: this.policy.factor,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        randomize: this.policy.randomize,
        ...(link ? { signal: link.signal } : {}),
        // Stopping (SIGINT/SIGTERM) is not a failure to retry, nor to announce a retry for.
        shouldRetry: ({ error }) => !this.signal?.aborted && isTransient(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (!this.signal?.aborted && isTransient(error) && retriesLeft > 0) {
            this.stats.retries += 1;
            this.events.onRetry?.({ operation, attempt: attemptNumber, error: describe(error) });
          }
        },
      });
    } catch (error) {
      // Stopped by a signal: whatever the last attempt ended with is the stop, not a platform failure.
      if (this.signal?.aborted && !(error instanceof AbortError)) throw new Error(`${operation}: interrupted`, { cause: error });
      throw this.finalError(operation, error instanceof AbortError ? (error.originalError ?? error) : error);
    } finally {
      link?.release();
    }
  }

  /** One attempt; 429s are waited out here so they never use up the retry budget. */
  private async attempt<T>(call: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
    let consecutive429s = 0;
    for (;;) {
      const seq = await this.pacer.acquire();
      try {
        const response = await call();
        this.pacer.observe(seq, response.headers);
        return response;
      } catch (error) {
        if (error instanceof GenesysApiError) this.pacer.observe(seq, error.headers);
        if (!isRateLimited(error)) throw error;
        consecutive429s += 1;
        const waitMs = rateLimitDelayMs(error, consecutive429s, this.policy, new Date());
        try {
          this.pacer.pause(waitMs);
        } catch (exceeded) {
          throw new AbortError(exceeded as Error);
        }
      }
    }
  }

  private finalError(operation: string, error: unknown): Error {
    if (error instanceof RateLimitWaitExceeded) {
      return new PlatformError(
        `${operation}: still rate limited after waiting ${Math.round(error.waitedMs / 1000)}s in all; ` +
          `the next wait would pass --max-wait (${formatSeconds(error.maxWaitMs)})`,
        { status: 429, cause: error },
      );
    }
    if (!(error instanceof GenesysApiError)) return error instanceof Error ? error : new Error(String(error));
    if (error.status === 401) {
      return new AuthError(`${error.describe()} (the access token was refused even after logging in again)`, {
        status: 401,
        cause: error,
      });
    }
    if (error.status === 403) {
      // Client-credentials clients get permissions through the roles assigned to them (contract §1).
      const needs = error.permission ? `a role granting the permission ${error.permission}` : 'a role granting this permission';
      return new AuthError(`${error.describe()} — the OAuth client needs ${needs}`, { status: 403, cause: error });
    }
    const retried = isTransient(error) ? ` (gave up after ${this.policy.retries + 1} attempts)` : '';
    return new PlatformError(`${error.describe()}${retried}`, {
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
      ...(error.correlationId !== undefined ? { correlationId: error.correlationId } : {}),
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof GenesysApiError ? error.describe() : error instanceof Error ? error.message : String(error);
}

function formatSeconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
