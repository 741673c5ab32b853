/**
 * Merges harvested history items into the DLQ entries (pure; the store does the I/O).
 *
 * - Deduplicated by delivery_id against the file (the harvest already deduplicated the run).
 * - New entries get the contract's defaults for missing fields, webhook_name (when known),
 *   first_seen_at / last_seen_at, replay_status "pending" and an empty replay history.
 * - Tombstoned deliveries (`ctx.skip`, pruned on purpose) are neither added nor touched.
 * - Existing entries keep everything (replay state, fields this tool does not know) and get a new
 *   last_seen_at. The file's order is kept; new entries are appended newest first.
 */
import type { DlqEntry } from '../dlq-entry.js';
import type { HistoryItem } from '../genesys/client.js';
import { deliveryIdOf } from './harvest-history.js';

export interface MergeContext {
  webhookId: string;
  webhookName?: string | undefined;
  /** ISO timestamp of this fetch. */
  seenAt: string;
  /** Deliveries never to add back (tombstones of entries pruned on purpose). */
  skip?: ((deliveryId: string) => boolean) | undefined;
}

export interface MergeResult {
  entries: DlqEntry[];
  added: number;
  updated: number;
}

/** Contract §3: the design documents' defaults for fields the platform left out. */
export function entryFromHistoryItem(item: HistoryItem, ctx: MergeContext): DlqEntry {
  const entry: DlqEntry = {
    delivery_id: deliveryIdOf(item),
    // A failure without a timestamp is dated when dlq first saw it, so time filters still work.
    timestamp: typeof item.timestamp === 'string' && item.timestamp !== '' ? item.timestamp : ctx.seenAt,
    status_code: typeof item.statusCode === 'number' ? item.statusCode : 500,
    status_message: typeof item.statusMessage === 'string' ? item.statusMessage : 'Unknown error',
    request_body: typeof item.requestBody === 'string' ? item.requestBody : '{}',
    response_body: typeof item.responseBody === 'string' ? item.responseBody : '{}',
    webhook_id: ctx.webhookId,
  };
  if (ctx.webhookName !== undefined) entry.webhook_name = ctx.webhookName;
  entry.first_seen_at = ctx.seenAt;
  entry.last_seen_at = ctx.seenAt;
  entry.replay_status = 'pending';
  entry.replays = [];
  return entry;
}

export function mergeHarvest(existing: readonly DlqEntry[], items: readonly HistoryItem[], ctx: MergeContext): MergeResult {
  const index = new Map<string, number>();
  existing.forEach((e, i) => index.set(e.delivery_id, i));
  const entries = existing.slice();
  let added = 0;
  let updated = 0;
  for (const item of items) {
    const id = deliveryIdOf(item);
    if (ctx.skip?.(id)) continue;
    const at = index.get(id);
    if (at === undefined) {
      index.set(id, entries.length);
      entries.push(entryFromHistoryItem(item, ctx));
      added += 1;
    } else {
      const current = entries[at] as DlqEntry;
      const next: DlqEntry = { ...current, last_seen_at: ctx.seenAt };
      if (next.webhook_name === undefined && ctx.webhookName !== undefined && next.webhook_id === ctx.webhookId) {
        next.webhook_name = ctx.webhookName;
      }
      entries[at] = next;
      updated += 1;
    }
  }
  return { entries, added, updated };
}
