/**
 * Distributed replay on PostgreSQL: several `dlq replay` processes, on any machines, share one
 * selection without sending an entry twice at once (issue #15).
 *
 * - Claims: a worker takes a small batch with `SELECT … FOR UPDATE SKIP LOCKED` (workers never
 *   wait on each other's rows) and marks it `claimed_by` = this run, `lease_until` = now + lease.
 *   The claim is its own short transaction; no transaction is ever open across an HTTP request.
 *   The batch is the next rows of the selection in send order (replay-selection.ts's SQL, keyset
 *   paginated from the last row claimed): the selection is never held in memory.
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
import { isSuccessStatus, type DlqEntry, type ReplayAttempt } from '../../dlq-entry.js';
import { abortableSleep } from '../../sleep.js';
import { StoreError } from '../../errors.js';
import type { ReplaySession, ReplaySessionOptions } from '../dlq-store.js';
import { encodeAttempt, ATTEMPT_COLUMN_NAMES } from './row-codec.js';
import { partOrder, partRange, SEND_PARTS, type PlannedReplay, type SendKey } from './replay-selection.js';
import type { PostgresStore } from './postgres-store.js';
import { WHOLE_COLUMNS } from './postgres-store.js';

export const DEFAULT_LEASE_MS = 60_000;

export class PostgresReplaySession implements ReplaySession {
  private readonly me = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private readonly batch: number;
  private readonly planned: PlannedReplay;
  /** The last entry this run claimed in send order: the next claim looks after it (keyset pagination). */
  private cursor: SendKey | undefined;
  /** false once the first pass reached the end: claims then sweep the whole selection for what others left. */
  private firstPass = true;
  /** Entries this run handed back untried (a tripped breaker, a stop): never claimed again by this run. */
  private readonly passed = new Set<string>();
  private readonly queue: DlqEntry[] = [];
  private readonly held = new Set<string>();
  private claiming: Promise<void> | undefined;
  private exhausted = false;
  private handedOut = 0;
  private writes: Promise<void> = Promise.resolve();
  private failed: { id: string; write: () => Promise<void> }[] = [];
  /** Tries queued or being written, by delivery id (what unsavedIds reports). */
  private readonly inFlight = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: PostgresStore,
    options: ReplaySessionOptions,
    planned: PlannedReplay | undefined,
  ) {
    if (planned === undefined) throw new Error('replaySession: the plan was not made by this store');
    this.planned = planned;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
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

  /**
   * Claims the next few entries of the selection. First pass: in send order after the cursor
   * (rows other runs hold or handled are passed by). Then sweeps: the whole selection again, for
   * rows other runs released untried or whose lease expired; while other runs still hold some,
   * waits and sweeps again, so every entry is handled when the last run ends.
   */
  private async claim(): Promise<void> {
    // Never more than the plan's total (rows fetched meanwhile wait for a later run).
    const want = Math.min(this.batch, this.planned.total - this.handedOut - this.queue.length);
    if (want <= 0) {
      this.exhausted = true;
      return;
    }
    const claimed = await this.claimBatch(want);
    if (claimed.length > 0) {
      if (this.firstPass) {
        const last = claimed[claimed.length - 1] as { key: SendKey };
        this.cursor = last.key;
      }
      for (const { entry } of claimed) {
        this.held.add(entry.delivery_id);
        this.queue.push(entry);
      }
      this.startRenewing();
      return;
    }
    if (this.firstPass) {
      this.firstPass = false;
      return;
    }
    // Nothing claimable: done, unless other runs still hold (or are just claiming) some of it.
    if (!(await this.othersHoldSome())) {
      this.exhausted = true;
      return;
    }
    await abortableSleep(Math.min(1000, Math.max(50, this.leaseMs / 4)));
  }

  /** The plan's parameters, then those a statement adds. */
  private parameters(): { params: unknown[]; p: (value: unknown) => string } {
    const params = [...this.planned.sql.params];
    return {
      params,
      p: (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      },
    };
  }

  /**
   * One short transaction: lock up to `want` claimable rows in send order (each part of it, see
   * replay-selection.ts, after the cursor on the first pass), skipping locked ones, and lease them.
   */
  private claimBatch(want: number): Promise<{ entry: DlqEntry; key: SendKey }[]> {
    const { sql, startedAt, boundary } = this.planned;
    return this.store.transaction(async (client) => {
      const out: { entry: DlqEntry; key: SendKey }[] = [];
      for (const part of SEND_PARTS) {
        if (out.length >= want) break;
        const { params, p } = this.parameters();
        const range = partRange(part, sql.descending, { after: this.firstPass ? this.cursor : undefined, upTo: boundary }, p);
        if (range === undefined) continue;
        const conds = [sql.where, `(${sql.category}) = 'send'`, ...range];
        // Not held, and not tried since this run started (another run handled it); or its lease expired.
        conds.push(
          `((e.claimed_by IS NULL AND (e.last_try_at IS NULL OR e.last_try_at < ${p(startedAt)}::timestamptz)) OR (e.claimed_by IS NOT NULL AND e.lease_until < now()))`,
        );
        if (!this.firstPass && this.passed.size > 0) conds.push(`NOT (e.delivery_id = ANY(${p([...this.passed])}::text[]))`);
        const found = await client.query(
          `WITH picked AS (
             SELECT e.delivery_id FROM dlq_entries e WHERE ${conds.join(' AND ')}
             ORDER BY ${partOrder(part, sql.descending)} LIMIT ${want - out.length} FOR UPDATE OF e SKIP LOCKED),
           claimed AS (
             UPDATE dlq_entries e SET claimed_by = ${p(this.me)}, lease_until = now() + make_interval(secs => ${p(this.leaseMs / 1000)})
             FROM picked WHERE e.delivery_id = picked.delivery_id
             RETURNING e.ts_ms::text AS key_ts, ${WHOLE_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}, e.ts_ms)
           SELECT * FROM claimed e ORDER BY ${partOrder(part, sql.descending)}`,
          params,
        );
        const entries = await this.store.wholeEntries(client, found.rows);
        entries.forEach((entry, i) => {
          const row = found.rows[i] as { key_ts: string | null; delivery_id: string };
          out.push({ entry, key: { ts: row.key_ts, id: row.delivery_id } });
        });
      }
      return out;
    });
  }

  /** Whether rows of the selection are held by other runs (or claimable but locked: being claimed right now). */
  private async othersHoldSome(): Promise<boolean> {
    const { sql, boundary, startedAt } = this.planned;
    const { params, p } = this.parameters();
    const conds = [sql.where, `(${sql.category}) = 'send'`];
    if (boundary) {
      // At or before the boundary: either part's range.
      const ranges = SEND_PARTS.map((part) => partRange(part, sql.descending, { upTo: boundary }, p)).filter((r): r is string[] => r !== undefined);
      conds.push(`(${ranges.map((r) => `(${r.join(' AND ')})`).join(' OR ')})`);
    }
    conds.push(
      `((e.claimed_by IS NOT NULL AND e.claimed_by <> ${p(this.me)} AND e.lease_until >= now()) OR ` +
        `(e.claimed_by IS NULL AND (e.last_try_at IS NULL OR e.last_try_at < ${p(startedAt)}::timestamptz)))`,
    );
    if (this.passed.size > 0) conds.push(`NOT (e.delivery_id = ANY(${p([...this.passed])}::text[]))`);
    const { rows } = await this.store.use((c) => c.query(`SELECT 1 FROM dlq_entries e WHERE ${conds.join(' AND ')} LIMIT 1`, params));
    return rows.length > 0;
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
    if (!tried) this.passed.add(deliveryId);
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
    // The plan counted them; what this run did not get, other runs handled (or it is gone).
    return this.exhausted ? Math.max(0, this.planned.total - this.handedOut) : 0;
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
