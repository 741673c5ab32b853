/**
 * Which entries a replay run sends.
 *
 * - Ids (full or unique prefix) pick entries; filters (the `dlq list` flags) pick or narrow;
 *   with neither, every entry is a candidate.
 * - Candidates that already succeeded are skipped unless --force.
 * - Resolved candidates (`dlq resolve`: handled by a person) are always skipped, --force included,
 *   unless they were named by id AND --force is given: resending one takes both.
 * - --max-replays n skips candidates that already had n failed replay RUNS (see failedReplayRuns).
 */
import { replayStatusOf, type DlqEntry, type ReplayAttempt } from '../dlq-entry.js';
import { resolveIds } from '../select/resolve-ids.js';
import { isSuccessStatus } from './retry-policy.js';

export interface SelectionInput {
  ids: readonly string[];
  filter: (entry: DlqEntry) => boolean;
  force: boolean;
  maxReplays: number | undefined;
}

export interface Selection {
  toSend: DlqEntry[];
  skippedSucceeded: DlqEntry[];
  skippedMaxReplays: DlqEntry[];
  skippedResolved: DlqEntry[];
}

export function selectForReplay(entries: readonly DlqEntry[], input: SelectionInput): Selection {
  const byId = input.ids.length > 0;
  const candidates = (byId ? resolveIds(entries, input.ids) : entries).filter(input.filter);
  const selection: Selection = { toSend: [], skippedSucceeded: [], skippedMaxReplays: [], skippedResolved: [] };
  for (const entry of candidates) {
    const status = replayStatusOf(entry);
    if (status === 'resolved' && !(byId && input.force)) selection.skippedResolved.push(entry);
    else if (!input.force && status === 'succeeded') selection.skippedSucceeded.push(entry);
    else if (input.maxReplays !== undefined && failedReplayRuns(entry) >= input.maxReplays) {
      selection.skippedMaxReplays.push(entry);
    } else selection.toSend.push(entry);
  }
  return selection;
}

/**
 * Failed replay runs of an entry. Every HTTP try is one element of `replays` and carries the
 * `run_id` of the `dlq replay` run that made it; a run failed when its last try was not a 2xx.
 * Counting runs rather than tries keeps `--max-replays 3` meaning "three nightly jobs", whatever
 * --retries is. Tries without a run_id (written by other tools) count as one run each.
 */
export function failedReplayRuns(entry: DlqEntry): number {
  const replays: readonly ReplayAttempt[] = Array.isArray(entry.replays) ? entry.replays : [];
  const lastOfRun = new Map<unknown, ReplayAttempt>();
  replays.forEach((attempt, index) => {
    const runId = typeof attempt.run_id === 'string' ? attempt.run_id : Symbol(index);
    lastOfRun.set(runId, attempt);
  });
  let failed = 0;
  for (const attempt of lastOfRun.values()) if (!isSuccessStatus(attempt.http_status)) failed++;
  return failed;
}
