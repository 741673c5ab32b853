/**
 * `dlq replay`'s selection as SQL (issue #15): the rules of entries/select-for-replay.ts's
 * selectForReplay (ids or filters pick candidates; resolved, no payload, already succeeded,
 * --max-replays and no route skip them, in that order; --order and --limit pick what is sent),
 * expressed over dlq_entries so that a million entries are counted by the server and claimed a
 * few at a time (replay-session.ts), never loaded.
 *
 * - The filters are entry-sql.ts's (the `dlq list` SQL). --grep is exact for every row but those
 *   kept raw (row-codec.ts: their bodies are only in JSON text): those few are read and tested
 *   with filters.ts's own predicate.
 * - Ids (full or unique prefixes) are resolved first, with resolve-ids.ts's errors.
 * - Each candidate gets one category (a CASE in the order of selectForReplay's checks); `send`
 *   rows are sent in `ts_ms, delivery_id` order (sort-entries.ts's timestamp order), and with
 *   --limit only up to the limit-th of them (the boundary key, fixed when the run starts).
 */
import type pg from 'pg';
import { buildFilter } from '../../entries/filters.js';
import { PLAN_FIRST_IDS, type ReplayGroup, type ReplayPlan, type ReplaySelection, type WebhookRef } from '../dlq-store.js';
import { whereClause } from './entry-sql.js';
import { lookupIds } from './id-lookup.js';

/** A position in send order: the row's ts_ms (int8 as text, null when it has none) and delivery id. */
export interface SendKey {
  ts: string | null;
  id: string;
}

/** The selection as SQL over `dlq_entries e`, with its parameters (placeholders $1…). */
export interface SelectionSql {
  /** The candidates (ids, filters). */
  where: string;
  /** Yields 'resolved' | 'no_payload' | 'succeeded' | 'max_replays' | 'no_route' | 'send'. */
  category: string;
  params: unknown[];
  /** --order newest (ts_ms descending); else oldest first. */
  descending: boolean;
  /** ORDER BY of candidate order (what the file store's candidates follow): the ids' order when named, else store order. */
  candidateOrder: string;
}

/** What a PostgreSQL replay session needs of its plan (kept by the store beside the plan). */
export interface PlannedReplay {
  sql: SelectionSql;
  total: number;
  /** With --limit cutting the selection: the key of the last entry sent (inclusive). */
  boundary: SendKey | undefined;
  /** The database's clock when the plan was made: tries after it are other runs' (replay-session.ts). */
  startedAt: string;
}

export async function planReplay(client: pg.ClientBase, selection: ReplaySelection): Promise<{ plan: ReplayPlan; planned: PlannedReplay }> {
  const startedAt = (await client.query<{ t: string }>('SELECT now()::text AS t')).rows[0]?.t as string;
  const sql = await selectionSql(client, selection);
  const send = `${sql.where} AND (${sql.category}) = 'send'`;
  // One pass over the candidates: how many per category, and the send ones per status and webhook.
  const counted = await client.query<{ category: string; status_num: number | null; webhook_id: string | null; webhook_name: string | null; n: number }>(
    `SELECT category, status_num, webhook_id, webhook_name, count(*)::int AS n FROM
       (SELECT ${sql.category} AS category, e.status_num, e.webhook_id, e.webhook_name FROM dlq_entries e WHERE ${sql.where}) c
     GROUP BY category, status_num, webhook_id, webhook_name`,
    sql.params,
  );
  const counts = new Map<string, number>();
  for (const r of counted.rows) counts.set(r.category, (counts.get(r.category) ?? 0) + r.n);
  const toGroup = (r: { status_num: number | null; webhook_id: string | null; webhook_name: string | null; n: number }): ReplayGroup => ({
    statusCode: r.status_num,
    webhook_id: r.webhook_id ?? undefined,
    webhook_name: r.webhook_name ?? undefined,
    count: r.n,
  });
  const sendable = counts.get('send') ?? 0;
  const total = selection.limit === undefined ? sendable : Math.min(selection.limit, sendable);
  const limited = total < sendable;
  const noPayload =
    (counts.get('no_payload') ?? 0) === 0
      ? []
      : (
          await client.query<{ delivery_id: string }>(
            `SELECT e.delivery_id FROM dlq_entries e WHERE ${sql.where} AND (${sql.category}) = 'no_payload' ORDER BY ${sql.candidateOrder}`,
            sql.params,
          )
        ).rows.map((r) => r.delivery_id);
  let groups: ReplayGroup[] = counted.rows.filter((r) => r.category === 'send').map(toGroup);
  let firstIds: string[] = [];
  let boundary: SendKey | undefined;
  if (total > 0) {
    if (limited) {
      // Only the first `total` in send order are sent: count those.
      const sent = inSendOrder(sql, 'e.status_num, e.webhook_id, e.webhook_name', total);
      const grouped = await client.query<{ status_num: number | null; webhook_id: string | null; webhook_name: string | null; n: number }>(
        `SELECT status_num, webhook_id, webhook_name, count(*)::int AS n FROM (${sent}) s GROUP BY status_num, webhook_id, webhook_name`,
        sql.params,
      );
      groups = grouped.rows.map(toGroup);
      const last = await client.query<{ ts: string | null; delivery_id: string }>(inSendOrder(sql, 'e.ts_ms::text AS ts, e.delivery_id', 1, total - 1), sql.params);
      const row = last.rows[0];
      if (row) boundary = { ts: row.ts, id: row.delivery_id };
    }
    const first = await client.query<{ delivery_id: string }>(inSendOrder(sql, 'e.delivery_id', Math.min(PLAN_FIRST_IDS, total)), sql.params);
    firstIds = first.rows.map((r) => r.delivery_id);
  }
  const plan: ReplayPlan = {
    total,
    skippedSucceeded: counts.get('succeeded') ?? 0,
    skippedMaxReplays: counts.get('max_replays') ?? 0,
    skippedResolved: counts.get('resolved') ?? 0,
    skippedNoRoute: counts.get('no_route') ?? 0,
    skippedNoPayload: noPayload,
    beyondLimit: sendable - total,
    groups,
    firstIds,
  };
  return { plan, planned: { sql, total, boundary, startedAt } };
}

