/**
 * Turns what the user typed (full delivery ids or unique prefixes, like git short hashes) into
 * entries. Shared by `dlq inspect` and `dlq replay`.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { UsageError } from '../errors.js';

/** How many candidates an ambiguity message names before "and N more". */
const MAX_CANDIDATES = 10;

/** Full ids or unique prefixes → entries, in argument order, de-duplicated. Unknown → UsageError `no dead letter with id 'x'`;
 *  ambiguous prefix → UsageError listing the candidates (at most ~10, then "and N more"). */
export function resolveIds(entries: readonly DlqEntry[], ids: readonly string[]): DlqEntry[] {
  // A few ids (inspect, a hand-typed replay): one scan per id beats indexing 100,000 entries.
  if (ids.length <= LINEAR_SCAN_MAX_IDS) return dedupe(ids.map((raw) => resolveByScan(entries, raw)));

  // An exact id always wins, even when it is also a prefix of a longer id.
  const byId = new Map<string, DlqEntry>();
  for (const e of entries) if (!byId.has(e.delivery_id)) byId.set(e.delivery_id, e);
  // Built only when some argument is a prefix: thousands of ids from xargs stay O(n log n).
  let sortedIds: string[] | undefined;

  const out: DlqEntry[] = [];
  for (const raw of ids) {
    const id = raw.trim();
    if (id === '') throw new UsageError(`empty delivery id`);
    let entry = byId.get(id);
    if (entry === undefined) {
      sortedIds ??= [...byId.keys()].sort();
      const matches = prefixRange(sortedIds, id);
      checkUnique(id, matches);
      entry = byId.get(matches[0] as string) as DlqEntry;
    }
    out.push(entry);
  }
  return dedupe(out);
}

/** Above this many ids, resolveIds indexes the entries once instead of scanning per id. */
const LINEAR_SCAN_MAX_IDS = 8;

function resolveByScan(entries: readonly DlqEntry[], raw: string): DlqEntry {
  const id = raw.trim();
  if (id === '') throw new UsageError(`empty delivery id`);
  const matches: DlqEntry[] = [];
  for (const e of entries) {
    if (e.delivery_id === id) return e;
    if (e.delivery_id.startsWith(id)) matches.push(e);
  }
  const ids = [...new Set(matches.map((e) => e.delivery_id))].sort();
  checkUnique(id, ids);
  return matches[0] as DlqEntry;
}

/** Throws the unknown / ambiguous UsageError unless exactly one id matched. */
function checkUnique(id: string, matches: readonly string[]): void {
  if (matches.length !== 1) throw idLookupError(id, matches.length, matches);
}

/**
 * The UsageError for an id that matched `count` entries other than one: unknown, or an ambiguous
 * prefix naming the first candidates (`sortedIds`, sorted, at least the first MAX_CANDIDATES).
 * Shared with stores that look ids up themselves.
 */
export function idLookupError(id: string, count: number, sortedIds: readonly string[]): UsageError {
  if (count === 0) return new UsageError(`no dead letter with id '${id}'`);
  const shown = sortedIds.slice(0, MAX_CANDIDATES).join(', ');
  const more = count > MAX_CANDIDATES ? ` and ${count - MAX_CANDIDATES} more` : '';
  return new UsageError(`id prefix '${id}' is ambiguous: ${count} dead letters match (${shown}${more})`);
}

export { MAX_CANDIDATES };

function dedupe(list: readonly DlqEntry[]): DlqEntry[] {
  return [...new Set(list)];
}

/** The ids in `sorted` that start with `prefix` (they are contiguous in sorted order). */
function prefixRange(sorted: readonly string[], prefix: string): string[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: string[] = [];
  for (let i = lo; i < sorted.length && (sorted[i] as string).startsWith(prefix); i++) out.push(sorted[i] as string);
  return out;
}
