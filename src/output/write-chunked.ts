/**
 * Writes many lines (100,000 entries as NDJSON are tens of megabytes) in ~64 KB chunks: one
 * giant string would double peak memory, one write per line would be slow on a pipe.
 */
import type { OutStream } from '../io.js';

const CHUNK = 64 * 1024;

export function writeChunked<T>(stream: OutStream, items: Iterable<T>, toText: (item: T) => string): void {
  let buffer = '';
  for (const item of items) {
    buffer += toText(item);
    if (buffer.length >= CHUNK) {
      stream.write(buffer);
      buffer = '';
    }
  }
  if (buffer !== '') stream.write(buffer);
}
