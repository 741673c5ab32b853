/**
 * The store interface: everything commands see of storage (issue #15). Commands never learn which
 * backend they talk to; `openStore` (open-store.ts) picks one from `--store` / DLQ_STORE:
 *
 * - file-store.ts: the JSON DLQ file (the default; dlq-file.ts and its helpers, unchanged);
 * - postgres/: PostgreSQL, for teams (many machines, millions of dead letters).
 *
 * The shared contract tests (test/store/store-contract.test.ts) run against both.
 */
import type { DlqEntry, ReplayAttempt } from '../dlq-entry.js';
import type { GroupField, ReplayOrder, SortField } from '../entries/fields.js';
import type { FilterFlags } from '../entries/filters.js';
import type { GroupCount } from '../entries/group-entries.js';
import type { HarvestState } from './harvest-state.js';
import type { ResolveChange } from './mark-resolved.js';
import type { StoreFs } from './store-fs.js';

export type { ResolveChange };

/** The `dlq list` filter flags (each store translates every one of them to its own query). */
export type EntryFilter = FilterFlags;

/**
 * Only the filter flags of an options object (which also carries --json, --limit, ...). The key
 * list is checked against FilterFlags by the compiler: a new filter flag does not compile until it
 * is listed here, and so until every store has been taught it.
 */
export function pickFilter(flags: FilterFlags): EntryFilter {
  const keys: Record<keyof FilterFlags, true> = { since: true, until: true, statusCode: true, webhook: true, replayStatus: true, grep: true, source: true };
  const out: EntryFilter = {};
  for (const key of Object.keys(keys) as (keyof FilterFlags)[]) if (flags[key] !== undefined) out[key] = flags[key];
  return out;
}

export interface EntryQuery {
  /** Validated by the caller (buildFilter) before the store is opened. */
  filter: EntryFilter;
  /** Pins relative times (--since 24h). */
  now: Date;
  sort: SortField;
  reverse: boolean;
  /** At most this many rows (undefined: all). */
  limit: number | undefined;
  /** true: also stream the rows as whole entries, exactly as stored (EntryPage.batches). */
  whole: boolean;
  /** true: also return webhook id → name for rows that carry only the id (the table's column). */
  names: boolean;
  /** true: a store that does not exist yet reads as empty (default: the store's exit-6 error). */
  missingAsEmpty?: boolean;
}

export interface EntryPage {
  /** Matching entries in display order, at most `limit`: summaries (bodies and replays may be left out). */
  rows: DlqEntry[];
  /**
   * With `whole`: the same rows as whole entries, in order, batch by batch, so a caller prints as
   * it reads and can stop early (`| head`). A store whose data changes under an unfinished stream
   * throws its exit-6 error (the output is then incomplete).
   */
  batches?: AsyncIterable<DlqEntry[]>;
  /** How many entries match in all. */
  matches: number;
  /** With `names`: webhook id → the name the store's other entries give it (the last one, in store order). */
  nameById?: Map<string, string>;
}

export interface GroupQuery {
  filter: EntryFilter;
  now: Date;
  field: GroupField;
  reverse: boolean;
}

export interface MergeOptions {
  /**
   * false: when there is nothing to merge, do not create the store either (the file store leaves
   * a missing file missing after a failed harvest).
   */
  createWhenEmpty: boolean;
  lockTimeoutMs?: number;
  /** The harvest state (watermarks) after this merge, from the stored one; saved in the same update. */
  updateState?: (current: HarvestState) => HarvestState;
}

export interface PutCounts {
  added: number;
  updated: number;
}

/** A store read batch by batch (`dlq store copy`). */
export interface EntryScan {
  /** Entries when the scan started. */
  count: number;
  /** Every entry, whole, in store order; each call reads again from the start. */
  batches(): AsyncIterable<DlqEntry[]>;
}

export interface StreamCounts extends PutCounts {
  /** Source entries written. */
  copied: number;
  /** Of them, read back exactly as written. */
  verified: number;
  /** Read back missing or different (a concurrent writer, a broken store). */
  missing: number;
  different: number;
}

export interface MergeCounts extends PutCounts {
  /** Harvested ids skipped because `dlq prune` removed them (tombstones). */
  pruned: number;
  /** The entries this merge added (for per-webhook counts). */
  addedEntries: DlqEntry[];
}

/** What routes.ts's routeResolver looks at of an entry: its webhook id and name (any JSON value). */
export interface WebhookRef {
  webhook_id?: unknown;
  webhook_name?: unknown;
}

