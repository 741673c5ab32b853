/**
 * The one small interface `dlq fetch` harvests through. Each platform source is a sibling module
 * in this folder:
 *
 * - `history-source.ts`: the designed failed-delivery history of one webhook (contract §2, §3);
 * - `events-source.ts`: the operational events of a real org (contract §6).
 *
 * A source reads the platform and returns new-entry shaped DLQ entries; fetch merges them into
 * the store (entries/merge-entries.ts) and prints the summary. Naming problems (a webhook or event
 * definition that does not exist, a history the org does not offer) are thrown before anything
 * is harvested; a failure part-way comes back as `failure` together with what was harvested, so
 * it is still saved.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { DlqError, HistoryNotOfferedError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';
import type { SourceName } from '../entries/fields.js';
import type { HarvestState } from '../store/harvest-state.js';
import type { HarvestMode } from './harvest-history.js';
import type { RequestRunner } from './request-runner.js';

export interface HarvestContext {
  /** Pacing and retries shared by every request of the run. */
  runner: RequestRunner;
  /** Aborted on SIGINT/SIGTERM: stop before the next page, keep what came before. */
  signal: AbortSignal;
  /** This fetch's time (ISO): first_seen_at / last_seen_at of the entries. */
  seenAt: string;
  /** This fetch's time, pinned: relative --since/--until and the retention are measured from it. */
  now: Date;
  /** Progress, --verbose detail and warnings on stderr. */
  log: Pick<Reporter, 'progress' | 'debug' | 'warn'>;
  /**
   * The stored harvest state (watermarks), or undefined for `--full`: then the source
   * reads everything it can, whatever earlier harvests recorded.
   */
  state: HarvestState | undefined;
  /** The delivery ids recorded for a source key (webhookKey/eventDefinitionKey): stored or pruned; read on demand. */
  recorded: (key: string) => Promise<ReadonlySet<string>>;
}

/** What one harvest can vouch for, per source key (issue #11): only a `complete` one moves the key's watermark to `newest`. */
export interface SourceMark {
  key: string;
  /** No cap cut it short, no failure, no interruption, and it connected to the last watermark. */
  complete: boolean;
  /** The newest failure time this harvest saw for the key (ISO 8601), if any. */
  newest?: string;
}

export interface SourceHarvest {
  /** What was harvested, for the summary: a phrase for the text line and fields for `--json`. */
  subject: { text: string; json: Record<string, unknown> };
  /** Unique by delivery_id, newest first, ready to merge (first_seen_at = this fetch). */
  entries: DlqEntry[];
  /** Items received, duplicates included. */
  fetched: number;
  /** Items received more than once in this run. */
  duplicates: number;
  /** Pages (requests answered with items or an empty page) read. */
  pages: number;
  /** `incremental` when it stopped at what an earlier complete harvest recorded, else `full`. */
  mode: HarvestMode;
  /** Per source key, what this harvest vouches for (its watermark). */
  marks: SourceMark[];
  /** Set when the harvest stopped part-way; `entries` holds what came before. */
  failure?: Error;
}

export interface HarvestSource {
  readonly name: SourceName;
  harvest(context: HarvestContext): Promise<SourceHarvest>;
}

/**
 * Names the source in a platform error's one line (`history source: …`, `events source: …`), so
 * the user always knows which of the two they are facing. Only dlq's own errors are touched (the
 * exit code and class stay); a message that already names its source is left as it is.
 */
function attributed<E>(error: E, source: SourceName): E {
  if (error instanceof DlqError && !(error instanceof HistoryNotOfferedError) && !error.message.startsWith(`${source} source:`)) {
    error.message = `${source} source: ${error.message}`;
  }
  return error;
}

/**
 * Runs one source's harvest with its name on every platform error it ends with: thrown, or the
 * `failure` of a harvest that stopped part-way (both sources share this, see attributed).
 */
export async function harvestNamingSource(source: SourceName, read: () => Promise<SourceHarvest>): Promise<SourceHarvest> {
  try {
    const harvest = await read();
    return harvest.failure ? { ...harvest, failure: attributed(harvest.failure, source) } : harvest;
  } catch (error) {
    throw attributed(error, source);
  }
}
