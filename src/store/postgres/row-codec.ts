/**
 * Entries and replay tries to and from table rows, losslessly: the JSON an entry is printed as
 * (`list --json`, `inspect --json`) is the same from either store.
 *
 * A known field goes to its typed column when its value has the column's type (or is null);
 * anything else (unknown fields, a status_code stored as a string, ...) goes to `extra` (jsonb).
 * `key_order` keeps the field order. Values holding a NUL character (or a lone UTF-16 surrogate) cannot
 * be PostgreSQL text or jsonb: such an entry (or try) is kept whole as JSON text in `raw_json` (NUL escaped), its typed
 * columns then only feed the filters.
 */
import { isEventEntry, replayStatusOf, type DlqEntry, type ReplayAttempt } from '../../dlq-entry.js';
import { statusCodeOf, timestampMs } from '../../entries/filters.js';
import { sourceKeyOf } from '../harvest-state.js';

type Kind = 'text' | 'int' | 'float';

export const ENTRY_COLUMNS: readonly (readonly [string, Kind])[] = [
  ['timestamp', 'text'],
  ['status_code', 'int'],
  ['status_message', 'text'],
  ['request_body', 'text'],
  ['response_body', 'text'],
  ['webhook_id', 'text'],
  ['webhook_name', 'text'],
  ['first_seen_at', 'text'],
  ['last_seen_at', 'text'],
  ['replay_status', 'text'],
];

export const ATTEMPT_COLUMNS: readonly (readonly [string, Kind])[] = [
  ['at', 'text'],
  ['target', 'text'],
  ['http_status', 'int'],
  ['error', 'text'],
  ['duration_ms', 'float'],
  ['run_id', 'text'],
];

function fits(kind: Kind, value: unknown): boolean {
  if (value === null) return true;
  if (kind === 'text') return typeof value === 'string';
  if (kind === 'int') return Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647;
  return typeof value === 'number' && Number.isFinite(value);
}

const UNSTORABLE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;
/** For derived (filter-only) text columns of a raw entry. */
const noNul = (text: string) => text.replace(/\u0000/g, '\uFFFD');

export interface EncodedObject {
  /** Typed column values, in the order of the column list. */
  columns: unknown[];
  extra: string;
  keyOrder: string[];
  raw: string | null;
}

/** `skip`: keys kept elsewhere (delivery_id in its own column, replays in dlq_replays). */
function encodeObject(object: Record<string, unknown>, columns: readonly (readonly [string, Kind])[], skip: readonly string[]): EncodedObject {
  const json = JSON.stringify(object);
  // JSON.stringify escapes exactly NUL (as \u0000) and lone surrogates (\udXXX) among what
  // PostgreSQL text cannot hold (it would store U+FFFD instead of a lone surrogate).
  if (UNSTORABLE.test(json)) {
    // Raw: keep the whole object as JSON text; typed columns only for filtering (NUL replaced).
    const values = columns.map(([name, kind]) => {
      const v = object[name];
      if (!fits(kind, v) || v === null) return null;
      return typeof v === 'string' ? noNul(v) : v;
    });
    return { columns: values, extra: '{}', keyOrder: [], raw: json };
  }
  const known = new Map(columns);
  const extra: Record<string, unknown> = {};
  const values: unknown[] = columns.map(() => null);
  const keyOrder: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    keyOrder.push(key);
    if (skip.includes(key)) continue;
    const kind = known.get(key);
    if (kind !== undefined && fits(kind, value)) values[columns.findIndex(([n]) => n === key)] = value;
    else extra[key] = value;
  }
  return { columns: values, extra: JSON.stringify(extra), keyOrder, raw: null };
}

