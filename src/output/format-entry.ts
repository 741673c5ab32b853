/**
 * `dlq inspect`: one dead letter in full, for a human. Every field is shown (fields this version
 * does not know included, so nothing a newer writer added is hidden), bodies are pretty-printed
 * when they are JSON, and every piece of stored text is escaped (escape-text.ts): a payload must
 * not be able to drive the terminal.
 */
import type { ChalkInstance } from 'chalk';
import { isEventEntry, type DlqEntry, type ReplayAttempt } from '../dlq-entry.js';
import { statusCodeOf, timestampMs } from '../entries/filters.js';
import { replayStyle, statusStyle } from './entry-table.js';
import { escapeText } from './escape-text.js';
import { formatLocalTime } from '../local-time.js';
import { renderTable, type Cell } from './table.js';

/** Contract order (genesys-dlq-contract.md §5); bodies and replays get their own sections. */
const FIELD_ORDER = [
  'delivery_id',
  'timestamp',
  'status_code',
  'status_message',
  'webhook_id',
  'webhook_name',
  'first_seen_at',
  'last_seen_at',
  'replay_status',
];
const SECTIONS = new Set(['request_body', 'response_body', 'replays', 'event']);
const TIME_FIELDS = new Set(['timestamp', 'first_seen_at', 'last_seen_at']);

/** A field value on one line: strings as text, anything else as compact JSON; always escaped. */
function inline(value: unknown): string {
  if (typeof value === 'string') return escapeText(value);
  return escapeText(JSON.stringify(value) ?? String(value));
}

/**
 * A body for reading: JSON objects and arrays re-indented, anything else verbatim. Both escaped,
 * because JSON.stringify leaves DEL, C1 controls and bidi overrides inside strings untouched.
 */
export function formatBody(body: string): { text: string; json: boolean } {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { text: escapeText(JSON.stringify(JSON.parse(trimmed), null, 2), { multiline: true }), json: true };
    } catch {
      // Not JSON after all: show it as stored.
    }
  }
  return { text: escapeText(body, { multiline: true }), json: false };
}

/** Hides a password in a target URL's userinfo (`https://user:secret@host`). */
function safeTarget(target: unknown): string {
  if (typeof target !== 'string') return target === undefined || target === null ? '-' : inline(target);
  return escapeText(target.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, '$1***@'));
}

function renderReplays(replays: readonly ReplayAttempt[]): string {
  const rows: Cell[][] = replays.map((r) => {
    const at = typeof r.at === 'string' && !Number.isNaN(Date.parse(r.at)) ? formatLocalTime(Date.parse(r.at)) : inline(r.at ?? '-');
    return [
      { text: at },
      { text: r.http_status === null || r.http_status === undefined ? '-' : inline(r.http_status) },
      { text: typeof r.duration_ms === 'number' ? `${Math.round(r.duration_ms)} ms` : '-' },
      { text: safeTarget(r.target) },
      { text: r.error === null || r.error === undefined ? '' : inline(r.error) },
    ];
  });
  const table = renderTable(
    [
      { header: 'AT' },
      { header: 'HTTP', align: 'right' },
      { header: 'DURATION', align: 'right' },
      { header: 'TARGET' },
      { header: 'ERROR', flex: true },
    ],
    rows,
    // inspect shows everything: long errors wrap rather than being cut.
    { width: Number.MAX_SAFE_INTEGER },
  );
  return table
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `  ${l}\n`)
    .join('');
}

function isDefinition(value: unknown): value is { id: string; name: string } {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { name?: unknown }).name === 'string';
}

/**
 * The operational event as received, one field a line in the platform's own order; dates also in
 * local time, nested references (eventDefinition, conversation) as compact JSON.
 */
function formatEvent(event: unknown, chalk: ChalkInstance): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return `${chalk.bold('event')}  ${inline(event)}\n`;
  const fields = Object.entries(event as Record<string, unknown>);
  if (fields.length === 0) return `${chalk.bold('event')} ${chalk.dim('(empty)')}\n`;
  const width = Math.max(...fields.map(([k]) => escapeText(k).length));
  let out = `${chalk.bold('event')}${chalk.dim(' (operational event, as received)')}\n`;
  for (const [key, value] of fields) {
    let text = inline(value);
    if (/^date/.test(key) && typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
      text += chalk.dim(`  (${formatLocalTime(Date.parse(value))} local)`);
    }
    out += `  ${escapeText(key).padEnd(width)}  ${text}\n`;
  }
  return out;
}

export function formatEntry(entry: DlqEntry, options: { chalk: ChalkInstance }): string {
  const { chalk } = options;
  const known = FIELD_ORDER.filter((k) => Object.hasOwn(entry, k));
  const extra = Object.keys(entry).filter((k) => !FIELD_ORDER.includes(k) && !SECTIONS.has(k));
  // An operational event (contract §5, §6) carries no payload: say so rather than print "null".
  const fromEvent = isEventEntry(entry);
  const labelWidth = Math.max(...[...known, ...extra].map((k) => escapeText(k).length));

  let out = '';
  for (const key of [...known, ...extra]) {
    const value = entry[key];
    let text = inline(value);
    let style: ((t: string) => string) | undefined;
    if (TIME_FIELDS.has(key) && typeof value === 'string') {
      const ms = key === 'timestamp' ? timestampMs(entry) : Date.parse(value);
      if (ms !== undefined && !Number.isNaN(ms)) text += chalk.dim(`  (${formatLocalTime(ms)} local)`);
    } else if (key === 'status_code') {
      style = statusStyle(chalk, statusCodeOf(entry));
    } else if (key === 'replay_status' && typeof value === 'string') {
      style = replayStyle(chalk, value);
    } else if (key === 'event_definition' && isDefinition(value)) {
      text = `${escapeText(value.name)} ${chalk.dim(`(${escapeText(value.id)})`)}`;
    }
    out += `${chalk.bold(escapeText(key).padEnd(labelWidth))}  ${style ? style(text) : text}\n`;
  }

  if (Object.hasOwn(entry, 'event')) out += `\n${formatEvent(entry.event, chalk)}`;

  for (const key of ['request_body', 'response_body']) {
    if (!Object.hasOwn(entry, key)) continue;
    const value = entry[key];
    out += '\n';
    if (value === null && fromEvent) {
      out += `${chalk.bold(key)} ${chalk.dim('(none: operational events carry no payload; never replayed)')}\n`;
      continue;
    }
    if (typeof value !== 'string') {
      out += `${chalk.bold(key)}\n${inline(value)}\n`;
      continue;
    }
    if (value === '') {
      out += `${chalk.bold(key)} ${chalk.dim('(empty)')}\n`;
      continue;
    }
    const body = formatBody(value);
    out += `${chalk.bold(key)}${chalk.dim(body.json ? ' (JSON, re-indented)' : ' (as stored)')}\n${body.text}`;
    if (!body.text.endsWith('\n')) out += '\n';
  }

  if (Object.hasOwn(entry, 'replays')) {
    const replays = entry.replays;
    out += '\n';
    if (!Array.isArray(replays)) {
      out += `${chalk.bold('replays')}  ${inline(replays)}\n`;
    } else if (replays.length === 0) {
      out += `${chalk.bold('replays')} ${chalk.dim('(none)')}\n`;
    } else {
      out += `${chalk.bold(`replays (${replays.length})`)}\n${renderReplays(replays)}`;
    }
  }
  return out;
}
