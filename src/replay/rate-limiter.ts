/**
 * `--rate n`: at most n request starts per second, as even spacing (a token bucket of size 1):
 * each start reserves the next free slot `1000/n` ms after the previous one. No bursts, so a
 * recovering receiver never sees more than the rate, even right after a pause.
 */
import { abortableSleep } from '../sleep.js';

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: LimiterClock = { now: () => performance.now(), sleep: abortableSleep };

export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = -Infinity;

  /** `perSecond` undefined: unlimited (acquire resolves at once). */
  constructor(
    perSecond: number | undefined,
    private readonly clock: LimiterClock = realClock,
  ) {
    this.intervalMs = perSecond === undefined ? 0 : 1000 / perSecond;
  }

  /** No --rate: acquire never waits (callers skip setting up a cancellable wait). */
  get unlimited(): boolean {
    return this.intervalMs === 0;
  }

  /** Waits for this caller's slot. Slots are reserved in call order, so callers are served FIFO. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.clock.sleep(slot - now, signal);
  }
}
