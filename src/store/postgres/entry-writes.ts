/**
 * Batched writes of whole entries: one INSERT … SELECT FROM unnest(…) per batch (a handful of
 * array parameters instead of thousands of placeholders), with the caller's ON CONFLICT clause.
 */
import type pg from 'pg';
import type { DlqEntry } from '../../dlq-entry.js';
import { encodeAttempt, encodeEntry, ATTEMPT_COLUMN_NAMES, ENTRY_COLUMN_NAMES, type EncodedEntry } from './row-codec.js';

export const BATCH_ROWS = 1000;

const ENTRY_TYPES: Record<string, string> = { status_code: 'int' };
const ATTEMPT_TYPES: Record<string, string> = { http_status: 'int', duration_ms: 'float8' };

/** Inserts `entries`; `onConflict` is the whole `ON CONFLICT …` clause. Returns the RETURNING rows. */
export async function insertEntries<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  encoded: readonly EncodedEntry[],
  onConflict: string,
  returning: string,
): Promise<R[]> {
  const columns = [
    'delivery_id',
    ...ENTRY_COLUMN_NAMES,
    'extra',
    'key_order',
    'raw_json',
    'ts_ms',
    'status_num',
    'replay_state',
    'webhook_key',
    'webhook_name_lower',
    'first_seen_ms',
    'last_seen_ms',
    'is_event',
    'source_key',
    'replay_count',
  ];
  const types = [
    'text',
    ...ENTRY_COLUMN_NAMES.map((n) => ENTRY_TYPES[n] ?? 'text'),
    'text', // extra, as JSON text
    'text', // key_order, as a JSON array
    'text',
    'int8',
    'int',
    'text',
    'text',
    'text',
    'int8',
    'int8',
    'bool',
    'text',
    'int',
  ];
  const arrays: unknown[][] = columns.map(() => []);
  for (const e of encoded) {
    const row = [
      e.deliveryId,
      ...e.columns,
      e.extra,
      JSON.stringify(e.keyOrder),
      e.raw,
      e.tsMs,
      e.statusNum,
      e.replayState,
      e.webhookKey,
      e.webhookNameLower,
      e.firstSeenMs,
      e.lastSeenMs,
      e.isEvent,
      e.sourceKey,
      e.replays.length,
    ];
    row.forEach((v, i) => (arrays[i] as unknown[]).push(v));
  }
  const select = columns.map((c) => (c === 'extra' ? 't.extra::jsonb' : c === 'key_order' ? 'ARRAY(SELECT jsonb_array_elements_text(t.key_order::jsonb))' : `t.${c}`));
  const sql =
    `INSERT INTO dlq_entries AS e (${columns.join(', ')}) ` +
    `SELECT ${select.join(', ')} FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) WITH ORDINALITY AS t(${columns.join(', ')}, ord) ` +
    `ORDER BY t.ord ${onConflict} RETURNING ${returning}`;
  const result = await client.query<R>(sql, arrays);
  return result.rows;
}

/** Replaces the replay history of each entry with its `replays` (n from 1). */
export async function replaceReplays(client: pg.ClientBase, entries: readonly EncodedEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await client.query('DELETE FROM dlq_replays WHERE delivery_id = ANY($1::text[])', [entries.map((e) => e.deliveryId)]);
  const columns = ['delivery_id', 'n', ...ATTEMPT_COLUMN_NAMES, 'extra', 'key_order', 'raw_json'];
  const types = ['text', 'int', ...ATTEMPT_COLUMN_NAMES.map((n) => ATTEMPT_TYPES[n] ?? 'text'), 'text', 'text', 'text'];
  const arrays: unknown[][] = columns.map(() => []);
  for (const e of entries) {
    e.replays.forEach((attempt, i) => {
      const a = encodeAttempt(attempt);
      [e.deliveryId, i + 1, ...a.columns, a.extra, JSON.stringify(a.keyOrder), a.raw].forEach((v, k) => (arrays[k] as unknown[]).push(v));
    });
  }
  if ((arrays[0] as unknown[]).length === 0) return;
  const select = columns.map((c) => (c === 'extra' ? 't.extra::jsonb' : c === 'key_order' ? 'ARRAY(SELECT jsonb_array_elements_text(t.key_order::jsonb))' : `t.${c}`));
  await client.query(
    `INSERT INTO dlq_replays (${columns.join(', ')}) SELECT ${select.join(', ')} FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS t(${columns.join(', ')})`,
    arrays,
  );
}

/** Writes whole entries over whatever is stored under their ids (store copy, raw-entry fix-ups). */
export async function putWholeEntries(client: pg.ClientBase, entries: readonly DlqEntry[]): Promise<{ added: number; updated: number }> {
  let added = 0;
  let updated = 0;
  for (let start = 0; start < entries.length; start += BATCH_ROWS) {
    // Last one wins within a batch, as in a file merge (ON CONFLICT cannot touch a row twice).
    const byId = new Map<string, DlqEntry>();
    for (const e of entries.slice(start, start + BATCH_ROWS)) byId.set(e.delivery_id, e);
    const encoded = [...byId.values()].map(encodeEntry);
    const set = [...ENTRY_COLUMN_NAMES, 'extra', 'key_order', 'raw_json', 'ts_ms', 'status_num', 'replay_state', 'webhook_key', 'webhook_name_lower', 'first_seen_ms', 'last_seen_ms', 'is_event', 'source_key', 'replay_count']
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    const rows = await insertEntries<{ inserted: boolean }>(client, encoded, `ON CONFLICT (delivery_id) DO UPDATE SET ${set}`, '(xmax = 0) AS inserted');
    for (const r of rows) if (r.inserted) added++;
    updated += entries.slice(start, start + BATCH_ROWS).length - rows.filter((r) => r.inserted).length;
    await replaceReplays(client, encoded);
  }
  return { added, updated };
}
