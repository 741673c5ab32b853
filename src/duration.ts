import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The longest delay Node's timers take: 2^31-1 ms (about 24.8 days). Longer ones fire at once
 * with a TimeoutOverflowWarning (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args),
 * so `--timeout 25d` would fail every try instantly. Every duration flag becomes a timer
 * somewhere (a request timeout, a lock wait, a rate-limit budget), so all of them stop here.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses a duration such as `500ms`, `30s`, `10m`, `1h30m`, `7d` or a bare number of seconds
 * into milliseconds. Throws UsageError naming the flag on anything else, and on durations above
 * `maxMs` (default MAX_TIMER_MS; ages such as `--since 52w` are not timers and pass their own).
 */
export function parseDuration(text: string, flag = 'duration', { maxMs = MAX_TIMER_MS } = {}): number {
  const ms = parseDurationMs(text, flag);
  if (ms > maxMs) {
    throw new UsageError(`${flag}: '${text.trim()}' is too long (at most ${formatLimit(maxMs)})`);
  }
  return ms;
}

function formatLimit(ms: number): string {
  return ms === MAX_TIMER_MS ? '24d20h31m23s, the longest timer Node supports' : `${ms}ms`;
}

function parseDurationMs(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (trimmed === '' || matched !== trimmed.length) {
    throw new UsageError(`${flag}: '${text}' is not a duration (examples: 500ms, 30s, 10m, 1h30m, 7d)`);
  }
  return Math.round(total);
}

/** Parses a positive integer flag value. */
export function parsePositiveInt(text: string, flag: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: '${text}' is not a whole number`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`${flag}: ${n} is out of range (${min}..${max})`);
  return n;
}
