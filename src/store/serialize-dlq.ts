/**
 * The DLQ file layout: `[\n` + one JSON entry per line joined by `,\n` + `\n]\n` (`[]\n` when
 * empty). Valid JSON, and grep- and diff-friendly. The chunked form never builds the file as one
 * string (V8 strings stop at ~512 MiB): entries are stringified one at a time into a fixed buffer
 * that is handed out whenever it fills.
 */
import type { DlqEntry } from '../dlq-entry.js';

export const DEFAULT_WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/** The whole file as one string: for small files (tests, samples) only. */
export function serializeDlq(entries: readonly DlqEntry[]): string {
  if (entries.length === 0) return '[]\n';
  return `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
}

/** Where each entry's JSON text sits in the serialised file (byte offset and byte length, by index). */
export interface EntryLayout {
  offsets: number[];
  lengths: number[];
}

/**
 * The same bytes as serializeDlq, as a sequence of Buffers of about `chunkBytes` each. Every
 * yielded Buffer is a fresh one, so the consumer may still be writing it while it asks for the
 * next (atomicWrite overlaps serialising and writing).
 * With `layout`, records each entry's byte range as it goes (the sidecar index needs them, and only
 * the serialiser knows them without a second pass).
 */
export function* serializeDlqChunks(
  entries: readonly DlqEntry[],
  chunkBytes: number = DEFAULT_WRITE_CHUNK_BYTES,
  layout?: EntryLayout,
  /**
   * Entries' JSON as UTF-8 bytes by object, read and filled (update-reuse.ts): an entry already
   * serialised is copied, not stringified and encoded again.
   */
  texts?: WeakMap<DlqEntry, Buffer>,
): Generator<Buffer, void, undefined> {
  const size = Math.max(64, chunkBytes);
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;
  /** Bytes handed out so far plus `used`: the file offset of the next byte. */
  let position = 0;
  function* put(text: string): Generator<Buffer, void, undefined> {
    // A UTF-16 code unit is at most 3 UTF-8 bytes, so text.length * 3 bytes always fit.
    if (used + text.length * 3 > size) {
      if (used > 0) {
        yield buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(size);
        used = 0;
      }
      if (text.length * 3 > size) {
        const big = Buffer.from(text, 'utf8');
        position += big.length;
        yield big;
        return;
      }
    }
    const n = buffer.write(text, used, 'utf8');
    used += n;
    position += n;
  }
  function* putBytes(bytes: Buffer): Generator<Buffer, void, undefined> {
    if (used + bytes.length > size) {
      if (used > 0) {
        yield buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(size);
        used = 0;
      }
      if (bytes.length > size) {
        position += bytes.length;
        // A copy: the caller keeps (and may reuse) its own bytes, and yielded Buffers are fresh.
        yield Buffer.from(bytes);
        return;
      }
    }
    used += bytes.copy(buffer, used);
    position += bytes.length;
  }
  if (entries.length === 0) {
    yield* put('[]\n');
  } else {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as DlqEntry;
      let bytes = texts?.get(entry);
      const json = bytes === undefined ? JSON.stringify(entry) : undefined;
      if (bytes === undefined && typeof json !== 'string') throw new TypeError(`entry ${i + 1} cannot be serialised as JSON`);
      yield* put(i === 0 ? '[\n' : ',\n');
      const start = position;
      if (texts && json !== undefined) texts.set(entry, (bytes = Buffer.from(json, 'utf8')));
      if (bytes !== undefined) yield* putBytes(bytes);
      else yield* put(json as string);
      if (layout) {
        layout.offsets.push(start);
        layout.lengths.push(position - start);
      }
    }
    yield* put('\n]\n');
  }
  if (used > 0) yield buffer.subarray(0, used);
}

/**
 * The same layout as serializeDlqChunks, for entries that arrive in batches (a copy streaming out
 * of another store): never more than one batch and one chunk in memory. `onEntry` sees each entry
 * as it is written (checks, counts).
 */
export async function* serializeDlqStream(
  batches: AsyncIterable<readonly DlqEntry[]>,
  onEntry: (entry: DlqEntry, index: number) => void,
  chunkBytes: number = DEFAULT_WRITE_CHUNK_BYTES,
): AsyncGenerator<Buffer, void, undefined> {
  const size = Math.max(64, chunkBytes);
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;
  let index = 0;
  const pending: Buffer[] = [];
  const put = (text: string) => {
    if (used + text.length * 3 > size) {
      if (used > 0) pending.push(buffer.subarray(0, used));
      buffer = Buffer.allocUnsafe(size);
      used = 0;
      if (text.length * 3 > size) {
        pending.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    used += buffer.write(text, used, 'utf8');
  };
  for await (const batch of batches) {
    for (const entry of batch) {
      onEntry(entry, index);
      const json = JSON.stringify(entry);
      if (typeof json !== 'string') throw new TypeError(`entry ${index + 1} cannot be serialised as JSON`);
      put(index === 0 ? '[\n' : ',\n');
      put(json);
      index++;
    }
    yield* pending.splice(0);
  }
  put(index === 0 ? '[]\n' : '\n]\n');
  yield* pending.splice(0);
  if (used > 0) yield buffer.subarray(0, used);
}
