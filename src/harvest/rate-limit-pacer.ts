/**
 * Spreads requests over the platform's rate-limit budget, shared by all concurrent workers.
 *
 * Every response carries `inin-ratelimit-count` (used in this window), `inin-ratelimit-allowed`
 * and `inin-ratelimit-reset` (seconds until the window resets) — contract §4. From the newest
 * response we know how much budget is left; every request sent after that one is subtracted.
 * When the budget is spent, every worker waits for the window to reset instead of running into a
 * 429. When a 429 happens anyway, `pause()` holds every worker until Retry-After has passed.
 * Waiting is tracked as wall time during which the run was held (overlapping waits count once)
 * and bounded by `maxWaitMs`.
 */
import { AbortFanout } from '../abort-fanout.js';
import { abortableSleep } from '../sleep.js';

export interface RateLimitHeaders {
  count: number;
  allowed: number;
  resetMs: number;
}

/** Pure: reads the inin-ratelimit-* headers; undefined when any is missing or malformed. */
export function parseRateLimitHeaders(headers: Readonly<Record<string, string | undefined>>): RateLimitHeaders | undefined {
  const num = (name: string) => {
    const v = headers[name];
    if (v === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(v)) return undefined;
    return Number(v);
  };
  const count = num('inin-ratelimit-count');
  const allowed = num('inin-ratelimit-allowed');
  const reset = num('inin-ratelimit-reset');
  if (count === undefined || allowed === undefined || reset === undefined || allowed <= 0) return undefined;
  return { count, allowed, resetMs: reset * 1000 };
}

export class RateLimitWaitExceeded extends Error {
  override readonly name = 'RateLimitWaitExceeded';
  constructor(
    readonly waitedMs: number,
    readonly maxWaitMs: number,
  ) {
    super(`rate-limit waits would exceed the maximum of ${Math.round(maxWaitMs / 1000)}s`);
  }
}

export interface PacerOptions {
  maxWaitMs: number;
  /** Extra time after a window's announced reset before sending again (the header is in whole seconds). */
  resetMarginMs?: number;
  /** Called when the pacer starts holding all requests. */
  onWait?: (ms: number, reason: 'rate-limit-budget' | 'retry-after') => void;
  now?: () => number;
  /** How to wait (tests pair a fake clock with an instant sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** Aborting it ends every wait at once (acquire then rejects with the signal's reason). */
  signal?: AbortSignal;
}

interface Snapshot {
  remaining: number;
  count: number;
  /** Sequence number of the request whose response gave this snapshot. */
  seq: number;
  windowEndsAt: number;
}

export class RateLimitPacer {
  private readonly options: Required<Omit<PacerOptions, 'onWait' | 'signal'>> & Pick<PacerOptions, 'onWait' | 'signal'>;
  private issued = 0;
  private snapshot: Snapshot | undefined;
  private pausedUntil = 0;
  private waitedMs = 0;
  waits = 0;

  constructor(options: PacerOptions) {
    this.options = {
      resetMarginMs: 50,
      now: () => performance.timeOrigin + performance.now(),
      sleep: sleepOn(options.signal),
      ...options,
    };
  }

  get totalWaitMs(): number {
    return this.waitedMs;
  }

  /** Waits until a request may be sent; returns its sequence number for `observe`. */
  async acquire(): Promise<number> {
    for (;;) {
      this.options.signal?.throwIfAborted();
      const now = this.options.now();
      if (this.pausedUntil > now) {
        await sleepUntil(this.pausedUntil, this.options.now, this.options.sleep, this.options.signal);
        continue;
      }
      const s = this.snapshot;
      if (s) {
        if (now >= s.windowEndsAt) {
          this.snapshot = undefined; // a new window: unknown until the next response tells us
        } else if (s.remaining - (this.issued - s.seq) <= 0) {
          this.hold(s.windowEndsAt + this.options.resetMarginMs - now, 'rate-limit-budget');
          continue;
        }
      }
      this.issued += 1;
      return this.issued;
    }
  }

  /** Feeds the rate-limit headers of the response to request `seq`. */
  observe(seq: number, headers: Readonly<Record<string, string | undefined>>): void {
    const parsed = parseRateLimitHeaders(headers);
    if (!parsed) return;
    const previous = this.snapshot;
    if (previous && seq < previous.seq) return; // older news
    // `reset` is in whole seconds, rounded up, so now + reset is never before the true end of the
    // window; within one window (the count did not drop) the smallest such estimate is the
    // tightest. The first response of a window is within one round trip of the truth.
    let windowEndsAt = this.options.now() + parsed.resetMs;
    const sameWindow =
      previous !== undefined && previous.windowEndsAt > this.options.now() && parsed.count >= previous.count;
    if (sameWindow) windowEndsAt = Math.min(windowEndsAt, previous.windowEndsAt);
    this.snapshot = { remaining: parsed.allowed - parsed.count, count: parsed.count, seq, windowEndsAt };
  }

  /** A 429 said "wait ms": hold every worker for at least that long. */
  pause(ms: number): void {
    this.hold(ms, 'retry-after');
  }

  private hold(ms: number, reason: 'rate-limit-budget' | 'retry-after'): void {
    const now = this.options.now();
    const until = now + Math.max(0, ms);
    if (until <= this.pausedUntil) return;
    const added = until - Math.max(now, this.pausedUntil);
    if (this.waitedMs + added > this.options.maxWaitMs) {
      throw new RateLimitWaitExceeded(this.waitedMs, this.options.maxWaitMs);
    }
    this.waitedMs += added;
    this.waits += 1;
    this.pausedUntil = until;
    this.options.onWait?.(until - now, reason);
  }
}

/**
 * Every worker's wait shares the one run signal through an AbortFanout: one listener on it however
 * many workers wait at once (32 at --concurrency 32 made Node print MaxListenersExceededWarning,
 * the same fault issue #13 found in replay).
 */
function sleepOn(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  if (!signal) return (ms) => abortableSleep(ms);
  const fanout = new AbortFanout(signal);
  return (ms) => fanout.run((linked) => abortableSleep(ms, linked));
}

/** Sleeps until `deadline` by the given clock, never returning early (timers may fire a little early). */
async function sleepUntil(
  deadline: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (let left = deadline - now(); left > 0; left = deadline - now()) {
    await sleep(Math.ceil(left));
    signal?.throwIfAborted();
  }
}
