/**
 * Reads a file a flag names (--header-file, --sign-secret-file, --routes and the files routes
 * name): secrets live in files so they stay out of `ps` and CI logs. Unreadable is a usage error
 * (exit 2) naming the flag, the path and the errno code, never the content.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';

export function readFlagFile(file: string, label: string, dir: string): string {
  try {
    return readFileSync(resolve(dir, file), 'utf8');
  } catch (error) {
    throw new UsageError(`${label}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}
