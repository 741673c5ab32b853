/**
 * Makes stored text safe to show on a terminal. Bodies and status messages come from remote
 * systems: an ESC, a C1 control (U+009B is a one-byte CSI), a carriage return or a bidi override
 * in a payload must not be able to move the cursor, recolour, retitle or visually reorder the
 * operator's terminal. Such characters are shown as visible escapes instead (`\x1b`, `\r`,
 * `\u202e`). `--body` and `--json` are the ways to get the exact stored text.
 */

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates,
// BOM, and lone surrogates (which a terminal would show as garbage).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Escapes every unsafe character. With `multiline`, newlines and tabs are kept as they are
 * (a body spread over lines stays readable); CR is still escaped since it rewrites the line.
 */
export function escapeText(text: string, options: { multiline?: boolean } = {}): string {
  if (options.multiline) return text.replace(UNSAFE, (ch) => (ch === '\n' || ch === '\t' ? ch : visible(ch)));
  return text.replace(UNSAFE, visible);
}
