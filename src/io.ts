/**
 * The process boundary, passed into every command so tests can run commands without argv,
 * capture stdout/stderr and pin the clock and environment.
 */
export interface OutStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
  /** The first write failure (EPIPE, ENOSPC, …) once one happened; see output/guard-output.ts. */
  readonly error?: NodeJS.ErrnoException | undefined;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** Current time; tests pin it. */
  now: () => Date;
  /** Working directory used to resolve relative paths. */
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}

/** Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(io: Io, stream: OutStream): boolean {
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (io.env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** Spinners and progress bars only on an interactive stderr, never with NO_COLOR or in CI. */
export function interactiveStderr(io: Io): boolean {
  // Everything that rules out colour rules out a spinner too; CI logs are never interactive.
  if (!colorEnabled(io, io.stderr)) return false;
  if (io.env['CI'] !== undefined && io.env['CI'] !== '' && io.env['CI'] !== 'false') return false;
  // A terminal that reports no width (`script` without a size, some `docker -t` setups) sends
  // ora's line clearing into an endless loop (width / 0): treat it as a plain stream.
  return (io.stderr.columns ?? 0) > 0;
}
