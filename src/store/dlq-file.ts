/**
 * THE ONLY MODULE THAT TOUCHES THE DLQ FILE (see README "Safety").
 *
 * - readDlqFile: lock-free read + validation (readers never block writers: files are only ever
 *   replaced by rename, so a reader sees the old or the new version, never a mix).
 * - updateDlqFile: read → update → atomic rewrite, all under the inter-process lock.
 * An empty or whitespace-only file (0 bytes included) is an empty DLQ: it loads as no entries
 * and the next update writes a proper JSON array over it, keeping its mode.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { DlqFileError, isDlqError, LockBusyError } from '../errors.js';
import type { DlqEntry } from '../dlq-entry.js';
import { atomicWrite } from './atomic-write.js';
import { EntryProblem, EntryValidator } from './entry-validator.js';
import { acquireFileLock, DEFAULT_STALE_MS, isTempNameOf, tempPathFor, type LockHolder } from './file-lock.js';
import { describeFsError, loadDlq, sameIdentity, statIdentity, type FileIdentity, type ReadOptions } from './load-dlq.js';
import { indexPathFor, readDlqIndex, readDlqIndexHeader, writeDlqIndex } from './dlq-index.js';
import { readPrunedIds, recordPrunedIds } from './pruned-ids.js';
import type { UpdateReuse } from './update-reuse.js';
import { DEFAULT_WRITE_CHUNK_BYTES, serializeDlq, serializeDlqChunks, serializeDlqStream, type EntryLayout } from './serialize-dlq.js';
import { errnoCode, nodeStoreFs, writeAll, type StoreFileHandle, type StoreFs } from './store-fs.js';
import { sameHarvestState, sourceKeyOf, type HarvestState } from './harvest-state.js';
import { readHarvestStateFile, statePathFor, writeHarvestStateFile } from './harvest-state-file.js';

export { serializeDlq, serializeDlqChunks };
export type { ReadOptions };

export interface LockOptions {
  /** How long to wait for another run's lock before LockBusyError (exit 75). Default 30 s. */
  lockTimeoutMs?: number;
  /** Called (at most once per wait) when the file is busy and we start waiting. */
  onLockWait?: (holder: LockHolder) => void;
  /** A lock not refreshed for this long is stale and taken over. Default 20 s. */
  staleMs?: number;
  /** Test hooks: an injected file system, and the read/write chunk sizes. */
  fs?: StoreFs;
  chunkedThresholdBytes?: number;
  readChunkBytes?: number;
  writeChunkBytes?: number;
  /**
   * Carries the written entries and their JSON text to this caller's next update, skipping the
   * re-read and most of the re-serialising while the file is unchanged (update-reuse.ts). Only
   * for callers whose updates never change an entry object in place.
   */
  reuse?: UpdateReuse;
}

export interface LoadedEntries {
  entries: DlqEntry[];
  /** false when the file did not exist (entries is then []). */
  exists: boolean;
  /** Inside updateDlqFile only: the delivery ids `dlq prune` removed (pruned-ids.ts), read on demand. */
  prunedIds?: () => Promise<ReadonlySet<string>>;
}

export interface LoadedDlq extends LoadedEntries {
  /** The harvest state (watermarks) stored with the entries; see harvest-state.ts. */
  state: HarvestState;
}

export interface UpdateOutcome<T> {
  /** The new content, or null to leave the file exactly as it is (no write at all). */
  entries: DlqEntry[] | null;
  /**
   * The new harvest state, if it changes. Saved in the same update, after the entries it vouches
   * for (see harvest-state-file.ts).
   */
  state?: HarvestState;
  result: T;
  /**
   * Entries removed on purpose (`dlq prune`): their ids are recorded, on disk, BEFORE the file is
   * rewritten without them, so `dlq fetch` never brings them back (see pruned-ids.ts).
   */
  pruned?: readonly DlqEntry[];
}

/** What every command but fetch says of a DLQ file that is not there (exit 6). */
export function noDlqFile(path: string): DlqFileError {
  return new DlqFileError(path, 'no DLQ file (run dlq fetch first)');
}

