/**
 * The file backend of the store interface: the JSON DLQ file, exactly as before the interface
 * existed. It wraps dlq-file.ts (locked, atomic updates), the sidecar index (dlq-index.ts) and the
 * entries/ helpers (filter, sort, group, merge); none of their behaviour changes.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { DlqFileError } from '../errors.js';
import { mergeEntries } from '../entries/merge-entries.js';
import { webhookNames } from '../entries/webhook-names.js';
import { ResultRecorder } from './result-recorder.js';
import { buildFilter, timestampMs } from '../entries/filters.js';
import { groupEntries } from '../entries/group-entries.js';
import { resolveIds } from '../entries/resolve-ids.js';
import { sortEntries } from '../entries/sort-entries.js';
import { selectForReplay } from '../entries/select-for-replay.js';
import { planOfSelection } from './replay-plan.js';
import { noDlqFile, proveDlqWritable, readDlqFile, readHarvestState, readRecordedIds, rewriteDlqFileFrom, updateDlqFile, type LockOptions } from './dlq-file.js';
import type { HarvestState } from './harvest-state.js';
import { DlqIndexStaleError, readDlqIndex, readEntriesAt, readEntriesInBatches } from './dlq-index.js';
import type {
  DlqStore,
  EntryPage,
  EntryScan,
  EntryQuery,
  GroupQuery,
  MergeCounts,
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
  WaitOptions,
} from './dlq-store.js';
import { markResolved } from './mark-resolved.js';
import { pruneDlqFile } from './prune-dlq.js';
import { quickCheckDlqFile } from './quick-check.js';
import { UpdateReuse } from './update-reuse.js';

const REPLAY_WRITE_CHUNK_BYTES = 256 * 1024;

/** Entries per batch of a scan (`dlq store copy`). */
const SCAN_BATCH = 5000;

export class FileStore implements DlqStore {
  /** The entries each plan of this store selects, in send order (what its replay session hands out). */
  private readonly planned = new WeakMap<ReplayPlan, readonly DlqEntry[]>();
  /**
   * What planReplay read, for the replay session's first save: a replay reads every entry to
   * select from, and without this its first save (2 s in) read and parsed the whole file again
   * while requests were waiting (issue #13). Trusted only while the file keeps its identity.
   */
  private readonly reuse = new UpdateReuse();

  constructor(readonly path: string) {}

  get location(): string {
    return this.path;
  }

  async check(): Promise<void> {
    await quickCheckDlqFile(this.path);
  }

  private async loadExisting(): Promise<DlqEntry[]> {
    const loaded = await readDlqFile(this.path);
    if (!loaded.exists) throw noDlqFile(this.path);
    return loaded.entries;
  }

  async listEntries(query: EntryQuery): Promise<EntryPage> {
    // The sidecar index holds every field but the bodies and replays, so everything except --grep
    // can skip parsing the whole file; whole entries are read for the rows shown only.
    const index = query.filter.grep === undefined ? await readDlqIndex(this.path) : undefined;
    if (index !== undefined) {
      const page = selectPage(index.entries, query);
      if (!query.whole) return page;
      try {
        // A stale index shows before the first batch: then nothing was printed, so start over
        // from the file. Later (a file edited in place mid-output) it is exit 6.
        return { ...page, batches: await startedBatches(readEntriesInBatches(index, page.rows), this.path) };
      } catch (error) {
        if (!(error instanceof DlqIndexStaleError)) throw error;
      }
    }
    const page = selectPage(query.missingAsEmpty ? (await readDlqFile(this.path)).entries : await this.loadExisting(), query);
    return query.whole ? { ...page, batches: oneBatch(page.rows) } : page;
  }

  async groupEntries(query: GroupQuery): Promise<ReturnType<typeof groupEntries>> {
    const index = query.filter.grep === undefined ? await readDlqIndex(this.path) : undefined;
    const all = index?.entries ?? (await this.loadExisting());
    const matches = all.filter(buildFilter(query.filter, query.now, query.filter.webhook === undefined ? undefined : all));
    return groupEntries(matches, query.field, query.reverse);
  }

  async findEntry(id: string): Promise<DlqEntry> {
    const index = await readDlqIndex(this.path);
    if (index !== undefined) {
      const [summary] = resolveIds(index.entries, [id]);
      try {
        const [entry] = await readEntriesAt(index, [summary as DlqEntry]);
        if (entry) return entry;
      } catch (error) {
        if (!(error instanceof DlqIndexStaleError)) throw error;
      }
    }
    const [entry] = resolveIds(await this.loadExisting(), [id]);
    return entry as DlqEntry;
  }

  readAll(): Promise<{ entries: DlqEntry[]; exists: boolean }> {
    return readDlqFile(this.path);
  }