async function selectionSql(client: pg.ClientBase, selection: ReplaySelection): Promise<SelectionSql> {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const parts: string[] = [];
  const byId = selection.ids.length > 0;
  let candidateOrder = 'e.seq';
  /** Named by id with --force: the ids resolved now, which may be sent (one resolved later may not). */
  let resolvedNow: string[] | undefined;
  if (byId) {
    const named = await lookupIds(client, selection.ids);
    const ids = p(named);
    parts.push(`e.delivery_id = ANY(${ids}::text[])`);
    candidateOrder = `array_position(${ids}::text[], e.delivery_id::text)`;
    if (selection.force) {
      const found = await client.query<{ delivery_id: string }>(`SELECT delivery_id FROM dlq_entries WHERE delivery_id = ANY($1::text[]) AND replay_state = 'resolved'`, [named]);
      resolvedNow = found.rows.map((r) => r.delivery_id);
    }
  }
  const { grep, ...exact } = selection.filter;
  parts.push(whereClause(exact, selection.now, params).sql);
  if (grep !== undefined) {
    const raw = await rawGrepMatches(client, parts.join(' AND '), [...params], grep, selection.now);
    const g = p(grep);
    parts.push(
      `((e.raw_json IS NULL AND (strpos(e.request_body, ${g}) > 0 OR strpos(e.response_body, ${g}) > 0 OR strpos(e.status_message, ${g}) > 0)) ` +
        `OR e.delivery_id = ANY(${p(raw)}::text[]))`,
    );
  }
  const cases: string[] = [];
  // Resolved stays unless named by id AND --force (select-for-replay.ts), and resolved when the run started.
  if (resolvedNow === undefined) cases.push(`WHEN e.replay_state = 'resolved' THEN 'resolved'`);
  else cases.push(`WHEN e.replay_state = 'resolved' AND NOT (e.delivery_id = ANY(${p(resolvedNow)}::text[])) THEN 'resolved'`);
  // hasPayload: request_body neither null nor absent (a non-string value is kept in `extra`).
  cases.push(`WHEN e.request_body IS NULL AND NOT (e.extra ? 'request_body' AND jsonb_typeof(e.extra -> 'request_body') <> 'null') THEN 'no_payload'`);
  if (!selection.force) cases.push(`WHEN e.replay_state = 'succeeded' THEN 'succeeded'`);
  if (selection.maxReplays !== undefined) {
    const max = p(selection.maxReplays);
    cases.push(`WHEN e.replay_count >= ${max} AND (${failedRunsSql}) >= ${max} THEN 'max_replays'`);
  }
  if (selection.routing) {
    const known = await webhookRefs(client);
    const hasRoute = selection.routing(known);
    const routed = known.filter(hasRoute);
    const idsParam = p(routed.map((w) => w.webhook_id ?? null));
    const namesParam = p(routed.map((w) => w.webhook_name ?? null));
    cases.push(
      `WHEN NOT EXISTS (SELECT 1 FROM unnest(${idsParam}::text[], ${namesParam}::text[]) AS r(id, name) ` +
        `WHERE r.id IS NOT DISTINCT FROM e.webhook_id AND r.name IS NOT DISTINCT FROM e.webhook_name) THEN 'no_route'`,
    );
  }
  const descending = selection.order === 'newest';
  return {
    where: parts.join(' AND '),
    category: `CASE ${cases.join(' ')} ELSE 'send' END`,
    params,
    descending,
    candidateOrder,
  };
}

/**
 * select-for-replay.ts's failedReplayRuns in SQL: the tries of the entry grouped by run_id (a try
 * without one is a run of its own), counting runs whose last try was not a 2xx.
 */
