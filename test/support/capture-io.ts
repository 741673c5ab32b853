/** An Io that records what a command writes, for calling commands directly in tests. */
import type { Io, OutStream } from '../../src/io.js';

export interface CapturedIo extends Io {
  out: () => string;
  err: () => string;
}

export function captureIo(options: { tty?: boolean; columns?: number; env?: NodeJS.ProcessEnv; cwd?: string; now?: Date } = {}): CapturedIo {
  let out = '';
  let err = '';
  const stream = (sink: (s: string) => void): OutStream => ({
    write: (chunk: string) => {
      sink(chunk);
      return true;
    },
    isTTY: options.tty ?? false,
    columns: options.columns ?? 100,
  });
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
