/** Runs the built binary (`node bin/dlq.js ...`) as a user or a script would. */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/support → repository root.
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'bin/dlq.js');

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout exactly as written (for byte-for-byte checks such as `inspect --body`). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Options for node itself, before the script (e.g. `--import` a tracing hook). */
  nodeArgs?: string[];
}

export function runBin(args: string[], options: RunOptions): Promise<BinResult> {
  return runCommand(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], options);
}

/** Runs any executable (e.g. an installed `dlq` found through its shebang) the way runBin does. */
export function runCommand(file: string, args: string[], options: RunOptions): Promise<BinResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      // A clean environment: nothing leaks in from the test runner.
      env: { PATH: process.env['PATH'], TZ: 'UTC', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, signal, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