  async mergeEntries(...[fresh, seenAt, options]: Parameters<DlqStore['mergeEntries']>): Promise<MergeCounts> {
    return updateDlqFile(
      this.path,
      async ({ entries, exists, state, prunedIds }) => {
        const next = options.updateState?.(state);
        const withState = next === undefined ? {} : { state: next };
        // Nothing harvested: leave an existing file alone; create an empty one only after a clean run.
        if (fresh.length === 0 && (exists || !options.createWhenEmpty)) {
          return { entries: null, ...withState, result: { added: 0, updated: 0, pruned: 0, addedEntries: [] } };
        }
        // Deliveries `dlq prune` removed stay removed (README, section "lifecycle").
        const pruned = fresh.length > 0 && prunedIds ? await prunedIds() : undefined;
        const result = mergeEntries(entries, fresh, seenAt, pruned);
        // mergeEntries appends the new entries after the existing ones.
        const addedEntries = result.entries.slice(entries.length);
        return { entries: result.entries, ...withState, result: { added: result.added, updated: result.updated, pruned: result.pruned, addedEntries } };
      },
      lockOptions(options),
    );
  }

  readHarvestState(): Promise<HarvestState> {
    return readHarvestState(this.path);
  }

  readRecordedIds(key: string): Promise<Set<string>> {
    return readRecordedIds(this.path, key);
  }

  async pruneEntries(request: PruneRequest): Promise<PruneOutcome> {
    const select = (entries: readonly DlqEntry[]): DlqEntry[] => {
      const filter = buildFilter(request.filter, request.now, entries);
      const cutoff = request.failedBeforeMs;
      // Older than: failed strictly before the cutoff; no parseable timestamp, no match.
      return entries.filter((e) => {
        if (!filter(e)) return false;
        if (cutoff === undefined) return true;
        const t = timestampMs(e);
        return t !== undefined && t < cutoff;
      });
    };
    let removed: DlqEntry[];
    let remaining: number;
    if (request.dryRun) {
      // Read only: no lock, nothing written, no archive.
      const entries = await this.loadExisting();
      removed = select(entries);
      remaining = entries.length - removed.length;
    } else {
      const result = await pruneDlqFile(this.path, { select, archive: request.archive }, lockOptions(request));
      removed = result.removed;
      remaining = result.remaining.length;
    }
    return { pruned: removed.length, remaining, byStatusCode: groupEntries(removed, 'status_code'), byWebhook: groupEntries(removed, 'webhook') };
  }

  async resolveEntries(request: ResolveRequest): Promise<ResolveResult> {
    return updateDlqFile(
      this.path,
      ({ entries, exists }) => {
        if (!exists) throw noDlqFile(this.path);
        const filter = buildFilter(request.filter, request.now, entries);
        const targets = (request.ids.length > 0 ? resolveIds(entries, request.ids) : entries).filter(filter);
        const result = markResolved(entries, targets, request.change);
        return { entries: result.entries, result: { changed: result.changed, unchanged: result.unchanged.length } };
      },
      lockOptions(request),
    );
  }

  async putEntries(incoming: readonly DlqEntry[], options: { lockTimeoutMs?: number }): Promise<PutCounts> {
    return updateDlqFile(
      this.path,
      ({ entries }) => {
        const at = new Map<string, number>();
        entries.forEach((e, i) => at.set(e.delivery_id, i));
        const out = entries.slice();
        let added = 0;
        let updated = 0;
        for (const entry of incoming) {
          const i = at.get(entry.delivery_id);
          if (i === undefined) {
            at.set(entry.delivery_id, out.length);
            out.push(entry);
            added++;
          } else {
            out[i] = entry;
            updated++;
          }
        }
        return { entries: out, result: { added, updated } };
      },
      lockOptions(options),
    );
  }

  async scan(): Promise<EntryScan | undefined> {
    // The file is read whole (it is one JSON array); handed out in batches like any store's.
    const { entries, exists } = await readDlqFile(this.path);
    if (!exists) return undefined;
    return {
      count: entries.length,
      batches: async function* () {
        for (let start = 0; start < entries.length; start += SCAN_BATCH) yield entries.slice(start, start + SCAN_BATCH);
      },
    };
  }

  async putStream(source: () => AsyncIterable<readonly DlqEntry[]>, options: { lockTimeoutMs?: number }): Promise<StreamCounts> {
    let added = 0;
    let updated = 0;
    let copied = 0;
    await rewriteDlqFileFrom(
      this.path,
      async function* ({ entries }) {
        // Entries already there keep their place (replaced by the source's version); new ones
        // follow in source order. With entries there, a first pass finds the replacements.
        const at = new Map(entries.map((e, i) => [e.delivery_id, i]));
        if (entries.length > 0) {
          const out = entries.slice();
          for await (const batch of source()) {
            for (const entry of batch) {
              const i = at.get(entry.delivery_id);
              if (i !== undefined) out[i] = entry;
            }
          }
          for (let start = 0; start < out.length; start += SCAN_BATCH) yield out.slice(start, start + SCAN_BATCH);
        }
        for await (const batch of source()) {
          copied += batch.length;
          const fresh = batch.filter((e) => !at.has(e.delivery_id));
          added += fresh.length;
          updated += batch.length - fresh.length;
          if (fresh.length > 0) yield fresh;
        }
      },
      lockOptions(options),
    );
    // rewriteDlqFileFrom read the file back and compared every byte: all of them are there.
    return { added, updated, copied, verified: copied, missing: 0, different: 0 };
  }

