/**
 * `dlq prune --archive <path>`: the removed entries, one JSON object per line (NDJSON), appended to
 * the archive and on disk before the DLQ file is rewritten (README, section "lifecycle").
 *
 * - A plain path is appended in place (appendDurably: every byte, fsync, rolled back on error).
 * - A path ending in `.gz` gets one more gzip member (RFC 1952 §2.2: a gzip file is a series of
 *   members; gunzip, zcat, Python's gzip and Node's zlib read them all). Appending in place could
 *   leave a cut-off member after a crash, which would hide every later member from readers, so a
 *   .gz archive is rewritten atomically instead (the old bytes copied, the new member added, fsync,
 *   rename: atomicWrite). That costs a copy of the compressed archive per prune.
 * New archives are created 0600: they hold customer payloads. Any failure is DlqFileError (exit 6)
 * naming the archive; the caller then leaves the DLQ file untouched.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DlqFileError } from '../errors.js';
import { appendDurably } from './append-durably.js';
import { atomicWrite } from './atomic-write.js';
import { describeFsError } from './load-dlq.js';
import { errnoCode } from './store-fs.js';

const NEW_ARCHIVE_MODE = 0o600;
const COPY_CHUNK_BYTES = 4 * 1024 * 1024;

export function isGzipPath(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** Appends `lines` (each one JSON text without a newline) to the archive, durably. */
export async function appendToArchive(path: string, lines: readonly string[]): Promise<void> {
  await appendBatchesToArchive(path, oneBatch(lines));
}

/**
 * Appends the lines `batches` yields, as they come (a store reading its rows in batches never
 * holds them all), and returns once every line is on disk: all of them or, on any failure, none.
 * Nothing is touched when no line comes.
 */
export async function appendBatchesToArchive(path: string, batches: AsyncIterable<readonly string[]>): Promise<void> {
  const iterator = batches[Symbol.asyncIterator]();
  let first: IteratorResult<readonly string[]>;
  do first = await iterator.next();
  while (!first.done && first.value.length === 0);
  if (first.done) return;
  const firstLines = first.value;
  // NDJSON bytes: every line ends with a newline, so batches simply follow each other.
  const ndjson = async function* (): AsyncGenerator<Buffer> {
    try {
      yield Buffer.from(`${firstLines.join('\n')}\n`, 'utf8');
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.length > 0) yield Buffer.from(`${next.value.join('\n')}\n`, 'utf8');
      }
    } finally {
      await iterator.return?.();
    }
  };
  if (!isGzipPath(path)) {
    await appendDurably(path, ndjson(), { mode: NEW_ARCHIVE_MODE, lines: true, what: 'archive' });
    return;
  }
  const target = await realTarget(path);
  let existing: { fd: number; size: number; mode: number } | undefined;
  try {
    const fd = openSync(target, 'r');
    const st = await fsp.stat(target);
    existing = { fd, size: st.size, mode: st.mode & 0o777 };
    if (!st.isFile()) throw new DlqFileError(path, 'the archive is not a regular file');
    if (st.size > 0) {
      const magic = Buffer.alloc(2);
      readSync(fd, magic, 0, 2, 0);
      if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw new DlqFileError(path, 'the archive is not a gzip file (it ends in .gz); nothing was written');
    }
  } catch (error) {
    if (existing) closeSync(existing.fd);
    existing = undefined;
    if (!(error instanceof DlqFileError) && errnoCode(error) === 'ENOENT') {
      // no archive yet: a new one
    } else {
      // Nothing will be written: the source is told to stop (a database cursor is closed).
      await iterator.return?.();
      if (error instanceof DlqFileError) throw error;
      throw new DlqFileError(path, `cannot read the archive: ${describeFsError(error)}`, { cause: error });
    }
  }
  try {
    await atomicWrite(target, copyThenAppend(existing, gzipMember(ndjson())), { mode: existing?.mode ?? NEW_ARCHIVE_MODE });
  } finally {
    if (existing) closeSync(existing.fd);
  }
}

async function* oneBatch(lines: readonly string[]): AsyncGenerator<readonly string[]> {
  yield lines;
}

/** One gzip member holding everything `source` yields, compressed as it comes. */
async function* gzipMember(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gzip = createGzip();
  const feeding = pipeline(Readable.from(source), gzip);
  // Its failure surfaces through the gzip stream below (pipeline destroys it with the error).
  feeding.catch(() => undefined);
  for await (const chunk of gzip) yield chunk as Buffer;
  await feeding;
}

/** The old archive's bytes, then the new member; fresh buffers (atomicWrite overlaps reading and writing). */
async function* copyThenAppend(existing: { fd: number; size: number } | undefined, member: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (existing) {
    let position = 0;
    while (position < existing.size) {
      const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, existing.size - position));
      const read = readSync(existing.fd, chunk, 0, chunk.length, position);
      if (read === 0) throw new Error('the archive shrank while being copied');
      position += read;
      yield read === chunk.length ? chunk : chunk.subarray(0, read);
    }
  }
  yield* member;
}

/** A symlinked archive is rewritten where it really lives. */
async function realTarget(path: string): Promise<string> {
  try {
    return await fsp.realpath(path);
  } catch {
    return path;
  }
}
