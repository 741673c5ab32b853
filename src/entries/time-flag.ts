/**
 * Parses the value of --since / --until: an ISO 8601 date or date-time, or a relative age such as
 * `90m`, `24h`, `7d`, `2w`, `1h30m` meaning "now minus that". `now` is passed in so tests (and a
 * single command run) use one pinned instant for every comparison.
 */
import { parseDuration } from '../duration.js';
import { UsageError } from '../errors.js';

// The relative ages --since/--until accept (no bare numbers, no ms); parseDuration does the sum.
const RELATIVE = /^(?:\d+(?:\.\d+)?[smhdw])+$/;
// Date, optional time (with optional seconds and fraction), optional zone.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface TimeBound {
  /** The instant in epoch milliseconds. */
  ms: number;
  /** True when the user gave a calendar date without a time of day. */
  dateOnly: boolean;
}

/**
 * Returns the instant the flag names. ISO values without a zone are local time (the table shows
 * local time, so what the user reads is what they can type back). Throws UsageError naming the flag.
 */
export function parseTimeFlag(text: string, flag: string, now: Date): TimeBound {
  const value = text.trim();
  // An age, not a timer: `--since 52w` is fine past Node's timer limit.
  if (RELATIVE.test(value)) return { ms: now.getTime() - parseDuration(value, flag, { maxMs: Number.MAX_SAFE_INTEGER }), dateOnly: false };
  const m = ISO.exec(value);
  if (m) {
    const [year, month, day, hour, minute, second, fraction, zone] = [
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      m[4] === undefined ? 0 : Number(m[4]),
      m[5] === undefined ? 0 : Number(m[5]),
      m[6] === undefined ? 0 : Number(m[6]),
      m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000),
      m[8],
    ];
    const inRange =
      month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59;
    if (inRange) {
      let ms: number;
      if (zone === undefined) {
        ms = new Date(year, month - 1, day, hour, minute, second, fraction).getTime();
      } else {
        ms = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - zoneOffsetMs(zone);
      }
      if (Number.isFinite(ms)) return { ms, dateOnly: m[4] === undefined };
    }
  }
  throw new UsageError(
    `${flag}: '${text}' is not a time (ISO 8601 such as 2026-03-01 or 2026-03-01T14:00:00Z, or relative such as 90m, 24h, 7d)`,
  );
}

/**
 * The instants of a --since/--until pair (either may be absent): inclusive bounds, a date-only
 * --until meaning the end of that (local) day. UsageError when --since is after --until.
 * Shared by the list/replay filters and the events source's query interval.
 */
export function parseTimeRange(
  flags: { since?: string | undefined; until?: string | undefined },
  now: Date,
): { sinceMs: number | undefined; untilMs: number | undefined } {
  const sinceMs = flags.since === undefined ? undefined : parseTimeFlag(flags.since, '--since', now).ms;
  let untilMs: number | undefined;
  if (flags.until !== undefined) {
    const bound = parseTimeFlag(flags.until, '--until', now);
    // `--until 2026-03-01` means "up to the end of that day", not its first millisecond.
    untilMs = bound.dateOnly ? endOfLocalDay(bound.ms) : bound.ms;
  }
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) {
    throw new UsageError(`--since: '${flags.since}' is after --until '${flags.until}'`);
  }
  return { sinceMs, untilMs };
}

function endOfLocalDay(startMs: number): number {
  const d = new Date(startMs);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() - 1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}
