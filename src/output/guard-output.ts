/**
 * stdout/stderr write failures, handled in one place (issue #9).
 *
 * Node reports a failed write to process.stdout (EPIPE when the reader left, as with
 * `dlq list --ndjson | head -c 100`; ENOSPC for `> /dev/full`; EIO, …) as an 'error' event a
 * tick later, never from write() itself; unhandled, it is an uncaught exception with a stack.
 * The guard catches the event, remembers the first failure (`error`), and drops later writes.
 * Long writers (writeChunked) yield between chunks and stop at the first failure; main() checks
 * it once more after the command and maps it: EPIPE is a reader that has what it wanted (quiet,
 * the command's own exit code), anything else is one line and exit 74.
 *
 * Stopping early is safe for every command: they write stdout only after their changes to the
 * DLQ file are saved (fetch's and replay's summaries come last).
 */
import { OutputError } from '../errors.js';
import type { OutStream } from '../io.js';

interface ErrorEmitter {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

export interface GuardedOutput {
  stream: OutStream;
  /** Whether anything was written (a --json run that failed before printing gets an error object). */
  wrote(): boolean;
  /** The first write failure, if any. */
  failure(): NodeJS.ErrnoException | undefined;
}

export function guardOutput(stream: OutStream): GuardedOutput {
  let failure: NodeJS.ErrnoException | undefined;
  let wrote = false;
  const emitter = stream as unknown as Partial<ErrorEmitter>;
  if (typeof emitter.on === 'function') {
    emitter.on('error', (error) => {
      failure ??= error;
    });
  }
  const write = (chunk: string): boolean => {
    if (failure) return false;
    wrote = true;
    return stream.write(chunk);
  };
  // A proxy, not a new object: whatever else the stream offers (isTTY, columns, event methods)
  // keeps working, bound to the real stream. Only for stdout: ora replaces the `write` of the
  // stream it draws on (stderr), which through a proxy would end up calling itself.
  const guarded = new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      if (property === 'error') return failure;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { stream: guarded, wrote: () => wrote, failure: () => failure };
}

/**
 * stderr: a failed write there (`2>&-`, `2>/dev/full`, a closed pipe) has nowhere to be
 * reported, so it is dropped instead of crashing the run; the exit code still tells.
 */
export function ignoreWriteErrors(stream: OutStream): void {
  const emitter = stream as unknown as Partial<ErrorEmitter>;
  if (typeof emitter.on === 'function') emitter.on('error', () => {});
}

/** Lets a pending 'error' event of an earlier write arrive (Node emits it on a later tick). */
export function settleWrites(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** "no space left on the device" rather than Node's "ENOSPC: no space left on device, write". */
export function describeWriteError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EPIPE':
      return 'the reader closed the pipe';
    default: {
      const message = error.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '');
      return error.code ? `${message} (${error.code})` : message;
    }
  }
}

/** Throws OutputError (exit 74; quiet for EPIPE) once a write to `stream` has failed. */
export function throwIfFailed(stream: OutStream): void {
  const error = stream.error;
  if (error) throw new OutputError(`cannot write to stdout: ${describeWriteError(error)}`, { code: error.code, cause: error });
}
