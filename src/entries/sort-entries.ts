/**
 * Ordering for `dlq list`. Keys are computed once per entry (not per comparison: a timestamp is
 * parsed once, not log n times), and when only the first `limit` rows are wanted a bounded
 * selection keeps the cost O(n log limit) instead of sorting every match.
 *
 * Time fields sort newest first; the others ascending. Entries lacking the field always come
 * last, in both directions. Ties: newest timestamp first, then delivery id, so output is stable.
 */
import { replayStatusOf, type DlqEntry } from '../dlq-entry.js';
import type { SortField } from './fields.js';
import { statusCodeOf, timestampMs } from './filters.js';

const DESCENDING_BY_DEFAULT: ReadonlySet<SortField> = new Set(['timestamp', 'last_seen_at', 'first_seen_at']);

type Key = number | string | undefined;

interface Keyed {
  entry: DlqEntry;
  key: Key;
  time: number | undefined;
}

function keyOf(entry: DlqEntry, field: SortField): Key {
  switch (field) {
    case 'timestamp':
      return timestampMs(entry);
    case 'status_code':
      return statusCodeOf(entry);
    case 'delivery_id':
      return entry.delivery_id;
    case 'webhook': {
      const name = typeof entry.webhook_name === 'string' && entry.webhook_name !== '' ? entry.webhook_name : entry.webhook_id;
      return typeof name === 'string' ? name.toLowerCase() : undefined;
    }
    case 'replay_status':
      return replayStatusOf(entry);
    case 'last_seen_at':
    case 'first_seen_at': {
      const v = entry[field];
      const ms = typeof v === 'string' ? Date.parse(v) : NaN;
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
}

function compareKeys(a: Key, b: Key): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Returns the entries in display order; with `limit`, only the first `limit` of them (the caller
 * knows the total from the input length). Does not modify `entries`.
 */
export function sortEntries(
  entries: readonly DlqEntry[],
  field: SortField,
  options: { reverse?: boolean; limit?: number } = {},
): DlqEntry[] {
  const direction = (DESCENDING_BY_DEFAULT.has(field) ? -1 : 1) * (options.reverse ? -1 : 1);
  const compare = (a: Keyed, b: Keyed): number => {
    // Missing keys last regardless of direction: they are the least useful rows.
    if (a.key === undefined || b.key === undefined) {
      if (a.key !== b.key) return a.key === undefined ? 1 : -1;
    } else {
      const c = compareKeys(a.key, b.key);
      if (c !== 0) return c * direction;
    }
    if (a.time !== b.time) {
      if (a.time === undefined) return 1;
      if (b.time === undefined) return -1;
      return b.time - a.time;
    }
    return a.entry.delivery_id < b.entry.delivery_id ? -1 : a.entry.delivery_id > b.entry.delivery_id ? 1 : 0;
  };

  const keyed: Keyed[] = entries.map((entry) => {
    const time = timestampMs(entry);
    return { entry, key: field === 'timestamp' ? time : keyOf(entry, field), time };
  });

  const limit = options.limit;
  if (limit !== undefined && limit < keyed.length / 8) return topK(keyed, compare, limit).map((k) => k.entry);
  keyed.sort(compare);
  return (limit === undefined ? keyed : keyed.slice(0, limit)).map((k) => k.entry);
}

/** The `k` smallest items in order, keeping a sorted buffer of at most k (binary insertion). */
function topK<T>(items: readonly T[], compare: (a: T, b: T) => number, k: number): T[] {
  if (k <= 0) return [];
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && compare(item, best[k - 1] as T) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(best[mid] as T, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}
