/**
 * Which entries a replay run sends: the rules, run in memory by the file store (the PostgreSQL
 * store runs the same rules in SQL, store/postgres/replay-selection.ts).
 *
 * - Ids (full or unique prefix) pick entries; filters (the `dlq list` flags) pick or narrow;
 *   with neither, every entry is a candidate.
 * - Candidates that already succeeded are skipped unless --force.
 * - Resolved candidates (`dlq resolve`: handled by a person) are always skipped, --force included,
 *   unless they were named by id AND --force is given: resending one takes both.
 * - Candidates without a payload (request_body null or absent: operational events carry none,
 *   contract §5) are never sent, --force and ids included: skipped with reason "no payload".
 * - --max-replays n skips candidates that already had n failed replay RUNS (see failedReplayRuns).
 * - With --routes, candidates whose webhook has no route are skipped (`no route`).
 * - What is left is sent in --order (oldest first by default: receivers that apply state changes
 *   need "started" before "ended"), and --limit keeps the first n of that order (a canary).
 */
import { isSuccessStatus, replayStatusOf, type DlqEntry, type ReplayAttempt } from '../dlq-entry.js';
import type { ReplayOrder } from './fields.js';
import { resolveIds } from './resolve-ids.js';
import { sortEntries } from './sort-entries.js';

export interface SelectionInput {
  ids: readonly string[];
  filter: (entry: DlqEntry) => boolean;
  force: boolean;
  maxReplays: number | undefined;
  /** With --routes: entries whose webhook has no route are not sent (counted as `no route`). */
  hasRoute?: (entry: DlqEntry) => boolean;
  /** Default 'oldest'. */
  order?: ReplayOrder;
  /** At most this many of `toSend` (after ordering); undefined = all. */
  limit?: number | undefined;
}

export interface Selection {
  /** In send order. */
  toSend: DlqEntry[];
  skippedSucceeded: DlqEntry[];
  skippedMaxReplays: DlqEntry[];
  skippedResolved: DlqEntry[];
  skippedNoPayload: DlqEntry[];
  skippedNoRoute: DlqEntry[];
  /** Selected but past --limit: left for a later run, not counted as skipped. */
  beyondLimit: number;
}

/** How a skipped entry shows in `--json` results, next to the results of those sent. */
export interface SkippedResult {
  delivery_id: string;
  status: 'skipped';
  reason: 'no payload';
  http_status: null;
  attempts: 0;
  error: null;
}

/** False when there is nothing to send: request_body null (operational events) or absent. */
export function hasPayload(entry: DlqEntry): boolean {
  return entry.request_body !== null && entry.request_body !== undefined;
}

export function noPayloadResult(deliveryId: string): SkippedResult {
  return { delivery_id: deliveryId, status: 'skipped', reason: 'no payload', http_status: null, attempts: 0, error: null };
}

export function selectForReplay(entries: readonly DlqEntry[], input: SelectionInput): Selection {
  const byId = input.ids.length > 0;
  const candidates = (byId ? resolveIds(entries, input.ids) : entries).filter(input.filter);
  const selection: Selection = {
    toSend: [],
    skippedSucceeded: [],
    skippedMaxReplays: [],
    skippedResolved: [],
    skippedNoPayload: [],
    skippedNoRoute: [],
    beyondLimit: 0,
  };
  for (const entry of candidates) {
    const status = replayStatusOf(entry);
    if (status === 'resolved' && !(byId && input.force)) selection.skippedResolved.push(entry);
    else if (!hasPayload(entry)) selection.skippedNoPayload.push(entry);
    else if (!input.force && status === 'succeeded') selection.skippedSucceeded.push(entry);
    else if (input.maxReplays !== undefined && failedReplayRuns(entry) >= input.maxReplays) {
      selection.skippedMaxReplays.push(entry);
    } else if (input.hasRoute && !input.hasRoute(entry)) selection.skippedNoRoute.push(entry);
    else selection.toSend.push(entry);
  }
  const selected = selection.toSend.length;
  selection.toSend = orderForReplay(selection.toSend, input.order ?? 'oldest', input.limit);
  selection.beyondLimit = selected - selection.toSend.length;
  return selection;
}

/**
 * By `timestamp` (oldest or newest first), ties by `delivery_id`, entries without a parseable
 * timestamp last: the `dlq list` ordering on timestamp (sortEntries), ascending for 'oldest'.
 */
export function orderForReplay(entries: readonly DlqEntry[], order: ReplayOrder, limit?: number): DlqEntry[] {
  return sortEntries(entries, 'timestamp', { reverse: order === 'oldest', ...(limit === undefined ? {} : { limit }) });
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
