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
  /** `--color` (`--no-color` is `never`); absent means `auto`. */
  color?: ColorMode;
  /** `--log-format` / DLQ_LOG_FORMAT for stderr (output/log-line.ts); absent means `text`. */
  logFormat?: 'text' | 'json';
  /** The running command's name, for JSON log lines. */
  command?: string;
}

export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}

/**
 * Whether to write ANSI colour to `stream`. In order: `--color always|never`; then FORCE_COLOR as
 * Node itself reads it (set to '', 1, 2, 3 or true: colour; any other value: none; it beats
 * NO_COLOR, https://nodejs.org/api/cli.html#force_color1-2-3); then NO_COLOR
 * (https://no-color.org) and TERM=dumb turn colour off; otherwise colour only on a terminal.
 */
export function colorEnabled(io: Io, stream: OutStream): boolean {
  if (io.color === 'always') return true;
  if (io.color === 'never') return false;
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (io.env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/**
 * Spinners and the updating progress line only on an interactive stderr: a terminal (even with
 * --color always, an animation in a pipe or log file is noise), with colour on by the rule above
 * (--color never, NO_COLOR, TERM=dumb: plain lines), and not in CI.
 */
export function interactiveStderr(io: Io): boolean {
  if (io.stderr.isTTY !== true) return false;
  // JSON log lines are for log shippers: no spinner or updating line between them.
  if (io.logFormat === 'json') return false;
  if (!colorEnabled(io, io.stderr)) return false;
  if (io.env['CI'] !== undefined && io.env['CI'] !== '' && io.env['CI'] !== 'false') return false;
  // A terminal that reports no width (`script` without a size, some `docker -t` setups) sends
  // ora's line clearing into an endless loop (width / 0): treat it as a plain stream.
  return (io.stderr.columns ?? 0) > 0;
}
