/**
 * `dlq inspect <id>`: one dead letter in full, offline. Never loads the Genesys SDK. With a valid
 * sidecar index (src/store/dlq-index.ts) only that entry's bytes are read and parsed.
 */
import { Chalk } from 'chalk';
import { effectiveEnv, resolveDlqPath, type CommonOptions } from '../config.js';
import { DlqFileError, ExitCode, UsageError } from '../errors.js';
import { colorEnabled, type Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { formatEntry } from '../output/format-entry.js';
import { log } from '../output/log-line.js';
import { parseRedactRules, redactEntry } from '../output/redact-paths.js';
import { resolveIds } from '../select/resolve-ids.js';
import { isEventEntry, type DlqEntry } from '../dlq-entry.js';
import { readDlqFile } from '../store/dlq-file.js';
import { DlqIndexStaleError, readDlqIndex, readEntriesAt } from '../store/dlq-index.js';

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
  const path = resolveDlqPath(options.file, env, io.cwd);
  const stored = (await findViaIndex(path, options.id)) ?? (await findInFile(path, options.id));
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

/**
 * The entry through the sidecar index (resolving the id on its summaries, then reading that one
 * entry's bytes): undefined when there is no valid index or the file changed under it.
 */
async function findViaIndex(path: string, id: string): Promise<DlqEntry | undefined> {
  const index = await readDlqIndex(path);
  if (index === undefined) return undefined;
  const [summary] = resolveIds(index.entries, [id]);
  if (summary === undefined) throw new UsageError(`no dead letter with id '${id}'`);
  try {
    return (await readEntriesAt(index, [summary]))[0];
  } catch (error) {
    if (error instanceof DlqIndexStaleError) return undefined;
    throw error;
  }
}

async function findInFile(path: string, id: string): Promise<DlqEntry> {
  const loaded = await readDlqFile(path);
  if (!loaded.exists) throw new DlqFileError(path, 'no DLQ file (run dlq fetch first)');
  const [entry] = resolveIds(loaded.entries, [id]);
  if (entry === undefined) throw new UsageError(`no dead letter with id '${id}'`);
  return entry;
}
