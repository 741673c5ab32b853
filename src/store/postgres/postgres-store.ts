/**
 * The PostgreSQL backend of the store interface (issue #15): many machines, millions of dead
 * letters. Schema and migrations in migrations.ts, row format in row-codec.ts, the list filters as
 * SQL in entry-sql.ts, distributed replay in replay-session.ts.
 *
 * Connections: the URL as given (libpq style, `sslmode` included); the usual PG* variables
 * (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...) of the command's environment, --env-file included,
 * fill in what it leaves out (connection-config.ts). Every failure to reach or use the database is a StoreError (exit 6) naming the URL
 * without its password.
 */
import type pg from 'pg';
import type { DlqEntry, ReplayAttempt } from '../../dlq-entry.js';
import { isDlqError, LockBusyError, StoreError, UsageError } from '../../errors.js';

import { mergeEntries as mergeEntriesInMemory } from '../../entries/merge-entries.js';
import { buildFilter } from '../../entries/filters.js';
import { GroupTally, type GroupCount } from '../../entries/group-entries.js';
import { formatLocalDay } from '../../local-time.js';
import { cursorBatches } from './cursor-batches.js';
import { sortEntries } from '../../entries/sort-entries.js';
import type {
  DlqStore,
  EntryPage,
  EntryScan,
  EntryQuery,
  GroupQuery,
  MergeCounts,
  MergeOptions,
  PruneOutcome,
  PruneRequest,
  PutCounts,
  ReplayPlan,
  ReplaySelection,
  ReplaySession,
  ReplaySessionOptions,
  ResolveRequest,
  ResolveResult,
  StreamCounts,
} from '../dlq-store.js';
import { orderBy, whereClause, type WhereClause } from './entry-sql.js';
import { MAX_CANDIDATES } from '../../entries/resolve-ids.js';
import { lookupError, prefixPattern } from './id-lookup.js';
import { BATCH_ROWS, insertEntries, putWholeEntries } from './entry-writes.js';
import { HARVEST_STATE_VERSION, parseHarvestState, sameHarvestState, type HarvestState } from '../harvest-state.js';
import { clientConfig } from './connection-config.js';
import { currentVersion, migrate } from './migrations.js';
import { decodeAttempt, decodeEntry, encodeEntry, ENTRY_COLUMN_NAMES } from './row-codec.js';
import { pruneEntries, TOMBSTONE_LOCK } from './prune-entries.js';
import { PostgresReplaySession } from './replay-session.js';
import { resolveEntries } from './resolve-entries.js';
import { pg as pgClient } from './pg-client.js';
import { planReplay, type PlannedReplay } from './replay-selection.js';

/** Entries per batch of a scan (`dlq store copy`, readAll): 5,000 took store copy past 200 MB at a million. */
const SCAN_ROWS = 1000;

/** Any fixed number: the advisory lock that serialises watermark updates (pg_advisory_xact_lock). */
const WATERMARK_LOCK = 0x646c7177; // "dlqw"

export const SUMMARY_COLUMNS = ['delivery_id', ...ENTRY_COLUMN_NAMES.filter((c) => c !== 'request_body' && c !== 'response_body'), 'extra', 'key_order', 'raw_json'];
export const WHOLE_COLUMNS = ['delivery_id', ...ENTRY_COLUMN_NAMES, 'extra', 'key_order', 'raw_json'].join(', ');

/** One line for a pg or network error; never the password (pg does not put it in messages). */
export function describePgError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = e.message && e.message !== '' ? e.message : String(error);
  return e.code && /^[0-9A-Z]{5}$/.test(e.code) ? `${message} (SQLSTATE ${e.code})` : message;
}

export class PostgresStore implements DlqStore {
  /** Migrations the opening of this store applied. */
  private appliedOnOpen: number[] = [];

  private constructor(
    readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  /** Connects and applies any missing migrations. */
  static async open(url: string, location: string, env: NodeJS.ProcessEnv): Promise<PostgresStore> {
    const pool = new pgClient.Pool({ ...clientConfig(url, env), max: 4, application_name: 'dlq', connectionTimeoutMillis: 30_000 });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, location);
    try {
      store.appliedOnOpen = await store.use((client) => migrate(client));
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** Runs `work` on a pooled connection; database errors become StoreError (exit 6). */
  async use<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new StoreError(this.location, `cannot connect: ${describePgError(error)}`, { cause: error });
    }
    try {
      return await work(client);
    } catch (error) {
      if (isDlqError(error)) throw error;
      throw new StoreError(this.location, describePgError(error), { cause: error });
    } finally {
      client.release();
    }
  }

