/**
 * `--redact <json-path>` (repeatable) and `DLQ_REDACT`: hide values inside JSON bodies in what dlq
 * prints or archives. The stored entry never changes; this works on copies.
 *
 * Paths (README, section "list-inspect"):
 * - a dot path from the body's root: `customer.email`, `items.*.card` (`*` is any key or array
 *   index at that level; a number is an array index);
 * - a bare key, no dot: `conversationId` matches that key at any depth.
 * A matching value (whatever its type, objects included) becomes "[REDACTED]".
 *
 * Applies to `request_body` and `response_body` when they hold JSON text (re-serialised compactly
 * only when something matched, otherwise left byte-for-byte), and to an operational event's
 * `event` object (contract §6). Bodies that are not JSON are left as they are and reported.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { UsageError } from '../errors.js';

export const REDACTED = '[REDACTED]';

export interface RedactRule {
  /** The path as given, for messages. */
  text: string;
  parts: string[];
  /** A bare key: matches at any depth. */
  anywhere: boolean;
}

const BODY_FIELDS = ['request_body', 'response_body'] as const;

/**
 * The rules from `--redact` flags plus the comma-separated `DLQ_REDACT` (a team's default list;
 * flags add to it). Throws UsageError naming a malformed path.
 */
export function parseRedactRules(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv): RedactRule[] {
  const fromEnv = (env['DLQ_REDACT'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const rules: RedactRule[] = [];
  const seen = new Set<string>();
  for (const [text, source] of [...fromEnv.map((p) => [p, 'DLQ_REDACT'] as const), ...(flags ?? []).map((p) => [p.trim(), '--redact'] as const)]) {
    const parts = text.split('.');
    if (text === '' || parts.some((p) => p === '')) {
      throw new UsageError(`${source}: '${text}' is not a path (examples: customer.email, items.*.card, conversationId)`);
    }
    if (seen.has(text)) continue;
    seen.add(text);
    rules.push({ text, parts, anywhere: parts.length === 1 });
  }
  return rules;
}

export interface RedactedEntry {
  entry: DlqEntry;
  /** Body fields that are not JSON and were left as they were (empty bodies are not listed). */
  notJson: string[];
}

/** A copy of `entry` with matching values replaced; `entry` itself is never modified. */
export function redactEntry(entry: DlqEntry, rules: readonly RedactRule[]): RedactedEntry {
  if (rules.length === 0) return { entry, notJson: [] };
  let out: DlqEntry | undefined;
  const notJson: string[] = [];
  for (const field of BODY_FIELDS) {
    const body = entry[field];
    if (typeof body !== 'string' || body.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      notJson.push(field);
      continue;
    }
    const redacted = redactValue(parsed, [], rules);
    if (redacted.changed) {
      out ??= { ...entry };
      out[field] = JSON.stringify(redacted.value);
    }
  }
  if (entry['event'] !== null && typeof entry['event'] === 'object') {
    const redacted = redactValue(entry['event'], [], rules);
    if (redacted.changed) {
      out ??= { ...entry };
      out['event'] = redacted.value as Record<string, unknown>;
    }
  }
  return { entry: out ?? entry, notJson };
}

function matches(rule: RedactRule, path: readonly string[]): boolean {
  if (rule.anywhere) return path.length > 0 && (rule.parts[0] === '*' || rule.parts[0] === path[path.length - 1]);
  if (rule.parts.length !== path.length) return false;
  return rule.parts.every((part, i) => part === '*' || part === path[i]);
}

function redactValue(value: unknown, path: string[], rules: readonly RedactRule[]): { value: unknown; changed: boolean } {
  if (path.length > 0 && rules.some((r) => matches(r, path))) return { value: REDACTED, changed: true };
  if (value === null || typeof value !== 'object') return { value, changed: false };
  let changed = false;
  if (Array.isArray(value)) {
    const next = value.map((item, i) => {
      const r = redactValue(item, [...path, String(i)], rules);
      changed ||= r.changed;
      return r.value;
    });
    return changed ? { value: next, changed } : { value, changed };
  }
  const next: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const r = redactValue(item, [...path, key], rules);
    changed ||= r.changed;
    // defineProperty: a "__proto__" key from JSON.parse must stay a plain key, not set the prototype.
    Object.defineProperty(next, key, { value: r.value, enumerable: true, writable: true, configurable: true });
  }
  return changed ? { value: next, changed } : { value, changed };
}

/**
 * Redacts a list for output and says (through `note`, meant for --verbose) how many bodies were
 * not JSON and so were left as they are.
 */
export function redactEntries(entries: readonly DlqEntry[], rules: readonly RedactRule[], note: (line: string) => void): DlqEntry[] {
  if (rules.length === 0) return entries as DlqEntry[];
  let skipped = 0;
  let example = '';
  const out = entries.map((e) => {
    const r = redactEntry(e, rules);
    if (r.notJson.length > 0) {
      if (skipped === 0) example = `${e.delivery_id} ${r.notJson.join(', ')}`;
      skipped += r.notJson.length;
    }
    return r.entry;
  });
  if (skipped > 0) {
    note(`--redact: ${skipped} ${skipped === 1 ? 'body is' : 'bodies are'} not JSON and ${skipped === 1 ? 'was' : 'were'} left as ${skipped === 1 ? 'it is' : 'they are'} (first: ${example})`);
  }
  return out;
}
