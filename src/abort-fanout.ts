/**
 * Many waiters on one AbortSignal through ONE listener on it.
 *
 * Why (issue #13): every in-flight replay request, retry pause and rate-limit wait used to add its
 * own 'abort' listener to the run's single signal. Removed again when each ended, so nothing
 * leaked, but with more than 10 of them at once Node printed `MaxListenersExceededWarning:
 * Possible EventTarget memory leak detected. 11 abort listeners added to [AbortSignal]` on every
 * run with --concurrency above 10. Raising the limit would only hide that; here each waiter gets a
 * signal of its own (with at most its own listener), and the parent keeps exactly one listener
 * however many waiters there are.
 */
export interface AbortLink {
  /** Aborted with the parent (at once if it already is), or by `abort()`. */
  readonly signal: AbortSignal;
  /** Aborts this link alone. */
  abort(reason?: unknown): void;
  /** The fan-out forgets this link; call it when the wait or request is over. */
  release(): void;
}

/**
 * The part of an AbortSignal that a single request watches (sender.ts): an AbortSignal is one,
 * and so is AbortFanout.watch's lighter object.
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A watcher without an AbortController: each request of a replay used to create one (with its
 * AbortSignal, an EventTarget), ~5 us and garbage at 3,000 requests a second, only to be told
 * about an abort that almost never comes. Listeners run once, in the order added.
 */
class Watch implements AbortWatch {
  aborted = false;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  fire(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

export class AbortFanout {
  private readonly links = new Set<AbortController>();
  private readonly watches = new Set<Watch>();
  private readonly onAbort = () => {
    for (const link of this.links) link.abort(this.parent.reason);
    this.links.clear();
    const watches = [...this.watches];
    this.watches.clear();
    for (const watch of watches) watch.fire();
  };

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener('abort', this.onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.parent.aborted;
  }

  link(): AbortLink {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else this.links.add(controller);
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      release: () => void this.links.delete(controller),
    };
  }

  /** Runs `fn` with a linked signal, released when `fn` settles. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const link = this.link();
    try {
      return await fn(link.signal);
    } finally {
      link.release();
    }
  }

  /**
   * Runs `fn` with an AbortWatch (aborted with the parent), forgotten when `fn` settles: for one
   * request, where a whole AbortSignal is not needed (see Watch).
   */
  async watch<T>(fn: (watch: AbortWatch) => Promise<T>): Promise<T> {
    const watch = new Watch();
    if (this.parent.aborted) watch.aborted = true;
    else this.watches.add(watch);
    try {
      return await fn(watch);
    } finally {
      this.watches.delete(watch);
    }
  }

  /** Removes the one listener from the parent (call when the run is over). */
  close(): void {
    this.parent.removeEventListener('abort', this.onAbort);
    this.links.clear();
    this.watches.clear();
  }
}
