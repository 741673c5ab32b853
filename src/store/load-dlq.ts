/**
 * Reads and validates a DLQ file. Two paths with the same result:
 * - below `chunkedThresholdBytes` the whole file is decoded and JSON.parsed at once (fastest);
 * - above it, the file is read in fixed-size chunks through JsonArrayScanner and each entry is
 *   JSON.parsed on its own, so no string ever holds the whole file (V8 strings stop at
 *   536,870,888 UTF-16 code units, ~512 MiB) and peak memory stays near the parsed entries' size.
 * When the fast path's JSON.parse fails, the file's bytes go through the scanner too, so errors
 * name the entry at fault the same way on both paths.
 */
import { isUtf8 } from 'node:buffer';
import { DlqFileError } from '../errors.js';
import type { DlqEntry } from '../dlq-entry.js';
import { EntryProblem, EntryValidator } from './entry-validator.js';
import { loadByLines } from './load-by-lines.js';
import { JsonArrayScanner, JsonScanError, type BatchSink } from './json-array-scanner.js';
import { errnoCode, nodeStoreFs, readFully, type StoreFileHandle, type StoreFs } from './store-fs.js';

/**
 * Whole-file JSON.parse below this size; chunked parsing above. Measured on the 2-core dev box
 * with a 100 MB, 100,000-entry file: whole ~0.7 s but peak RSS ~530 MB for a 20k merge; chunked
 * ~1.0 s at ~420 MB. The memory budget (500 MB) decides: 64 MiB.
 */
export const DEFAULT_CHUNKED_THRESHOLD_BYTES = 64 * 1024 * 1024;
export const DEFAULT_READ_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ReadOptions {
  /** Files of at least this many bytes are parsed in chunks (tests lower it to exercise that path). */
  chunkedThresholdBytes?: number;
  /** Read size of the chunked path. */
  chunkBytes?: number;
  fs?: StoreFs;
  /** Files below this many bytes, read whole, also come back as `bytes` (update-reuse.ts). */
  keepBytesBelow?: number;
}

/** What identifies the file version that was read, to detect a replacement before writing over it. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface LoadedFile {
  entries: DlqEntry[];
  exists: boolean;
  /** Permission bits of the file as read (undefined when it did not exist). */
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  identity: FileIdentity | undefined;
  /** The file's bytes, with ReadOptions.keepBytesBelow (and only when read whole). */
  bytes?: Buffer;
}

