/**
 * The sidecar index `<dlq file>.idx`: a derived cache that lets `dlq list` and `dlq inspect` skip
 * parsing the whole DLQ file (JSON.parse of 124 MB alone takes ~1 s). The store writes it after
 * every rewrite of the DLQ file, still under the lock; nothing else writes it.
 *
 * Trust rule: the index records the identity (dev, inode, size, mtime and ctime in ns) of the DLQ
 * file version it describes. It is used only while a fresh stat of the DLQ file matches, so a file
 * replaced, appended to or edited by anything else (or a corrupt file) never shows stale data: the
 * caller falls back to the full, validating read. Missing, unreadable, malformed or other-version
 * indexes are ignored the same way; failing to write one is not an error.
 *
 * Layout: line 1 a header `{"version":1,"identity":{...},"count":n,"fields":[...]}`, then one JSON
 * array holding one row per line: [offset, length, delivery_id, timestamp, status_code,
 * status_message, webhook_id, webhook_name, replay_status, first_seen_at, last_seen_at, source, replays].
 * Rows are positional (no keys) to keep the file, and its parse, small.
 */
import { promises as fsp } from 'node:fs';
import type { DlqEntry } from '../dlq-entry.js';
import { atomicWrite } from './atomic-write.js';
import { identityOf, sameIdentity, statIdentity, type FileIdentity } from './load-dlq.js';
import type { EntryLayout } from './serialize-dlq.js';
import { nodeStoreFs, readFully, type StoreFileHandle, type StoreFs } from './store-fs.js';

// 2: rows carry `source` (history items vs. operational events, for `--source`).
export const DLQ_INDEX_VERSION = 2;

const FIELDS = [
  'offset',
  'length',
  'delivery_id',
  'timestamp',
  'status_code',
  'status_message',
  'webhook_id',
  'webhook_name',
  'replay_status',
  'first_seen_at',
  'last_seen_at',
  'source',
  'replays',
] as const;

/** The fields a summary keeps besides delivery_id (row positions 3..11): strings, status_code also a number. */
const STRING_FIELDS = ['timestamp', 'status_code', 'status_message', 'webhook_id', 'webhook_name', 'replay_status', 'first_seen_at', 'last_seen_at', 'source'] as const;

/** Where one entry's JSON text sits in the DLQ file. */
export interface EntryRef {
  offset: number;
  length: number;
  /** Number of replay attempts recorded for the entry. */
  replays: number;
}

export const ENTRY_REF: unique symbol = Symbol('dlq-index entry ref');

/**
 * A summary of one entry, usable wherever list/inspect read a DlqEntry for filtering, sorting,
 * grouping and the table: it holds delivery_id and the STRING_FIELDS, each only when its stored
 * value has a type those readers look at (strings; status_code also as a number). Other values are
 * left out, which those readers already treat as absent. Bodies and replays are never in it.
 */
export type IndexedEntry = DlqEntry & { readonly [ENTRY_REF]: EntryRef };

export interface DlqIndex {
  /** The DLQ file the index describes (as given to readDlqIndex). */
  path: string;
  identity: FileIdentity;
  entries: IndexedEntry[];
}

/** The DLQ file no longer is the version the index describes: read the whole file instead. */
export class DlqIndexStaleError extends Error {
  override readonly name = 'DlqIndexStaleError';
}

export function indexPathFor(target: string): string {
  return `${target}.idx`;
}

// ---------------------------------------------------------------- writing (store only)

function keep(field: (typeof STRING_FIELDS)[number], value: unknown): string | number | null {
  if (typeof value === 'string') return value;
  if (field === 'status_code' && typeof value === 'number') return value;
  return null;
}

/** A row without its leading `[offset,length,`, as UTF-8: all that depends on the entry alone. */
function rowTailOf(entry: DlqEntry): Buffer {
  const row: unknown[] = [entry.delivery_id];
  for (const field of STRING_FIELDS) row.push(keep(field, entry[field]));
  row.push(Array.isArray(entry.replays) ? entry.replays.length : 0);
  return Buffer.from(JSON.stringify(row).slice(1), 'utf8');
}

