/**
 * Merges harvested entries into the DLQ entries (pure: the stores do the I/O). Every source
 * (history items, operational events; harvest/) turns what it read into new-entry shaped
 * DlqEntries first.
 *
 * - Deduplicated by delivery_id against the file (the harvest already deduplicated the run).
 * - New entries are appended as the source built them (newest first): for history items the
 *   contract's defaults for missing fields, webhook_name (when known), first_seen_at /
 *   last_seen_at, replay_status "pending" and an empty replay history.
 * - Existing entries keep everything (replay state, fields this tool does not know) and get a new
 *   last_seen_at (and a webhook_name they lacked). The file's order is kept.
 * - Ids `dlq prune` removed (tombstones, store/pruned-ids.ts) are not new: an entry whose id is
 *   pruned and not in the file is skipped (counted in `pruned`), so a prune sticks however long
 *   the platform keeps listing the delivery.
 */
import type { DlqEntry } from '../dlq-entry.js';

export interface MergeResult {
  entries: DlqEntry[];
  added: number;
  updated: number;
  /** Entries skipped because `dlq prune` removed their delivery id. */
  pruned: number;
}

/**
 * Merges new-entry shaped `fresh` entries (unique by delivery_id) into `existing`; `seenAt` is this
 * fetch. Ids in `prunedIds` that the file does not hold are skipped.
 */
export function mergeEntries(
  existing: readonly DlqEntry[],
  fresh: readonly DlqEntry[],
  seenAt: string,
  prunedIds: ReadonlySet<string> = new Set(),
): MergeResult {
  const index = new Map<string, number>();
  existing.forEach((e, i) => index.set(e.delivery_id, i));
  const entries = existing.slice();
  let added = 0;
  let updated = 0;
  let pruned = 0;
  for (const entry of fresh) {
    const at = index.get(entry.delivery_id);
    if (at === undefined && prunedIds.has(entry.delivery_id)) {
      pruned += 1;
    } else if (at === undefined) {
      index.set(entry.delivery_id, entries.length);
      entries.push(entry);
      added += 1;
    } else {
      const current = entries[at] as DlqEntry;
      const next: DlqEntry = { ...current, last_seen_at: seenAt };
      // Seven-field entries carry only the webhook id: learn its name when this fetch knows it.
      if (next.webhook_name === undefined && entry.webhook_name !== undefined && next.webhook_id === entry.webhook_id) {
        next.webhook_name = entry.webhook_name;
      }
      entries[at] = next;
      updated += 1;
    }
  }
  return { entries, added, updated, pruned };
}
