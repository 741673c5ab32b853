/**
 * Configuration shared by every command: the environment (optionally extended by --env-file)
 * and the DLQ file path. Precedence: flags > real environment > --env-file > defaults.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export const DEFAULT_DLQ_FILE = './dead_letter_queue.json';

export interface CommonOptions {
  /** `file:<path>` or `postgres://…` (see store/store-url.ts); --file is the file store's shorthand. */
  store?: string;
  file?: string;
  envFile?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * Parses a dotenv-style file: `KEY=value`, optional `export `, `#` comments, single- or
 * double-quoted values (double quotes understand \n, \t, \", \\). No variable expansion.
 */
export function parseEnvFile(text: string, path = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`--env-file ${path}:${index + 1}: expected KEY=value`);
    const key = m[1] as string;
    let value = (m[2] as string).trim();
    if (value.startsWith('"')) {
      const end = value.lastIndexOf('"');
      if (end <= 0) throw new UsageError(`--env-file ${path}:${index + 1}: unterminated quote`);
      value = value
        .slice(1, end)
        .replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[c] as string);
    } else if (value.startsWith("'")) {
      const end = value.lastIndexOf("'");
      if (end <= 0) throw new UsageError(`--env-file ${path}:${index + 1}: unterminated quote`);
      value = value.slice(1, end);
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[key] = value;
  });
  return out;
}

/** The effective environment: the real one, with --env-file values filling only unset names. */
export function effectiveEnv(io: Io, envFile: string | undefined): NodeJS.ProcessEnv {
  if (!envFile) return io.env;
  const path = resolve(io.cwd, envFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--env-file ${envFile}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`);
  }
  const fromFile = parseEnvFile(text, envFile);
  const env: NodeJS.ProcessEnv = { ...fromFile };
  for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
  return env;
}

/** The DLQ file's absolute path: --file, then DLQ_FILE, then ./dead_letter_queue.json. */
export function resolveDlqPath(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const chosen = flag ?? (env['DLQ_FILE'] && env['DLQ_FILE'] !== '' ? env['DLQ_FILE'] : DEFAULT_DLQ_FILE);
  return resolve(cwd, chosen);
}
