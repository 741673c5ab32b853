/**
 * `dlq inspect <id>`: one dead letter in full, offline. Never loads the Genesys SDK. With a valid
 * sidecar index (src/store/dlq-index.ts) only that entry's bytes are read and parsed.
 */
import { Chalk } from 'chalk';
import { effectiveEnv, type CommonOptions } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { colorEnabled, type Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { formatEntry } from '../output/format-entry.js';
import { withStore } from '../store/open-store.js';
/** The commander keys of `dlq inspect` (the id argument is merged in by cli.ts). */
export interface InspectOptions extends CommonOptions {
  id: string;
  body?: boolean;
}

export async function inspectCommand(options: InspectOptions, io: Io): Promise<number> {
  if (options.body && options.json) throw new UsageError('--body and --json cannot be combined');
  if (typeof options.id !== 'string' || options.id.trim() === '') throw new UsageError('inspect: a delivery id is required');

  const entry = await withStore(options, effectiveEnv(io, options.envFile), io.cwd, (store) => store.findEntry(options.id));

  if (options.body) {
    // Exactly the stored text: no newline added, nothing escaped, so `--body | jq` and
    // `--body > payload.bin` get the payload as it was sent.
    const body = entry.request_body;
    if (typeof body === 'string') io.stdout.write(body);
    else if (!options.quiet) io.stderr.write(`warning: ${escapeText(entry.delivery_id)} has no request body\n`);
    return ExitCode.ok;
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return ExitCode.ok;
  }
  const chalk = new Chalk({ level: colorEnabled(io, io.stdout) ? 1 : 0 });
  io.stdout.write(formatEntry(entry, { chalk }));
  return ExitCode.ok;
}