const failedRunsSql = `SELECT count(*) FROM (
  SELECT DISTINCT ON (r.run_id IS NULL, COALESCE(r.run_id, r.n::text)) r.http_status FROM dlq_replays r
  WHERE r.delivery_id = e.delivery_id ORDER BY r.run_id IS NULL, COALESCE(r.run_id, r.n::text), r.n DESC) last_of_run
  WHERE NOT COALESCE(last_of_run.http_status BETWEEN 200 AND 299, false)`;

/** Every webhook (id, name) pair the entries hold, strings only, in store order of first appearance. */
export async function webhookRefs(client: pg.ClientBase): Promise<Required<WebhookRef>[]> {
  const { rows } = await client.query<{ webhook_id: string | null; webhook_name: string | null }>(
    `SELECT webhook_id, webhook_name FROM dlq_entries GROUP BY webhook_id, webhook_name ORDER BY min(seq)`,
  );
  return rows.map((r) => ({ webhook_id: r.webhook_id ?? undefined, webhook_name: r.webhook_name ?? undefined }));
}

/** Raw rows (row-codec.ts) among the candidates that --grep matches, decided by filters.ts's predicate on their JSON. */
async function rawGrepMatches(client: pg.ClientBase, where: string, params: unknown[], grep: string, now: Date): Promise<string[]> {
  const { rows } = await client.query<{ delivery_id: string; raw_json: string }>(
    `SELECT e.delivery_id, e.raw_json FROM dlq_entries e WHERE e.raw_json IS NOT NULL AND ${where}`,
    params,
  );
  const matches = buildFilter({ grep }, now);
  return rows.filter((r) => matches(JSON.parse(r.raw_json))).map((r) => r.delivery_id);
}

/**
 * Send order in two parts, each served by the index on (ts_ms DESC NULLS LAST, delivery_id):
 * entries with a time (by ts_ms, then delivery id; --order oldest reads the index backwards and
 * sorts only the ties), then entries without one (by delivery id). The same order as
 * sort-entries.ts's timestamp order (missing times last, in both directions).
 */
export type SendPart = 'timed' | 'untimed';
export const SEND_PARTS: readonly SendPart[] = ['timed', 'untimed'];

export function partOrder(part: SendPart, descending: boolean): string {
  if (part === 'untimed') return 'e.delivery_id ASC';
  // No NULLs in this part: NULLS FIRST for ascending matches the index read backwards.
  return descending ? 'e.ts_ms DESC NULLS LAST, e.delivery_id ASC' : 'e.ts_ms ASC NULLS FIRST, e.delivery_id ASC';
}

/**
 * SQL conditions for the rows of `part` after `after` and at or before `upTo` in send order (keyset
 * pagination); undefined when no row of the part can be in that range.
 */
export function partRange(part: SendPart, descending: boolean, bounds: { after?: SendKey | undefined; upTo?: SendKey | undefined }, p: (value: unknown) => string): string[] | undefined {
  const conds = [part === 'timed' ? 'e.ts_ms IS NOT NULL' : 'e.ts_ms IS NULL'];
  const { after, upTo } = bounds;
  const [past, before] = descending ? ['<', '>'] : ['>', '<'];
  if (after) {
    if (after.ts === null) {
      if (part === 'timed') return undefined;
      conds.push(`e.delivery_id > ${p(after.id)}`);
    } else if (part === 'timed') {
      const t = p(after.ts);
      conds.push(`e.ts_ms ${past}= ${t}::int8 AND (e.ts_ms ${past} ${t}::int8 OR e.delivery_id > ${p(after.id)})`);
    }
  }
  if (upTo) {
    if (upTo.ts === null) {
      if (part === 'untimed') conds.push(`e.delivery_id <= ${p(upTo.id)}`);
    } else {
      if (part === 'untimed') return undefined;
      const t = p(upTo.ts);
      conds.push(`e.ts_ms ${before}= ${t}::int8 AND (e.ts_ms ${before} ${t}::int8 OR e.delivery_id <= ${p(upTo.id)})`);
    }
  }
  return conds;
}

/** A query for `columns` of the first `limit` rows to send in send order, after skipping `offset`. */
function inSendOrder(sql: SelectionSql, columns: string, limit: number, offset = 0): string {
  const send = `${sql.where} AND (${sql.category}) = 'send'`;
  const cap = ` LIMIT ${limit + offset}`;
  const noBind = () => {
    throw new Error('inSendOrder: no bounds');
  };
  const parts = SEND_PARTS.map(
    (part, i) =>
      `(SELECT ${columns}, ${i} AS part_no, e.ts_ms AS key_ts, e.delivery_id AS key_id FROM dlq_entries e ` +
      `WHERE ${send} AND ${(partRange(part, sql.descending, {}, noBind) as string[]).join(' AND ')} ORDER BY ${partOrder(part, sql.descending)}${cap})`,
  );
  const dir = sql.descending ? 'DESC' : 'ASC';
  const outer = ` LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ''}`;
  return `SELECT * FROM (${parts.join(' UNION ALL ')}) u ORDER BY part_no, key_ts ${dir}, key_id${outer}`;
}
