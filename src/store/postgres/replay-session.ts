/**
 * Distributed replay on PostgreSQL: several `dlq replay` processes, on any machines, share one
 * selection without sending an entry twice at once (issue #15).
 *
 * - Claims: a worker takes a small batch with `SELECT … FOR UPDATE SKIP LOCKED` (workers never
 *   wait on each other's rows) and marks it `claimed_by` = this run, `lease_until` = now + lease.
 *   The claim is its own short transaction; no transaction is ever open across an HTTP request.
 * - Each try is recorded in its own short transaction (a dlq_replays row, the entry's
 *   replay_status and last_try_at), as soon as it ends.
 * - When the run is done with an entry it releases the claim. An entry counts as handled for every
 *   run that started before its last try, so a run does not resend what a concurrent run already
 *   tried (succeeded or not); a later run retries failures as usual.
 * - The lease is renewed while held (every third of it). A run that dies (kill -9, lost machine)
 *   stops renewing: once `lease_until` passes, another run takes its entries over.
 * - A run whose selection is left only with entries other runs hold waits for them to be released
 *   or to expire, so every entry is handled when the last run ends.
 *
 * The resend window: a run that sent a request and died (or lost its lease by stalling longer
 * than the lease) before recording the answer has its entry resent by the run that takes over.
 * The receiver sees the same `Idempotency-Key` (the delivery id) both times and can drop the
 * second (README, "Distributed replay").
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { isSuccessStatus, replayStatusOf, type DlqEntry, type ReplayAttempt } from '../../dlq-entry.js';
import { abortableSleep } from '../../sleep.js';
import { StoreError } from '../../errors.js';
import type { ReplaySession, ReplaySessionOptions } from '../dlq-store.js';
import { encodeAttempt, ATTEMPT_COLUMN_NAMES } from './row-codec.js';
import type { PostgresStore } from './postgres-store.js';
import { WHOLE_COLUMNS } from './postgres-store.js';

export const DEFAULT_LEASE_MS = 60_000;
/** How far into the selection a claim looks first (keeps the claim cheap and in order). */
const CLAIM_WINDOW = 64;

