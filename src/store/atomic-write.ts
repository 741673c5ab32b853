/**
 * Replaces a file atomically, so a crash, a kill -9 or a full disk leaves either the old file or
 * the complete new one, never a mix: temp file in the same directory (`<name>.<random>.tmp`,
 * created 0600 and then given the target's mode), every byte written with each fs.write's byte
 * count checked (short writes loop), fsync, rename, fsync of the directory. On any failure the
 * temp file is removed and the target is untouched.
 *
 * Not write-file-atomic: its versions 7 and 8 issue a single fs.write and ignore the byte count it
 * returns, so on a full disk a short write "succeeds" and a truncated file is renamed over the good
 * one; it also needs the whole content as one string or Buffer, impossible for a DLQ file past
 * V8's maximum string length (~512 MiB).
 */
import { dirname } from 'node:path';
import { DlqFileError, isDlqError } from '../errors.js';
import { tempPathFor } from './file-lock.js';
import { describeFsError } from './load-dlq.js';
import { errnoCode, nodeStoreFs, writeAll, type StoreFileHandle, type StoreFs } from './store-fs.js';

export interface AtomicWriteOptions {
  /** Permission bits of the new file (the existing file's, or 0o600 for a new one). */
  mode: number;
  /** Owner to keep when root rewrites someone else's file (best effort). */
  uid?: number | undefined;
  gid?: number | undefined;
  fs?: StoreFs;
  /**
   * Runs after the temp file is complete and on disk, right before the rename; throwing aborts
   * the write (the lock check and the "file replaced meanwhile" check live here).
   */
  beforeRename?: () => Promise<void>;
  /**
   * false skips the fsyncs (still atomic against other processes, not against power loss): for
   * derived caches such as the sidecar index, which is checked against the file on every use.
   */
  durable?: boolean;
}

class WriteStepError extends Error {
  constructor(
    readonly step: string,
    readonly original: unknown,
  ) {
    super(step);
  }
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new WriteStepError(name, error);
  }
}

/** `chunks` may be async (a store streaming its rows); a source that throws leaves the target untouched too. */
export async function atomicWrite(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: AtomicWriteOptions): Promise<void> {
  const fs = options.fs ?? nodeStoreFs;
  const temp = tempPathFor(target);
  let handle: StoreFileHandle | undefined;
  let renamed = false;
  let source: Iterator<Uint8Array> | AsyncIterator<Uint8Array> | undefined;
  try {
    handle = await step('cannot create a temp file', () => fs.open(temp, 'wx', 0o600));
    const h = handle;
    // Exact mode despite the umask; never more than the target's (it IS the target's).
    await step('cannot set the temp file mode', () => h.chmod(options.mode & 0o777));
    if (options.uid !== undefined && options.gid !== undefined && process.getuid?.() === 0) {
      await h.chown(options.uid, options.gid).catch(() => undefined);
    }
    // Pipelined: the next chunk is serialised while the previous one is being written, so the
    // CPU work and the disk work overlap (the chunks must be distinct buffers, see
    // serializeDlqChunks). Writes still go out one at a time, in order.
    let position = 0;
    let inFlight: Promise<number> | undefined;
    const iterator = (source = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]());
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        await inFlight?.catch(() => undefined);
        // An async source (a database) reports its own errors; a serialiser's are wrapped.
        if (Symbol.asyncIterator in chunks || isDlqError(error)) throw error;
        throw new WriteStepError('cannot serialise the entries', error);
      }
      if (inFlight) await inFlight;
      if (next.done) break;
      const chunk = next.value;
      const at = position;
      position += chunk.length;
      inFlight = step('cannot write', () => writeAll(h, chunk, at));
      // Awaited on the next turn; until then a rejection must not count as unhandled.
      inFlight.catch(() => undefined);
    }
    if (options.durable !== false) await step('cannot flush to disk', () => h.sync());
    handle = undefined;
    await step('cannot close the temp file', () => h.close());
    if (options.beforeRename) await options.beforeRename();
    await step('cannot replace the file', () => fs.rename(temp, target));
    renamed = true;
    if (options.durable !== false) {
      await step('replaced the file but cannot flush its directory', () => syncDirectory(fs, dirname(target)));
    }
  } catch (error) {
    // A source left unfinished is told to stop (a database cursor is closed).
    try {
      await source?.return?.();
    } catch {
      // it already failed
    }
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
    if (error instanceof WriteStepError) {
      const code = errnoCode(error.original);
      const why = code === 'ENOSPC' ? 'no space left on the device' : describeFsError(error.original);
      throw new DlqFileError(
        target,
        `${error.step}: ${why}${renamed ? '' : '; the file was left as it was'}`,
        { cause: error.original },
      );
    }
    throw error;
  }
}

/** fsyncs a directory, so a rename or a new file in it survives a power loss. */
export async function syncDirectory(fs: StoreFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
    const code = errnoCode(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EBADF') throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * A small file (a metrics file, for instance) replaced atomically: the same temp-file, fsync and
 * rename as the DLQ file, so a reader such as node_exporter's textfile collector never sees half
 * of it. An existing file keeps its mode; a new one gets `mode`.
 */
export async function writeFileAtomically(path: string, text: string, options: { mode: number }): Promise<void> {
  let mode = options.mode;
  try {
    mode = (await nodeStoreFs.stat(path)).mode & 0o777;
  } catch {
    // no file yet: the given mode
  }
  await atomicWrite(path, [Buffer.from(text, 'utf8')], { mode });
}
