/**
 * Parses an HTTP `Retry-After` header into a delay in milliseconds.
 * RFC 9110 §10.2.3 (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after): either
 * delay-seconds (a non-negative integer) or an HTTP-date. Returns undefined when the header is
 * absent or unusable, so callers fall back to exponential backoff. A date in the past means 0.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined | null, now: Date = new Date()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Some servers send fractional seconds; accept them rather than ignore the server's wish.
  if (/^\d+\.\d+$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Only accept things that look like an HTTP-date (IMF-fixdate, RFC 850 or asctime), not any Date.parse-able text.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
