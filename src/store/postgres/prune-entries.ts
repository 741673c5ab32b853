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
 * replay or a fetch changed meanwhile stays, and counts as not pruned. Memory: one batch of rows;
 * the selected ids (and row versions) wait in a temporary table of the session (privilege
 * TEMPORARY on the database, which PUBLIC has by default).
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

  let matched = 0;
  let batches = 0;
  const byStatus = new GroupTally('status_code');
  const byWebhook = new GroupTally('webhook');

  // One connection throughout: the selected ids wait in a temporary table of its session (a
  // million ids in JavaScript would be tens of MB kept alive, and several times that in heap).
  return store.use(async (client) => {
    if (!request.dryRun) {
      await client.query('CREATE TEMPORARY TABLE IF NOT EXISTS dlq_pruning (b integer NOT NULL, delivery_id text COLLATE "C" NOT NULL, version xid NOT NULL)');
      await client.query('TRUNCATE dlq_pruning');
    }
    try {
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
              // A temporary table may be written in a read-only transaction.
              await client.query('INSERT INTO dlq_pruning (b, delivery_id, version) SELECT $1, t.id, t.v FROM unnest($2::text[], $3::xid[]) AS t(id, v)', [
                batches++,
                chosen.map((e) => e.delivery_id),
                batch.filter((_, i) => keep[i]).map((r) => r['row_version'] as string),
              ]);
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

      const total = async () => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM dlq_entries')).rows[0]?.n ?? 0;
      if (request.dryRun) return { pruned: matched, remaining: (await total()) - matched, byStatusCode: byStatus.groups(), byWebhook: byWebhook.groups() };

      await client.query('CREATE INDEX ON dlq_pruning (b)');
      let pruned = 0;
      const remaining = await store.transactionOn(
        client,
        async () => {
          // A concurrent fetch merge has checked the tombstones already, or waits until these are in.
          await client.query('SELECT pg_advisory_xact_lock($1)', [TOMBSTONE_LOCK]);
          for (let b = 0; b < batches; b++) {
            const gone = await deleteBatch(client, b);
            pruned += gone.length;
            byStatus.add(gone);
            byWebhook.add(gone);
          }
          return total();
        },
        { lockTimeoutMs: request.lockTimeoutMs },
      );
      return { pruned, remaining, byStatusCode: byStatus.groups(), byWebhook: byWebhook.groups() };
    } finally {
      if (!request.dryRun) await client.query('DROP TABLE IF EXISTS pg_temp.dlq_pruning').catch(() => undefined);
    }
  });
}

/** Deletes batch `b`'s rows still as selected, tombstones them; their summaries in store order. */
async function deleteBatch(client: pg.ClientBase, b: number): Promise<DlqEntry[]> {
  const columns = SUMMARY_COLUMNS.map((c) => `e.${c}`).join(', ');
  const { rows } = await client.query(
    `WITH gone AS (
       DELETE FROM dlq_entries e USING dlq_pruning t
       WHERE t.b = $1 AND e.delivery_id = t.delivery_id AND e.xmin = t.version
       RETURNING e.seq, e.source_key, ${columns}),
     stones AS (
       INSERT INTO dlq_tombstones (delivery_id, webhook_id, source_key)
       SELECT delivery_id, webhook_id, source_key FROM gone ON CONFLICT (delivery_id) DO NOTHING)
     SELECT * FROM gone ORDER BY seq`,
    [b],
  );
  return rows.map((r) => decodeEntry(r, undefined));
}
