/**
 * Splits a top-level JSON array, fed as Buffers of any size, into the UTF-8 text of each element,
 * so that a DLQ file larger than V8's maximum string length (~512 MiB) can be parsed one entry at a
 * time. The scanner only tracks what decides where an element ends (strings, escapes, nesting); the
 * caller JSON.parses each element, which rejects anything invalid inside it. Together that accepts
 * exactly the documents JSON.parse accepts whose top level is an array (plus an optional UTF-8 BOM).
 *
 * UTF-8 safety: elements are cut only at ASCII bytes (`,` `]`) outside strings, and every byte of a
 * multi-byte UTF-8 sequence is >= 0x80, so a character split across two chunks is never decoded in
 * halves: partial elements are kept as bytes and decoded once complete.
 */

export class JsonScanError extends Error {
  override readonly name = 'JsonScanError';
}

const enum State {
  BeforeArray,
  InArray,
  AfterArray,
}

const BOM = [0xef, 0xbb, 0xbf];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Receives `ranges.length / 2` elements; the first is element number `firstIndex` (0-based). */
export type BatchSink = (bytes: Buffer, ranges: readonly number[], firstIndex: number) => void;

export class JsonArrayScanner {
  private state = State.BeforeArray;
  /** Nesting depth; 1 = directly inside the top-level array. */
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Non-whitespace seen since the last `[` or `,` at depth 1. */
  private elementHasContent = false;
  private lastSeparatorWasComma = false;
  /** Bytes of the current element carried over from earlier chunks. */
  private carry: Buffer[] = [];
  /** Bytes consumed before the current chunk (for error positions). */
  private offset = 0;
  /** Bytes of a leading UTF-8 BOM (EF BB BF) matched so far; 3 = done looking. */
  private bomMatched = 0;
  /** Complete elements emitted so far. */
  count = 0;

  /** Element ranges [start, end) completed inside the current chunk, flushed as one batch. */
  private ranges: number[] = [];
  private rangesFirstIndex = 0;

  /**
   * Feeds the next chunk; `onBatch` receives the complete elements in order, as a Buffer plus
   * [start, end) byte ranges of consecutive elements in it (separated only by commas and
   * whitespace, so the loader can JSON.parse a whole batch as one array). The chunk may be reused
   * by the caller after push returns (carried bytes are copied).
   */
  push(input: Buffer, onBatch: BatchSink): void {
    const chunk = input;
    const n = chunk.length;
    let elementStart = this.state === State.InArray ? 0 : -1;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        // Most of a DLQ file's bytes are string content: jump from quote to quote natively, and
        // decide whether a quote is escaped by the parity of the backslashes right before it.
        const q = chunk.indexOf(QUOTE, i);
        const stop = q === -1 ? n : q;
        let k = stop - 1;
        while (k >= i && chunk[k] === BACKSLASH) k--;
        let odd = (stop - 1 - k) % 2 === 1;
        // A run reaching back to where this scan started continues the run carried in `escape`.
        if (k < i && this.escape) odd = !odd;
        if (q === -1) {
          this.escape = odd;
          i = n;
        } else if (odd) {
          this.escape = false;
          i = q + 1;
        } else {
          this.escape = false;
          this.inString = false;
          i = q + 1;
        }
        continue;
      }
      const c = chunk[i] as number;
      if (this.state === State.InArray) {
        switch (c) {
          case QUOTE:
            this.inString = true;
            this.elementHasContent = true;
            break;
          case OPEN_BRACE:
          case OPEN_BRACKET:
            this.depth++;
            this.elementHasContent = true;
            break;
          case CLOSE_BRACE:
          case CLOSE_BRACKET:
            if (this.depth > 1) {
              this.depth--;
              break;
            }
            if (c === CLOSE_BRACE) throw this.fail(chunk, onBatch, i, `unexpected '}' in the array`);
            // The top-level array closes.
            if (this.elementHasContent) this.emit(chunk, elementStart, i, onBatch);
            else if (this.lastSeparatorWasComma) throw this.fail(chunk, onBatch, i, `unexpected ']' after ','`);
            this.depth = 0;
            this.state = State.AfterArray;
            elementStart = -1;
            break;
          case COMMA:
            if (this.depth > 1) break;
            if (!this.elementHasContent) throw this.fail(chunk, onBatch, i, `unexpected ','`);
            this.emit(chunk, elementStart, i, onBatch);
            this.lastSeparatorWasComma = true;
            elementStart = i + 1;
            break;
          default:
            if (!isJsonWhitespace(c)) this.elementHasContent = true;
        }
      } else if (this.state === State.BeforeArray) {
        // A UTF-8 BOM is tolerated at the very start (the whole-file path strips it too), even
        // when it is split across chunks.
        if (this.bomMatched < 3 && this.offset + i === this.bomMatched && c === BOM[this.bomMatched]) {
          this.bomMatched++;
          i++;
          continue;
        }
        this.bomMatched = 3;
        if (!isJsonWhitespace(c)) {
          if (c !== OPEN_BRACKET) {
            throw new JsonScanError(c === OPEN_BRACE ? 'not a JSON array (the top level is an object)' : `not a JSON array (starts with ${describeByte(c)})`);
          }
          this.state = State.InArray;
          this.depth = 1;
          elementStart = i + 1;
        }
      } else if (!isJsonWhitespace(c)) {
        throw this.fail(chunk, onBatch, i, `unexpected ${describeByte(c)} after the end of the array`);
      }
      i++;
    }
    this.flush(chunk, onBatch);
    if (this.state === State.InArray && elementStart >= 0 && elementStart < n) {
      this.carry.push(Buffer.from(chunk.subarray(elementStart)));
    }
    this.offset += n;
  }

  /** Call after the last chunk. Returns false when the input held nothing but whitespace. */
  end(): boolean {
    if (this.state === State.AfterArray) return true;
    if (this.state === State.BeforeArray) return false;
    throw new JsonScanError(
      `truncated: the JSON array is not closed (${this.count} complete ${this.count === 1 ? 'entry' : 'entries'} before the cut)`,
    );
  }

  private emit(chunk: Buffer, start: number, end: number, onBatch: BatchSink): void {
    if (this.carry.length > 0) {
      // The element began in an earlier chunk: it is the first one completed in this chunk.
      this.carry.push(chunk.subarray(0, end));
      const bytes = Buffer.concat(this.carry);
      this.carry = [];
      onBatch(bytes, [0, bytes.length], this.count);
    } else {
      if (this.ranges.length === 0) this.rangesFirstIndex = this.count;
      this.ranges.push(start, end);
    }
    this.count++;
    this.elementHasContent = false;
  }

  private flush(chunk: Buffer, onBatch: BatchSink): void {
    if (this.ranges.length === 0) return;
    const ranges = this.ranges;
    this.ranges = [];
    onBatch(chunk, ranges, this.rangesFirstIndex);
  }

  /** Hands over the elements completed before a structural error, so the first problem is reported. */
  private fail(chunk: Buffer, onBatch: BatchSink, indexInChunk: number, problem: string): JsonScanError {
    this.flush(chunk, onBatch);
    return new JsonScanError(`invalid JSON at byte ${this.offset + indexInChunk}: ${problem}`);
  }
}
