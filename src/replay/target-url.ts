/**
 * The replay target: `--to` or DLQ_REPLAY_URL, http or https only.
 *
 * What gets stored in `replays[].target` and printed is `redactedTarget`: the URL without its
 * userinfo (user:password, still used for the request as Basic auth by node:http) and without
 * its query string, because both commonly carry credentials (`?token=...`, `?code=...`) and the
 * DLQ file is not a secret store.
 */
import { UsageError } from '../errors.js';

export interface ReplayTarget {
  /** The URL requests go to, exactly as given (userinfo and query included). */
  url: URL;
  /** Safe to store and print: no userinfo, no query, no fragment. */
  redacted: string;
}

/** `label` names the value in errors when it is not --to (a route in the --routes file). */
export function parseTarget(flag: string | undefined, envValue: string | undefined, label = '--to'): ReplayTarget {
  const fromFlag = flag !== undefined;
  const raw = fromFlag ? flag : envValue && envValue.trim() !== '' ? envValue : undefined;
  const source = fromFlag ? label : 'DLQ_REPLAY_URL';
  if (raw === undefined) throw new UsageError('--to: no replay target (give --to <url> or set DLQ_REPLAY_URL)');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // The raw value may hold credentials: name the problem, not the value.
    throw new UsageError(`${source}: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: only http and https URLs can be replay targets (got ${url.protocol.replace(/:$/, '')})`);
  }
  if (url.hostname === '') throw new UsageError(`${source}: the URL has no host`);
  return { url, redacted: redactUrl(url) };
}

export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
