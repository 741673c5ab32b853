/**
 * The operational-events source (contract §6): what a real Genesys Cloud org offers for "what
 * failed" (Admin > Operational Console > Event Logs), through the typed SDK methods
 * OperationalEventsApi.getUsageEventsDefinitions and postUsageEventsQuery.
 *
 * The chosen definitions are read one after another, each newest first (sortOrder DESC) over the
 * interval, 200 events a page (the maximum), following the `after` cursor of each page's nextUri
 * until a page has none. Cursor (keyset) paging does not shift when new events arrive, so a page
 * boundary cannot drop an event. Events are kept 10 days: an earlier --since is clamped to that,
 * with a warning. Events carry no payload (entries are listed and inspected, never replayed).
 *
 * Incremental (issue #11): after a complete harvest of a definition, the next run without
 * --since/--until queries that definition only from its watermark (the newest event time that
 * harvest saw) minus EVENTS_WATERMARK_OVERLAP_MS, not the whole 10 days. A run with --since or
 * --until reads exactly what was asked and moves no watermark; --full ignores the watermarks.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { PlatformError, UsageError } from '../errors.js';
import type { EventQueryRequest, GenesysClient, OperationalEvent } from '../genesys/client.js';
import { parseTimeRange } from '../entries/time-flag.js';
import { entryFromEvent, type EventDefinitionRef } from './event-entry.js';
import { eventDefinitionKey, watermarkOf } from '../store/harvest-state.js';
import type { HarvestMode } from './harvest-history.js';
import { harvestNamingSource, type HarvestContext, type HarvestSource, type SourceHarvest, type SourceMark } from './harvest-source.js';
import { listEventDefinitions, matchEventDefinitions } from './resolve-event-definitions.js';

export const EVENTS_PAGE_SIZE = 200; // the API's maximum
/** How long the platform keeps operational events (contract §6). */
export const EVENTS_RETENTION_MS = 10 * 86_400_000;
/**
 * How far before a definition's watermark an incremental query starts: a margin for events that
 * become queryable a while after their dateCreated (indexing lag), so one created just before the
 * last run but indexed after it is still found. Events in the overlap are read again and merged by
 * their stable delivery id, so the overlap costs a few duplicates, never an entry twice.
 */
export const EVENTS_WATERMARK_OVERLAP_MS = 60 * 60_000;

export interface EventsInterval {
  startMs: number;
  endMs: number;
  /** --since or --until was given: read exactly that, incrementally never. */
  bounded?: boolean;
  /** The --since the user asked for, when it reached past the retention and was clamped. */
  clampedFromMs?: number;
}

/**
 * The query interval for --since/--until (the forms of `dlq list`; a date-only --until covers that
 * day): by default the whole retention up to now. UsageError naming the flag on bad input.
 */
export function eventsInterval(flags: { since?: string | undefined; until?: string | undefined }, now: Date): EventsInterval {
  const range = parseTimeRange(flags, now);
  const nowMs = now.getTime();
  const retentionStart = nowMs - EVENTS_RETENTION_MS;
  const endMs = Math.min(range.untilMs ?? nowMs, nowMs);
  if (endMs < retentionStart) {
    throw new UsageError(`--until: '${flags.until}' is before the 10-day retention of operational events: nothing can be there`);
  }
  if (range.sinceMs !== undefined && range.sinceMs > nowMs) throw new UsageError(`--since: '${flags.since}' is in the future`);
  const bounded = range.sinceMs !== undefined || range.untilMs !== undefined;
  if (range.sinceMs !== undefined && range.sinceMs < retentionStart) {
    return { startMs: retentionStart, endMs, clampedFromMs: range.sinceMs, bounded };
  }
  return { startMs: range.sinceMs ?? retentionStart, endMs, bounded };
}

export interface EventsSourceOptions {
  /** Definition names (case-insensitive) or ids, as given. */
  definitions: readonly string[];
  interval: EventsInterval;
  /** Passed through as the query's searchTerm. */
  search: string | undefined;
  maxItems: number | undefined;
}

export class EventsSource implements HarvestSource {
  readonly name = 'events' as const;

  constructor(
    private readonly client: Pick<GenesysClient, 'eventDefinitions' | 'queryEvents'>,
    private readonly options: EventsSourceOptions,
  ) {}

  harvest(context: HarvestContext): Promise<SourceHarvest> {
    return harvestNamingSource(this.name, () => this.read(context));
  }