/**
 * Which entries `dlq replay` sends, as a query each store runs itself (the rules are
 * entries/select-for-replay.ts's selectForReplay; the file store runs exactly that in memory, the
 * PostgreSQL store the same rules in SQL, so a million entries never sit in memory).
 */
export interface ReplaySelection {
  /** Full ids or unique prefixes (unknown or ambiguous: UsageError); empty: every entry is a candidate. */
  ids: readonly string[];
  /** Validated by the caller (buildFilter) before the store is opened. */
  filter: EntryFilter;
  /** Pins relative times (--since 24h). */
  now: Date;
  force: boolean;
  maxReplays: number | undefined;
  order: ReplayOrder;
  /** At most this many are sent (after ordering); undefined: all. */
  limit: number | undefined;
  /**
   * With --routes: the store hands over every webhook its entries name (id and name pairs, in store
   * order of first appearance, as routeResolver's `known`) and gets back whether a webhook has a route.
   */
  routing?: (known: readonly WebhookRef[]) => (webhook: WebhookRef) => boolean;
}

/** How many of the entries to send share a status code and webhook (the dry run's and the summary's counts). */
export interface ReplayGroup {
  statusCode: number | null;
  /** Strings only (anything else counts as absent, as routeResolver and the dry run treat it). */
  webhook_id: string | undefined;
  webhook_name: string | undefined;
  count: number;
}

/** A replay selection's outcome, counted by the store (nothing is held per entry but the no-payload ids). */
export interface ReplayPlan {
  /** Entries this run sends (after --limit). */
  total: number;
  skippedSucceeded: number;
  skippedMaxReplays: number;
  skippedResolved: number;
  skippedNoRoute: number;
  /** Ids of candidates without a payload (never sent; --json lists them), in candidate order. */
  skippedNoPayload: string[];
  /** Selected but past --limit: left for a later run. */
  beyondLimit: number;
  /** The `total` entries, counted by status code and webhook (status codes as entries/filters.ts's statusCodeOf reads them). */
  groups: ReplayGroup[];
  /** The first PLAN_FIRST_IDS ids in send order. */
  firstIds: string[];
}

export const PLAN_FIRST_IDS = 5;

export interface ReplaySessionOptions {
  /** What this run sends: a plan this store made (planReplay); the session hands out each entry at most once. */
  plan: ReplayPlan;
  lockTimeoutMs: number;
  onLockWait?: (holder: { pid?: number | undefined }) => void;
  /** Stores shared by several machines lease entries; a lease not renewed for this long is taken over. */
  leaseMs?: number;
  /** The file store's file system (tests inject a full disk or a read-only directory). */
  fileSystem?: StoreFs;
}

/**
 * One replay run's view of the store: a queue of entries to send (several runs on one shared store
 * never get the same entry at once), and the log of every try.
 */
export interface ReplaySession {
  /**
   * Proves results can be saved before the first request (a POST cannot be taken back): the
   * file's lock and a temp file beside it; the database's write privileges. Throws the store's error.
   */
  proveWritable(): Promise<void>;
  /** Delivery ids with tries recorded in this run but not saved yet. */
  unsavedIds(): string[];
  /** The next entry to send (fresh from the store), or undefined when none is left for this run. */
  next(): Promise<DlqEntry | undefined>;
  /** Records one try; saved in the background (see flush). */
  record(deliveryId: string, attempt: ReplayAttempt): void;
  /** This run is done with the entry (tried: at least one request went out). */
  release(deliveryId: string, tried: boolean): void;
  /** Saves everything recorded so far; throws when it cannot (what failed is kept for the next flush). */
  flush(): Promise<void>;
  /** Background saving while the run goes; `onError` hears about failed saves. */
  startTimer(intervalMs: number, onError: (error: unknown) => void): void;
  stopTimer(): void;
  /** Entries of the selection that other runs sent meanwhile (0 for a single-machine store). */
  takenByOthers(): number;
  /** Releases what the run still holds and ends the session; never throws (flush first). */
  close(): Promise<void>;
}

/** How a command waits for a store another run is changing (the file's lock; PostgreSQL's row and advisory locks). */
export interface WaitOptions {
  lockTimeoutMs: number;
  onLockWait?: (holder: { pid?: number | undefined }) => void;
}

/**
 * `dlq prune`: the command builds the selection, the store carries it out atomically. The removed
 * entries are appended to the archive and on disk BEFORE they leave the store, and their ids are
 * kept (tombstones) so `dlq fetch` never brings them back (README, section "lifecycle").
 */
