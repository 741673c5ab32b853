/** An Io that records what a command writes, for calling commands directly in tests. */
import type { Io, OutStream } from '../../src/io.js';

export interface CapturedIo extends Io {
  out: () => string;
  err: () => string;
}

export function captureIo(options: { tty?: boolean; columns?: number; env?: NodeJS.ProcessEnv; cwd?: string; now?: Date } = {}): CapturedIo {
  let out = '';
  let err = '';
  const stream = (sink: (s: string) => void): OutStream => {
    const base: OutStream = {
      write: (chunk: string) => {
        sink(chunk);
        return true;
      },
      isTTY: options.tty ?? false,
      columns: options.columns ?? 100,
    };
    if (!options.tty) return base;
    // What spinners call on a tty.WriteStream; the escape codes are recorded like any output.
    const done = (cb?: () => void) => (cb?.(), true);
    return Object.assign(base, {
      rows: 24,
      cursorTo: (x: number, cb?: () => void) => (sink(`\u001b[${x + 1}G`), done(cb)),
      moveCursor: (_dx: number, _dy: number, cb?: () => void) => done(cb),
      clearLine: (_dir: number, cb?: () => void) => (sink('\u001b[2K'), done(cb)),
      clearScreenDown: (cb?: () => void) => done(cb),
      on: () => base,
      once: () => base,
      removeListener: () => base,
    });
  };
  return {
    stdout: stream((s) => (out += s)),
    stderr: stream((s) => (err += s)),
    env: options.env ?? {},
    now: () => options.now ?? new Date(),
    cwd: options.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
}