export class PostgresReplaySession implements ReplaySession {
  private readonly me = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private readonly batch: number;
  /** Selection ids that were resolved when selected: named by id with --force (select-entries.ts). */
  private readonly resolvedInSelection: string[];
  /** Selection ids not yet claimed by this run nor seen handled by another, in order. */
  private remaining: string[];
  private readonly queue: DlqEntry[] = [];
  private readonly held = new Set<string>();
  private claiming: Promise<void> | undefined;
  private exhausted = false;
  private handedOut = 0;
  private othersTook = 0;
  /** Ids looked at since the last successful claim (to tell "all held by others" from "look further"). */
  private examined = 0;
  private startedAt: string | undefined;
  private writes: Promise<void> = Promise.resolve();
  private failed: { id: string; write: () => Promise<void> }[] = [];
  /** Tries queued or being written, by delivery id (what unsavedIds reports). */
  private readonly inFlight = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: PostgresStore,
    private readonly options: ReplaySessionOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.remaining = options.entries.map((e) => e.delivery_id);
    this.resolvedInSelection = options.entries.filter((e) => replayStatusOf(e) === 'resolved').map((e) => e.delivery_id);
    // Small batches: what a run holds but has not started yet is what others cannot take.
    this.batch = 8;
  }

  async proveWritable(): Promise<void> {
    const { rows } = await this.store.use((c) =>
      c.query<{ ok: boolean }>(
        `SELECT has_table_privilege('dlq_entries', 'SELECT, UPDATE') AND has_table_privilege('dlq_replays', 'SELECT, INSERT') AS ok`,
      ),
    );
    if (rows[0]?.ok !== true) {
      throw new StoreError(this.store.location, 'this role cannot record replay results (it needs UPDATE on dlq_entries and INSERT on dlq_replays); nothing sent');
    }
  }

  unsavedIds(): string[] {
    const ids = new Set<string>();
    for (const [id, n] of this.inFlight) if (n > 0) ids.add(id);
    for (const f of this.failed) ids.add(f.id);
    return [...ids];
  }

  async next(): Promise<DlqEntry | undefined> {
    while (this.queue.length === 0 && !this.exhausted && !this.closed) {
      this.claiming ??= this.claim().finally(() => {
        this.claiming = undefined;
      });
      await this.claiming;
    }
    const entry = this.queue.shift();
    if (entry) this.handedOut++;
    return entry;
  }

  private async claim(): Promise<void> {
    if (this.remaining.length === 0) {
      this.exhausted = true;
      return;
    }
    this.startedAt ??= await this.store.use(async (c) => (await c.query<{ t: string }>('SELECT now()::text AS t')).rows[0]?.t as string);
    // A resolved entry is claimed only when the selection holds it resolved (named by id with
    // --force, select-entries.ts): one resolved after the selection was made is not sent.
    // `$n`: the parameter holding those ids.
    const claimable = (n: number) =>
      `((replay_state <> 'resolved'${this.options.force ? '' : ` AND replay_state <> 'succeeded'`}) OR (replay_state = 'resolved' AND delivery_id = ANY($${n}::text[]))) AND ` +
      `((claimed_by IS NULL AND (last_try_at IS NULL OR last_try_at < $2::timestamptz)) OR (claimed_by IS NOT NULL AND lease_until < now()))`;
    // Claims follow the selection's order (--order): always among the next few ids of it.
    const window = this.remaining.slice(0, CLAIM_WINDOW);
    const claimed = await this.claimAmong(window, claimable(5));
    if (claimed.length > 0) {
      const ids = new Set(claimed.map((e) => e.delivery_id));
      this.remaining = this.remaining.filter((id) => !ids.has(id));
      for (const e of claimed) this.held.add(e.delivery_id);
      this.queue.push(...claimed);
      this.examined = 0;
      this.startRenewing();
      return;
    }
    // Nothing claimable in the window: drop what others handled (or what is gone), and move what
    // others hold now to the back (it comes round again: if its run dies, its lease expires).
    const state = await this.store.use((c) =>
      c.query<{ delivery_id: string; held: boolean }>(
        `SELECT delivery_id, (claimed_by IS NOT NULL AND lease_until >= now()) AS held FROM dlq_entries
         WHERE delivery_id = ANY($1::text[]) AND (${claimable(3)} OR (claimed_by IS NOT NULL AND lease_until >= now()))`,
        [window, this.startedAt, this.resolvedInSelection],
      ),
    );
    const held = new Set(state.rows.filter((r) => r.held).map((r) => r.delivery_id));
    const open = new Set(state.rows.filter((r) => !r.held).map((r) => r.delivery_id));
    const rest = this.remaining.slice(window.length);
    const done = window.filter((id) => !held.has(id) && !open.has(id)).length;
    this.othersTook += done;
    this.remaining = [...window.filter((id) => open.has(id)), ...rest, ...window.filter((id) => held.has(id))];
    if (this.remaining.length === 0) {
      this.exhausted = true;
      return;
    }
    // Everything left is held by other runs: wait for them to finish (or their leases to expire).
    this.examined += window.length - done;
    if (open.size === 0 && this.examined >= this.remaining.length) {
      this.examined = 0;
      await abortableSleep(Math.min(1000, Math.max(50, this.leaseMs / 4)));
    }
  }

  /** One short transaction: lock up to a batch of claimable rows among `ids` (in their order), skipping locked ones, and lease them. */
  private claimAmong(ids: readonly string[], claimable: string): Promise<DlqEntry[]> {
    return this.store.transaction(async (client) => {
      const found = await client.query(
        `WITH picked AS (
           SELECT delivery_id FROM dlq_entries
           WHERE delivery_id = ANY($1::text[]) AND ${claimable}
           ORDER BY array_position($1::text[], delivery_id::text) LIMIT ${this.batch} FOR UPDATE SKIP LOCKED)
         UPDATE dlq_entries e SET claimed_by = $3, lease_until = now() + make_interval(secs => $4)
         FROM picked WHERE e.delivery_id = picked.delivery_id
         RETURNING ${WHOLE_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}`,
        [ids, this.startedAt, this.me, this.leaseMs / 1000, this.resolvedInSelection],
      );
      const order = new Map(ids.map((id, i) => [id, i]));
      const rows = found.rows.sort((a, b) => (order.get(a['delivery_id'] as string) ?? 0) - (order.get(b['delivery_id'] as string) ?? 0));
      return this.store.wholeEntries(client, rows);
    });
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      if (this.held.size === 0) return;
      this.store
        .use((c) =>
          c.query(`UPDATE dlq_entries SET lease_until = now() + make_interval(secs => $3) WHERE claimed_by = $1 AND delivery_id = ANY($2::text[])`, [
            this.me,
            [...this.held],
            this.leaseMs / 1000,
          ]),
        )
        .catch(() => undefined); // the next renewal tries again; a lost lease only risks a resend
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  /** Queues a write after the earlier ones; a failed write is kept for the next flush. */
  private enqueue(id: string, write: () => Promise<void>): void {
    this.writes = this.writes.then(() => write().catch(() => void this.failed.push({ id, write })));
  }

  record(deliveryId: string, attempt: ReplayAttempt): void {
    this.inFlight.set(deliveryId, (this.inFlight.get(deliveryId) ?? 0) + 1);
    this.enqueue(deliveryId, async () => {
      await this.writeTry(deliveryId, attempt);
      this.inFlight.set(deliveryId, (this.inFlight.get(deliveryId) ?? 1) - 1);
    });
  }

  private writeTry(deliveryId: string, attempt: ReplayAttempt): Promise<void> {
    const status = isSuccessStatus(attempt.http_status) ? 'succeeded' : 'failed';
    return this.store.transaction(async (client) => {
      const updated = await client.query<{ replay_count: number; raw_json: string | null }>(
        // A person's `resolved` stays (as result-recorder.ts keeps it in the file).
        `UPDATE dlq_entries SET replay_count = replay_count + 1,
           replay_status = CASE WHEN replay_status = 'resolved' THEN replay_status ELSE $2 END,
           replay_state = CASE WHEN replay_status = 'resolved' THEN replay_state ELSE $2 END,
           extra = extra - 'replays' - 'replay_status',
           key_order = CASE WHEN raw_json IS NULL THEN dlq_with_key(dlq_with_key(key_order, 'replays'), 'replay_status') ELSE key_order END,
           last_try_at = now()
         WHERE delivery_id = $1 RETURNING replay_count, raw_json`,
        [deliveryId, status],
      );
      const row = updated.rows[0];
      // Removed meanwhile (pruned): nothing to record, as in the file store.
      if (!row) return;
      const a = encodeAttempt(attempt);
      await client.query(
        `INSERT INTO dlq_replays (delivery_id, n, ${ATTEMPT_COLUMN_NAMES.join(', ')}, extra, key_order, raw_json)
         VALUES ($1, $2, ${ATTEMPT_COLUMN_NAMES.map((_, i) => `$${i + 3}`).join(', ')}, $${ATTEMPT_COLUMN_NAMES.length + 3}::jsonb,
                 ARRAY(SELECT jsonb_array_elements_text($${ATTEMPT_COLUMN_NAMES.length + 4}::jsonb)), $${ATTEMPT_COLUMN_NAMES.length + 5})`,
        [deliveryId, row.replay_count, ...a.columns, a.extra, JSON.stringify(a.keyOrder), a.raw],
      );
      if (row.raw_json !== null) await fixRawStatus(client, deliveryId, row.raw_json, status);
    });
  }

  release(deliveryId: string, tried: boolean): void {
    this.held.delete(deliveryId);
    this.enqueue(deliveryId, async () => {
      await this.store.use((c) =>
        c.query(
          `UPDATE dlq_entries SET claimed_by = NULL, lease_until = NULL, last_try_at = CASE WHEN $3 THEN now() ELSE last_try_at END
           WHERE delivery_id = $1 AND claimed_by = $2`,
          [deliveryId, this.me, tried],
        ),
      );
    });
  }

  async flush(): Promise<void> {
    await this.writes;
    if (this.failed.length === 0) return;
    const retry = this.failed;
    this.failed = [];
    for (const [i, { write }] of retry.entries()) {
      try {
        await write();
      } catch (error) {
        this.failed = [...retry.slice(i), ...this.failed];
        throw error;
      }
    }
  }

  startTimer(intervalMs: number, onError: (error: unknown) => void): void {
    this.stopTimer();
    this.flushTimer = setInterval(() => {
      if (this.failed.length > 0) this.flush().catch(onError);
    }, intervalMs);
    this.flushTimer.unref();
  }

  stopTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  takenByOthers(): number {
    return this.exhausted ? this.othersTook : 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.stopTimer();
    // Entries claimed but never started (an interrupted run) go back at once, not after the lease.
    for (const entry of this.queue.splice(0)) this.release(entry.delivery_id, false);
    await this.writes;
    // Whatever is still claimed goes back now; if even that fails, the leases expire on their own.
    await this.store
      .use((c) => c.query('UPDATE dlq_entries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1', [this.me]))
      .catch(() => undefined);
  }
}

/** A raw entry (row-codec.ts) keeps its fields in JSON text: set replays' place and replay_status there too. */
async function fixRawStatus(client: pg.ClientBase, deliveryId: string, raw: string, status: string): Promise<void> {
  const object = JSON.parse(raw) as Record<string, unknown>;
  const kept = object['replay_status'] === 'resolved' ? 'resolved' : status;
  const next = { ...object, replays: Array.isArray(object['replays']) ? object['replays'] : [], replay_status: kept };
  await client.query('UPDATE dlq_entries SET raw_json = $2 WHERE delivery_id = $1', [deliveryId, JSON.stringify(next)]);
}
