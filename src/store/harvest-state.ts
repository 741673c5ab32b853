/**
 * The harvest state kept with the DLQ entries (pure data and functions; the store does the I/O):
 * one **watermark** per source key (`webhookKey(id)`, `eventDefinitionKey(id)`), the newest
 * failure time seen by the last *complete* harvest of that source. An incremental harvest stops at
 * a page made only of deliveries that are recorded (stored, or removed by `dlq prune`, whose ids
 * the store keeps in pruned-ids.ts) and no newer than it (issue #11).
 *
 * Every store backend keeps it with the entries and changes both in one update (see
 * `UpdateOutcome.state` in dlq-file.ts): a watermark never gets ahead of the entries it vouches for.
 */
import type { DlqEntry } from '../dlq-entry.js';

export const HARVEST_STATE_VERSION = 1;

export interface Watermark {
  /** The newest failure timestamp (ISO 8601, as the platform sent it) of that complete harvest. */
  newest: string;
  /** When that harvest ran (ISO 8601). */
  harvestedAt: string;
}

export interface HarvestState {
  watermarks: Readonly<Record<string, Watermark>>;
}

export const EMPTY_HARVEST_STATE: HarvestState = Object.freeze({ watermarks: Object.freeze({}) });

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

/** Same content (the store writes the state only when it changed). */
export function sameHarvestState(a: HarvestState, b: HarvestState): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Parses a stored state; throws an Error naming the problem for anything that is not one (the
 * store turns it into DlqFileError: a state that cannot be trusted is not guessed at). Fields it
 * does not know are ignored.
 */
export function parseHarvestState(value: unknown): HarvestState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  const v = value as { version?: unknown; watermarks?: unknown };
  if (v.version !== HARVEST_STATE_VERSION) throw new Error(`unknown version ${JSON.stringify(v.version)} (this dlq reads version ${HARVEST_STATE_VERSION})`);
  const watermarks = objectField(v.watermarks, 'watermarks');
  for (const [key, w] of Object.entries(watermarks)) {
    const mark = w as Partial<Watermark> | null;
    if (typeof mark?.newest !== 'string' || Number.isNaN(Date.parse(mark.newest)) || typeof mark.harvestedAt !== 'string') {
      throw new Error(`watermark '${key}' needs an ISO 8601 'newest' and a 'harvestedAt'`);
    }
  }
  return { watermarks: watermarks as Record<string, Watermark> };
}

export function serializeHarvestState(state: HarvestState): string {
  return `${JSON.stringify({ version: HARVEST_STATE_VERSION, watermarks: state.watermarks }, null, 1)}\n`;
}

function objectField(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`'${name}' is not an object`);
  return value as Record<string, unknown>;
}