export interface PruneRequest extends WaitOptions {
  /** Validated by the caller (buildFilter) before the store is opened. */
  filter: EntryFilter;
  now: Date;
  /** --older-than: only entries that failed strictly before this time (epoch ms); no parseable timestamp never matches. */
  failedBeforeMs?: number | undefined;
  /** Count only: nothing is locked, written or archived. */
  dryRun: boolean;
  /** Where removed entries go first, and how each becomes one archive line (JSON text, no newline). */
  archive?: { path: string; line: (entry: DlqEntry) => string } | undefined;
}

export interface PruneOutcome {
  /** Entries removed (dry run: that would be). */
  pruned: number;
  remaining: number;
  /** groupEntries of the removed entries by status code and by webhook. */
  byStatusCode: GroupCount[];
  byWebhook: GroupCount[];
}

/** `dlq resolve`: which entries (as `dlq replay` picks them: ids or prefixes, narrowed by filters) and the change. */
export interface ResolveRequest extends WaitOptions {
  /** Delivery ids or unique prefixes, resolved as resolve-ids.ts does (UsageError when unknown or ambiguous); empty: every entry. */
  ids: readonly string[];
  filter: EntryFilter;
  now: Date;
  change: ResolveChange;
}

export interface ResolveResult {
  /** Delivery ids changed, in argument order (ids) or store order (filters). */
  changed: string[];
  /** How many selected entries were already in the wanted state. */
  unchanged: number;
}

export interface DlqStore {
  /** What messages and summaries name: the file's path, or the URL without its password. */
  readonly location: string;
  /** Cheap check before network work (fetch): throws the store's exit-6 error when unusable. */
  check(): Promise<void>;
  /** `dlq list`: filter, sort, limit. */
  listEntries(query: EntryQuery): Promise<EntryPage>;
  /** `dlq list --group-by`: counts per group after the filters. */
  groupEntries(query: GroupQuery): Promise<GroupCount[]>;
  /** `dlq inspect`: one entry by full id or unique prefix (UsageError when unknown or ambiguous). */
  findEntry(id: string): Promise<DlqEntry>;
  /** Every entry, whole, in store order. `exists` is false when there is no store yet. */
  readAll(): Promise<{ entries: DlqEntry[]; exists: boolean }>;
  /**
   * `dlq fetch`: merges freshly harvested entries (unique by delivery_id) as entries/merge-entries.ts's
   * mergeEntries does: new ones added; known ones get last_seen_at = seenAt, and their webhook
   * name when they have none and the webhook id matches.
   */
  mergeEntries(fresh: readonly DlqEntry[], seenAt: string, options: MergeOptions): Promise<MergeCounts>;
  /** The harvest state (one watermark per source key, harvest-state.ts); empty when none is stored. */
  readHarvestState(): Promise<HarvestState>;
  /** Delivery ids recorded for a source key (`sourceKeyOf`): stored, or removed by `dlq prune`. */
  readRecordedIds(key: string): Promise<Set<string>>;
  /** `dlq prune` (see PruneRequest); throws the store's exit-6 error when there is no store. */
  pruneEntries(request: PruneRequest): Promise<PruneOutcome>;
  /** `dlq resolve` / `--undo` (mark-resolved.ts's rule), in one atomic change. */
  resolveEntries(request: ResolveRequest): Promise<ResolveResult>;
  /** Merges whole entries by delivery_id (entries already there are replaced). */
  putEntries(entries: readonly DlqEntry[], options: { lockTimeoutMs?: number }): Promise<PutCounts>;
  /** `dlq store copy`, the source: every entry, whole, in store order, a batch at a time; undefined when there is no store yet. */
  scan(): Promise<EntryScan | undefined>;
  /**
   * `dlq store copy`, the destination: merges whole entries by delivery_id, as putEntries, from
   * batches (`source` is called once per pass; a store may read it twice), never holding them all,
   * and reads back what it wrote to verify it.
   */
  putStream(source: () => AsyncIterable<readonly DlqEntry[]>, options: { lockTimeoutMs?: number }): Promise<StreamCounts>;
  /**
   * `dlq store migrate`: brings the store's schema up to date (stores apply missing migrations
   * whenever they are opened anyway). undefined for a store without a schema (the file).
   */
  migrate(): Promise<{ version: number; applied: number[] } | undefined>;
  /** `dlq replay` (and --dry-run): counts what a selection sends and skips. A store that does not exist yet is its exit-6 error. */
  planReplay(selection: ReplaySelection): Promise<ReplayPlan>;
  /** `dlq replay`: sends what `options.plan` (made by this store) selected. */
  replaySession(options: ReplaySessionOptions): ReplaySession;
  close(): Promise<void>;
}
