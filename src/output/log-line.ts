/**
 * One stderr log line in the format `--log-format` (env DLQ_LOG_FORMAT) asks for:
 *
 * - `text` (default): the message, escaped to one line (escapeText); warnings start `warning: `,
 *   errors `dlq: `.
 * - `json`: one object per line for log shippers, `{"time", "level", "msg", …fields}` (time in
 *   ISO 8601 UTC; level debug | info | warn | error; the command's name as `command`). JSON.stringify
 *   already escapes C0 controls; C1 controls, bidi overrides and line/paragraph separators are
 *   escaped too, so a line stays one line and inert wherever it is shown.
 *
 * Either way every message and string field passes through redactSecrets first.
 */
import type { Io } from '../io.js';
import { escapeText } from './escape-text.js';
import { redactSecrets } from '../redact.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const TEXT_PREFIX: Record<LogLevel, string> = { debug: '', info: '', warn: 'warning: ', error: 'dlq: ' };

// U+007F–U+009F, LRM/RLM, bidi embeddings and overrides, isolates, line and paragraph separators.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function formatLogLine(io: Io, level: LogLevel, message: string, fields: Record<string, unknown> = {}): string {
  if (io.logFormat !== 'json') return `${TEXT_PREFIX[level]}${escapeText(redactSecrets(message, io.env))}\n`;
  const record: Record<string, unknown> = { time: io.now().toISOString(), level, msg: redactSecrets(message, io.env) };
  if (io.command !== undefined) record['command'] = io.command;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) record[key] = typeof value === 'string' ? redactSecrets(value, io.env) : value;
  }
  const json = JSON.stringify(record).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${json}\n`;
}

/** Writes one log line to stderr. */
export function log(io: Io, level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  io.stderr.write(formatLogLine(io, level, message, fields));
}

/**
 * The format for this run: `--log-format` from argv when given (read before commander parses, so
 * even its own usage errors come out in that format), else DLQ_LOG_FORMAT, else text. An invalid
 * value here is left for the caller to reject (undefined).
 */
export function logFormatFrom(argv: readonly string[], env: NodeJS.ProcessEnv): LogFormat | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg === '--log-format') value = argv[i + 1];
    else if (arg.startsWith('--log-format=')) value = arg.slice('--log-format='.length);
  }
  value ??= env['DLQ_LOG_FORMAT'] === '' ? undefined : env['DLQ_LOG_FORMAT'];
  if (value === undefined) return 'text';
  return (LOG_FORMATS as readonly string[]).includes(value) ? (value as LogFormat) : undefined;
}
