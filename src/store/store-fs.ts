/**
 * The file-system calls the store makes, behind an interface so tests can inject a full disk
 * (short writes, ENOSPC) without needing a real one. Production code always uses nodeStoreFs.
 */
import { promises as fsp } from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';

/** The subset of fs/promises.FileHandle the store uses. */
export interface StoreFileHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  stat(opts: { bigint: true }): Promise<BigIntStats>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  utimes(atime: Date, mtime: Date): Promise<void>;
  close(): Promise<void>;
  /** Optional so injected test handles need not implement it; appendDurably uses it to roll back. */
  truncate?(length: number): Promise<void>;
}

export interface StoreFs {
  open(path: string, flags: string, mode?: number): Promise<StoreFileHandle>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  stat(path: string): Promise<Stats>;
  readdir(path: string): Promise<string[]>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
}

export const nodeStoreFs: StoreFs = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  unlink: (path) => fsp.unlink(path),
  stat: (path) => fsp.stat(path),
  readdir: (path) => fsp.readdir(path),
  realpath: (path) => fsp.realpath(path),
  readlink: (path) => fsp.readlink(path),
};

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
}

/** Writes all of `bytes`, looping on short writes; a write that makes no progress is an error. */
export async function writeAll(handle: StoreFileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (!Number.isInteger(bytesWritten) || bytesWritten <= 0) {
      throw Object.assign(new Error(`write made no progress (${done} of ${bytes.length} bytes)`), { code: 'EIO' });
    }
    done += bytesWritten;
  }
  return done;
}

/** Reads into `buffer` from `position` until it is full or the file ends; returns the bytes read. */
export async function readFully(handle: StoreFileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
