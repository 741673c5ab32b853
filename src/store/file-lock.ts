/**
 * An inter-process lock on the DLQ file: `<file>.lock`, holding {pid, host, token, since}.
 *
 * Why our own and not proper-lockfile: its stale takeover (its issue #121) lets two processes judge
 * the same lock stale; one removes it and takes the lock, and the other then removes the NEW lock,
 * so both believe they hold it. Here:
 * - Acquire: the lock's full content is written to a private temp file that is then hard-linked to
 *   `<file>.lock`; link(2) fails with EEXIST when the lock exists, so creation is atomic and a lock
 *   is never seen half-written.
 * - Stale: same host and the holder's pid is dead (immediately), or the lock's mtime is older than
 *   `staleMs` (the holder touches it every staleMs/4 while alive).
 * - Takeover: rename the lock to a unique name (atomic: only one mover gets the inode), then check
 *   that what was moved is the very lock judged stale (same token, still stale). If it is not,
 *   someone replaced it meanwhile: link it back and back off.
 * - Before the final rename over the DLQ file, the holder re-checks that the lock still carries its
 *   token and touches it (see verify()).
 *
 * Residual risk (documented in README): a holder stopped for longer than staleMs exactly between
 * verify() and its rename(2) of the DLQ file can still rename after a takeover. Clock skew between
 * hosts sharing the file over a network file system shortens or lengthens staleMs.
 */
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { DlqFileError, LockBusyError } from '../errors.js';
import { describeFsError } from './load-dlq.js';
import { errnoCode, nodeStoreFs, readFully, writeAll, type StoreFs } from './store-fs.js';

/**
 * node:crypto is loaded on first use: read-only commands (list, inspect) import this module
 * through the store but never take a lock or write a temp file, and loading crypto is a few
 * milliseconds of their start-up.
 */
const randomBytes = (size: number): Buffer => process.getBuiltinModule('node:crypto').randomBytes(size);

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** Less than the default --lock-timeout, so a lock left on another host is recovered within one wait. */
export const DEFAULT_STALE_MS = 20_000;

export interface LockHolder {
  pid?: number;
  host?: string;
  since?: Date;
}

export interface FileLockOptions {
  lockTimeoutMs?: number;
  onLockWait?: (holder: LockHolder) => void;
  /** A lock whose mtime is older than this is stale. */
  staleMs?: number;
  fs?: StoreFs;
}

interface LockContent {
  pid?: number;
  host?: string;
  token?: string;
  since?: string;
}

interface Observed {
  content: LockContent;
  raw: string;
  ino: bigint;
  mtimeMs: number;
}

// Not unref'd: a run waiting for the lock must stay alive (only the refresh timer is unref'd).
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeHolder(holder: LockHolder): string {
  const who = holder.pid !== undefined ? `pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}` : 'another run';
  return holder.since ? `${who} since ${holder.since.toISOString()}` : who;
}

function holderOf(content: LockContent): LockHolder {
  const since = typeof content.since === 'string' ? new Date(content.since) : undefined;
  return {
    ...(typeof content.pid === 'number' ? { pid: content.pid } : {}),
    ...(typeof content.host === 'string' ? { host: content.host } : {}),
    ...(since && !Number.isNaN(since.getTime()) ? { since } : {}),
  };
}

function pidIsDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(error) === 'ESRCH';
  }
}

export function lockPathFor(target: string): string {
  return `${target}.lock`;
}

/** Temp files of the lock and of the atomic writer: `<name>.<16 hex>.tmp` next to the target. */
export function tempPathFor(target: string): string {
  return `${target}.${randomBytes(8).toString('hex')}.tmp`;
}

export function isTempNameOf(target: string, name: string): boolean {
  const base = basename(target);
  if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) return false;
  return /^(lock\.)?[0-9a-f]{16}\.tmp$/.test(name.slice(base.length + 1));
}

export class FileLock {
  readonly lockPath: string;
  private readonly token: string;
  private readonly staleMs: number;
  private readonly fs: StoreFs;
  private timer: NodeJS.Timeout | undefined;
  private lastRefreshOk: number;
  private released = false;

  constructor(lockPath: string, token: string, staleMs: number, fs: StoreFs) {
    this.lockPath = lockPath;
    this.token = token;
    this.staleMs = staleMs;
    this.fs = fs;
    this.lastRefreshOk = Date.now();
    // unref: a pending refresh never keeps the process alive.
    this.timer = setInterval(() => void this.refresh(), Math.max(10, Math.floor(staleMs / 4)));
    this.timer.unref();
  }

