/**
 * Writes many lines (100,000 entries as NDJSON are tens of megabytes) in ~64 KB chunks: one
 * giant string would double peak memory, one write per line would be slow on a pipe.
 *
 * Between chunks it yields to the event loop, so a failed write (EPIPE when `| head` has what it
 * wanted, ENOSPC) is seen at once and the rest is not produced: it throws OutputError.
 */
import type { OutStream } from '../io.js';
import { settleWrites, throwIfFailed } from './guard-output.js';

const CHUNK = 64 * 1024;

export async function writeChunked<T>(stream: OutStream, items: Iterable<T>, toText: (item: T) => string): Promise<void> {
  let buffer = '';
  for (const item of items) {
    buffer += toText(item);
    if (buffer.length >= CHUNK) {
      stream.write(buffer);
      buffer = '';
      await settleWrites();
      throwIfFailed(stream);
    }
  }
  if (buffer !== '') stream.write(buffer);
}
