/**
 * `dlq prune`: remove dead letters from the store, optionally archiving them first (README,
 * section "lifecycle"). Needs a filter or --all, so it never empties the store by accident.
 * The command builds the selection; the store carries it out under its locks, with the ordering
 * guarantees (archive on disk before anything leaves the store, tombstones for fetch):
 * store/prune-dlq.ts for the file, store/postgres/prune-entries.ts for PostgreSQL.
 */
import { resolve as resolvePath } from 'node:path';
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parseDuration } from '../duration.js';
import type { DlqEntry } from '../dlq-entry.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { parseRedactRules, redactEntry } from '../output/redact-paths.js';
import { createReporter } from '../output/reporter.js';
import { buildFilter, type FilterFlags } from '../entries/filters.js';
import { pickFilter } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';
import { withRunMetrics } from './run-metrics.js';

export interface PruneOptions extends CommonOptions, FilterFlags {
  olderThan?: string;
  all?: boolean;
  archive?: string;
  dryRun?: boolean;
  redact?: string[];
  lockTimeout?: string;
  /** Prometheus text file written after the run (commands/run-metrics.ts). */
  metricsFile?: string;
}

export interface PruneSummary {
  dryRun: boolean;
  /** Entries removed (with --dry-run: that would be removed). */
  pruned: number;
  remaining: number;
  archive: string | null;
  byStatusCode: { status_code: number | null; count: number }[];
  byWebhook: { webhook: string | null; count: number }[];
  durationMs: number;
  file: string;
}

const FILTER_FLAGS = ['since', 'until', 'statusCode', 'webhook', 'replayStatus', 'grep', 'source', 'olderThan'] as const;

export async function pruneCommand(options: PruneOptions, io: Io): Promise<number> {
  return withRunMetrics('prune', options, io, () => runPrune(options, io));
}

async function runPrune(options: PruneOptions, io: Io): Promise<number> {
  const started = performance.now();
  // Every flag is checked before the file is read or locked.
  const filtered = FILTER_FLAGS.filter((f) => options[f] !== undefined);
  if (options.all && filtered.length > 0) throw new UsageError(`--all cannot be combined with filters (${flagName(filtered[0] as string)})`);
  if (!options.all && filtered.length === 0) {
    throw new UsageError('give a filter (--older-than, --since, --until, --status-code, --webhook, --replay-status, --grep, --source) or --all');
  }
  const now = io.now();
  buildFilter(options, now);
  // An age, not a timer: Node's timer limit (parseDuration's default) does not apply.
  const olderThanMs =
    options.olderThan === undefined ? undefined : parseDuration(options.olderThan, '--older-than', { maxMs: Number.MAX_SAFE_INTEGER });
  if (options.archive !== undefined && options.archive.trim() === '') throw new UsageError('--archive: empty path');
  const lockTimeoutMs = parseDuration(options.lockTimeout ?? '30s', '--lock-timeout');
  const env = effectiveEnv(io, options.envFile);
  const rules = parseRedactRules(options.redact, env);
  const archive = options.archive === undefined ? undefined : resolvePath(io.cwd, options.archive);
  const reporter = createReporter({ ...io, env }, { quiet: options.quiet, verbose: options.verbose });

  // Bodies --redact could not look into (not JSON), told with --verbose.
  let notJson = 0;
  const archiveLine = (e: DlqEntry): string => {
    if (rules.length === 0) return JSON.stringify(e);
    const r = redactEntry(e, rules);
    notJson += r.notJson.length;
    return JSON.stringify(r.entry);
  };
  const { outcome, location } = await withStore(options, env, io.cwd, async (store) => ({
    location: store.location,
    outcome: await store.pruneEntries({
      filter: pickFilter(options),
      now,
      // Older than: failed strictly before now minus the duration.
      failedBeforeMs: olderThanMs === undefined ? undefined : now.getTime() - olderThanMs,
      dryRun: options.dryRun === true,
      // Whole and unchanged (exactly the entry's line in the DLQ file), unless --redact / DLQ_REDACT.
      archive: archive === undefined || options.dryRun ? undefined : { path: archive, line: archiveLine },
      lockTimeoutMs,
      onLockWait: (holder) => reporter.info(`DLQ file busy${holder.pid ? ` (pid ${holder.pid})` : ''}: waiting`),
    }),
  }));
  if (notJson > 0) reporter.debug(`--redact: ${notJson} archived ${notJson === 1 ? 'body is' : 'bodies are'} not JSON and left as stored`);

  const summary: PruneSummary = {
    dryRun: options.dryRun === true,
    pruned: outcome.pruned,
    remaining: outcome.remaining,
    archive: archive ?? null,
    byStatusCode: outcome.byStatusCode.map((g) => ({ status_code: g.key as number | null, count: g.count })),
    byWebhook: outcome.byWebhook.map((g) => ({ webhook: g.key as string | null, count: g.count })),
    durationMs: Math.round(performance.now() - started),
    file: location,
  };
  if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else io.stdout.write(formatSummary(summary));
  if (outcome.pruned === 0) reporter.info('no dead letters match');
  return ExitCode.ok;
}

function formatSummary(s: PruneSummary): string {
  const what = (n: number) => `${n} dead ${n === 1 ? 'letter' : 'letters'}`;
  const lines = [
    s.dryRun
      ? `dry run: would prune ${what(s.pruned)}, ${s.remaining} would remain${s.archive ? ` (archive: ${escapeText(s.archive)})` : ''}; nothing changed`
      : `pruned ${what(s.pruned)}, ${s.remaining} remain${s.pruned > 0 && s.archive ? `; archived to ${escapeText(s.archive)}` : ''}`,
  ];
  if (s.pruned > 0) {
    lines.push(`  by status code: ${s.byStatusCode.map((g) => `${g.status_code ?? 'unknown'} ×${g.count}`).join(', ')}`);
    lines.push(`  by webhook:     ${s.byWebhook.map((g) => `${escapeText(g.webhook ?? 'unknown')} ×${g.count}`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
