/**
 * Small side files dlq owns next to its work (the `--metrics-file`): read whole, replaced
 * atomically with the store's own writer (atomic-write.ts), never a second implementation.
 */
import { promises as fsp } from 'node:fs';
import { errnoCode } from './store-fs.js';

export { writeFileAtomically } from './atomic-write.js';

/** The file's text, or undefined when there is none. Other errors are thrown. */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** True when `path` is an existing directory (for checking where a file will go before any work). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}
