/** What `dlq replay --dry-run` prints: counts grouped by status code and webhook, and the first ids. */
import { escapeText } from '../output/escape-text.js';
import type { DlqEntry } from '../dlq-entry.js';
import { statusCodeOf } from '../select/filters.js';
import type { Selection } from './select-entries.js';

export const DRY_RUN_SHOWN_IDS = 5;

export interface DryRunSummary {
  dryRun: true;
  target: string;
  total: number;
  skipped: number;
  skippedSucceeded: number;
  skippedMaxReplays: number;
  skippedResolved: number;
  /** Most frequent first (arrays, because objects would reorder numeric keys). null: no status stored. */
  byStatusCode: { status_code: number | null; count: number }[];
  byWebhook: { webhook: string; count: number }[];
  firstIds: string[];
}

export function summarizeDryRun(selection: Selection, target: string): DryRunSummary {
  const byStatusCode = new Map<number | null, number>();
  const byWebhook = new Map<string, number>();
  for (const entry of selection.toSend) {
    const code = statusCodeOf(entry) ?? null;
    byStatusCode.set(code, (byStatusCode.get(code) ?? 0) + 1);
    const hook = webhookLabel(entry);
    byWebhook.set(hook, (byWebhook.get(hook) ?? 0) + 1);
  }
  return {
    dryRun: true,
    target,
    total: selection.toSend.length,
    skipped: selection.skippedSucceeded.length + selection.skippedMaxReplays.length + selection.skippedResolved.length,
    skippedSucceeded: selection.skippedSucceeded.length,
    skippedMaxReplays: selection.skippedMaxReplays.length,
    skippedResolved: selection.skippedResolved.length,
    byStatusCode: sortByCount(byStatusCode).map(([status_code, count]) => ({ status_code, count })),
    byWebhook: sortByCount(byWebhook).map(([webhook, count]) => ({ webhook, count })),
    firstIds: selection.toSend.slice(0, DRY_RUN_SHOWN_IDS).map((e) => e.delivery_id),
  };
}

export function formatDryRun(s: DryRunSummary): string {
  const plural = s.total === 1 ? 'dead letter' : 'dead letters';
  const lines = [`dry run: would replay ${s.total} ${plural} to ${s.target}${skippedNote(s)}; nothing sent, nothing changed`];
  if (s.total > 0) {
    lines.push(`  by status code: ${s.byStatusCode.map((g) => `${g.status_code ?? 'unknown'} ×${g.count}`).join(', ')}`);
    // Names and ids come from the file: shown escaped, like everything list and inspect print.
    lines.push(`  by webhook:     ${s.byWebhook.map((g) => `${escapeText(g.webhook)} ×${g.count}`).join(', ')}`);
    const more = s.total > s.firstIds.length ? ` (and ${s.total - s.firstIds.length} more)` : '';
    lines.push(`  first ids:      ${s.firstIds.map((id) => escapeText(id)).join(', ')}${more}`);
  }
  return `${lines.join('\n')}\n`;
}

function skippedNote(s: DryRunSummary): string {
  if (s.skipped === 0) return '';
  const parts: string[] = [];
  if (s.skippedSucceeded > 0) parts.push(`${s.skippedSucceeded} already succeeded`);
  if (s.skippedMaxReplays > 0) parts.push(`${s.skippedMaxReplays} at --max-replays`);
  if (s.skippedResolved > 0) parts.push(`${s.skippedResolved} resolved`);
  return ` (${s.skipped} skipped: ${parts.join(', ')})`;
}

function webhookLabel(entry: DlqEntry): string {
  if (typeof entry.webhook_name === 'string' && entry.webhook_name !== '') return entry.webhook_name;
  if (typeof entry.webhook_id === 'string' && entry.webhook_id !== '') return entry.webhook_id;
  return 'unknown';
}

function sortByCount<K>(counts: Map<K, number>): [K, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}
