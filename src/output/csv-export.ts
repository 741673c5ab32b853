/**
 * `dlq list --csv`: RFC 4180 CSV (https://www.rfc-editor.org/rfc/rfc4180) through csv-stringify,
 * never hand-written quoting: CRLF record ends, fields with a comma, a quote, CR or LF quoted, quotes
 * doubled. UTF-8 without a byte order mark (Excel users: Data → From Text/CSV, UTF-8).
 *
 * Formula injection (https://owasp.org/www-community/attacks/CSV_Injection): payloads come from
 * outside, and a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or tab / CR) as a
 * formula. By default such cells get a leading `'` (csv-stringify's `escape_formulas`);
 * `--no-formula-guard` writes them exactly as stored.
 */
import { stringify, type Options } from 'csv-stringify/sync';
import type { DlqEntry } from '../dlq-entry.js';
import type { OutStream } from '../io.js';
import { escapeText } from './escape-text.js';

export const CSV_COLUMNS = [
  'delivery_id',
  'timestamp',
  'status_code',
  'status_message',
  'webhook_id',
  'webhook_name',
  'replay_status',
  'replays',
  'first_seen_at',
  'last_seen_at',
] as const;
export const CSV_BODY_COLUMNS = ['request_body', 'response_body'] as const;

export interface CsvOptions {
  bodies: boolean;
  formulaGuard: boolean;
  /** Names for entries that carry only webhook_id (seven-field entries), as the table shows them. */
  nameById?: ReadonlyMap<string, string>;
  /** On a terminal, control characters in cells are shown escaped (as everywhere else). */
  escape: boolean;
}

/** Records per csv-stringify call: one call per row costs more than the formatting itself. */
const BATCH = 1000;

export function csvColumns(bodies: boolean): string[] {
  return bodies ? [...CSV_COLUMNS, ...CSV_BODY_COLUMNS] : [...CSV_COLUMNS];
}

function stringifyOptions(formulaGuard: boolean): Options {
  return { record_delimiter: 'windows', quote_record_delimiter: true, escape_formulas: formulaGuard };
}

/** The header row and one row per entry, written in batches. */
export function writeEntriesCsv(stream: OutStream, entries: readonly DlqEntry[], options: CsvOptions): void {
  const columns = csvColumns(options.bodies);
  stream.write(stringify([columns], stringifyOptions(false)));
  const opts = stringifyOptions(options.formulaGuard);
  for (let start = 0; start < entries.length; start += BATCH) {
    const records = entries.slice(start, start + BATCH).map((e) => columns.map((c) => cell(e, c, options)));
    stream.write(stringify(records, opts));
  }
}

/** `--group-by … --csv`: the group key and its count. */
export function writeGroupsCsv(stream: OutStream, field: string, groups: readonly { key: string | number | null; count: number }[], options: Pick<CsvOptions, 'formulaGuard' | 'escape'>): void {
  stream.write(stringify([[field, 'count']], stringifyOptions(false)));
  const show = (v: string | number | null) => (v === null ? '' : typeof v === 'string' && options.escape ? escapeText(v) : v);
  stream.write(stringify(groups.map((g) => [show(g.key), g.count]), stringifyOptions(options.formulaGuard)));
}

function cell(entry: DlqEntry, column: string, options: CsvOptions): string | number {
  let value: unknown;
  if (column === 'replays') return Array.isArray(entry.replays) ? entry.replays.length : 0;
  if (column === 'webhook_name') {
    value = entry.webhook_name;
    if ((typeof value !== 'string' || value === '') && typeof entry.webhook_id === 'string') value = options.nameById?.get(entry.webhook_id);
  } else value = entry[column];
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return options.escape ? escapeText(text) : text;
}