function* indexChunks(
  identity: FileIdentity,
  entries: readonly DlqEntry[],
  layout: EntryLayout,
  tails: WeakMap<DlqEntry, Buffer> | undefined,
): Generator<Buffer> {
  const header = {
    version: DLQ_INDEX_VERSION,
    identity: {
      dev: String(identity.dev),
      ino: String(identity.ino),
      size: String(identity.size),
      mtimeNs: String(identity.mtimeNs),
      ctimeNs: String(identity.ctimeNs),
    },
    count: entries.length,
    fields: FIELDS,
  };
  yield Buffer.from(`${JSON.stringify(header)}\n[`, 'utf8');
  // Batches of rows, each assembled in one Buffer: one Buffer per row would cost a write call
  // each; the whole index as one string would double the peak memory of a big merge. A row is
  // its `,\n[offset,length,` (ASCII) and its tail's bytes, kept per entry object across a
  // replay's saves (update-reuse.ts): only the entries a save changed are stringified.
  const BATCH = 2000;
  for (let start = 0; start < entries.length; start += BATCH) {
    const end = Math.min(entries.length, start + BATCH);
    const rowTails: Buffer[] = [];
    let size = 0;
    for (let i = start; i < end; i++) {
      const entry = entries[i] as DlqEntry;
      let tail = tails?.get(entry);
      if (tail === undefined) {
        tail = rowTailOf(entry);
        tails?.set(entry, tail);
      }
      rowTails.push(tail);
      // `,\n[` + two numbers of at most 16 digits + two commas.
      size += tail.length + 37;
    }
    const out = Buffer.allocUnsafe(size);
    let used = 0;
    for (let i = start; i < end; i++) {
      used += out.write(`${i === 0 ? '\n' : ',\n'}[${layout.offsets[i] as number},${layout.lengths[i] as number},`, used, 'latin1');
      used += (rowTails[i - start] as Buffer).copy(out, used);
    }
    yield out.subarray(0, used);
  }
  yield Buffer.from(entries.length === 0 ? ']\n' : '\n]\n', 'utf8');
}


/**
 * Writes the index of the DLQ file just renamed into place at `target` (call it under the lock,
 * right after the rename, with the entries and layout that were written). Never throws: the
 * index is a cache, and on any failure the old index is removed (the identity check would reject
 * it anyway; removing it just frees the space).
 */
export async function writeDlqIndex(
  target: string,
  entries: readonly DlqEntry[],
  layout: EntryLayout,
  options: {
    mode: number;
    uid?: number | undefined;
    gid?: number | undefined;
    fs?: StoreFs;
    /** Throws when the lock was lost (then the file stat'd may be another writer's). */
    verifyLock?: () => Promise<void>;
    /** Rows by entry object, read and filled: an entry object never changed in place keeps its row (update-reuse.ts). */
    rowTails?: WeakMap<DlqEntry, Buffer>;
  },
): Promise<void> {
  const fs = options.fs ?? nodeStoreFs;
  const indexPath = indexPathFor(target);
  try {
    const n = entries.length;
    if (layout.offsets.length !== n || layout.lengths.length !== n) throw new Error('layout mismatch');
    const identity = await statIdentity(fs, target);
    if (identity === undefined) throw new Error('the file just written is gone');
    // The file there must be the one just written: `[\n` … `\n]\n`, or `[]\n`.
    const expectedSize = n === 0 ? 3 : (layout.offsets[n - 1] as number) + (layout.lengths[n - 1] as number) + 3;
    if (identity.size !== BigInt(expectedSize)) throw new Error('not the file just written');
    await atomicWrite(indexPath, indexChunks(identity, entries, layout, options.rowTails), {
      mode: options.mode,
      uid: options.uid,
      gid: options.gid,
      fs,
      // A cache, checked against the DLQ file's identity on every use: no fsync needed.
      durable: false,
      beforeRename: async () => {
        await options.verifyLock?.();
        if (!sameIdentity(await statIdentity(fs, target), identity)) throw new Error('replaced meanwhile');
      },
    });
  } catch {
    await fs.unlink(indexPath).catch(() => undefined);
  }
}

// ---------------------------------------------------------------- reading

function parseIdentity(value: unknown): FileIdentity | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const out: Partial<Record<keyof FileIdentity, bigint>> = {};
  for (const key of ['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'] as const) {
    const text = v[key];
    if (typeof text !== 'string' || !/^\d+$/.test(text)) return undefined;
    out[key] = BigInt(text);
  }
  return out as FileIdentity;
}

/** The header line: this version's, with a valid identity and entry count; else undefined (JSON errors throw). */
function parseHeader(line: string): { identity: FileIdentity; count: number } | undefined {
  const h: unknown = JSON.parse(line);
  if (typeof h !== 'object' || h === null) return undefined;
  const { version, identity, count } = h as { version?: unknown; identity?: unknown; count?: unknown };
  if (version !== DLQ_INDEX_VERSION || !Number.isSafeInteger(count)) return undefined;
  const parsed = parseIdentity(identity);
  return parsed === undefined ? undefined : { identity: parsed, count: count as number };
}

function summaryOf(row: unknown, fileSize: number): IndexedEntry | undefined {
  if (!Array.isArray(row) || row.length !== FIELDS.length) return undefined;
  const [offset, length, id] = row as [unknown, unknown, unknown];
  const replays = row[FIELDS.length - 1] as unknown;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || !Number.isSafeInteger(replays)) return undefined;
  if ((offset as number) < 0 || (length as number) <= 0 || (offset as number) + (length as number) > fileSize) return undefined;
  if (typeof id !== 'string' || id === '') return undefined;
  const entry: Record<string | symbol, unknown> = { delivery_id: id };
  for (let k = 0; k < STRING_FIELDS.length; k++) {
    const field = STRING_FIELDS[k] as (typeof STRING_FIELDS)[number];
    const value: unknown = row[3 + k];
    if (value === null) continue;
    if (keep(field, value) === null) return undefined;
    entry[field] = value;
  }
  const ref: EntryRef = { offset: offset as number, length: length as number, replays: replays as number };
  entry[ENTRY_REF] = ref;
  return entry as unknown as IndexedEntry;
}

