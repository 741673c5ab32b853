/**
 * A replay selection made in memory (entries/select-for-replay.ts, the file store) as the store
 * interface's ReplayPlan: counts, the groups of what is sent, the first ids. The PostgreSQL store
 * makes the same plan in SQL (postgres/replay-selection.ts).
 */
import { statusCodeOf } from '../entries/filters.js';
import type { Selection } from '../entries/select-for-replay.js';
import { PLAN_FIRST_IDS, type ReplayGroup, type ReplayPlan } from './dlq-store.js';

export function planOfSelection(selection: Selection): ReplayPlan {
  const groups = new Map<string, ReplayGroup>();
  for (const entry of selection.toSend) {
    const statusCode = statusCodeOf(entry) ?? null;
    const webhook_id = typeof entry.webhook_id === 'string' ? entry.webhook_id : undefined;
    const webhook_name = typeof entry.webhook_name === 'string' ? entry.webhook_name : undefined;
    const key = JSON.stringify([statusCode, webhook_id ?? null, webhook_name ?? null]);
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { statusCode, webhook_id, webhook_name, count: 1 });
  }
  return {
    total: selection.toSend.length,
    skippedSucceeded: selection.skippedSucceeded.length,
    skippedMaxReplays: selection.skippedMaxReplays.length,
    skippedResolved: selection.skippedResolved.length,
    skippedNoRoute: selection.skippedNoRoute.length,
    skippedNoPayload: selection.skippedNoPayload.map((e) => e.delivery_id),
    beyondLimit: selection.beyondLimit,
    groups: [...groups.values()],
    firstIds: selection.toSend.slice(0, PLAN_FIRST_IDS).map((e) => e.delivery_id),
  };
}