function decodeObject(row: Record<string, unknown>, columns: readonly (readonly [string, Kind])[], special: Record<string, unknown>): Record<string, unknown> {
  if (typeof row['raw_json'] === 'string') {
    const object = JSON.parse(row['raw_json']) as Record<string, unknown>;
    // The replays placeholder (an empty array, see encodeEntry) becomes the tries from dlq_replays.
    if ('replays' in special && Array.isArray(object['replays'])) object['replays'] = special['replays'];
    return object;
  }
  const extra = (row['extra'] ?? {}) as Record<string, unknown>;
  const known = new Set(columns.map(([n]) => n));
  const out: Record<string, unknown> = {};
  for (const key of row['key_order'] as string[]) {
    // extra first: a `replays` that is not an array stays what it was.
    if (Object.prototype.hasOwnProperty.call(extra, key)) out[key] = extra[key];
    else if (key in special) out[key] = special[key];
    else if (known.has(key)) out[key] = row[key] ?? null;
  }
  return out;
}

/** Everything an INSERT of an entry needs, typed columns and derived filter columns. */
export interface EncodedEntry extends EncodedObject {
  deliveryId: string;
  tsMs: number | null;
  statusNum: number | null;
  replayState: string;
  webhookKey: string | null;
  webhookNameLower: string | null;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  isEvent: boolean;
  sourceKey: string | null;
  replays: readonly ReplayAttempt[];
}

function timeMs(value: unknown): number | null {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? null : ms;
}

/** Sort key of `--sort webhook` (as sort-entries.ts computes it). */
export function webhookKeyOf(entry: DlqEntry): string | null {
  const name = typeof entry.webhook_name === 'string' && entry.webhook_name !== '' ? entry.webhook_name : entry.webhook_id;
  return typeof name === 'string' ? noNul(name.toLowerCase()) : null;
}

export function encodeEntry(entry: DlqEntry): EncodedEntry {
  const replays = Array.isArray(entry.replays) ? (entry.replays as ReplayAttempt[]) : [];
  // In raw form the replays live in dlq_replays too; an empty array keeps the field's place.
  const forRaw = Array.isArray(entry.replays) ? { ...entry, replays: [] } : entry;
  const encoded = encodeObject(forRaw, ENTRY_COLUMNS, Array.isArray(entry.replays) ? ['delivery_id', 'replays'] : ['delivery_id']);
  return {
    ...encoded,
    deliveryId: entry.delivery_id,
    tsMs: timestampMs(entry) ?? null,
    statusNum: statusCodeOf(entry) ?? null,
    replayState: replayStatusOf(entry),
    webhookKey: webhookKeyOf(entry),
    webhookNameLower: typeof entry.webhook_name === 'string' ? noNul(entry.webhook_name.toLowerCase()) : null,
    firstSeenMs: timeMs(entry.first_seen_at),
    lastSeenMs: timeMs(entry.last_seen_at),
    isEvent: isEventEntry(entry),
    sourceKey: sourceKeyOf(entry) ?? null,
    replays,
  };
}

/**
 * The entry of a dlq_entries row. `replays`: its tries (from dlq_replays) for a whole entry, or
 * undefined for a summary, which then leaves out the bodies and the replay history.
 */
export function decodeEntry(row: Record<string, unknown>, replays: ReplayAttempt[] | undefined): DlqEntry {
  const special: Record<string, unknown> = { delivery_id: row['delivery_id'] };
  if (replays !== undefined) special['replays'] = replays;
  const entry = decodeObject(row, ENTRY_COLUMNS, special);
  if (replays === undefined) {
    delete entry['request_body'];
    delete entry['response_body'];
    delete entry['replays'];
  }
  return entry as DlqEntry;
}

export function encodeAttempt(attempt: ReplayAttempt): EncodedObject {
  return encodeObject(attempt as Record<string, unknown>, ATTEMPT_COLUMNS, []);
}

export function decodeAttempt(row: Record<string, unknown>): ReplayAttempt {
  return decodeObject(row, ATTEMPT_COLUMNS, {}) as ReplayAttempt;
}

export const ENTRY_COLUMN_NAMES = ENTRY_COLUMNS.map(([n]) => n);
export const ATTEMPT_COLUMN_NAMES = ATTEMPT_COLUMNS.map(([n]) => n);
