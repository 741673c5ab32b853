/**
 * `dlq inspect <id>`: one dead letter in full, offline. Never loads the Genesys SDK. The store finds
 * it (the file store reads only that entry's bytes when its sidecar index is valid).
 */
import { Chalk } from 'chalk';
import { effectiveEnv, type CommonOptions } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { colorEnabled, type Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { formatEntry } from '../output/format-entry.js';
import { log } from '../output/log-line.js';
import { parseRedactRules, redactEntry } from '../output/redact-paths.js';
import { withStore } from '../store/open-store.js';
import { isEventEntry } from '../dlq-entry.js';

/** The commander keys of `dlq inspect` (the id argument is merged in by cli.ts). */
export interface InspectOptions extends CommonOptions {
  id: string;
  body?: boolean;
  redact?: string[];
}

export async function inspectCommand(options: InspectOptions, io: Io): Promise<number> {
  if (options.body && options.json) throw new UsageError('--body and --json cannot be combined');
  if (typeof options.id !== 'string' || options.id.trim() === '') throw new UsageError('inspect: a delivery id is required');

  const env = effectiveEnv(io, options.envFile);
  const rules = parseRedactRules(options.redact, env);
  const stored = await withStore(options, env, io.cwd, (store) => store.findEntry(options.id));
  // --redact / DLQ_REDACT: a redacted copy is shown (also by --body and --json); the file is not touched.
  const redacted = redactEntry(stored, rules);
  const entry = redacted.entry;
  if (redacted.notJson.length > 0 && options.verbose && !options.quiet) {
    log(io, 'debug', `--redact: ${redacted.notJson.join(' and ')} ${redacted.notJson.length === 1 ? 'is' : 'are'} not JSON and shown as stored`);
  }

  if (options.body) {
    // Exactly the stored text: no newline added, nothing escaped, so `--body | jq` and
    // `--body > payload.bin` get the payload as it was sent (re-serialised only if --redact hid something).
    const body = entry.request_body;
    if (typeof body === 'string') io.stdout.write(body);
    else if (!options.quiet) {
      const why = isEventEntry(entry) ? ' (an operational event: events carry no payload)' : '';
      log(io, 'warn', `${entry.delivery_id} has no request body${why}`);
    }
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
