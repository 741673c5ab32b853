/**
 * `dlq resolve <ids…>` or filters: close dead letters a person has handled, so `dlq replay` never
 * sends them (README, section "lifecycle"). `--undo` puts them back to what their replay history
 * says. The command builds the selection and the change; the store applies it atomically (under
 * the DLQ file's lock, or in one PostgreSQL transaction).
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parseDuration } from '../duration.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter } from '../output/reporter.js';
import { buildFilter, type FilterFlags } from '../entries/filters.js';
import { pickFilter } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';

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
  const reporter = createReporter({ ...io, env }, { quiet: options.quiet, verbose: options.verbose });

  const { outcome, location } = await withStore(options, env, io.cwd, async (store) => ({
    location: store.location,
    outcome: await store.resolveEntries({
      ids,
      filter: pickFilter(options),
      now,
      change: { undo, at: now.toISOString(), note: options.note },
      lockTimeoutMs,
      onLockWait: (holder) => reporter.info(`DLQ file busy${holder.pid ? ` (pid ${holder.pid})` : ''}: waiting`),
    }),
  }));

  const summary: ResolveSummary = {
    action: undo ? 'undo' : 'resolve',
    changed: outcome.changed.length,
    unchanged: outcome.unchanged,
    ids: outcome.changed,
    file: location,
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
