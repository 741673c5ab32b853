/**
 * The harvest state kept with the DLQ entries (pure data and functions; the store does the I/O):
 *
 * - **Watermarks**, one per source key (`webhookKey(id)`, `eventDefinitionKey(id)`): the newest
 *   failure time seen by the last *complete* harvest of that source. An incremental harvest stops
 *   at a page made only of deliveries that are recorded and older than it (issue #11).
 * - **Tombstones**: delivery ids removed on purpose (`dlq prune`). A harvest never adds them back,
 *   not even a `--full` one or one that goes deeper after a capped run.
 *
 * Every store backend keeps it with the entries and changes both in one update (see
 * `UpdateOutcome.state` in dlq-file.ts): a watermark never gets ahead of the entries it vouches
 * for, and a tombstone is never behind the removal it records.
 */
import type { DlqEntry } from '../dlq-entry.js';

export const HARVEST_STATE_VERSION = 1;

export interface Watermark {
  /** The newest failure timestamp (ISO 8601, as the platform sent it) of that complete harvest. */
  newest: string;
  /** When that harvest ran (ISO 8601). */
  harvestedAt: string;
}

export interface Tombstone {
  /** When it was removed (ISO 8601). */
  removedAt: string;
  /** The source key (webhookKey/eventDefinitionKey) of the removed entry, when known. */
  source?: string;
  /** The failure time of the removed entry, when known. */
  timestamp?: string;
}

export interface HarvestState {
  watermarks: Readonly<Record<string, Watermark>>;
  tombstones: Readonly<Record<string, Tombstone>>;
}

export const EMPTY_HARVEST_STATE: HarvestState = Object.freeze({ watermarks: Object.freeze({}), tombstones: Object.freeze({}) });

export function webhookKey(webhookId: string): string {
  return `webhook:${webhookId}`;
}

export function eventDefinitionKey(definitionId: string): string {
  return `event-definition:${definitionId}`;
}

/** The source key an entry was harvested from (history entries by webhook, events by definition). */
export function sourceKeyOf(entry: DlqEntry): string | undefined {
  const definition = entry['event_definition'] as { id?: unknown } | undefined;
  if (entry['source'] === 'operational-event' && typeof definition?.id === 'string') return eventDefinitionKey(definition.id);
  return typeof entry.webhook_id === 'string' ? webhookKey(entry.webhook_id) : undefined;
}

export function watermarkOf(state: HarvestState, key: string): Watermark | undefined {
  return Object.hasOwn(state.watermarks, key) ? state.watermarks[key] : undefined;
}

/**
 * The state after a complete harvest of `key` whose newest failure was `newest`: the watermark
 * moves forward (never back: a later complete harvest that saw less still vouches for as much).
 */
export function withWatermark(state: HarvestState, key: string, newest: string, harvestedAt: string): HarvestState {
  const current = watermarkOf(state, key);
  const keep = current !== undefined && !(Date.parse(newest) > Date.parse(current.newest));
  return { ...state, watermarks: { ...state.watermarks, [key]: { newest: keep ? current.newest : newest, harvestedAt } } };
}

export function isTombstoned(state: HarvestState, deliveryId: string): boolean {
  return Object.hasOwn(state.tombstones, deliveryId);
}

/** The state with `entries` recorded as removed on purpose (for `dlq prune`). */
export function withTombstones(state: HarvestState, entries: readonly DlqEntry[], removedAt: string): HarvestState {
  if (entries.length === 0) return state;
  const tombstones: Record<string, Tombstone> = { ...state.tombstones };
  for (const entry of entries) {
    const source = sourceKeyOf(entry);
    tombstones[entry.delivery_id] = {
      removedAt,
      ...(source !== undefined ? { source } : {}),
      ...(typeof entry.timestamp === 'string' ? { timestamp: entry.timestamp } : {}),
    };
  }
  return { ...state, tombstones };
}

/**
 * After a complete full pass over `key`: tombstones of that source whose delivery the pass did not
 * see are gone from the platform (retention) and can never come back, so they are dropped.
 */
export function withoutExpiredTombstones(state: HarvestState, key: string, seen: (deliveryId: string) => boolean): HarvestState {
  let tombstones: Record<string, Tombstone> | undefined;
  for (const [id, tombstone] of Object.entries(state.tombstones)) {
    if (tombstone.source !== key || seen(id)) continue;
    tombstones ??= { ...state.tombstones };
    delete tombstones[id];
  }
  return tombstones ? { ...state, tombstones } : state;
}

/** Same content (the store writes the state only when it changed). */
export function sameHarvestState(a: HarvestState, b: HarvestState): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Parses a stored state; throws an Error naming the problem for anything that is not one (the
 * store turns it into DlqFileError: a state that cannot be trusted must not be guessed at, since
 * ignoring it would let pruned deliveries come back).
 */
export function parseHarvestState(value: unknown): HarvestState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  const v = value as { version?: unknown; watermarks?: unknown; tombstones?: unknown };
  if (v.version !== HARVEST_STATE_VERSION) throw new Error(`unknown version ${JSON.stringify(v.version)} (this dlq reads version ${HARVEST_STATE_VERSION})`);
  const watermarks = objectField(v.watermarks, 'watermarks');
  const tombstones = objectField(v.tombstones, 'tombstones');
  for (const [key, w] of Object.entries(watermarks)) {
    const mark = w as Partial<Watermark> | null;
    if (typeof mark?.newest !== 'string' || Number.isNaN(Date.parse(mark.newest)) || typeof mark.harvestedAt !== 'string') {
      throw new Error(`watermark '${key}' needs an ISO 8601 'newest' and a 'harvestedAt'`);
    }
  }
  for (const [id, t] of Object.entries(tombstones)) {
    if (typeof (t as Partial<Tombstone> | null)?.removedAt !== 'string') throw new Error(`tombstone '${id}' needs a 'removedAt'`);
  }
  return { watermarks: watermarks as Record<string, Watermark>, tombstones: tombstones as Record<string, Tombstone> };
}

export function serializeHarvestState(state: HarvestState): string {
  return `${JSON.stringify({ version: HARVEST_STATE_VERSION, watermarks: state.watermarks, tombstones: state.tombstones }, null, 1)}\n`;
}

function objectField(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`'${name}' is not an object`);
  return value as Record<string, unknown>;
}
