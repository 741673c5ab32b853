/**
 * `dlq resolve` / `--undo` on PostgreSQL: mark-resolved.ts's rule in one transaction, as narrow
 * UPDATEs (no entry is read into memory), with the same result as the file store byte for byte:
 *
 * - resolve: replay_status `resolved` (kept in its place in the entry, appended when missing),
 *   then `resolved_at` and, with --note, `resolved_note` (unknown fields live in `extra`, their
 *   order in `key_order`); entries already resolved are left as they are.
 * - undo: replay_status back to what the tries say (the newest try's http_status 2xx: succeeded,
 *   else failed; none: pending, as replayStatusFromHistory), resolved_at and resolved_note removed.
 *
 * Entries kept whole as raw JSON text (row-codec.ts) get mark-resolved.ts itself.
 */
import type pg from 'pg';
import type { DlqEntry } from '../../dlq-entry.js';
import { buildFilter } from '../../entries/filters.js';
import type { ResolveRequest, ResolveResult } from '../dlq-store.js';
import { markResolved } from '../mark-resolved.js';
import { cursorBatches } from './cursor-batches.js';
import { whereClause } from './entry-sql.js';
import { putWholeEntries } from './entry-writes.js';
import { lookupIds } from './id-lookup.js';
import type { PostgresStore } from './postgres-store.js';
import { WHOLE_COLUMNS } from './postgres-store.js';

/** replayStatusFromHistory in SQL: the newest try (highest n) of entry `e`. A non-integer number lives in the try's extra. */
const STATUS_FROM_TRIES = `COALESCE((
  SELECT CASE WHEN r.http_status BETWEEN 200 AND 299
           OR (jsonb_typeof(r.extra->'http_status') = 'number' AND (r.extra->>'http_status')::numeric >= 200 AND (r.extra->>'http_status')::numeric < 300)
         THEN 'succeeded' ELSE 'failed' END
  FROM dlq_replays r WHERE r.delivery_id = e.delivery_id ORDER BY r.n DESC LIMIT 1), 'pending')`;

export async function resolveEntries(store: PostgresStore, request: ResolveRequest): Promise<ResolveResult> {
  const { change } = request;
  return store.transaction(
    async (client) => {
      // Ids first, against every entry (an unknown id is exit 2 whatever the filters), as resolveIds.
      const named = request.ids.length > 0 ? await lookupIds(client, request.ids) : undefined;
      const where = whereClause(request.filter, request.now, named ? [named] : []);
      let target = named ? `e.delivery_id = ANY($1::text[]) AND ${where.sql}` : where.sql;
      let params = where.params;
      if (!where.exact) {
        // --grep: the SQL narrows, filters.ts decides; the chosen ids become the target.
        const grep = buildFilter({ grep: request.filter.grep }, request.now);
        const ids: string[] = [];
        const rows = cursorBatches(client, `SELECT ${WHOLE_COLUMNS} FROM dlq_entries e WHERE ${target} ORDER BY seq`, params);
        for await (const batch of rows) for (const entry of await store.wholeEntries(client, batch)) if (grep(entry)) ids.push(entry.delivery_id);
        target = 'e.delivery_id = ANY($1::text[])';
        params = [ids];
      }
      const targetParams = params;
      // After the change, every selected entry is in the wanted state: those the change did not
      // touch were already (counted without locking them: a lock writes every row it takes).
      const selected = async () => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM dlq_entries e WHERE ${target}`, targetParams)).rows[0]?.n ?? 0;
      const wanted = change.undo ? `e.replay_state = 'resolved'` : `e.replay_state <> 'resolved'`;
      // resolve's SET takes two more parameters; undo's none.
      if (!change.undo) params = [...params, change.at, change.note ?? null];
      const at = `$${params.length - 1}`;
      const note = `$${params.length}`;
      const set = change.undo
        ? `replay_status = ${STATUS_FROM_TRIES}, replay_state = ${STATUS_FROM_TRIES},
           extra = e.extra - 'replay_status' - 'resolved_at' - 'resolved_note',
           key_order = array_remove(array_remove(dlq_with_key(e.key_order, 'replay_status'), 'resolved_at'), 'resolved_note')`
        : `replay_status = 'resolved', replay_state = 'resolved',
           extra = (e.extra - 'replay_status') || jsonb_build_object('resolved_at', ${at}::text)
                   || CASE WHEN ${note}::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('resolved_note', ${note}::text) END,
           key_order = CASE WHEN ${note}::text IS NULL THEN dlq_with_key(dlq_with_key(e.key_order, 'replay_status'), 'resolved_at')
                       ELSE dlq_with_key(dlq_with_key(dlq_with_key(e.key_order, 'replay_status'), 'resolved_at'), 'resolved_note') END`;
      // Entries kept as raw JSON text first (usually none); then one UPDATE for all the others.
      const raw = await resolveRaw(store, client, `${target} AND ${wanted} AND e.raw_json IS NOT NULL`, targetParams, request);
      const update = `WITH u AS (UPDATE dlq_entries e SET ${set} WHERE ${target} AND ${wanted} AND e.raw_json IS NULL RETURNING e.delivery_id, e.seq)`;
      if (named === undefined && raw.length === 0) {
        // Store order from the server, as bare arrays: a million ids stay a few tens of MB.
        const { rows } = await client.query<[string]>({ text: `${update} SELECT delivery_id FROM u ORDER BY seq`, values: params, rowMode: 'array' });
        return { changed: rows.map((r) => r[0]), unchanged: Math.max(0, (await selected()) - rows.length) };
      }
      const { rows } = await client.query<{ delivery_id: string; seq: string }>(`${update} SELECT delivery_id, seq FROM u`, params);
      const changed = [...raw];
      for (const r of rows) changed.push(r);
      // As the file store: argument order for ids, else store order.
      const order = named ? new Map(named.map((id, i) => [id, i])) : undefined;
      changed.sort((a, b) => (order ? (order.get(a.delivery_id) ?? 0) - (order.get(b.delivery_id) ?? 0) : Number(BigInt(a.seq) - BigInt(b.seq))));
      return { changed: changed.map((c) => c.delivery_id), unchanged: Math.max(0, (await selected()) - changed.length) };
    },
    { lockTimeoutMs: request.lockTimeoutMs },
  );
}

/** Entries kept as raw JSON text: mark-resolved.ts on the whole entry, written back whole. */
async function resolveRaw(
  store: PostgresStore,
  client: pg.ClientBase,
  target: string,
  params: unknown[],
  request: ResolveRequest,
): Promise<{ delivery_id: string; seq: string }[]> {
  const { rows } = await client.query(`SELECT e.seq, ${WHOLE_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')} FROM dlq_entries e WHERE ${target}`, params);
  if (rows.length === 0) return [];
  const entries: DlqEntry[] = await store.wholeEntries(client, rows);
  const result = markResolved(entries, entries, request.change);
  const changed = new Set(result.changed);
  if (result.entries !== null) await putWholeEntries(client, result.entries.filter((e) => changed.has(e.delivery_id)));
  const seqOf = new Map(rows.map((r) => [r['delivery_id'] as string, String(r['seq'])]));
  return result.changed.map((id) => ({ delivery_id: id, seq: seqOf.get(id) as string }));
}
