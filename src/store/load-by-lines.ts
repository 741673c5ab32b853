/**
 * The fast way to read a large file in dlq's own layout (`[`, one entry per line, lines joined by
 * `,` + newline, `]`): lines are found with Buffer#indexOf (native memchr) and each chunk's
 * complete lines are JSON.parsed as one array, so no JavaScript loop touches every byte.
 *
 * Why this is exact: JSON strings cannot contain a raw newline, so every newline lies between
 * tokens. Each batch is `[` + whole lines + `]` with the batch's trailing comma removed, and a
 * batch must end with that comma unless it is the last; the batches therefore concatenate to the
 * file's own text, and they all parse if and only if the file does. Anything else (another
 * writer's layout, an object split over lines, a syntax error) returns undefined and the caller
 * falls back to JsonArrayScanner, which accepts any layout and names the entry at fault.
 */
import { isUtf8 } from 'node:buffer';
import type { DlqEntry } from '../dlq-entry.js';
import type { EntryValidator } from './entry-validator.js';
import type { StoreFileHandle } from './store-fs.js';

const NEWLINE = 0x0a;

/** Returns the entries, or undefined when the file is not in dlq's line layout. */
export async function loadByLines(
  handle: StoreFileHandle,
  chunkBytes: number,
  validator: EntryValidator,
  read: (handle: StoreFileHandle, buffer: Buffer, position: number) => Promise<number>,
): Promise<DlqEntry[] | undefined> {
  const entries: DlqEntry[] = [];
  let carry: Buffer = Buffer.alloc(0);
  let position = 0;
  let started = false;
  let closed = false;
  /** The previous batch ended with a comma, so another entry must follow. */
  let expectEntry = false;
  // One read buffer for the whole file: each pass decodes its lines to a string and copies the
  // unfinished line out (Buffer.from), so nothing refers to the buffer when it is read into again.
  const buffer = Buffer.allocUnsafe(Math.max(1, chunkBytes));
  for (;;) {
    const got = await read(handle, buffer, position);
    position += got;
    const data = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, got)]) : buffer.subarray(0, got);
    const atEnd = got < buffer.length;
    const cut = atEnd ? data.length : data.lastIndexOf(NEWLINE) + 1;
    // Not UTF-8: the scanner path names the entry and refuses the file (load-dlq.ts, invalidUtf8).
    if (!isUtf8(data.subarray(0, cut))) return undefined;
    // Complete lines only (a newline is ASCII, so a multi-byte character is never split here).
    let text = data.toString('utf8', 0, cut);
    carry = atEnd ? Buffer.alloc(0) : Buffer.from(data.subarray(cut));
    if (text === '' && !atEnd) continue; // no complete line yet
    if (!started) {
      if (!text.startsWith('[\n')) return undefined;
      text = text.slice(2);
      started = true;
    }
    // After the closing bracket only blank lines may follow.
    if (closed) {
      if (!/^[ \t\r\n]*$/.test(text)) return undefined;
      if (atEnd) return entries;
      continue;
    }
    let body = trimJsonSpaceEnd(text);
    let last = false;
    if (body === ']') {
      last = true;
      body = '';
    } else if (body.endsWith('\n]')) {
      last = true;
      body = body.slice(0, -2);
    }
    if (!last && body !== '' && !body.endsWith(',')) {
      // The file's last entry has no comma and its closing bracket may come in the next chunk:
      // hold that one line back until then.
      const nl = body.lastIndexOf('\n');
      carry = Buffer.concat([Buffer.from(`${body.slice(nl + 1)}\n`), carry]);
      body = nl < 0 ? '' : trimJsonSpaceEnd(body.slice(0, nl));
      if (atEnd) return undefined;
    }
    if (last && body === '' && expectEntry) return undefined; // `,` then `]`: a trailing comma
    if (body !== '') {
      // Every batch but the last ends with the comma before the next entry; the last has none.
      if (last === body.endsWith(',')) return undefined;
      const values = tryParse(`[${last ? body : body.slice(0, -1)}]`);
      if (!Array.isArray(values)) return undefined;
      // The same validator as the scanner path, so problems are worded the same way.
      for (const value of values) entries.push(validator.check(value, entries.length));
      expectEntry = !last;
    }
    if (last) closed = true;
    if (atEnd) return closed ? entries : undefined;
  }
}

/** Drops trailing JSON whitespace only (String#trimEnd would also drop Unicode spaces, which are not JSON). */
function trimJsonSpaceEnd(text: string): string {
  let end = text.length;
  for (;;) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    end -= 1;
  }
  return end === text.length ? text : text.slice(0, end);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