/** Reads and validates the DLQ file without taking the lock (readers never block writers). */
export async function readDlqFile(path: string, options: ReadOptions & { reuse?: UpdateReuse } = {}): Promise<LoadedEntries> {
  const { reuse, ...readOptions } = options;
  // With `reuse`, the entries read are handed to the caller's first update (as if it had just
  // written them), so a replay's first save does not read and parse the whole file again.
  const target = reuse ? await resolveTarget(path, options.fs ?? nodeStoreFs) : path;
  const loaded = await loadDlq(target, {
    chunkedThresholdBytes: DEFAULT_READONLY_CHUNKED_THRESHOLD_BYTES,
    ...readOptions,
    ...(reuse ? { keepBytesBelow: reuse.maxBytes } : {}),
  });
  if (reuse && loaded.identity) {
    reuse.remember({ target, identity: loaded.identity, entries: loaded.entries, mode: loaded.mode, uid: loaded.uid, gid: loaded.gid }, Number(loaded.identity.size));
    if (loaded.bytes) await keepStoredTexts(target, loaded.entries, loaded.bytes, loaded.identity, reuse);
  }
  return { entries: loaded.entries, exists: loaded.exists };
}

/**
 * Gives the reuse each entry's JSON text exactly as stored, so the first update copies the
 * entries it does not change instead of stringifying all of them again. Only when the sidecar
 * index's header vouches that our own serialiser wrote this very version of the file (same
 * identity): its layout is then `[\n` + one JSON.stringify text per line joined by `,\n` +
 * `\n]\n` (JSON.stringify never writes a raw newline), so line i+1 is entry i's text. Anything
 * else (no index, another version, a line count that differs) keeps nothing: the update then
 * stringifies every entry, as it always did.
 */
async function keepStoredTexts(target: string, entries: readonly DlqEntry[], bytes: Buffer, identity: FileIdentity, reuse: UpdateReuse): Promise<void> {
  const header = await readDlqIndexHeader(target);
  if (!header || !sameIdentity(header.identity, identity) || header.count !== entries.length || entries.length === 0) return;
  const texts: Buffer[] = [];
  // After `[\n`; each entry ends at the next newline (minus the `,` separating it from the next).
  let start = 2;
  for (let i = 0; i < entries.length; i++) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline < 0) return;
    const last = i === entries.length - 1;
    const end = last ? newline : newline - 1;
    if (bytes[start] !== 0x7b || bytes[end - 1] !== 0x7d || (!last && bytes[end] !== 0x2c)) return;
    texts.push(bytes.subarray(start, end));
    start = newline + 1;
  }
  if (start !== bytes.length - 2 || bytes[start] !== 0x5d) return;
  entries.forEach((entry, i) => reuse.texts.set(entry, texts[i] as Buffer));
}

/**
 * The harvest state stored with the DLQ file at `path` (watermarks), read without the
 * lock: an incremental harvest decides where to stop from it, and the update under the lock
 * re-reads it before anything is saved. The empty state when there is none.
 */
export async function readHarvestState(path: string): Promise<HarvestState> {
  let target: string;
  try {
    target = await resolveTarget(path, nodeStoreFs);
  } catch {
    target = path;
  }
  return readHarvestStateFile(target);
}

/**
 * The delivery ids recorded for one source key (`sourceKeyOf`), read without the lock: those in the
 * file (through the sidecar index when it matches the file, so no need to parse the bodies, else
 * the whole file) and every id `dlq prune` removed (pruned-ids.ts; ids are unique across sources).
 */
export async function readRecordedIds(path: string, key: string): Promise<Set<string>> {
  const index = await readDlqIndex(path);
  const entries = index ? index.entries : (await readDlqFile(path)).entries;
  let target = path;
  try {
    target = await resolveTarget(path, nodeStoreFs);
  } catch {
    // no directory: nothing was pruned there either
  }
  const ids = await readPrunedIds(target);
  for (const entry of entries) if (sourceKeyOf(entry) === key) ids.add(entry.delivery_id);
  return ids;
}

/**
 * Read-only commands (list, inspect, replay --dry-run) parse files up to this size in one go:
 * about 30% faster than the chunked path, at the price of memory they can afford because they
 * hold nothing else. (256 MiB of UTF-8 is at most 256 Mi UTF-16 code units, safely under V8's
 * string limit.) Updates keep the lower default so a merge stays under its memory target.
 */
export const DEFAULT_READONLY_CHUNKED_THRESHOLD_BYTES = 256 * 1024 * 1024;

