/**
 * Seven-field entries carry only webhook_id: the names other entries give the same id label them
 * (the list table, --group-by webhook, the metrics, and both stores' name maps).
 */
import type { DlqEntry } from '../dlq-entry.js';

/** webhook_id → webhook_name over `entries` (last name seen wins). */
export function webhookNames(entries: readonly DlqEntry[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of entries) {
    if (typeof e.webhook_id === 'string' && typeof e.webhook_name === 'string' && e.webhook_name !== '') {
      names.set(e.webhook_id, e.webhook_name);
    }
  }
  return names;
}