  /**
   * `work` inside one transaction (rolled back on any error). With `lockTimeoutMs`, a lock held
   * by another run longer than that (rows, an advisory lock) is LockBusyError (exit 75), as a busy file is.
   */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>, options: { lockTimeoutMs?: number } = {}): Promise<T> {
    return this.use((client) => this.transactionOn(client, work, options));
  }

  /** transaction() on a connection the caller holds (one that keeps session state, a temp table). */
  async transactionOn<C extends pg.ClientBase, T>(client: C, work: (client: C) => Promise<T>, options: { lockTimeoutMs?: number } = {}): Promise<T> {
    const { lockTimeoutMs } = options;
    await client.query('BEGIN');
    try {
      if (lockTimeoutMs !== undefined) await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // 55P03 lock_not_available: what lock_timeout raises.
      if (lockTimeoutMs !== undefined && (error as { code?: unknown }).code === '55P03') {
        const waited = Math.round(lockTimeoutMs / 100) / 10;
        throw new LockBusyError(this.location, `${this.location} is busy: another run holds the entries (gave up after ${waited}s; see --lock-timeout); nothing was changed`);
      }
      throw error;
    }
  }

  async check(): Promise<void> {
    await this.use((client) => client.query('SELECT 1 FROM dlq_entries LIMIT 1'));
  }

  async listEntries(query: EntryQuery): Promise<EntryPage> {
    return this.use(async (client) => {
      const where = whereClause(query.filter, query.now);
      let rows: DlqEntry[];
      let matches: number;
      if (where.exact) {
        // The count matters only when the limit cuts the page (list's "… and N more"). It rides in
        // the same statement, as a subquery PostgreSQL runs once (an InitPlan, at the first row):
        // one round trip, and an index-only scan of the narrow indexes where the filter has one.
        const limited = query.limit !== undefined;
        const count = limited ? `, (SELECT count(*) FROM dlq_entries WHERE ${where.sql})::int AS dlq_matches` : '';
        const limit = limited ? ` LIMIT ${query.limit}` : '';
        const found = await client.query(
          `SELECT ${SUMMARY_COLUMNS.join(', ')}${count} FROM dlq_entries WHERE ${where.sql} ORDER BY ${orderBy(query.sort, query.reverse)}${limit}`,
          where.params,
        );
        rows = found.rows.map((r) => decodeEntry(r, undefined));
        matches = limited && rows.length > 0 ? (found.rows[0]?.['dlq_matches'] as number) : rows.length;
      } else {
        // --grep: the SQL narrows, the file store's predicate decides; sorted like the file store.
        const found = await client.query(`SELECT ${WHOLE_COLUMNS} FROM dlq_entries WHERE ${where.sql}`, where.params);
        const grep = buildFilter({ grep: query.filter.grep }, query.now);
        const all = found.rows.map((r) => decodeEntry(r, [])).filter(grep);
        matches = all.length;
        rows = sortEntries(all, query.sort, { reverse: query.reverse, ...(query.limit === undefined ? {} : { limit: query.limit }) });
      }
      const page: EntryPage = { rows, matches };
      if (query.whole) page.batches = this.wholeBatches(rows.map((e) => e.delivery_id));
      if (query.names && rows.some((e) => typeof e.webhook_name !== 'string' && typeof e.webhook_id === 'string')) {
        // Only the ids a shown row may look up (output/entry-table.ts's webhookLabel, csv-export.ts).
        const nameless = rows.filter((e) => (typeof e.webhook_name !== 'string' || e.webhook_name === '') && typeof e.webhook_id === 'string');
        page.nameById = await this.webhookNames(client, [...new Set(nameless.map((e) => e.webhook_id as string))]);
      }
      return page;
    });
  }

  /** The whole entries of `ids`, in that order, 1,000 at a time (entries removed meanwhile are left out). */
  private async *wholeBatches(ids: readonly string[]): AsyncGenerator<DlqEntry[]> {
    for (let start = 0; start < ids.length; start += BATCH_ROWS) {
      const chunk = ids.slice(start, start + BATCH_ROWS);
      const batch = await this.use(async (client) => {
        const found = await client.query(`SELECT ${WHOLE_COLUMNS} FROM dlq_entries WHERE delivery_id = ANY($1::text[])`, [chunk]);
        const byId = new Map(found.rows.map((r) => [r['delivery_id'] as string, r]));
        return this.wholeEntries(client, chunk.flatMap((id) => (byId.has(id) ? [byId.get(id) as Record<string, unknown>] : [])));
      });
      if (batch.length > 0) yield batch;
    }
  }

  /**
   * webhook id → name for `ids`: the last (in store order) of the names entries give each id, as
   * entries/webhook-names.ts's webhookNames over all entries would answer for them. Each id is one probe at
   * the end of its range in the partial index dlq_entries_webhook_names (migration 2). The id is
   * matched as a range (>= and <=, the same rows as =) on purpose: with `=` the planner may judge
   * a backward scan of the whole table by seq, filtering, cheaper (it expects an id on every few
   * rows) and then reads all of it for an id no entry names; ordered by (webhook_id, seq) only
   * this index gives the order without a sort.
   */
  private async webhookNames(client: pg.ClientBase, ids: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await client.query<{ webhook_id: string; webhook_name: string | null }>(
      `SELECT w.id AS webhook_id,
              (SELECT e.webhook_name FROM dlq_entries e
                WHERE e.webhook_id >= w.id AND e.webhook_id <= w.id AND e.webhook_name IS NOT NULL AND e.webhook_name <> ''
                ORDER BY e.webhook_id DESC, e.seq DESC LIMIT 1) AS webhook_name
       FROM unnest($1::text[]) AS w(id)`,
      [ids],
    );
    return new Map(rows.flatMap((r) => (r.webhook_name === null ? [] : [[r.webhook_id, r.webhook_name] as const])));
  }

  /** Whole entries of `rows` (dlq_entries rows with WHOLE_COLUMNS), their tries attached, in order. */
  async wholeEntries(client: pg.ClientBase, rows: readonly Record<string, unknown>[]): Promise<DlqEntry[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r['delivery_id'] as string);
    const tries = await client.query(`SELECT * FROM dlq_replays WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, n`, [ids]);
    const byId = new Map<string, ReplayAttempt[]>();
    for (const t of tries.rows) {
      const list = byId.get(t['delivery_id'] as string);
      if (list) list.push(decodeAttempt(t));
      else byId.set(t['delivery_id'] as string, [decodeAttempt(t)]);
    }
    return rows.map((r) => decodeEntry(r, byId.get(r['delivery_id'] as string) ?? []));
  }

  /**
   * --group-by without holding the entries: status code and replay status are counted by the
   * server on the derived columns (row-codec.ts computes them with the functions the keys come
   * from, for raw entries too), day on 15-minute buckets of ts_ms (countDays), webhook on the
   * name and id columns (countWebhooks). --grep streams the matches in store order through a
   * cursor into the file store's own GroupTally.
   */
  async groupEntries(query: GroupQuery): Promise<GroupCount[]> {
    return this.transaction(async (client) => {
      const where = whereClause(query.filter, query.now);
      const tally = new GroupTally(query.field);
      if (where.exact && query.field === 'day') {
        await countDays(client, where, tally);
      } else if (where.exact && query.field === 'webhook') {
        await countWebhooks(client, where, tally);
      } else if (where.exact && query.field !== 'webhook') {
        const column = query.field === 'status_code' ? 'status_num' : 'replay_state';
        const { rows } = await client.query<{ k: string | number | null; n: number }>(
          `SELECT ${column} AS k, count(*)::int AS n FROM dlq_entries WHERE ${where.sql} GROUP BY 1`,
          where.params,
        );
        for (const r of rows) tally.addCount(r.k, r.n);
      } else {
        const grep = where.exact ? undefined : buildFilter({ grep: query.filter.grep }, query.now);
        const columns = where.exact ? SUMMARY_COLUMNS.join(', ') : WHOLE_COLUMNS;
        for await (const batch of cursorBatches(client, `SELECT ${columns} FROM dlq_entries WHERE ${where.sql} ORDER BY seq`, where.params)) {
          const entries = batch.map((r) => decodeEntry(r, grep ? [] : undefined));
          tally.add(grep ? entries.filter(grep) : entries);
        }
      }
      return tally.groups(query.reverse);
    });
  }

  async findEntry(raw: string): Promise<DlqEntry> {
    const id = raw.trim();
    if (id === '') throw new UsageError('empty delivery id');
    return this.use(async (client) => {
      // The id and the ids it prefixes in one statement (id-lookup.ts's range of the primary key),
      // the whole entry joined only to the one chosen: the exact id, which sorts before every id
      // it prefixes so is the first row however many share it, else the only candidate.
      const pattern = prefixPattern(id);
      const found = await client.query(
        `WITH candidates AS (
           SELECT delivery_id FROM dlq_entries WHERE delivery_id LIKE $1 ORDER BY delivery_id LIMIT ${MAX_CANDIDATES + 1})
         SELECT c.delivery_id AS candidate, ${WHOLE_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')}
         FROM candidates c LEFT JOIN dlq_entries e
           ON e.delivery_id = c.delivery_id AND (c.delivery_id = $2 OR (SELECT count(*) FROM candidates) = 1)
         ORDER BY c.delivery_id`,
        [pattern, id],
      );
      const chosen = found.rows[0];
      if (chosen && chosen['delivery_id'] !== null) return (await this.wholeEntries(client, [chosen]))[0] as DlqEntry;
      throw await lookupError(client, id, pattern, found.rows.map((r) => r['candidate'] as string));
    });
  }

  async readAll(): Promise<{ entries: DlqEntry[]; exists: boolean }> {
    const entries: DlqEntry[] = [];
    for await (const batch of this.scanBatches()) entries.push(...batch);
    return { entries, exists: true };
  }

  async scan(): Promise<EntryScan> {
    return { count: await this.count(), batches: () => this.scanBatches() };
  }

  /** Every entry, whole, in store order (seq), keyset-paginated: each batch its own short query. */
  async *scanBatches(batchRows = SCAN_ROWS): AsyncGenerator<DlqEntry[]> {
    let after = '-1';
    for (;;) {
      const batch = await this.use(async (client) => {
        const found = await client.query(`SELECT seq::text AS seq_text, ${WHOLE_COLUMNS} FROM dlq_entries WHERE seq > $1::int8 ORDER BY seq LIMIT ${batchRows}`, [after]);
        const last = found.rows[found.rows.length - 1];
        if (last) after = last['seq_text'] as string;
        return this.wholeEntries(client, found.rows);
      });
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < batchRows) return;
    }
  }

  /** Each batch in its own transaction (batched INSERT … ON CONFLICT), then read back and compared. */
  async putStream(source: () => AsyncIterable<readonly DlqEntry[]>): Promise<StreamCounts> {
    const counts: StreamCounts = { added: 0, updated: 0, copied: 0, verified: 0, missing: 0, different: 0 };
    for await (const batch of source()) {
      const put = await this.transaction((client) => putWholeEntries(client, batch));
      counts.added += put.added;
      counts.updated += put.updated;
      counts.copied += batch.length;
      // The last of a repeated id wins, as in putWholeEntries.
      const expected = new Map(batch.map((e) => [e.delivery_id, e]));
      const back = await this.use(async (client) => {
        const found = await client.query(`SELECT ${WHOLE_COLUMNS} FROM dlq_entries WHERE delivery_id = ANY($1::text[])`, [[...expected.keys()]]);
        return this.wholeEntries(client, found.rows);
      });
      const got = new Map(back.map((e) => [e.delivery_id, JSON.stringify(e)]));
      for (const [id, entry] of expected) {
        const text = got.get(id);
        if (text === undefined) counts.missing++;
        else if (text !== JSON.stringify(entry)) counts.different++;
        else counts.verified++;
      }
      counts.verified += batch.length - expected.size;
    }
    return counts;
  }

  async count(): Promise<number> {
    return this.use(async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM dlq_entries')).rows[0]?.n ?? 0);
  }

  /**
   * O(new): one transaction, batched INSERT … ON CONFLICT; stored rows are never read (only an
   * entry kept in raw form, see row-codec.ts, is read back to update its JSON text).
   */
  async mergeEntries(fresh: readonly DlqEntry[], seenAt: string, options: MergeOptions): Promise<MergeCounts> {
    if (fresh.length === 0) {
      if (options.updateState) await this.transaction((client) => this.saveState(client, options.updateState as (s: HarvestState) => HarvestState));
      return { added: 0, updated: 0, pruned: 0, addedEntries: [] };
    }
    // The harvest already deduplicated the run; a repeat would count as updated, as in the file merge.
    const unique = new Map<string, DlqEntry>();
    const repeats = new Map<string, number>();
    for (const entry of fresh) {
      if (unique.has(entry.delivery_id)) repeats.set(entry.delivery_id, (repeats.get(entry.delivery_id) ?? 0) + 1);
      else unique.set(entry.delivery_id, entry);
    }
    const list = [...unique.values()];
    const seenMs = Date.parse(seenAt);
    return this.transaction(async (client) => {
      let added = 0;
      let updated = 0;
      let pruned = 0;
      const addedEntries: DlqEntry[] = [];
      // Deliveries `dlq prune` removed stay removed (prune-entries.ts): a prune running now either
      // committed its tombstones before this check or waits for this transaction to end.
      await client.query('SELECT pg_advisory_xact_lock_shared($1)', [TOMBSTONE_LOCK]);
      for (let start = 0; start < list.length; start += BATCH_ROWS) {
        const slice = list.slice(start, start + BATCH_ROWS);
        const { rows: stones } = await client.query<{ delivery_id: string }>(
          `SELECT t.delivery_id FROM dlq_tombstones t WHERE t.delivery_id = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM dlq_entries e WHERE e.delivery_id = t.delivery_id)`,
          [slice.map((e) => e.delivery_id)],
        );
        const tombstoned = new Set(stones.map((r) => r.delivery_id));
        // As merge-entries.ts: every occurrence of a pruned id counts as pruned, a repeat of another as updated.
        for (const id of tombstoned) pruned += 1 + (repeats.get(id) ?? 0);
        for (const e of slice) if (!tombstoned.has(e.delivery_id)) updated += repeats.get(e.delivery_id) ?? 0;
        const encoded = slice.filter((e) => !tombstoned.has(e.delivery_id)).map(encodeEntry);
        if (encoded.length === 0) continue;
        // merge-entries.ts's rule for an entry already stored: a new last_seen_at (appended when the
        // entry had none), and webhook_name when it has none and the webhook id is this one.
        const nameCond = `e.raw_json IS NULL AND EXCLUDED.webhook_name IS NOT NULL AND NOT ('webhook_name' = ANY(e.key_order)) AND e.webhook_id = EXCLUDED.webhook_id`;
        const withSeen = `dlq_with_key(e.key_order, 'last_seen_at')`;
        const rows = await insertEntries<{ delivery_id: string; inserted: boolean; raw: boolean }>(
          client,
          encoded,
          `ON CONFLICT (delivery_id) DO UPDATE SET
             last_seen_at = ${client.escapeLiteral(seenAt)}, last_seen_ms = ${Number.isNaN(seenMs) ? 'NULL' : seenMs}, extra = e.extra - 'last_seen_at',
             webhook_name = CASE WHEN ${nameCond} THEN EXCLUDED.webhook_name ELSE e.webhook_name END,
             webhook_name_lower = CASE WHEN ${nameCond} THEN EXCLUDED.webhook_name_lower ELSE e.webhook_name_lower END,
             webhook_key = CASE WHEN ${nameCond} THEN EXCLUDED.webhook_key ELSE e.webhook_key END,
             key_order = CASE WHEN e.raw_json IS NOT NULL THEN e.key_order
                              WHEN ${nameCond} THEN dlq_with_key(${withSeen}, 'webhook_name') ELSE ${withSeen} END`,
          'e.delivery_id, (xmax = 0) AS inserted, e.raw_json IS NOT NULL AS raw',
        );
        for (const r of rows) {
          if (r.inserted) {
            added++;
            addedEntries.push(unique.get(r.delivery_id) as DlqEntry);
          } else updated++;
        }
        const rawIds = rows.filter((r) => !r.inserted && r.raw).map((r) => r.delivery_id);
        if (rawIds.length > 0) await this.touchRawEntries(client, rawIds, seenAt, unique);
      }
      // The watermarks move in the same transaction as the entries they vouch for.
      if (options.updateState) await this.saveState(client, options.updateState);
      return { added, updated, pruned, addedEntries };
    });
  }

  async readHarvestState(): Promise<HarvestState> {
    return this.use((client) => this.loadState(client, false));
  }

  private async loadState(client: pg.ClientBase, forUpdate: boolean): Promise<HarvestState> {
    const { rows } = await client.query<{ name: string; value: unknown }>(`SELECT name, value FROM dlq_watermarks ORDER BY name${forUpdate ? ' FOR UPDATE' : ''}`);
    try {
      return parseHarvestState({ version: HARVEST_STATE_VERSION, watermarks: Object.fromEntries(rows.map((r) => [r.name, r.value])) });
    } catch (error) {
      throw new StoreError(this.location, `the harvest watermarks cannot be trusted: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Applies `update` to the stored watermarks, under row locks, inside the caller's transaction. */
  private async saveState(client: pg.ClientBase, update: (current: HarvestState) => HarvestState): Promise<void> {
    // Serialises concurrent fetches' watermark updates (the rows may not exist yet to lock).
    await client.query('SELECT pg_advisory_xact_lock($1)', [WATERMARK_LOCK]);
    const current = await this.loadState(client, true);
    const next = update(current);
    if (sameHarvestState(current, next)) return;
    for (const [name, mark] of Object.entries(next.watermarks)) {
      if (JSON.stringify(current.watermarks[name]) === JSON.stringify(mark)) continue;
      await client.query(
        `INSERT INTO dlq_watermarks (name, value) VALUES ($1, $2::jsonb)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [name, JSON.stringify(mark)],
      );
    }
  }

  /** The stored ids of that source, and its pruned ones (tombstones; those of no source too, as the file store's list). */
  async readRecordedIds(key: string): Promise<Set<string>> {
    return this.use(async (client) => {
      const { rows } = await client.query<{ delivery_id: string }>(
        `SELECT delivery_id FROM dlq_entries WHERE source_key = $1
         UNION ALL SELECT delivery_id FROM dlq_tombstones WHERE source_key = $1 OR source_key IS NULL`,
        [key],
      );
      return new Set(rows.map((r) => r.delivery_id));
    });
  }

  /** The merge rule applied in JavaScript to entries kept as raw JSON text. */
  private async touchRawEntries(client: pg.ClientBase, ids: string[], seenAt: string, fresh: Map<string, DlqEntry>): Promise<void> {
    const found = await client.query(`SELECT ${WHOLE_COLUMNS} FROM dlq_entries WHERE delivery_id = ANY($1::text[]) FOR UPDATE`, [ids]);
    const current = await this.wholeEntries(client, found.rows);
    const merged = mergeEntriesInMemory(current, current.map((e) => fresh.get(e.delivery_id) as DlqEntry), seenAt);
    await putWholeEntries(client, merged.entries);
  }

  pruneEntries(request: PruneRequest): Promise<PruneOutcome> {
    return pruneEntries(this, request);
  }

  resolveEntries(request: ResolveRequest): Promise<ResolveResult> {
    return resolveEntries(this, request);
  }

  async putEntries(entries: readonly DlqEntry[]): Promise<PutCounts> {
    return this.transaction((client) => putWholeEntries(client, entries));
  }

  /** The SQL and bounds each plan of this store selects (what its replay session claims from). */
  private readonly planned = new WeakMap<ReplayPlan, PlannedReplay>();

  async planReplay(selection: ReplaySelection): Promise<ReplayPlan> {
    const { plan, planned } = await this.use((client) => planReplay(client, selection));
    this.planned.set(plan, planned);
    return plan;
  }

  replaySession(options: ReplaySessionOptions): ReplaySession {
    return new PostgresReplaySession(this, options, this.planned.get(options.plan));
  }

  async migrate(): Promise<{ version: number; applied: number[] }> {
    const applied = [...this.appliedOnOpen, ...(await this.use((client) => migrate(client)))];
    return { version: await this.use((client) => currentVersion(client)), applied };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** Day groups are counted by the server in buckets this long: every time zone's offset today is a multiple of it. */
const DAY_BUCKET_MS = 15 * 60_000;

/**
 * --group-by day: the matches counted per 15-minute bucket of ts_ms, each bucket then named by
 * the local day (entries/group-entries.ts's key) of its first and last millisecond. A bucket
 * across a local midnight (an offset not a multiple of 15 minutes: historical local mean time)
 * is counted again to the millisecond, so the answer is exact anywhere.
 */
async function countDays(client: pg.ClientBase, where: WhereClause, tally: GroupTally): Promise<void> {
  const { rows } = await client.query<{ b: string | null; n: number }>(
    `SELECT floor(ts_ms / ${DAY_BUCKET_MS}.0)::bigint AS b, count(*)::int AS n FROM dlq_entries WHERE ${where.sql} GROUP BY 1`,
    where.params,
  );
  for (const { b, n } of rows) {
    if (b === null) {
      tally.addCount(null, n);
      continue;
    }
    const first = Number(b) * DAY_BUCKET_MS;
    const last = first + DAY_BUCKET_MS - 1;
    if (formatLocalDay(first) === formatLocalDay(last)) {
      tally.addCount(formatLocalDay(first), n);
      continue;
    }
    const params = [...where.params, first, last];
    const exact = await client.query<{ ms: string; n: number }>(
      `SELECT ts_ms AS ms, count(*)::int AS n FROM dlq_entries WHERE ${where.sql} AND ts_ms BETWEEN $${params.length - 1} AND $${params.length} GROUP BY 1`,
      params,
    );
    for (const r of exact.rows) tally.addCount(formatLocalDay(Number(r.ms)), r.n);
  }
}

/**
 * --group-by webhook: the name, else the name the matching entries give the id (the last in store
 * order), else the id (entries/group-entries.ts). Typed rows are counted by the server per (name,
 * id); their columns hold exactly the entry's strings. Raw rows (row-codec.ts: their columns are
 * only approximations) are read whole, in store order. The name of each id left nameless is the
 * newest matching row naming it: one backward probe of dlq_entries_webhook_names per id (the
 * range match as in webhookNames), against the newest raw one.
 */
async function countWebhooks(client: pg.ClientBase, where: WhereClause, tally: GroupTally): Promise<void> {
  const { rows } = await client.query<{ name: string | null; id: string | null; n: number }>(
    `SELECT webhook_name AS name, webhook_id AS id, count(*)::int AS n FROM dlq_entries WHERE raw_json IS NULL AND (${where.sql}) GROUP BY 1, 2`,
    where.params,
  );
  for (const { name, id, n } of rows) {
    if (name !== null && name !== '') tally.addCount(name, n);
    else if (id !== null && id !== '') tally.addIdCount(id, n);
    else tally.addCount(null, n);
  }
  const rawNames = new Map<string, bigint>();
  const raw = cursorBatches(client, `SELECT seq, ${SUMMARY_COLUMNS.join(', ')} FROM dlq_entries WHERE raw_json IS NOT NULL AND (${where.sql}) ORDER BY seq`, where.params);
  for await (const batch of raw) {
    const entries = batch.map((r) => decodeEntry(r, undefined));
    tally.add(entries);
    entries.forEach((e, i) => {
      if (typeof e.webhook_id === 'string' && typeof e.webhook_name === 'string' && e.webhook_name !== '') rawNames.set(e.webhook_id, BigInt(batch[i]?.['seq'] as string));
    });
  }
  const ids = tally.idsAwaitingNames();
  if (ids.length === 0) return;
  const params = [...where.params, ids];
  const named = await client.query<{ id: string; seq: string | null; name: string | null }>(
    `SELECT w.id, t.seq, t.webhook_name AS name FROM unnest($${params.length}::text[]) AS w(id)
     LEFT JOIN LATERAL (
       SELECT e.seq, e.webhook_name FROM dlq_entries e
       WHERE e.webhook_id >= w.id AND e.webhook_id <= w.id AND e.webhook_name IS NOT NULL AND e.webhook_name <> ''
         AND e.raw_json IS NULL AND (${where.sql})
       ORDER BY e.webhook_id DESC, e.seq DESC LIMIT 1) t ON true`,
    params,
  );
  for (const { id, seq, name } of named.rows) {
    const rawSeq = rawNames.get(id);
    if (seq !== null && name !== null && (rawSeq === undefined || BigInt(seq) > rawSeq)) tally.nameWebhook(id, name);
  }
}
