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
  const tally = new GroupTally(field);
  tally.add(entries);
  return tally.groups(reverse);
}

/**
 * groupEntries fed a batch at a time (a store streaming millions of rows keeps only the counts):
 * `add` the entries in store order, then `groups`.
 */
export class GroupTally {
  /** Keys as groupEntries gives them, except webhook ids still waiting for a name ({ id }). */
  private readonly counts = new Map<string | number | null, number>();
  private readonly idCounts = new Map<string, number>();
  // Seven-field entries carry only webhook_id: label them with the name other entries (the last
  // one given) know for it, so one webhook does not show up as two groups.
  private readonly nameById = new Map<string, string>();

  constructor(private readonly field: GroupField) {}

  add(entries: readonly DlqEntry[]): void {
    if (this.field === 'webhook') for (const [id, name] of webhookNames(entries)) this.nameById.set(id, name);
    for (const e of entries) {
      if (this.field === 'webhook') {
        if (!(typeof e.webhook_name === 'string' && e.webhook_name !== '') && typeof e.webhook_id === 'string' && e.webhook_id !== '') {
          this.idCounts.set(e.webhook_id, (this.idCounts.get(e.webhook_id) ?? 0) + 1);
          continue;
        }
      }
      const k = this.keyOf(e);
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    }
  }

  /** `n` more entries of group `key`, counted elsewhere (a database's GROUP BY); not for webhook ids awaiting a name. */
  addCount(key: string | number | null, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** `n` more entries that carry only webhook id `id` (counted elsewhere); `groups` names them. */
  addIdCount(id: string, n: number): void {
    this.idCounts.set(id, (this.idCounts.get(id) ?? 0) + n);
  }

  /** The webhook ids counted so far that carry no name of their own. */
  idsAwaitingNames(): string[] {
    return [...this.idCounts.keys()];
  }

  /** `name` for webhook `id`, from a caller that knows the last name the entries give it. */
  nameWebhook(id: string, name: string): void {
    this.nameById.set(id, name);
  }

  private keyOf(e: DlqEntry): string | number | null {
    switch (this.field) {
      case 'status_code':
        return statusCodeOf(e) ?? null;
      case 'replay_status':
        return replayStatusOf(e);
      case 'day': {
        const ms = timestampMs(e);
        return ms === undefined ? null : formatLocalDay(ms);
      }
      case 'webhook':
        return typeof e.webhook_name === 'string' && e.webhook_name !== '' ? e.webhook_name : null;
    }
  }

  /** Sorted by count descending, ties by key ascending (missing keys last); `reverse` flips it. */
  groups(reverse = false): GroupCount[] {
    const counts = new Map(this.counts);
    for (const [id, n] of this.idCounts) {
      const k = this.nameById.get(id) ?? id;
      counts.set(k, (counts.get(k) ?? 0) + n);
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
}
