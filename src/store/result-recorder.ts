/**
 * Saves replay attempts into the DLQ file as the run goes, so a killed run never forgets a
 * delivery it already sent successfully.
 *
 * Attempts are buffered in memory and applied in batches (a timer, the end of the run, a signal)
 * through updateDlqFile: each batch is applied by delivery_id onto a FRESH read made under the
 * file's lock, so the lock is never held while waiting on the network, and whatever other runs
 * changed meanwhile survives (entries removed meanwhile are skipped; other fields are kept).
 *
 * replay_status follows the newest attempt: succeeded after a 2xx, failed otherwise; except that
 * `resolved` (set by a person with `dlq resolve`, possibly while this run was sending) stays: only
 * `dlq resolve --undo` clears it. The tries themselves are recorded either way.
 */
import { isSuccessStatus, type DlqEntry, type ReplayAttempt } from '../dlq-entry.js';
import { updateDlqFile, type LockOptions } from './dlq-file.js';
import { UpdateReuse } from './update-reuse.js';

export class ResultRecorder {
  private pending = new Map<string, ReplayAttempt[]>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Attempts written so far, for the report and tests. */
  savedAttempts = 0;

  private readonly lock: LockOptions;

  constructor(
    private readonly path: string,
    lock: LockOptions,
  ) {
    // applyAttempts replaces the entries it changes and never edits one in place, so each save
    // can start from what the previous one wrote while nobody else touched the file.
    this.lock = { ...lock, reuse: lock.reuse ?? new UpdateReuse() };
  }

  record(deliveryId: string, attempt: ReplayAttempt): void {
    const list = this.pending.get(deliveryId);
    if (list) list.push(attempt);
    else this.pending.set(deliveryId, [attempt]);
  }

  /** Delivery ids with tries not yet in the file (in the order they were first recorded). */
  unsavedIds(): string[] {
    return [...this.pending.keys()];
  }

  get pendingCount(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /**
   * Writes everything buffered so far. Flushes never overlap (each waits for the previous one).
   * On failure the batch goes back into the buffer, ahead of newer attempts, and the error is thrown.
   */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.writeBatch());
    // The chain itself must not reject, or every later flush would fail with this error.
    this.chain = run.catch(() => {});
    return run;
  }

  /** Flushes every `intervalMs` in the background; `onError` hears about failed batches (kept for the next flush). */
  startTimer(intervalMs: number, onError: (error: unknown) => void): void {
    this.stopTimer();
    this.timer = setInterval(() => {
      if (this.pending.size > 0) this.flush().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await updateDlqFile(this.path, ({ entries }) => {
        const changed = applyAttempts(entries, batch);
        return { entries: changed ? entries.map((e) => changed.get(e) ?? e) : null, result: undefined };
      }, this.lock);
      for (const list of batch.values()) this.savedAttempts += list.length;
    } catch (error) {
      for (const [id, list] of this.pending) {
        const earlier = batch.get(id);
        batch.set(id, earlier ? [...earlier, ...list] : list);
      }
      this.pending = batch;
      throw error;
    }
  }
}

/**
 * Pure: the entries (by identity) that change, and their new versions; undefined when nothing
 * in the file matches the batch (then the file is not rewritten at all).
 */
export function applyAttempts(
  entries: readonly DlqEntry[],
  batch: ReadonlyMap<string, readonly ReplayAttempt[]>,
): Map<DlqEntry, DlqEntry> | undefined {
  const changed = new Map<DlqEntry, DlqEntry>();
  for (const entry of entries) {
    const added = batch.get(entry.delivery_id);
    if (!added || added.length === 0) continue;
    const previous = Array.isArray(entry.replays) ? entry.replays : [];
    const last = added[added.length - 1] as ReplayAttempt;
    changed.set(entry, {
      ...entry,
      replays: [...previous, ...added],
      replay_status: entry.replay_status === 'resolved' ? 'resolved' : isSuccessStatus(last.http_status) ? 'succeeded' : 'failed',
    });
  }
  return changed.size > 0 ? changed : undefined;
}
