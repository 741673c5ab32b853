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
import type { GroupField, SortField } from '../entries/fields.js';
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

export interface MergeCounts extends PutCounts {
  /** Harvested ids skipped because `dlq prune` removed them (tombstones). */
  pruned: number;
  /** The entries this merge added (for per-webhook counts). */
  addedEntries: DlqEntry[];
}

export interface ReplaySessionOptions {
  /** The selection, in order: the session hands out each of them at most once. */
  entries: readonly DlqEntry[];
  /** Resend entries that already succeeded (--force). */
  force: boolean;
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
  /** `dlq store copy`: merges whole entries by delivery_id (entries already there are replaced). */
  putEntries(entries: readonly DlqEntry[], options: { lockTimeoutMs?: number }): Promise<PutCounts>;
  /**
   * `dlq store migrate`: brings the store's schema up to date (stores apply missing migrations
   * whenever they are opened anyway). undefined for a store without a schema (the file).
   */
  migrate(): Promise<{ version: number; applied: number[] } | undefined>;
  /** `dlq replay`. */
  replaySession(options: ReplaySessionOptions): ReplaySession;
  close(): Promise<void>;
}
