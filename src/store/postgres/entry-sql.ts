/**
 * The `dlq list` filters and sort orders as SQL over dlq_entries' derived columns. Each flag is
 * parsed by the same code the file store uses (entries/filters.ts), and the derived columns are
 * computed by the same functions at write time, so the SQL selects exactly the rows the file
 * store's predicate selects — except --grep, which the SQL narrows and filters.ts finishes (a
 * raw entry's bodies are only in its JSON text).
 */
import type { SortField } from '../../entries/fields.js';
import { parseReplayStatuses, parseStatusCodes } from '../../entries/filters.js';
import { parseTimeRange } from '../../entries/time-flag.js';
import type { EntryFilter } from '../dlq-store.js';

export interface WhereClause {
  sql: string;
  params: unknown[];
  /** false: rows must still pass the JS predicate (--grep). */
  exact: boolean;
}

/** `params` may already hold values: placeholders continue after them. */
export function whereClause(filter: EntryFilter, now: Date, params: unknown[] = []): WhereClause {
  const parts: string[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const { sinceMs, untilMs } = parseTimeRange(filter, now);
  if (sinceMs !== undefined || untilMs !== undefined) {
    parts.push('ts_ms IS NOT NULL');
    if (sinceMs !== undefined) parts.push(`ts_ms >= ${p(Math.ceil(sinceMs))}`);
    if (untilMs !== undefined) parts.push(`ts_ms <= ${p(Math.floor(untilMs))}`);
  }
  if (filter.statusCode !== undefined) {
    const { exact, classes } = parseStatusCodes(filter.statusCode);
    const any: string[] = [];
    // One code as plain equality: the planner then reads the (status, time, id) index in the sort
    // order and stops at the limit; `= ANY(array)` would scan the time index and filter (slow for
    // a rare code).
    if (exact.size === 1) any.push(`status_num = ${p([...exact][0])}::int`);
    else if (exact.size > 0) any.push(`status_num = ANY(${p([...exact])}::int[])`);
    for (const c of classes) any.push(`status_num BETWEEN ${c * 100} AND ${c * 100 + 99}`);
    parts.push(`(${any.join(' OR ')})`);
  }
  if (filter.webhook !== undefined) {
    const wanted = filter.webhook.trim();
    const lower = p(wanted.toLowerCase());
    // The id, the name (any case), and the ids other entries give that name (seven-field entries).
    parts.push(`(webhook_id = ${p(wanted)} OR webhook_name_lower = ${lower} OR webhook_id = ANY(${namedIds(lower)}))`);
  }
  if (filter.replayStatus !== undefined) {
    parts.push(`replay_state = ANY(${p([...parseReplayStatuses(filter.replayStatus)])}::text[])`);
  }
  if (filter.source !== undefined) {
    // filters.ts validated the name; events = entries harvested from operational events.
    parts.push(filter.source.trim().toLowerCase() === 'events' ? 'is_event' : 'NOT is_event');
  }
  let exact = true;
  if (filter.grep !== undefined) {
    const g = p(filter.grep);
    parts.push(
      `(strpos(request_body, ${g}) > 0 OR strpos(response_body, ${g}) > 0 OR strpos(status_message, ${g}) > 0 OR raw_json IS NOT NULL)`,
    );
    exact = false;
  }
  return { sql: parts.length === 0 ? 'TRUE' : parts.join(' AND '), params, exact };
}

/**
 * The distinct webhook ids of the entries named `lower` (a placeholder), as an array computed once
 * per statement (ARRAY(subquery) is an InitPlan). A skip scan of the (webhook_name_lower,
 * webhook_id) index (migration 4): one probe per distinct id, however many entries carry it. As
 * `webhook_id IN (SELECT …)` beside the ORs, PostgreSQL ran the subquery as a plain SubPlan
 * rescanned for every row once its result outgrew work_mem: `list --webhook` never finished on a
 * million entries.
 */
function namedIds(lower: string): string {
  const next = (after: string) =>
    `SELECT n.webhook_id FROM dlq_entries n WHERE n.webhook_name_lower = ${lower} AND n.webhook_id ${after} ORDER BY n.webhook_id LIMIT 1`;
  return `ARRAY(WITH RECURSIVE named(id) AS ((${next('IS NOT NULL')}) UNION ALL SELECT (${next('> named.id')}) FROM named WHERE named.id IS NOT NULL) SELECT named.id FROM named WHERE named.id IS NOT NULL)`;
}

const SORT_KEY: Record<SortField, { column: string; descending: boolean }> = {
  timestamp: { column: 'ts_ms', descending: true },
  status_code: { column: 'status_num', descending: false },
  delivery_id: { column: 'delivery_id', descending: false },
  webhook: { column: 'webhook_key', descending: false },
  replay_status: { column: 'replay_state', descending: false },
  last_seen_at: { column: 'last_seen_ms', descending: true },
  first_seen_at: { column: 'first_seen_ms', descending: true },
};

/**
 * sort-entries.ts's order: the key (missing last in both directions), then newest timestamp, then
 * delivery id. Text keys use the "C" collation (code point order; JavaScript compares UTF-16 code
 * units, which differs only between astral characters and U+E000–U+FFFF).
 */
export function orderBy(field: SortField, reverse: boolean): string {
  const { column, descending } = SORT_KEY[field];
  const dir = descending !== reverse ? 'DESC' : 'ASC';
  const key = `${column} ${dir} NULLS LAST`;
  if (column === 'ts_ms') return `${key}, delivery_id ASC`;
  if (column === 'delivery_id') return key;
  return `${key}, ts_ms DESC NULLS LAST, delivery_id ASC`;
}
