/**
 * The filter flags shared by `dlq list` and `dlq replay`. Every flag is validated up front (a bad
 * value is a UsageError naming the flag, before the DLQ file is even read), then compiled into one
 * predicate that does no parsing per entry except the entry's own timestamp.
 *
 * Semantics (documented in README, section list-inspect):
 * - --since / --until: inclusive bounds on `timestamp`; entries without a parseable timestamp never
 *   match a time filter. A date-only --until covers that whole (local) day.
 * - --status-code: comma list of exact codes (503) and classes (5xx, case-insensitive).
 * - --webhook: the exact `webhook_id`, or `webhook_name` compared case-insensitively (with `knownEntries`,
 *   also entries whose id another entry gives that name).
 * - --replay-status: comma list of pending|succeeded|failed (a missing status is pending).
 * - --grep: case-sensitive plain substring of request_body, response_body or status_message.
 * - --source: `events` = entries harvested from operational events (`source: "operational-event"`),
 *   `history` = every other entry (history items, seven-field files).
 */
import { isEventEntry, REPLAY_STATUSES, replayStatusOf, type DlqEntry, type ReplayStatus } from '../dlq-entry.js';
import { SOURCE_NAMES } from './fields.js';
import { UsageError } from '../errors.js';
import { parseTimeRange } from './time-flag.js';

export interface FilterFlags {
  since?: string;
  until?: string;
  statusCode?: string;
  webhook?: string;
  replayStatus?: string;
  grep?: string;
  /** `history` or `events` (SOURCE_NAMES). */
  source?: string;
}

type Predicate = (entry: DlqEntry) => boolean;

/**
 * Validates every flag (UsageError naming the flag on bad input) and returns a predicate. `now` pins relative times.
 * `knownEntries` (optional, usually the whole file) lets `--webhook <name>` also match seven-field entries, which
 * carry only the webhook id, when another entry gives that id the name.
 */
export function buildFilter(flags: FilterFlags, now: Date, knownEntries?: readonly DlqEntry[]): (entry: DlqEntry) => boolean {
  const tests: Predicate[] = [];

  const { sinceMs: since, untilMs: until } = parseTimeRange(flags, now);
  if (since !== undefined || until !== undefined) {
    const lo = since ?? -Infinity;
    const hi = until ?? Infinity;
    tests.push((e) => {
      const t = timestampMs(e);
      return t !== undefined && t >= lo && t <= hi;
    });
  }

  if (flags.statusCode !== undefined) tests.push(statusCodePredicate(flags.statusCode));

  if (flags.webhook !== undefined) {
    const wanted = flags.webhook.trim();
    if (wanted === '') throw new UsageError(`--webhook: empty name or id`);
    const wantedLower = wanted.toLowerCase();
    const nameMatches = (e: DlqEntry) => typeof e.webhook_name === 'string' && e.webhook_name.toLowerCase() === wantedLower;
    // Seven-field entries carry only webhook_id: the ids that other entries name `wanted` match too.
    const ids = new Set<string>([wanted]);
    for (const e of knownEntries ?? []) if (typeof e.webhook_id === 'string' && nameMatches(e)) ids.add(e.webhook_id);
    tests.push((e) => (typeof e.webhook_id === 'string' && ids.has(e.webhook_id)) || nameMatches(e));
  }

  if (flags.replayStatus !== undefined) {
    const wanted = parseReplayStatuses(flags.replayStatus);
    tests.push((e) => wanted.has(replayStatusOf(e)));
  }

  if (flags.grep !== undefined) {
    const needle = flags.grep;
    if (needle === '') throw new UsageError(`--grep: empty text`);
    tests.push(
      (e) =>
        (typeof e.request_body === 'string' && e.request_body.includes(needle)) ||
        (typeof e.response_body === 'string' && e.response_body.includes(needle)) ||
        (typeof e.status_message === 'string' && e.status_message.includes(needle)),
    );
  }

  if (flags.source !== undefined) {
    const wanted = flags.source.trim().toLowerCase();
    if (!(SOURCE_NAMES as readonly string[]).includes(wanted)) {
      throw new UsageError(`--source: '${flags.source.trim()}' is not one of ${SOURCE_NAMES.join(', ')}`);
    }
    const events = wanted === 'events';
    tests.push((e) => isEventEntry(e) === events);
  }

  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0] as Predicate;
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}

/** The entry's failure time in epoch ms, or undefined when missing or unparseable. */
export function timestampMs(entry: DlqEntry): number | undefined {
  if (typeof entry.timestamp !== 'string') return undefined;
  const ms = Date.parse(entry.timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The entry's status code as a number; older or hand-edited files may store it as a string. */
export function statusCodeOf(entry: DlqEntry): number | undefined {
  const code: unknown = entry.status_code;
  if (typeof code === 'number' && Number.isInteger(code)) return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code.trim())) return Number(code.trim());
  return undefined;
}

/** --replay-status's comma list, validated (shared with the PostgreSQL store's SQL). */
export function parseReplayStatuses(text: string): Set<ReplayStatus> {
  const wanted = new Set<ReplayStatus>();
  for (const raw of text.split(',')) {
    const s = raw.trim().toLowerCase();
    if (!(REPLAY_STATUSES as readonly string[]).includes(s)) {
      throw new UsageError(`--replay-status: '${raw.trim()}' is not one of ${REPLAY_STATUSES.join(', ')}`);
    }
    wanted.add(s as ReplayStatus);
  }
  return wanted;
}

/** --status-code's comma list: exact codes and classes (5 for 5xx), validated (shared with the PostgreSQL store). */
export function parseStatusCodes(text: string): { exact: Set<number>; classes: Set<number> } {
  const exact = new Set<number>();
  const classes = new Set<number>();
  for (const raw of text.split(',')) {
    const token = raw.trim().toLowerCase();
    if (/^[1-5]\d\d$/.test(token)) exact.add(Number(token));
    else if (/^[1-5]xx$/.test(token)) classes.add(Number(token[0]));
    else throw new UsageError(`--status-code: '${raw.trim()}' is not a status code or class (examples: 503, 5xx, 429,5xx)`);
  }
  return { exact, classes };
}

function statusCodePredicate(text: string): Predicate {
  const { exact, classes } = parseStatusCodes(text);
  return (e) => {
    const code = statusCodeOf(e);
    return code !== undefined && (exact.has(code) || classes.has(Math.floor(code / 100)));
  };
}