  private async read(context: HarvestContext): Promise<SourceHarvest> {
    const { runner, log, signal } = context;
    const { interval } = this.options;
    if (interval.clampedFromMs !== undefined) {
      log.warn(
        `events source: --since ${new Date(interval.clampedFromMs).toISOString()} is before the 10-day retention of operational events; ` +
          `querying from ${new Date(interval.startMs).toISOString()}`,
      );
    }
    log.progress('events: reading the operational-event definitions', false);
    const definitions = matchEventDefinitions(this.options.definitions, await listEventDefinitions(this.client, runner));
    const intervalText = `${new Date(interval.startMs).toISOString()}/${new Date(interval.endMs).toISOString()}`;
    log.debug(`events: definitions ${definitions.map((d) => `'${d.name}' (${d.id})`).join(', ')}; interval ${intervalText}`);

    const limit = this.options.maxItems ?? Number.POSITIVE_INFINITY;
    const byId = new Map<string, DlqEntry>();
    let fetched = 0;
    let pages = 0;
    let failure: Error | undefined;
    let mode: HarvestMode = 'full';
    const marks: SourceMark[] = [];
    try {
      for (const definition of definitions) {
        const key = eventDefinitionKey(definition.id);
        const mark = context.state && !interval.bounded ? watermarkOf(context.state, key) : undefined;
        const startMs = mark ? Math.max(interval.startMs, Date.parse(mark.newest) - EVENTS_WATERMARK_OVERLAP_MS) : interval.startMs;
        const queried = `${new Date(startMs).toISOString()}/${new Date(interval.endMs).toISOString()}`;
        if (mark) {
          mode = 'incremental';
          log.debug(`events: '${definition.name}' incremental from its watermark ${mark.newest} minus 1h: ${queried} (--full reads the 10 days)`);
        }
        const seenBefore = byId.size;
        let finished = false;
        const body: EventQueryRequest = {
          interval: queried,
          eventDefinitionIds: [definition.id],
          sortOrder: 'DESC',
          ...(this.options.search !== undefined ? { searchTerm: this.options.search } : {}),
        };
        const cursors = new Set<string>();
        let after: string | undefined;
        for (let page = 1; byId.size < limit; page += 1) {
          signal.throwIfAborted();
          const operation = `events query '${definition.name}' page ${page}`;
          const res = await runner.run(operation, () => this.client.queryEvents({ after, pageSize: EVENTS_PAGE_SIZE, body }, operation));
          pages += 1;
          const events: unknown[] = Array.isArray(res.body.entities) ? res.body.entities : [];
          for (const event of events) {
            if (typeof event !== 'object' || event === null) continue;
            fetched += 1;
            const entry = entryFromEvent(event as OperationalEvent, definition, context.seenAt);
            if (!byId.has(entry.delivery_id)) byId.set(entry.delivery_id, entry);
          }
          log.progress(`events: ${byId.size} operational events (${definition.name}, page ${page})`, false);
          log.debug(`events page ${page} of '${definition.name}': ${events.length} events; ${res.body.nextUri ? 'more follow' : 'last page'}`);
          const next = cursorOf(res.body.nextUri);
          if (next === undefined || events.length === 0) {
            finished = true;
            break;
          }
          if (cursors.has(next)) throw new PlatformError(`${operation}: the platform sent the same cursor twice (nextUri ${res.body.nextUri})`);
          cursors.add(next);
          after = next;
        }
        // Complete: every page read, nothing cut by --max-items, the whole 10 days or from the watermark.
        const complete = finished && byId.size <= limit && !interval.bounded;
        const newest = [...byId.values()].slice(seenBefore).reduce<string | undefined>((best, e) => newer(e.timestamp, best), undefined);
        marks.push({ key, complete, ...(newest !== undefined ? { newest } : {}) });
        if (byId.size >= limit) break;
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }

    const entries = newestFirst([...byId.values()]).slice(0, limit);
    const names = definitions.map((d) => `'${d.name}'`).join(', ');
    return {
      subject: {
        text: `operational events of ${names} (${intervalText})`,
        json: { eventDefinitions: definitions, interval: intervalText },
      },
      entries,
      fetched,
      duplicates: fetched - byId.size,
      pages,
      mode,
      marks,
      ...(failure ? { failure } : {}),
    };
  }
}

/** The `after` cursor of a nextUri (`/api/v2/usage/events/query?pageSize=200&after=…`); undefined: no next page. */
export function cursorOf(nextUri: unknown): string | undefined {
  if (typeof nextUri !== 'string' || nextUri === '') return undefined;
  let after: string | null;
  try {
    after = new URL(nextUri, 'https://api.invalid').searchParams.get('after');
  } catch {
    return undefined;
  }
  return after !== null && after !== '' ? after : undefined;
}

/** The newer of two ISO timestamps (an unparsable one never wins). */
function newer(candidate: unknown, best: string | undefined): string | undefined {
  if (typeof candidate !== 'string' || Number.isNaN(Date.parse(candidate))) return best;
  return best === undefined || Date.parse(candidate) > Date.parse(best) ? candidate : best;
}

/** Newest first by timestamp (stable: events of equal time keep the order they came in). */
function newestFirst(entries: DlqEntry[]): DlqEntry[] {
  const time = (e: DlqEntry) => {
    const ms = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : Number.NaN;
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  return entries
    .map((entry, order) => ({ entry, order, ms: time(entry) }))
    .sort((a, b) => b.ms - a.ms || a.order - b.order)
    .map((x) => x.entry);
}