/**
 * The file to lock and replace: a symlinked DLQ file is rewritten where it really lives, and so
 * is a DANGLING one (the link's target does not exist yet): the new file is created at the
 * target and the link stays a link. Renaming over the link itself would silently replace it
 * with a regular file (issue #9); when the target's directory does not exist either, that is
 * exit 6, as for any missing directory.
 */
export async function resolveTarget(path: string, fs: StoreFs = nodeStoreFs): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw new DlqFileError(path, `cannot resolve: ${describeFsError(error)}`, { cause: error });
  }
  const where = await followDanglingLinks(path, fs);
  try {
    return join(await fs.realpath(dirname(where)), basename(where));
  } catch (error) {
    const what = where === path ? 'cannot use its directory' : `is a symlink to ${where}, whose directory cannot be used`;
    throw new DlqFileError(path, `${what}: ${describeFsError(error)}`, { cause: error });
  }
}

/** Where a path that does not resolve would be created: itself, or the end of its chain of symlinks. */
async function followDanglingLinks(path: string, fs: StoreFs): Promise<string> {
  let current = path;
  // The kernel's own limit on symlink hops (MAXSYMLINKS is 40 on Linux); a loop ends there too.
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = await fs.readlink(current);
    } catch (error) {
      const code = errnoCode(error);
      // EINVAL: not a symlink; ENOENT: nothing there at all. Either way, `current` is the file.
      if (code === 'EINVAL' || code === 'ENOENT') return current;
      throw new DlqFileError(path, `cannot resolve: ${describeFsError(error)}`, { cause: error });
    }
    current = resolve(dirname(current), link);
  }
  throw new DlqFileError(path, 'cannot resolve: too many levels of symbolic links');
}

/**
 * Removes temp files left by killed runs (`<name>.<16 hex>.tmp`, of the writer and of the lock).
 * Only called while holding the lock, and only for files untouched for staleMs, so a live run's
 * temp file is never removed.
 */
async function sweepTempFiles(target: string, staleMs: number, fs: StoreFs): Promise<void> {
  const dir = dirname(target);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!isTempNameOf(target, name) && !isTempNameOf(indexPathFor(target), name) && !isTempNameOf(statePathFor(target), name)) continue;
    const full = join(dir, name);
    try {
      const st = await fs.stat(full);
      if (now - st.mtimeMs > staleMs) await fs.unlink(full);
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
}


/** What the save probe writes: enough to need a data block, so a full disk answers ENOSPC. */
const PROBE_BYTES = 4096;

/**
 * Proves that results can be saved, before anything irreversible (a replay's first POST) happens:
 * takes the file's lock, then creates, writes, fsyncs and removes a temp file beside the DLQ file
 * (where every rewrite puts its temp file). A read-only directory, a full disk or a lock that
 * cannot be created is a DlqFileError (exit 6); a lock held past lockTimeoutMs is LockBusyError
 * (75). The DLQ file itself is never touched. (A disk can still fill up later; callers handle a
 * failing save too.)
 */
