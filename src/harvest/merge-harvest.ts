/**
 * History items → new-entry shaped DlqEntries (contract §3 defaults), merged into the DLQ entries
 * by ../entries/merge-entries.ts (pure; the store does the I/O).
 */
import type { DlqEntry } from '../dlq-entry.js';
import { mergeEntries, type MergeResult } from '../entries/merge-entries.js';
import type { HistoryItem } from '../genesys/client.js';
import { deliveryIdOf } from './harvest-history.js';

export interface MergeContext {
  webhookId: string;
  webhookName?: string | undefined;
  /** ISO timestamp of this fetch. */
  seenAt: string;
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

export function mergeHarvest(
  existing: readonly DlqEntry[],
  items: readonly HistoryItem[],
  ctx: MergeContext,
  prunedIds: ReadonlySet<string> = new Set(),
): MergeResult {
  return mergeEntries(
    existing,
    items.map((item) => entryFromHistoryItem(item, ctx)),
    ctx.seenAt,
    prunedIds,
  );
}
