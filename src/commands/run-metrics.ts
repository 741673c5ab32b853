/**
 * `--metrics-file <path>` for fetch, replay and prune: runs the command and then, whatever its
 * outcome (exit 0 is `success`, any other exit or error is `error`), writes the Prometheus text
 * file (output/prometheus-metrics.ts) atomically. A metrics file that cannot be written is a
 * warning on stderr: the command's own exit code stands (a stale file is what the alert on
 * dlq_last_run_timestamp_seconds is for).
 */
import { dirname, resolve } from 'node:path';
import { effectiveEnv } from '../config.js';
import type { DlqEntry } from '../dlq-entry.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { log } from '../output/log-line.js';
import { renderMetrics, type MetricsCommand, type RunRecord } from '../output/prometheus-metrics.js';
import { withStore } from '../store/open-store.js';
import { isDirectory, readTextFile, writeFileAtomically } from '../store/text-file.js';

/** What a command tells the metrics about its run. */
export interface RunMetrics {
  fetchNew(webhook: string, count: number): void;
  replayDeliveries(counts: { succeeded: number; failed: number; skipped: number }): void;
}

export const NO_METRICS: RunMetrics = { fetchNew() {}, replayDeliveries() {} };

export interface MetricsFlags {
  metricsFile?: string;
  store?: string;
  file?: string;
  envFile?: string;
  quiet?: boolean;
}

/** node_exporter runs as its own user: the file must be readable by others (it holds counts and webhook names only). */
const METRICS_FILE_MODE = 0o644;

export async function withRunMetrics(
  command: MetricsCommand,
  flags: MetricsFlags,
  io: Io,
  run: (metrics: RunMetrics) => Promise<number>,
): Promise<number> {
  if (flags.metricsFile === undefined) return run(NO_METRICS);
  if (flags.metricsFile.trim() === '') throw new UsageError('--metrics-file: empty path');
  const path = resolve(io.cwd, flags.metricsFile);
  if (!(await isDirectory(dirname(path)))) throw new UsageError(`--metrics-file: no directory ${dirname(path)}`);

  const started = performance.now();
  const record: Partial<RunRecord> & { fetchNew?: Map<string, number> } = {};
  const metrics: RunMetrics = {
    fetchNew: (webhook, count) => {
      record.fetchNew ??= new Map();
      record.fetchNew.set(webhook, (record.fetchNew.get(webhook) ?? 0) + count);
    },
    replayDeliveries: (counts) => {
      record.replay = counts;
    },
  };
  let code: number | undefined;
  try {
    code = await run(metrics);
    return code;
  } finally {
    const run: RunRecord = {
      command,
      outcome: code === 0 ? 'success' : 'error',
      finishedAt: io.now(),
      durationMs: performance.now() - started,
      fetchNew: record.fetchNew,
      replay: record.replay,
    };
    try {
      const text = renderMetrics(run, await currentEntries(flags, io), (await readTextFile(path)) ?? '');
      await writeFileAtomically(path, text, { mode: METRICS_FILE_MODE });
    } catch (error) {
      if (!flags.quiet) log(io, 'warn', `cannot write the metrics file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * The store's entries now, as summaries (the file store's sidecar index when valid; no bodies), or
 * undefined when the store cannot be read.
 */
async function currentEntries(flags: MetricsFlags, io: Io): Promise<readonly DlqEntry[] | undefined> {
  try {
    return await withStore(flags, effectiveEnv(io, flags.envFile), io.cwd, async (store) => {
      const page = await store.listEntries({ filter: {}, now: io.now(), sort: 'delivery_id', reverse: false, limit: undefined, whole: false, names: false, missingAsEmpty: true });
      return page.rows;
    });
  } catch {
    return undefined;
  }
}