export async function proveDlqWritable(path: string, options: LockOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeStoreFs;
  try {
    const target = await resolveTarget(path, fs);
    const lock = await lockDlqFile(target, fs, options.staleMs ?? DEFAULT_STALE_MS, options);
    try {
      const temp = tempPathFor(target);
      let handle: StoreFileHandle | undefined;
      try {
        handle = await fs.open(temp, 'wx', 0o600);
        await writeAll(handle, Buffer.alloc(PROBE_BYTES, 0x20), 0);
        await handle.sync();
      } catch (error) {
        const why = errnoCode(error) === 'ENOSPC' ? 'no space left on the device' : describeFsError(error);
        throw new DlqFileError(target, `cannot save results here (a test file beside it failed: ${why})`, { cause: error });
      } finally {
        await handle?.close().catch(() => undefined);
        await fs.unlink(temp).catch(() => undefined);
      }
    } finally {
      await lock.release();
    }
  } catch (error) {
    if (!isDlqError(error) && errnoCode(error) !== undefined) {
      throw new DlqFileError(path, `cannot save results here: ${describeFsError(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Read-modify-write under the file's lock: read (validated), call `update`, write the returned
 * entries atomically (unless null), release. The lock is held from the read to the rename and
 * released on every path. `update` must not touch the file itself.
 */
export async function updateDlqFile<T>(
  path: string,
  update: (loaded: LoadedDlq) => UpdateOutcome<T> | Promise<UpdateOutcome<T>>,
  options: LockOptions = {},
): Promise<T> {
  try {
    return await updateLocked(path, update, options);
  } catch (error) {
    // Any file-system failure on the way (resolving the path, sweeping, verifying the lock) is
    // "the DLQ file is unusable" (exit 6) for every caller, not an unexpected error.
    if (!isDlqError(error) && errnoCode(error) !== undefined) {
      throw new DlqFileError(path, `cannot update: ${describeFsError(error)}`, { cause: error });
    }
    throw error;
  }
}

/** The DLQ file's lock, with the caller's wait limit and wait callback. */
function lockDlqFile(target: string, fs: StoreFs, staleMs: number, options: LockOptions): ReturnType<typeof acquireFileLock> {
  return acquireFileLock(target, {
    staleMs,
    fs,
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    ...(options.onLockWait ? { onLockWait: options.onLockWait } : {}),
  });
}

/**
 * Right before a rename over the DLQ file: the lock is still ours, and (belt and braces) the file
 * is still the version we read, so no writer slipped in.
 */
async function stillOurs(lock: Awaited<ReturnType<typeof acquireFileLock>>, fs: StoreFs, target: string, identity: FileIdentity | undefined): Promise<void> {
  await lock.verify(target);
  if (!sameIdentity(await statIdentity(fs, target), identity)) {
    throw new LockBusyError(target, `${target} was replaced by another writer while locked; nothing was written`);
  }
}

async function updateLocked<T>(
  path: string,
  update: (loaded: LoadedDlq) => UpdateOutcome<T> | Promise<UpdateOutcome<T>>,
  options: LockOptions,
): Promise<T> {
  const fs = options.fs ?? nodeStoreFs;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const target = await resolveTarget(path, fs);
  const lock = await lockDlqFile(target, fs, staleMs, options);
  try {
    await sweepTempFiles(target, staleMs, fs);
    const reuse = options.reuse;
    const kept = reuse?.take(target, await statIdentity(fs, target));
    const loaded = kept
      ? { ...kept, exists: true }
      : await loadDlq(target, {
          fs,
          ...(options.chunkedThresholdBytes !== undefined ? { chunkedThresholdBytes: options.chunkedThresholdBytes } : {}),
          ...(options.readChunkBytes !== undefined ? { chunkBytes: options.readChunkBytes } : {}),
        });
    const state = await readHarvestStateFile(target, fs);
    const outcome = await update({ entries: loaded.entries, exists: loaded.exists, state, prunedIds: () => readPrunedIds(target) });
    const mode = loaded.mode ?? 0o600;
    // The state (watermarks) is saved AFTER the entries it vouches for: see harvest-state-file.ts.
    const next = outcome.state && !sameHarvestState(state, outcome.state) ? outcome.state : undefined;
    const saveState = async (value: HarvestState) =>
      writeHarvestStateFile(target, value, { mode, uid: loaded.uid, gid: loaded.gid, fs, verifyLock: () => lock.verify(target) });
    if (outcome.entries === null) {
      // Nothing written: what was kept still describes the file.
      if (kept && reuse) reuse.remember(kept, 0);
      if (next) await saveState(next);
      return outcome.result;
    }
    // Never write a file that the next read would refuse.
    const validator = new EntryValidator();
    try {
      outcome.entries.forEach((entry, index) => validator.check(entry, index));
    } catch (error) {
      if (error instanceof EntryProblem) throw new DlqFileError(target, `refusing to write: ${error.message}`, { cause: error });
      throw error;
    }
    const layout: EntryLayout = { offsets: [], lengths: [] };
    if (outcome.pruned && outcome.pruned.length > 0) {
      await recordPrunedIds(target, outcome.pruned, { at: new Date().toISOString(), mode, fs });
    }
    await atomicWrite(target, serializeDlqChunks(outcome.entries, options.writeChunkBytes ?? DEFAULT_WRITE_CHUNK_BYTES, layout, reuse?.texts), {
      mode,
      uid: loaded.uid,
      gid: loaded.gid,
      fs,
      beforeRename: () => stillOurs(lock, fs, target, loaded.identity),
    });
    // Still under the lock, so no other writer's file can be indexed with our entries.
    await writeDlqIndex(target, outcome.entries, layout, {
      mode,
      uid: loaded.uid,
      gid: loaded.gid,
      fs,
      verifyLock: () => lock.verify(target),
      ...(reuse ? { rowTails: reuse.rowTails } : {}),
    });
    if (reuse) {
      const identity = await statIdentity(fs, target);
      const n = layout.offsets.length;
      const bytes = n === 0 ? 0 : (layout.offsets[n - 1] as number) + (layout.lengths[n - 1] as number);
      if (identity) reuse.remember({ target, identity, entries: outcome.entries, mode, uid: loaded.uid, gid: loaded.gid }, bytes);
    }
    if (next) await saveState(next);
    return outcome.result;
  } finally {
    await lock.release();
  }
}

/**
 * Rewrites the DLQ file from entries that arrive in batches (`dlq store copy` into a file), under
 * the lock, with the same temp file, fsync and rename as every update, but without ever holding
 * the new content whole: `produce` gets the current entries and returns the new content batch by
 * batch. Each entry is checked as it goes (an object with a non-empty string delivery_id, unique
 * within its batch and against the entries there before; the sources, stores themselves, never
 * repeat an id). After the rename the file is read back and its bytes compared (SHA-256) with what
 * was written. The sidecar index is removed (a cache: the next update writes it again); the
 * harvest state is kept. Returns how many entries the file holds now.
 */
export async function rewriteDlqFileFrom(
  path: string,
  produce: (loaded: LoadedEntries) => AsyncIterable<readonly DlqEntry[]>,
  options: LockOptions = {},
): Promise<number> {
  const fs = options.fs ?? nodeStoreFs;
  try {
    const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
    const target = await resolveTarget(path, fs);
    const lock = await lockDlqFile(target, fs, staleMs, options);
    try {
      await sweepTempFiles(target, staleMs, fs);
      const loaded = await loadDlq(target, { fs });
      const before = new Set(loaded.entries.map((e) => e.delivery_id));
      const digest = createHash('sha256');
      let count = 0;
      let batchIds = new Set<string>();
      const chunks = serializeDlqStream(
        (async function* () {
          for await (const batch of produce({ entries: loaded.entries, exists: loaded.exists })) {
            batchIds = new Set();
            yield batch;
          }
        })(),
        (entry, index) => {
          try {
            // Shape only (a fresh validator keeps no ids); uniqueness below, per batch.
            new EntryValidator().check(entry, index);
          } catch (error) {
            if (error instanceof EntryProblem) throw new DlqFileError(target, `refusing to write: ${error.message}`, { cause: error });
            throw error;
          }
          if (batchIds.has(entry.delivery_id) || (index >= before.size && before.has(entry.delivery_id))) {
            throw new DlqFileError(target, `refusing to write: entry ${index + 1}: duplicate delivery_id ${JSON.stringify(entry.delivery_id)}`);
          }
          batchIds.add(entry.delivery_id);
          count = index + 1;
        },
        options.writeChunkBytes ?? DEFAULT_WRITE_CHUNK_BYTES,
      );
      const hashed = (async function* () {
        try {
          for await (const chunk of chunks) {
            digest.update(chunk);
            yield chunk;
          }
        } catch (error) {
          // The source store's own errors pass as they are; anything else is this file's serialisation.
          if (isDlqError(error)) throw error;
          throw new DlqFileError(target, `cannot serialise the entries: ${(error as Error).message}; the file was left as it was`, { cause: error });
        }
      })();
      await atomicWrite(target, hashed, {
        mode: loaded.mode ?? 0o600,
        uid: loaded.uid,
        gid: loaded.gid,
        fs,
        beforeRename: () => stillOurs(lock, fs, target, loaded.identity),
      });
      await fs.unlink(indexPathFor(target)).catch(() => undefined);
      await verifyWritten(target, digest.digest('hex'), fs);
      return count;
    } finally {
      await lock.release();
    }
  } catch (error) {
    if (!isDlqError(error) && errnoCode(error) !== undefined) {
      throw new DlqFileError(path, `cannot update: ${describeFsError(error)}`, { cause: error });
    }
    throw error;
  }
}

/** Reads the file back in chunks: its bytes must hash to `expected`. */
async function verifyWritten(target: string, expected: string, fs: StoreFs): Promise<void> {
  const hash = createHash('sha256');
  const handle = await fs.open(target, 'r');
  try {
    const buffer = Buffer.allocUnsafe(DEFAULT_WRITE_CHUNK_BYTES);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (hash.digest('hex') !== expected) throw new DlqFileError(target, 'read back after writing, the file differs from what was written');
}