  async planReplay(selection: ReplaySelection): Promise<ReplayPlan> {
    // One machine, one file: the selection is made in memory (entries/select-for-replay.ts), as
    // always, from a read that seeds the replay session's first save (this.reuse).
    const { entries, exists } = await readDlqFile(this.path, { reuse: this.reuse });
    if (!exists) throw noDlqFile(this.path);
    const hasRoute = selection.routing?.(entries);
    const chosen = selectForReplay(entries, {
      ids: selection.ids,
      // Like `dlq list`: --webhook <name> also matches seven-field entries another entry names.
      filter: buildFilter(selection.filter, selection.now, selection.filter.webhook === undefined ? undefined : entries),
      force: selection.force,
      maxReplays: selection.maxReplays,
      ...(hasRoute ? { hasRoute } : {}),
      order: selection.order,
      limit: selection.limit,
    });
    const plan = planOfSelection(chosen);
    this.planned.set(plan, chosen.toSend);
    return plan;
  }

  replaySession(options: ReplaySessionOptions): ReplaySession {
    const lockOptions: LockOptions = {
      lockTimeoutMs: options.lockTimeoutMs,
      reuse: this.reuse,
      // Saves run while requests are in flight: small chunks let responses be handled between
      // them instead of waiting out one 4 MiB chunk's serialisation (tens of ms on 10,000 entries).
      writeChunkBytes: REPLAY_WRITE_CHUNK_BYTES,
      ...(options.onLockWait ? { onLockWait: options.onLockWait } : {}),
      ...(options.fileSystem ? { fs: options.fileSystem } : {}),
    };
    const recorder = new ResultRecorder(this.path, lockOptions);
    // One machine, one file lock: the selection is this run's alone, in order.
    const entries = this.planned.get(options.plan);
    if (entries === undefined) throw new Error('replaySession: the plan was not made by this store');
    let next = 0;
    return {
      proveWritable: () => proveDlqWritable(this.path, lockOptions),
      unsavedIds: () => recorder.unsavedIds(),
      next: async () => entries[next++],
      record: (id, attempt) => recorder.record(id, attempt),
      release: () => undefined,
      flush: () => recorder.flush(),
      startTimer: (ms, onError) => recorder.startTimer(ms, onError),
      stopTimer: () => recorder.stopTimer(),
      takenByOthers: () => 0,
      // One machine: nothing is held beyond the file's lock, which every save releases.
      close: async () => undefined,
    };
  }

  async migrate(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}

/** A command's wait limit and wait callback, as the file's lock takes them. */
function lockOptions(wait: Partial<WaitOptions>): LockOptions {
  return {
    ...(wait.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: wait.lockTimeoutMs }),
    ...(wait.onLockWait ? { onLockWait: wait.onLockWait } : {}),
  };
}

/** Filters, sorts and limits `all` (whole entries, or index summaries). */
function selectPage(all: readonly DlqEntry[], query: EntryQuery): EntryPage {
  const matches = all.filter(buildFilter(query.filter, query.now, query.filter.webhook === undefined ? undefined : all));
  // Rows past the limit are never sorted into place.
  const rows = sortEntries(matches, query.sort, { reverse: query.reverse, ...(query.limit === undefined ? {} : { limit: query.limit }) });
  const result: EntryPage = { rows, matches: matches.length };
  // The id → name map costs a pass over every entry: only built when a row needs it.
  if (query.names && rows.some((e) => typeof e.webhook_name !== 'string' && typeof e.webhook_id === 'string')) {
    result.nameById = webhookNames(all);
  }
  return result;
}

async function* oneBatch(rows: DlqEntry[]): AsyncGenerator<DlqEntry[]> {
  if (rows.length > 0) yield rows;
}

/**
 * Reads the first batch now (so a stale index throws here, before any output), and returns the
 * whole stream; a stale index later is the file changed in place mid-output: exit 6.
 */
async function startedBatches(batches: AsyncGenerator<DlqEntry[]>, path: string): Promise<AsyncIterable<DlqEntry[]>> {
  const first = await batches.next();
  return (async function* () {
    try {
      if (first.done) return;
      yield first.value;
      yield* batches;
    } catch (error) {
      if (error instanceof DlqIndexStaleError) {
        throw new DlqFileError(path, 'changed in place while being listed; the output is incomplete', { cause: error });
      }
      throw error;
    } finally {
      await batches.return(undefined);
    }
  })();
}
