/**
 * Appends bytes to a file so they are on disk when the promise resolves: every byte written (short
 * writes loop, see writeAll), fsync of the file, fsync of its directory (a new file's name must
 * survive a power loss too). On any failure the file is cut back to its old length, so an error
 * never leaves half an append behind. A crash in the middle can still leave a partial last line:
 * line-oriented files (`lines: true`) then get a newline first, so the next append starts a line
 * of its own and readers can skip the broken one.
 */
import { dirname } from 'node:path';
import { DlqFileError } from '../errors.js';
import { syncDirectory } from './atomic-write.js';
import { describeFsError } from './load-dlq.js';
import { errnoCode, nodeStoreFs, readFully, writeAll, type StoreFileHandle, type StoreFs } from './store-fs.js';

export interface AppendOptions {
  /** Permission bits when the file is created (an existing file keeps its own). */
  mode: number;
  /** Each append is whole lines: repair a missing final newline left by a crash. */
  lines: boolean;
  /** What the file is, for messages: "archive", "pruned-id list". */
  what: string;
  fs?: StoreFs;
}

/** `bytes`: one buffer, or buffers streamed in order (a store reading its rows in batches). */
export async function appendDurably(path: string, bytes: Uint8Array | AsyncIterable<Uint8Array>, options: AppendOptions): Promise<void> {
  const fs = options.fs ?? nodeStoreFs;
  const fail = (step: string, error: unknown): never => {
    const why = errnoCode(error) === 'ENOSPC' ? 'no space left on the device' : describeFsError(error);
    throw new DlqFileError(path, `${step} the ${options.what}: ${why}`, { cause: error });
  };
  let handle: StoreFileHandle | undefined;
  try {
    handle = await fs.open(path, 'a+', options.mode);
  } catch (error) {
    fail('cannot open', error);
  }
  const h = handle as StoreFileHandle;
  let size = 0;
  let written = false;
  try {
    const st = await h.stat({ bigint: true }).catch((error: unknown) => fail('cannot stat', error));
    if ((st.mode & 0o170000n) !== 0o100000n) throw new DlqFileError(path, `the ${options.what} is not a regular file`);
    size = Number(st.size);
    let prefix = '';
    if (options.lines && size > 0) {
      const last = Buffer.alloc(1);
      await readFully(h, last, size - 1).catch((error: unknown) => fail('cannot read', error));
      if (last[0] !== 0x0a) prefix = '\n';
    }
    written = true;
    let at = size;
    const write = async (data: Uint8Array) => {
      await writeAll(h, data, at).catch((error: unknown) => fail('cannot write', error));
      at += data.length;
    };
    if (prefix !== '') await write(Buffer.from(prefix));
    if (bytes instanceof Uint8Array) await write(bytes);
    else for await (const chunk of bytes) await write(chunk);
    await h.sync().catch((error: unknown) => fail('cannot flush to disk', error));
    await syncDirectory(fs, dirname(path)).catch((error: unknown) => fail('cannot flush the directory of', error));
  } catch (error) {
    // Nothing half-appended stays behind (best effort: the disk may be gone).
    if (written) await h.truncate?.(size).catch(() => undefined);
    throw error;
  } finally {
    await h.close().catch(() => undefined);
  }
}
