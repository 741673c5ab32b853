/**
 * A cheap look at the DLQ file before `dlq fetch` spends any API quota: it exists or not, is a
 * regular readable file, and its first and last non-blank bytes are `[` and `]` (so a truncated
 * file, an object, or garbage fails fast). The full validation happens under the lock when the
 * file is read for the merge; this only avoids harvesting for a file that cannot take the result.
 */
import { open } from 'node:fs/promises';
import { DlqFileError } from '../errors.js';
import { resolveTarget } from './dlq-file.js';
import { describeFsError } from './load-dlq.js';

const PROBE_BYTES = 4096;
const isBlank = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export async function quickCheckDlqFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    // No file yet: it will be created, so its directory (or a dangling link's target directory)
    // must exist. Checked now, not after the whole harvest.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      await resolveTarget(path);
      return;
    }
    throw new DlqFileError(path, `cannot read: ${describeFsError(error)}`, { cause: error });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new DlqFileError(path, 'not a regular file');
    if (st.size === 0) return;
    const head = Buffer.alloc(Math.min(PROBE_BYTES, st.size));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(PROBE_BYTES, st.size));
    await handle.read(tail, 0, tail.length, st.size - tail.length);
    // A UTF-8 byte-order mark is accepted by the full reader, so here too.
    let first = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    while (first < head.length && isBlank(head[first] as number)) first += 1;
    // Blank as far as we looked: either an empty DLQ or something the full read will judge.
    if (first === head.length) return;
    let last = tail.length - 1;
    while (last >= 0 && isBlank(tail[last] as number)) last -= 1;
    if (head[first] !== 0x5b /* [ */) throw new DlqFileError(path, 'not a JSON array (it does not start with "[")');
    if (last < 0 || tail[last] !== 0x5d /* ] */) throw new DlqFileError(path, 'not valid JSON: it does not end with "]" (truncated?)');
  } catch (error) {
    if (error instanceof DlqFileError) throw error;
    throw new DlqFileError(path, `cannot read: ${describeFsError(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}
