/**
 * THE ONLY MODULE THAT TOUCHES THE DLQ FILE. (Interface draft; hardened in issue #3.)
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DlqFileError } from '../errors.js';
import type { DlqEntry } from '../dlq-entry.js';

export interface LockOptions {
  /** How long to wait for another run's lock before LockBusyError (exit 75). Default 30 s. */
  lockTimeoutMs?: number;
  /** Called (at most once per wait) when the file is busy and we start waiting. */
  onLockWait?: (holder: { pid?: number; host?: string; since?: Date }) => void;
}

export interface LoadedDlq {
  entries: DlqEntry[];
  /** false when the file did not exist (entries is then []). */
  exists: boolean;
}

export interface UpdateOutcome<T> {
  /** The new content, or null to leave the file exactly as it is (no write at all). */
  entries: DlqEntry[] | null;
  result: T;
}

/** Reads and validates the DLQ file without taking the lock (readers never block writers). */
export async function readDlqFile(path: string): Promise<LoadedDlq> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], exists: false };
    throw new DlqFileError(path, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (text.trim() === '') return { entries: [], exists: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DlqFileError(path, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new DlqFileError(path, 'not a JSON array');
  parsed.forEach((e: unknown, i: number) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new DlqFileError(path, `entry ${i} is not an object`);
    if (typeof (e as DlqEntry).delivery_id !== 'string') throw new DlqFileError(path, `entry ${i} has no string delivery_id`);
  });
  return { entries: parsed as DlqEntry[], exists: true };
}

/**
 * Read-modify-write under the file's lock: read (validated), call `update`, write the returned
 * entries atomically (unless null), release. `update` must be pure with respect to the file.
 */
export async function updateDlqFile<T>(
  path: string,
  update: (loaded: LoadedDlq) => UpdateOutcome<T> | Promise<UpdateOutcome<T>>,
  _options: LockOptions = {},
): Promise<T> {
  const loaded = await readDlqFile(path);
  const outcome = await update(loaded);
  if (outcome.entries !== null) {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, serializeDlq(outcome.entries), { mode: 0o600 });
    await rename(tmp, path);
  }
  return outcome.result;
}

/** One entry per line inside the array: valid JSON, and grep- and diff-friendly. */
export function serializeDlq(entries: readonly DlqEntry[]): string {
  if (entries.length === 0) return '[]\n';
  return `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
}
