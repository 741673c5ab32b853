/**
 * `dlq resolve <ids…>` or filters: close dead letters a person has handled, so `dlq replay` never
 * sends them (README, section "lifecycle"). `--undo` puts them back to what their replay history
 * says. Read-change-write under the DLQ file's lock, like fetch and replay.
 */
import { effectiveEnv, resolveDlqPath, type CommonOptions } from '../config.js';
import { parseDuration } from '../duration.js';
import { DlqFileError, ExitCode, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { markResolved } from '../lifecycle/mark-resolved.js';
import { createReporter } from '../output/reporter.js';
import { buildFilter, type FilterFlags } from '../entries/filters.js';
import { resolveIds } from '../entries/resolve-ids.js';
import { updateDlqFile } from '../store/dlq-file.js';

export interface ResolveOptions extends CommonOptions, FilterFlags {
  /** Delivery ids or unique prefixes (the positional arguments). */
  ids?: string[];
  note?: string;
  undo?: boolean;
  lockTimeout?: string;
}

export interface ResolveSummary {
  action: 'resolve' | 'undo';
  /** Entries changed by this run. */
  changed: number;
  /** Selected but already in the wanted state. */
  unchanged: number;
  ids: string[];
  file: string;
}

const FILTER_FLAGS = ['since', 'until', 'statusCode', 'webhook', 'replayStatus', 'grep', 'source'] as const;

export async function resolveCommand(options: ResolveOptions, io: Io): Promise<number> {
  const ids = options.ids ?? [];
  const undo = options.undo === true;
  if (undo && options.note !== undefined) throw new UsageError('--note cannot be combined with --undo');
  if (ids.length === 0 && !FILTER_FLAGS.some((f) => options[f] !== undefined)) {
    // Never resolve the whole file by accident.
    throw new UsageError('name delivery ids or give a filter (--since, --until, --status-code, --webhook, --replay-status, --grep, --source)');
  }
  const now = io.now();
  buildFilter(options, now); // validates every filter flag before the file is touched
  const lockTimeoutMs = parseDuration(options.lockTimeout ?? '30s', '--lock-timeout');
  const env = effectiveEnv(io, options.envFile);
  const path = resolveDlqPath(options.file, env, io.cwd);
  const reporter = createReporter({ ...io, env }, { quiet: options.quiet, verbose: options.verbose });

  const outcome = await updateDlqFile(
    path,
    ({ entries, exists }) => {
      if (!exists) throw new DlqFileError(path, 'no DLQ file (run dlq fetch first)');
      const filter = buildFilter(options, now, entries);
      const targets = (ids.length > 0 ? resolveIds(entries, ids) : entries).filter(filter);
      const result = markResolved(entries, targets, { undo, at: now.toISOString(), note: options.note });
      return { entries: result.entries, result };
    },
    {
      lockTimeoutMs,
      onLockWait: (holder) => reporter.info(`DLQ file busy${holder.pid ? ` (pid ${holder.pid})` : ''}: waiting`),
    },
  );

  const summary: ResolveSummary = {
    action: undo ? 'undo' : 'resolve',
    changed: outcome.changed.length,
    unchanged: outcome.unchanged.length,
    ids: outcome.changed,
    file: path,
  };
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const what = (n: number) => `${n} dead ${n === 1 ? 'letter' : 'letters'}`;
    const rest = summary.unchanged > 0 ? ` (${summary.unchanged} already ${undo ? 'not resolved' : 'resolved'})` : '';
    io.stdout.write(`${undo ? 'reopened' : 'resolved'} ${what(summary.changed)}${rest}\n`);
  }
  if (summary.changed + summary.unchanged === 0) reporter.warn('no dead letters match');
  return ExitCode.ok;
}