export function identityOf(st: {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** An fs error as a short phrase without the path (the DlqFileError message already names it). */
export function describeFsError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return oneLine(message.replace(/, \w+ '.*'$/s, ''));
}

/** Collapses whitespace (V8's JSON messages quote the input, newlines included) and caps length. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function isJsonWhitespaceOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

export async function loadDlq(path: string, options: ReadOptions = {}): Promise<LoadedFile> {
  const fs = options.fs ?? nodeStoreFs;
  let handle: StoreFileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return { entries: [], exists: false, mode: undefined, uid: undefined, gid: undefined, identity: undefined };
    }
    throw new DlqFileError(path, `cannot open: ${describeFsError(error)}`, { cause: error });
  }
  try {
    let st;
    try {
      st = await handle.stat({ bigint: true });
    } catch (error) {
      throw new DlqFileError(path, `cannot stat: ${describeFsError(error)}`, { cause: error });
    }
    if ((st.mode & 0o170000n) !== 0o100000n) throw new DlqFileError(path, 'not a regular file');
    const threshold = options.chunkedThresholdBytes ?? DEFAULT_CHUNKED_THRESHOLD_BYTES;
    const keep = Number(st.size) < (options.keepBytesBelow ?? 0) ? ({} as { bytes?: Buffer }) : undefined;
    const entries =
      Number(st.size) < threshold
        ? await loadWhole(path, handle, Number(st.size), keep)
        : await loadLarge(path, handle, options.chunkBytes ?? DEFAULT_READ_CHUNK_BYTES);
    return {
      entries,
      exists: true,
      mode: Number(st.mode & 0o777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      identity: identityOf(st),
      ...(keep?.bytes ? { bytes: keep.bytes } : {}),
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readExactly(path: string, handle: StoreFileHandle, buffer: Buffer, position: number): Promise<number> {
  try {
    return await readFully(handle, buffer, position);
  } catch (error) {
    throw new DlqFileError(path, `cannot read: ${describeFsError(error)}`, { cause: error });
  }
}

/** The identity of the file at `path` now, or undefined when there is none (fs errors are thrown as they are). */
export async function statIdentity(fs: StoreFs, path: string): Promise<FileIdentity | undefined> {
  let handle: StoreFileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return identityOf(await handle.stat({ bigint: true }));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function loadWhole(path: string, handle: StoreFileHandle, size: number, keep?: { bytes?: Buffer }): Promise<DlqEntry[]> {
  // Read until EOF even if the size changed since fstat (a foreign writer): never parse a prefix.
  const parts: Buffer[] = [];
  let position = 0;
  let want = Math.max(size, 1);
  for (;;) {
    const buffer = Buffer.allocUnsafe(want);
    const got = await readExactly(path, handle, buffer, position);
    // (An empty last read adds no part: a single part is used as it is, without a 100 MB copy.)
    if (got > 0) parts.push(got === buffer.length ? buffer : buffer.subarray(0, got));
    position += got;
    if (got < buffer.length) break;
    want = 64 * 1024;
  }
  let bytes: Buffer | undefined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  parts.length = 0;
  // Bytes that are not UTF-8 would silently become U+FFFD here, in what replay sends and in the
  // next rewrite: the scanner path names the entry and the file is refused (see invalidUtf8).
  if (!isUtf8(bytes)) {
    bytes = undefined;
    await loadChunked(path, handle, DEFAULT_READ_CHUNK_BYTES);
    throw new DlqFileError(path, 'not valid UTF-8');
  }
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = bytes.toString('utf8', hasBom ? 3 : 0);
  // Drop the bytes before parsing (unless asked for): peak memory is then the text plus the parsed entries.
  if (keep) keep.bytes = bytes;
  bytes = undefined;
  if (isJsonWhitespaceOnly(text)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    // Let the scanner find and name the problem (entry number, truncation, top-level type).
    await loadChunked(path, handle, DEFAULT_READ_CHUNK_BYTES);
    throw new DlqFileError(path, 'not valid JSON');
  }
  const validator = new EntryValidator();
  try {
    for (let i = 0; i < parsed.length; i++) validator.check(parsed[i], i);
  } catch (error) {
    throw asFileError(path, error);
  }
  return parsed as DlqEntry[];
}

/** dlq's own line layout fast (load-by-lines.ts); any other layout through the scanner. */
async function loadLarge(path: string, handle: StoreFileHandle, chunkBytes: number): Promise<DlqEntry[]> {
  let fast: DlqEntry[] | undefined;
  try {
    fast = await loadByLines(handle, chunkBytes, new EntryValidator(), (h, buffer, position) => readExactly(path, h, buffer, position));
  } catch (error) {
    throw asFileError(path, error);
  }
  return fast ?? (await loadChunked(path, handle, chunkBytes));
}

async function loadChunked(path: string, handle: StoreFileHandle, chunkBytes: number): Promise<DlqEntry[]> {
  const scanner = new JsonArrayScanner();
  const entries: DlqEntry[] = [];
  const sink = batchParser(entries, new EntryValidator());
  // One buffer reused for every read: the scanner copies what it carries over.
  const buffer = Buffer.allocUnsafe(Math.max(1, chunkBytes));
  let position = 0;
  try {
    for (;;) {
      const got = await readExactly(path, handle, buffer, position);
      if (got === 0) break;
      position += got;
      scanner.push(got === buffer.length ? buffer : buffer.subarray(0, got), sink);
    }
    scanner.end();
  } catch (error) {
    throw asFileError(path, error);
  }
  return entries;
}

/**
 * Parses each batch of elements with one JSON.parse (per-element calls cost ~50% more on a
 * 100,000-entry file); only when that fails are the elements parsed one by one to name the
 * entry at fault.
 */
function batchParser(entries: DlqEntry[], validator: EntryValidator): BatchSink {
  return (bytes, ranges, firstIndex) => {
    const count = ranges.length / 2;
    if (!isUtf8(bytes.subarray(ranges[0], ranges[ranges.length - 1]))) {
      for (let k = 0; k < count; k++) {
        const element = bytes.subarray(ranges[2 * k], ranges[2 * k + 1]);
        if (!isUtf8(element)) throw invalidUtf8(element, firstIndex + k);
      }
    }
    let values: unknown[] | undefined;
    try {
      const parsed: unknown = JSON.parse(`[${bytes.toString('utf8', ranges[0], ranges[ranges.length - 1])}]`);
      if (Array.isArray(parsed) && parsed.length === count) values = parsed;
    } catch {
      values = undefined;
    }
    if (values === undefined) {
      values = [];
      for (let k = 0; k < count; k++) {
        const text = bytes.toString('utf8', ranges[2 * k], ranges[2 * k + 1]);
        try {
          values.push(JSON.parse(text));
        } catch (error) {
          throw new EntryProblem(`entry ${firstIndex + k + 1}: invalid JSON (${oneLine((error as Error).message, 160)})`);
        }
      }
    }
    for (let k = 0; k < count; k++) entries.push(validator.check(values[k], firstIndex + k));
  };
}

/**
 * A stored entry whose bytes are not UTF-8 (hand-edited, another tool) is refused, naming it:
 * dlq keeps payloads byte for byte and cannot keep these (a JavaScript string has no way to hold
 * them), so loading them would quietly turn them into U+FFFD — in `inspect --body`, in what
 * replay sends, and in the next rewrite of the file. The decision is documented in README
 * ("Validation").
 */
function invalidUtf8(element: Buffer, index: number): EntryProblem {
  let id = '';
  try {
    const parsed = JSON.parse(element.toString('utf8')) as { delivery_id?: unknown };
    if (typeof parsed.delivery_id === 'string') id = ` (delivery_id ${JSON.stringify(parsed.delivery_id)})`;
  } catch {
    // unnamed then
  }
  return new EntryProblem(`entry ${index + 1}${id}: not valid UTF-8; dlq refuses bytes it could not keep exactly (fix or remove the entry)`);
}

function asFileError(path: string, error: unknown): unknown {
  if (error instanceof JsonScanError || error instanceof EntryProblem) {
    return new DlqFileError(path, error.message, { cause: error });
  }
  if (error instanceof RangeError) {
    // A single entry too large for a string, or out of memory: still one clear line.
    return new DlqFileError(path, `cannot load: ${oneLine(error.message)}`, { cause: error });
  }
  return error;
}
