/**
 * The headers of a replay request: dlq's own, then the user's `--header 'Name: value'` extras.
 * Headers that describe the body or the connection, and the ones dlq computes per request
 * (idempotency, attempt counter, signature), cannot be overridden: a replay whose
 * Idempotency-Key or signature disagrees with its body would defeat their purpose.
 */
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const RESERVED = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'host',
  'keep-alive',
  'upgrade',
  'idempotency-key',
  'x-dlq-delivery-id',
  'x-dlq-attempt',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/** Names whose values are credentials: registered so no stderr line can ever show them. */
const SENSITIVE = /auth|token|key|secret|signature|cookie|session|pass|credential/i;

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * Parses one `Name: value` line. `where` names the source in errors: `--header`,
 * `receiver.headers:3`, `DLQ_REPLAY_HEADERS line 2`. Errors never quote the line or the value
 * (issue #13: header values are never printed): a line without a colon may be a bare token.
 */
export function parseHeaderLine(raw: string, where: string): [string, string] {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new UsageError(`${where}: expected 'Name: value'`);
  const name = raw.slice(0, colon).trim();
  const value = raw.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new UsageError(`${where}: not a valid header name`);
  // A CR/LF would let one header smuggle another; node:http would reject it later anyway.
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${where}: the value of '${name}' contains a line break`);
  // Checked here, before anything is sent: node:http throws on characters above U+00FF and
  // on control characters, and would send U+0080..U+00FF as single Latin-1 bytes, not the
  // UTF-8 a terminal typed. Visible ASCII, spaces and tabs only (RFC 9110 §5.5 allows more
  // as obs-text, with no agreed encoding).
  const bad = /[^\t\x20-\x7e]/.exec(value);
  if (bad) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new UsageError(
      `${where}: the value of '${name}' contains ${code}; header values must be printable ASCII (encode other text, e.g. percent-encoding)`,
    );
  }
  if (RESERVED.has(name.toLowerCase())) throw new UsageError(`${where}: '${name}' is set by dlq and cannot be overridden`);
  registerHeaderValue(name, value);
  return [name, value];
}

/** Parses the repeatable --header values. Throws UsageError naming the flag. */
export function parseHeaderFlags(values: readonly string[] | undefined): HeaderList {
  return (values ?? []).map((raw) => parseHeaderLine(raw, '--header'));
}

/**
 * Parses header lines from a file or DLQ_REPLAY_HEADERS: one `Name: value` a line, blank lines
 * and lines starting with `#` ignored. `label(n)` names line n (from 1) in errors.
 */
export function parseHeaderLines(text: string, label: (line: number) => string): HeaderList {
  const out: [string, string][] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    out.push(parseHeaderLine(line, label(index + 1)));
  });
  return out;
}

/**
 * Combines header lists, later lists winning per name (compared case-insensitively): so a
 * `--header` replaces the same header from `--header-file`, which replaces DLQ_REPLAY_HEADERS.
 */
export function mergeHeaders(...lists: HeaderList[]): HeaderList {
  const byName = new Map<string, readonly [string, string]>();
  for (const list of lists) for (const pair of list) byName.set(pair[0].toLowerCase(), pair);
  return [...byName.values()];
}

function registerHeaderValue(name: string, value: string): void {
  if (!SENSITIVE.test(name)) return;
  registerSecret(value);
  // "Bearer abc": the token alone must be hidden too.
  const parts = value.split(/\s+/);
  if (parts.length > 1) registerSecret(parts[parts.length - 1]);
}

export interface RequestHeaderInput {
  deliveryId: string;
  /** Tries across all runs, this one included (previous `replays` + 1). */
  attempt: number;
  userAgent: string;
  extra: HeaderList;
  signature?: Record<string, string>;
}

export function buildRequestHeaders(input: RequestHeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': input.userAgent,
  };
  // User extras may replace content-type and user-agent (checked case-insensitively), nothing reserved.
  for (const [name, value] of input.extra) {
    const lower = name.toLowerCase();
    if (lower in headers && (lower === 'content-type' || lower === 'user-agent')) delete headers[lower];
    headers[name] = value;
  }
  headers['idempotency-key'] = input.deliveryId;
  headers['x-dlq-delivery-id'] = input.deliveryId;
  headers['x-dlq-attempt'] = String(input.attempt);
  if (input.signature) Object.assign(headers, input.signature);
  return headers;
}
