/**
 * The `dlq list` table: one row per dead letter. Every cell passes through escapeText, since
 * status messages and webhook names come from remote systems.
 */
import type { ChalkInstance } from 'chalk';
import { replayStatusOf, type DlqEntry } from '../dlq-entry.js';
import { statusCodeOf, timestampMs } from '../entries/filters.js';
import { escapeText } from './escape-text.js';
import { formatLocalTime } from '../local-time.js';
import { renderTable, type Cell, type Column } from './table.js';

const COLUMNS: readonly Column[] = [
  { header: 'DELIVERY ID' },
  { header: 'FAILED AT' },
  { header: 'STATUS', align: 'right' },
  { header: 'WEBHOOK', maxWidth: 20 },
  { header: 'REPLAY' },
  { header: 'MESSAGE', flex: true },
];

/** Colour by status class: server errors red, client errors yellow. */
export function statusStyle(chalk: ChalkInstance, code: number | undefined): ((t: string) => string) | undefined {
  if (code === undefined) return undefined;
  if (code >= 500) return chalk.red;
  if (code >= 400) return chalk.yellow;
  if (code >= 300) return chalk.cyan;
  if (code >= 200) return chalk.green;
  return undefined;
}

export function replayStyle(chalk: ChalkInstance, status: string): ((t: string) => string) | undefined {
  if (status === 'succeeded') return chalk.green;
  if (status === 'failed') return chalk.red;
  if (status === 'resolved') return chalk.dim;
  return undefined;
}

/**
 * What the WEBHOOK column shows: the name when known (also the name other entries give the same
 * id: seven-field entries carry only the id), else the id.
 */
export function webhookLabel(entry: DlqEntry, nameById?: ReadonlyMap<string, string>): string {
  if (typeof entry.webhook_name === 'string' && entry.webhook_name !== '') return entry.webhook_name;
  if (typeof entry.webhook_id === 'string' && entry.webhook_id !== '') return nameById?.get(entry.webhook_id) ?? entry.webhook_id;
  return '-';
}

function failedAt(entry: DlqEntry): string {
  const ms = timestampMs(entry);
  if (ms !== undefined) return formatLocalTime(ms);
  return typeof entry.timestamp === 'string' ? escapeText(entry.timestamp) : '-';
}

export function renderEntryTable(
  entries: readonly DlqEntry[],
  options: { width: number; chalk: ChalkInstance; nameById?: ReadonlyMap<string, string> },
): string {
  const { chalk, nameById } = options;
  const rows: Cell[][] = entries.map((e) => {
    const code = statusCodeOf(e);
    const replay = replayStatusOf(e);
    return [
      { text: escapeText(e.delivery_id) },
      { text: failedAt(e) },
      { text: code === undefined ? '-' : String(code), style: statusStyle(chalk, code) },
      { text: escapeText(webhookLabel(e, nameById)) },
      { text: replay, style: replayStyle(chalk, replay) },
      { text: typeof e.status_message === 'string' ? escapeText(e.status_message) : '' },
    ];
  });
  return renderTable(COLUMNS, rows, { width: options.width, headerStyle: chalk.bold });
}
