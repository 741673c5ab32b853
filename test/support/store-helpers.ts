/** Shared helpers for the store tests: temp dirs, entries, the worker child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DlqEntry } from '../../src/dlq-entry.js';

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'dlq-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Names in `dir` that look like our temp or lock files. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'));
}

export function entry(id: string, extra: Record<string, unknown> = {}): DlqEntry {
  return {
    delivery_id: id,
    timestamp: '2024-05-01T10:00:00.000Z',
    status_code: 503,
    status_message: 'Service Unavailable',
    request_body: `{"id":"${id}","text":"é ] , { \\" }"}`,
    response_body: '{}',
    webhook_id: 'wh-1',
    ...extra,
  };
}

export const WORKER = fileURLToPath(new URL('./store-worker.js', import.meta.url));

export interface WorkerRun {
  child: ChildProcess;
  /** Lines printed on stdout so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the child is gone. */
  exited: Promise<number | string>;
  /** Resolves when a stdout line starting with `prefix` appears. */
  waitFor: (prefix: string) => Promise<void>;
}

export function runWorker(config: Record<string, unknown>): WorkerRun {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const waiters: { prefix: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (line.startsWith(w.prefix)) w.resolve();
        else waiters.push(w);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor: (prefix) =>
      new Promise((resolve, reject) => {
        if (lines.some((l) => l.startsWith(prefix))) return resolve();
        waiters.push({ prefix, resolve });
        void exited.then((code) => reject(new Error(`worker exited (${code}) before "${prefix}": ${err}`)));
      }),
  };
}
