/**
 * `dlq list --group-by`: counts per group, biggest first, for triage during an outage.
 */
import { replayStatusOf, type DlqEntry } from '../dlq-entry.js';
import { formatLocalDay } from '../local-time.js';
import type { GroupField } from './fields.js';
import { statusCodeOf, timestampMs } from './filters.js';
import { webhookNames } from './webhook-names.js';

export interface GroupCount {
  /** status_code: the code (null when missing); webhook: name, else id; day: local YYYY-MM-DD; replay_status. */
  key: string | number | null;
  count: number;
}

/** Groups sorted by count descending, ties by key ascending (missing keys last); `reverse` flips it. */
export function groupEntries(entries: readonly DlqEntry[], field: GroupField, reverse = false): GroupCount[] {
  // Seven-field entries carry only webhook_id: label them with the name newer entries know for it,
  // so one webhook does not show up as two groups.
  const nameById = field === 'webhook' ? webhookNames(entries) : new Map<string, string>();
  const keyOf = (e: DlqEntry): string | number | null => {
    switch (field) {
      case 'status_code':
        return statusCodeOf(e) ?? null;
      case 'replay_status':
        return replayStatusOf(e);
      case 'day': {
        const ms = timestampMs(e);
        return ms === undefined ? null : formatLocalDay(ms);
      }
      case 'webhook': {
        if (typeof e.webhook_name === 'string' && e.webhook_name !== '') return e.webhook_name;
        if (typeof e.webhook_id === 'string' && e.webhook_id !== '') return nameById.get(e.webhook_id) ?? e.webhook_id;
        return null;
      }
    }
  };
  const counts = new Map<string | number | null, number>();
  for (const e of entries) {
    const k = keyOf(e);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const groups = [...counts].map(([key, count]) => ({ key, count }));
  groups.sort((a, b) => {
    if (a.count !== b.count) return b.count - a.count;
    if (a.key === null || b.key === null) return a.key === null ? 1 : -1;
    if (typeof a.key === 'number' && typeof b.key === 'number') return a.key - b.key;
    return String(a.key) < String(b.key) ? -1 : 1;
  });
  return reverse ? groups.reverse() : groups;
}
