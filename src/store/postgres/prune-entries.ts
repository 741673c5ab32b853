/**
 * `dlq prune` on PostgreSQL (README, section "lifecycle"), with the file store's guarantees:
 *
 * 1. The matching rows are read in one pass (a cursor in a REPEATABLE READ snapshot, so entries
 *    and their tries agree), a batch at a time, and appended to the archive as they come
 *    (archive-file.ts, the file store's code and format); the archive is fsynced.
 * 2. Only then, in ONE transaction: the rows are deleted (their tries go with them: ON DELETE
 *    CASCADE) and their ids become tombstones (dlq_tombstones), which fetch's merge skips.
 *
 * A crash between 1 and 2 leaves an entry in the archive AND the database, never in neither.
 * Only rows still exactly as archived are deleted (same `xmin`, the row version): an entry that a
 * replay or a fetch changed meanwhile stays, and counts as not pruned. Memory: one batch of rows,
 * plus the selected ids packed as JSON text (~40 bytes each), never the entries themselves.
 */
import type pg from 'pg';
import type { DlqEntry } from '../../dlq-entry.js';
import { buildFilter } from '../../entries/filters.js';
import { GroupTally } from '../../entries/group-entries.js';
import { appendBatchesToArchive } from '../archive-file.js';
import type { PruneOutcome, PruneRequest } from '../dlq-store.js';
import { cursorBatches } from './cursor-batches.js';
import { whereClause } from './entry-sql.js';
import type { PostgresStore } from './postgres-store.js';
import { SUMMARY_COLUMNS, WHOLE_COLUMNS } from './postgres-store.js';
import { decodeEntry } from './row-codec.js';

/** Any fixed number: prune takes it exclusively, fetch's merge shared (see mergeEntries). */
export const TOMBSTONE_LOCK = 0x646c7174; // "dlqt"

/** The ids (and row versions) of one batch of selected rows, as JSON text: [[ids], [xmins]]. */
type PackedBatch = string;

export async function pruneEntries(store: PostgresStore, request: PruneRequest): Promise<PruneOutcome> {
  const where = whereClause(request.filter, request.now);
  let sql = where.sql;
  if (request.failedBeforeMs !== undefined) {
    // Failed strictly before the cutoff (ts_ms is whole milliseconds); no parseable timestamp, no match.
    where.params.push(Math.ceil(request.failedBeforeMs));
    sql += ` AND ts_ms IS NOT NULL AND ts_ms < $${where.params.length}`;
  }
  // --grep: the SQL narrows, filters.ts decides (as for dlq list).
  const grep = where.exact ? undefined : buildFilter({ grep: request.filter.grep }, request.now);
  const archive = request.dryRun ? undefined : request.archive;
  const whole = archive !== undefined || grep !== undefined;

  const selected: PackedBatch[] = [];
  let matched = 0;
  const byStatus = new GroupTally('status_code');
  const byWebhook = new GroupTally('webhook');

  await store.use(async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const lines = async function* (): AsyncGenerator<string[]> {
        const rows = cursorBatches(client, `SELECT seq, xmin::text AS row_version, ${whole ? WHOLE_COLUMNS : SUMMARY_COLUMNS.join(', ')} FROM dlq_entries WHERE ${sql} ORDER BY seq`, where.params);
        for await (const batch of rows) {
          const entries = whole ? await store.wholeEntries(client, batch) : batch.map((r) => decodeEntry(r, undefined));
          const keep = grep === undefined ? entries.map(() => true) : entries.map(grep);
          const chosen = entries.filter((_, i) => keep[i]);
          if (chosen.length === 0) continue;
          matched += chosen.length;
          if (request.dryRun) {
            byStatus.add(chosen);
            byWebhook.add(chosen);
          } else {
            const versions = batch.filter((_, i) => keep[i]).map((r) => r['row_version'] as string);
            selected.push(JSON.stringify([chosen.map((e) => e.delivery_id), versions]));
          }
          if (archive) yield chosen.map(archive.line);
        }
      };
      // The archive is written and fsynced before this returns: before anything is deleted.
      if (archive) await appendBatchesToArchive(archive.path, lines());
      else for await (const none of lines()) void none;
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }
  });

  if (request.dryRun) {
    const total = await store.use(async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM dlq_entries')).rows[0]?.n ?? 0);
    return { pruned: matched, remaining: total - matched, byStatusCode: byStatus.groups(), byWebhook: byWebhook.groups() };
  }

  let pruned = 0;
  let remaining = 0;
  await store.transaction(
    async (client) => {
      // A concurrent fetch merge has checked the tombstones already, or waits until these are in.
      await client.query('SELECT pg_advisory_xact_lock($1)', [TOMBSTONE_LOCK]);
      for (const packed of selected) {
        const [ids, versions] = JSON.parse(packed) as [string[], string[]];
        const gone = await deleteBatch(client, ids, versions);
        pruned += gone.length;
        byStatus.add(gone);
        byWebhook.add(gone);
      }
      remaining = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM dlq_entries')).rows[0]?.n ?? 0;
    },
    { lockTimeoutMs: request.lockTimeoutMs },
  );
  return { pruned, remaining, byStatusCode: byStatus.groups(), byWebhook: byWebhook.groups() };
}

/** Deletes the rows still as selected, tombstones them; their summaries in store order. */
async function deleteBatch(client: pg.ClientBase, ids: string[], versions: string[]): Promise<DlqEntry[]> {
  const columns = SUMMARY_COLUMNS.map((c) => `e.${c}`).join(', ');
  const { rows } = await client.query(
    `WITH gone AS (
       DELETE FROM dlq_entries e USING unnest($1::text[], $2::xid[]) AS t(id, version)
       WHERE e.delivery_id = t.id AND e.xmin = t.version
       RETURNING e.seq, e.source_key, ${columns}),
     stones AS (
       INSERT INTO dlq_tombstones (delivery_id, webhook_id, source_key)
       SELECT delivery_id, webhook_id, source_key FROM gone ON CONFLICT (delivery_id) DO NOTHING)
     SELECT * FROM gone ORDER BY seq`,
    [ids, versions],
  );
  return rows.map((r) => decodeEntry(r, undefined));
}
