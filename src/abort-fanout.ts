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

export class AbortFanout {
  private readonly links = new Set<AbortController>();
  private readonly onAbort = () => {
    for (const link of this.links) link.abort(this.parent.reason);
    this.links.clear();
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

  /** Removes the one listener from the parent (call when the run is over). */
  close(): void {
    this.parent.removeEventListener('abort', this.onAbort);
    this.links.clear();
  }
}
