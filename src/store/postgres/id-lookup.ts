/**
 * Delivery ids as the user typed them (full ids or unique prefixes, like git short hashes) to the
 * stored ids, with resolve-ids.ts's rules and messages: an exact id always wins, a prefix must
 * match exactly one entry. The "C" collation lets `LIKE 'prefix%'` use the primary key.
 */
import type pg from 'pg';
import { UsageError } from '../../errors.js';
import { idLookupError, MAX_CANDIDATES } from '../../entries/resolve-ids.js';

/** The `LIKE` pattern of the ids starting with `id`, whose own metacharacters (\\ % _) are literal. */
export function prefixPattern(id: string): string {
  return `${id.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The UsageError for `id` when its prefix `pattern` matched no id or several: `candidates` are the
 * first of them in id order (up to MAX_CANDIDATES + 1); past that the rest are counted.
 */
export async function lookupError(client: pg.ClientBase, id: string, pattern: string, candidates: readonly string[]): Promise<UsageError> {
  let count = candidates.length;
  if (count > MAX_CANDIDATES) {
    count = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM dlq_entries WHERE delivery_id LIKE $1`, [pattern])).rows[0]?.n ?? count;
  }
  return idLookupError(id, count, candidates);
}

/** The one stored id starting with `id` (UsageError when none or several). */
export async function idWithPrefix(client: pg.ClientBase, id: string): Promise<string> {
  const pattern = prefixPattern(id);
  const found = await client.query<{ delivery_id: string }>(
    `SELECT delivery_id FROM dlq_entries WHERE delivery_id LIKE $1 ORDER BY delivery_id LIMIT ${MAX_CANDIDATES + 1}`,
    [pattern],
  );
  if (found.rows.length !== 1) throw await lookupError(client, id, pattern, found.rows.map((r) => r.delivery_id));
  return found.rows[0]?.delivery_id as string;
}

/** Full ids or unique prefixes → stored ids, in argument order, de-duplicated (resolveIds's rules). */
export async function lookupIds(client: pg.ClientBase, raw: readonly string[]): Promise<string[]> {
  const ids = raw.map((r) => r.trim());
  if (ids.includes('')) throw new UsageError('empty delivery id');
  const { rows } = await client.query<{ delivery_id: string }>('SELECT delivery_id FROM dlq_entries WHERE delivery_id = ANY($1::text[])', [ids]);
  const exact = new Set(rows.map((r) => r.delivery_id));
  const out: string[] = [];
  for (const id of ids) out.push(exact.has(id) ? id : await idWithPrefix(client, id));
  return [...new Set(out)];
}