/**
 * The index of the DLQ file at `path`, or undefined when there is none usable: missing,
 * unreadable, malformed, another version, or describing another version of the file than the
 * one there now. Never throws.
 */
export async function readDlqIndex(path: string): Promise<DlqIndex | undefined> {
  try {
    // A symlinked DLQ file is rewritten (and indexed) where it really lives.
    const target = await fsp.realpath(path);
    const bytes = await fsp.readFile(indexPathFor(target));
    const newline = bytes.indexOf(0x0a);
    const header = newline < 0 ? undefined : parseHeader(bytes.toString('utf8', 0, newline));
    if (header === undefined) return undefined;
    const { identity } = header;
    // Checked before the rows are parsed: a stale index costs one small parse, not a big one.
    if (!sameIdentity(identity, identityOf(await fsp.stat(path, { bigint: true })))) return undefined;
    const rows: unknown = JSON.parse(bytes.toString('utf8', newline + 1));
    if (!Array.isArray(rows) || rows.length !== header.count) return undefined;
    const size = Number(identity.size);
    const entries: IndexedEntry[] = new Array<IndexedEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const summary = summaryOf(rows[i], size);
      if (summary === undefined) return undefined;
      entries[i] = summary;
    }
    return { path, identity, entries };
  } catch {
    return undefined;
  }
}

/**
 * Only the index's header: which version of the DLQ file (identity) our serialiser wrote, and how
 * many entries; undefined when there is no readable index of this version. Reads the first line
 * alone (the rows are not needed to know that the file is in our own layout).
 */
export async function readDlqIndexHeader(target: string): Promise<{ identity: FileIdentity; count: number } | undefined> {
  let handle: Awaited<ReturnType<typeof fsp.open>> | undefined;
  try {
    handle = await fsp.open(indexPathFor(target), 'r');
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    return newline < 0 ? undefined : parseHeader(buffer.toString('utf8', 0, newline));
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function checkIdentity(handle: StoreFileHandle, index: DlqIndex): Promise<void> {
  if (!sameIdentity(identityOf(await handle.stat({ bigint: true })), index.identity)) {
    throw new DlqIndexStaleError(`${index.path} changed since its index was read`);
  }
}

/**
 * The whole entries behind `summaries` (from `index`), in the same order, read from their byte
 * ranges. Throws DlqIndexStaleError when the DLQ file is not (or stops being, during the reads)
 * the version the index describes, or a range does not hold the expected entry: the caller then
 * reads the whole file instead.
 */
export async function readEntriesAt(index: DlqIndex, summaries: readonly DlqEntry[]): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  for await (const batch of readEntriesInBatches(index, summaries, Number.MAX_SAFE_INTEGER)) out.push(...batch);
  return out;
}

/**
 * readEntriesAt in batches of `batchSize`, so a caller can print as it reads and stop early (a
 * reader that closed the pipe must not wait for 200 MB to be read). The identity is checked
 * before the first batch (a stale index is then seen before anything was printed) and after the
 * last; stopping early closes the file.
 */
export async function* readEntriesInBatches(
  index: DlqIndex,
  summaries: readonly DlqEntry[],
  batchSize = 1000,
): AsyncGenerator<DlqEntry[]> {
  const handle = await nodeStoreFs.open(index.path, 'r').catch((error: unknown) => {
    throw new DlqIndexStaleError(`${index.path}: cannot open`, { cause: error });
  });
  try {
    await checkIdentity(handle, index);
    let out: DlqEntry[] = [];
    for (const summary of summaries) {
      const ref = (summary as Partial<IndexedEntry>)[ENTRY_REF];
      if (ref === undefined) throw new TypeError('readEntriesAt: not an entry of this index');
      const buffer = Buffer.allocUnsafe(ref.length);
      if ((await readFully(handle, buffer, ref.offset)) < ref.length) {
        throw new DlqIndexStaleError(`${index.path}: shorter than its index says`);
      }
      let entry: unknown;
      try {
        entry = JSON.parse(buffer.toString('utf8'));
      } catch (error) {
        throw new DlqIndexStaleError(`${index.path}: the index points at no entry`, { cause: error });
      }
      if (typeof entry !== 'object' || entry === null || (entry as DlqEntry).delivery_id !== summary.delivery_id) {
        throw new DlqIndexStaleError(`${index.path}: the index points at another entry`);
      }
      out.push(entry as DlqEntry);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    // The store only ever replaces the file, but a hand edit in place during the reads must not pass.
    await checkIdentity(handle, index);
    if (out.length > 0) yield out;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
