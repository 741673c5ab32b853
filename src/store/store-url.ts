/**
 * Which store a command uses: `--store <url>`, else `--file <path>`, else DLQ_STORE, else
 * DLQ_FILE, else ./dead_letter_queue.json. Flags win over the environment (as everywhere).
 *
 * - `file:<path>` (or a plain path): the JSON DLQ file, relative to the working directory;
 * - `postgres://…` / `postgresql://…`: PostgreSQL (libpq-style URL; PG* variables fill in the rest).
 *
 * A password in a PostgreSQL URL is registered as a secret (so no error line can carry it) and
 * never part of `location`, the form every message prints.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DLQ_FILE } from '../config.js';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

export type StoreSpec = { kind: 'file'; path: string } | { kind: 'postgres'; url: string; location: string };

export interface StoreFlags {
  store?: string | undefined;
  file?: string | undefined;
}

export function resolveStoreSpec(flags: StoreFlags, env: NodeJS.ProcessEnv, cwd: string): StoreSpec {
  if (flags.store !== undefined && flags.file !== undefined) throw new UsageError('--store and --file cannot be combined');
  if (flags.store !== undefined) return parseStoreUrl(flags.store, '--store', cwd);
  if (flags.file !== undefined) return { kind: 'file', path: resolve(cwd, flags.file) };
  const fromEnv = env['DLQ_STORE'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseStoreUrl(fromEnv, 'DLQ_STORE', cwd);
  const file = env['DLQ_FILE'] && env['DLQ_FILE'] !== '' ? env['DLQ_FILE'] : DEFAULT_DLQ_FILE;
  return { kind: 'file', path: resolve(cwd, file) };
}

/** `what` names the flag or variable in errors; the value itself is never quoted (it may hold a password). */
export function parseStoreUrl(text: string, what: string, cwd: string): StoreSpec {
  const value = text.trim();
  if (value === '') throw new UsageError(`${what}: empty store`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(`${what}: not a valid postgres:// URL`);
    }
    if (url.password !== '') registerSecret(decodeURIComponent(url.password));
    const queryPassword = url.searchParams.get('password');
    if (queryPassword) registerSecret(queryPassword);
    return { kind: 'postgres', url: value, location: redactStoreUrl(url) };
  }
  if (scheme === 'file') {
    const rest = value.slice('file:'.length);
    if (rest.startsWith('//')) {
      try {
        return { kind: 'file', path: fileURLToPath(value) };
      } catch (error) {
        throw new UsageError(`${what}: ${(error as Error).message}`);
      }
    }
    if (rest === '') throw new UsageError(`${what}: file: needs a path (file:dlq.json)`);
    return { kind: 'file', path: resolve(cwd, rest) };
  }
  // One letter before the colon is more likely a drive than a scheme; anything else is a typo.
  if (scheme !== undefined && scheme.length > 1) {
    throw new UsageError(`${what}: unsupported store '${scheme}:' (use file:<path> or postgres://…)`);
  }
  return { kind: 'file', path: resolve(cwd, value) };
}

/** The URL as messages show it: the password (in userinfo or the query) replaced by ***. */
export function redactStoreUrl(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password !== '') copy.password = '***';
  if (copy.searchParams.has('password')) copy.searchParams.set('password', '***');
  return copy.toString();
}