  /**
   * Touches the lock if it still carries our token. Works on the open inode (futimes), so a lock
   * that was swapped in between read and touch is never refreshed by mistake.
   */
  private async refresh(): Promise<boolean> {
    if (this.released) return false;
    let handle;
    try {
      handle = await this.fs.open(this.lockPath, 'r+');
    } catch {
      return false;
    }
    try {
      const raw = await readHandle(handle);
      if ((JSON.parse(raw) as LockContent).token !== this.token) return false;
      const now = new Date();
      await handle.utimes(now, now);
      this.lastRefreshOk = Date.now();
      return true;
    } catch {
      return false;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Throws LockBusyError unless we still hold the lock: it carries our token, our last refresh
   * was within staleMs (we were not stopped long enough for a takeover), and it can be touched now.
   * Called right before the rename over the DLQ file.
   */
  async verify(path: string): Promise<void> {
    const sinceLastRefresh = Date.now() - this.lastRefreshOk;
    const fresh = sinceLastRefresh < this.staleMs;
    if (!fresh || !(await this.refresh())) {
      throw new LockBusyError(
        path,
        `${path}: lost the lock ${lockPathFor(path)} (${fresh ? 'it was taken over or removed' : `not refreshed for ${sinceLastRefresh} ms`}); nothing was written`,
      );
    }
  }

  /** Removes the lock if it is still ours; never throws. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const aside = tempPathFor(this.lockPath);
    try {
      // Move aside first, so a lock that replaced ours meanwhile is never deleted: it goes back.
      await this.fs.rename(this.lockPath, aside);
    } catch {
      return;
    }
    try {
      const observed = await observe(this.fs, aside).catch(() => undefined);
      if (observed?.content.token !== this.token) await this.fs.link(aside, this.lockPath).catch(() => undefined);
    } finally {
      await this.fs.unlink(aside).catch(() => undefined);
    }
  }
}

async function readHandle(handle: Awaited<ReturnType<StoreFs['open']>>): Promise<string> {
  const buffer = Buffer.alloc(4096);
  return buffer.toString('utf8', 0, await readFully(handle, buffer, 0));
}

async function observe(fs: StoreFs, path: string): Promise<Observed | undefined> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const st = await handle.stat({ bigint: true });
    const raw = await readHandle(handle);
    let content: LockContent = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null) content = parsed as LockContent;
    } catch {
      content = {};
    }
    return { content, raw, ino: st.ino, mtimeMs: Number(st.mtimeNs / 1_000_000n) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function isStale(observed: Observed, staleMs: number, ourHost: string): boolean {
  const { pid, host } = observed.content;
  if (host === ourHost && typeof pid === 'number' && pid !== process.pid && pidIsDead(pid)) return true;
  return Date.now() - observed.mtimeMs > staleMs;
}

/** Creates the lock atomically with its full content; false when it already exists. */
async function tryCreate(fs: StoreFs, lockPath: string, content: LockContent): Promise<boolean> {
  const temp = tempPathFor(lockPath);
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    try {
      await writeAll(handle, Buffer.from(`${JSON.stringify(content)}\n`), 0);
    } finally {
      await handle.close().catch(() => undefined);
    }
    await fs.link(temp, lockPath);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    // The lock is the link; the temp name goes in every case (also after a failed write).
    await fs.unlink(temp).catch(() => undefined);
  }
}

/**
 * Takes over a lock judged stale. Returns true when the stale lock was removed (the caller then
 * competes to create a fresh one like everybody else).
 */
async function takeOver(fs: StoreFs, lockPath: string, judged: Observed, staleMs: number, ourHost: string): Promise<boolean> {
  const aside = tempPathFor(lockPath);
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return true; // already gone: just try to create
    throw error;
  }
  let moved: Observed | undefined;
  try {
    moved = await observe(fs, aside);
  } catch {
    moved = undefined;
  }
  const same = moved !== undefined && moved.ino === judged.ino && moved.raw === judged.raw && isStale(moved, staleMs, ourHost);
  if (!same) {
    // Not the lock we judged stale (it was replaced, or its holder touched it): put it back. If
    // yet another lock exists by now, link fails; the holder of the moved lock then notices at its
    // verify() and writes nothing.
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
  return same;
}

/** Waits for and takes the lock on `target` (an absolute path), or throws LockBusyError. */
export async function acquireFileLock(target: string, options: FileLockOptions = {}): Promise<FileLock> {
  const fs = options.fs ?? nodeStoreFs;
  const lockPath = lockPathFor(target);
  const timeoutMs = Math.max(0, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  const staleMs = Math.max(1, options.staleMs ?? DEFAULT_STALE_MS);
  const ourHost = hostname();
  const started = Date.now();
  let announced = false;
  let delay = 20;
  let lastHolder: LockHolder = {};
  for (;;) {
    const token = randomBytes(16).toString('hex');
    const content: LockContent = { pid: process.pid, host: ourHost, token, since: new Date().toISOString() };
    try {
      if (await tryCreate(fs, lockPath, content)) return new FileLock(lockPath, token, staleMs, fs);
    } catch (error) {
      // Not "busy": no permission, a read-only or full file system. Exit 6, not a retryable 75.
      throw new DlqFileError(target, `cannot create the lock ${basename(lockPath)} in ${dirname(lockPath)}: ${describeFsError(error)}`, {
        cause: error,
      });
    }
    let observed: Observed | undefined;
    try {
      observed = await observe(fs, lockPath);
    } catch {
      observed = undefined;
    }
    if (observed === undefined) continue; // released in between: retry at once
    lastHolder = holderOf(observed.content);
    if (isStale(observed, staleMs, ourHost)) {
      if (await takeOver(fs, lockPath, observed, staleMs, ourHost).catch(() => false)) continue;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      throw new LockBusyError(
        target,
        `${target} is busy: locked by ${describeHolder(lastHolder)} (gave up after ${Math.round(waited / 100) / 10}s; see --lock-timeout)`,
        lastHolder.since,
      );
    }
    if (!announced) {
      announced = true;
      options.onLockWait?.(lastHolder);
    }
    // Jittered backoff, capped so a released lock is picked up quickly.
    await sleep(Math.min(delay + Math.random() * delay, timeoutMs - waited));
    delay = Math.min(delay * 2, 250);
  }
}
