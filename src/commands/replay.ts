/**
 * `dlq replay`: POST stored payloads to a recovered endpoint and record every try in the entry.
 * Issue #5; the behaviour is documented in README.md, section "replay".
 *
 * Exit codes: 0 when every selected entry succeeded (or nothing was selected), 7 when any failed,
 * 130 / 143 after SIGINT / SIGTERM (results so far are saved first), 2 for bad flags, and the
 * store's 6 / 75 when results cannot be saved.
 */
import { randomUUID } from 'node:crypto';
import { version } from '../cli.js';
import { effectiveEnv } from '../config.js';
import { ExitCode } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { buildFilter } from '../select/filters.js';
import type { DlqStore } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';
import { formatDryRun, summarizeDryRun } from '../replay/dry-run.js';
import { RateLimiter } from '../replay/rate-limiter.js';
import { parseReplayConfig, type ReplayOptions } from '../replay/replay-config.js';
import { runReplays, type EntryResult } from '../replay/replay-runner.js';
import { selectForReplay } from '../replay/select-entries.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../replay/retry-policy.js';
import { createAgent, formatMs } from '../replay/sender.js';
import { abortableSleep } from '../sleep.js';
import { SIGNAL_EXIT, trapSignals, type SignalName, type SignalSource } from '../signal-trap.js';

export type { ReplayOptions } from '../replay/replay-config.js';

export type { SignalSource } from '../signal-trap.js';

/** Seams for tests; production uses the defaults. */
export interface ReplayDeps {
  signals?: SignalSource;
  /** Backoff and Retry-After limits (tests shorten the base delay). `retries` always comes from --retries. */
  retryPolicy?: Partial<Omit<RetryPolicy, 'retries'>>;
  /** Batch-save interval while the run goes. */
  flushIntervalMs?: number;
  /** A second signal while saving: leave at once. */
  forceExit?: (code: number) => void;
  /** Claim lease on a shared store (PostgreSQL); tests shorten it. */
  leaseMs?: number;
}

export const FLUSH_INTERVAL_MS = 2000;

export async function replayCommand(options: ReplayOptions, io: Io, deps: ReplayDeps = {}): Promise<number> {
  const env = effectiveEnv(io, options.envFile);
  const config = parseReplayConfig(options, env);
  const now = io.now();
  const filter = buildFilter(
    { since: options.since, until: options.until, statusCode: options.statusCode, webhook: options.webhook, grep: options.grep },
    now,
  );
  return withStore(options, env, io.cwd, (store) => replayFrom(store, options, config, filter, io, deps));
}

async function replayFrom(
  store: DlqStore,
  options: ReplayOptions,
  config: ReturnType<typeof parseReplayConfig>,
  filter: (entry: import('../dlq-entry.js').DlqEntry) => boolean,
  io: Io,
  deps: ReplayDeps,
): Promise<number> {
  const reporter = createReporter(io, { quiet: options.quiet, verbose: options.verbose });

  const { entries, exists } = await store.readAll();
  if (!exists) reporter.warn(`no DLQ file at ${store.location}`);
  const selection = selectForReplay(entries, {
    ids: options.ids ?? [],
    filter,
    force: options.force === true,
    maxReplays: config.maxReplays,
  });
  const skipped = selection.skippedSucceeded.length + selection.skippedMaxReplays.length;
  if (selection.skippedSucceeded.length > 0) {
    reporter.info(`skipping ${selection.skippedSucceeded.length} already succeeded (use --force to resend)`);
  }
  if (selection.skippedMaxReplays.length > 0) {
    reporter.info(`skipping ${selection.skippedMaxReplays.length} that already failed ${config.maxReplays} replays (--max-replays)`);
  }

  if (options.dryRun) {
    // Read only: no lock, no write, nothing sent.
    const summary = summarizeDryRun(selection, config.target.redacted);
    io.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : formatDryRun(summary));
    return ExitCode.ok;
  }

  const total = selection.toSend.length;
  if (total === 0) {
    writeSummary(io, options, { target: config.target.redacted, total, skipped, durationMs: 0, results: [] });
    return ExitCode.ok;
  }

  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy, retries: config.retries };
  const recorder = store.replaySession({
    entries: selection.toSend,
    force: options.force === true,
    lockTimeoutMs: config.lockTimeoutMs,
    onLockWait: (holder) =>
      reporter.info(`DLQ file busy${holder.pid ? ` (pid ${holder.pid})` : ''}: waiting up to ${formatMs(config.lockTimeoutMs)} to save`),
    ...(deps.leaseMs !== undefined ? { leaseMs: deps.leaseMs } : {}),
  });
  const agent = createAgent(config.target.url, config.concurrency);
  const started = performance.now();
  const progress = new Progress(reporter, total, started);
  reporter.info(`replaying ${total} dead ${total === 1 ? 'letter' : 'letters'} to ${config.target.redacted}`);
  const trap = trapSignals({
    onFirst: (name) => reporter.info(`${name}: stopping; saving results (again to quit at once)`),
    ...(deps.signals ? { signals: deps.signals } : {}),
    ...(deps.forceExit ? { forceExit: deps.forceExit } : {}),
  });
  recorder.startTimer(deps.flushIntervalMs ?? FLUSH_INTERVAL_MS, (error) =>
    reporter.warn(`could not save results yet (will retry): ${(error as Error).message}`),
  );
  let results: EntryResult[];
  try {
    results = await runReplays(
      selection.toSend,
      {
        target: config.target,
        timeoutMs: config.timeoutMs,
        policy,
        concurrency: config.concurrency,
        headers: config.headers,
        userAgent: `dlq/${version()}`,
        signKey: config.signKey,
        runId: randomUUID(),
      },
      {
        recorder,
        limiter: new RateLimiter(config.rate),
        agent,
        sleep: abortableSleep,
        now: io.now,
        signal: trap.signal,
        onResult: (r) => progress.done(r),
        onRetry: (id, tried, delayMs) =>
          reporter.debug(`retrying ${id} in ${formatMs(delayMs)}: ${tried.status === null ? tried.error : `HTTP ${tried.status}`}`),
      },
      recorder,
    );
  } finally {
    recorder.stopTimer();
    progress.stop();
    agent.destroy();
    // Saved even when something above threw: every try that happened is in the store.
    try {
      await recorder.close();
    } finally {
      trap.release();
    }
  }

  const caught = trap.caught();
  // On a shared store, concurrent runs split the selection: what they sent is theirs to report.
  const byOthers = recorder.takenByOthers();
  const durationMs = Math.round(performance.now() - started);
  const failed = results.filter((r) => r.status === 'failed').length;
  reporter.info(
    `replay finished: ${results.length - failed} succeeded, ${failed} failed` +
      (byOthers > 0 ? `, ${byOthers} handled by other runs` : '') +
      (caught ? `, ${total - results.length - byOthers} not started (${caught})` : '') +
      ` in ${(durationMs / 1000).toFixed(1)}s`,
  );
  writeSummary(io, options, { target: config.target.redacted, total, skipped, durationMs, results, interrupted: caught, byOthers });
  if (caught) return SIGNAL_EXIT[caught];
  return failed > 0 ? ExitCode.replayFailed : ExitCode.ok;
}

interface Summary {
  target: string;
  total: number;
  skipped: number;
  durationMs: number;
  results: EntryResult[];
  interrupted?: SignalName | undefined;
  /** Entries of the selection that concurrent runs on a shared store handled. */
  byOthers?: number;
}

function writeSummary(io: Io, options: ReplayOptions, s: Summary): void {
  const succeeded = s.results.filter((r) => r.status === 'succeeded').length;
  const failed = s.results.filter((r) => r.status === 'failed').length;
  if (options.json) {
    const out = {
      total: s.total,
      succeeded,
      failed,
      skipped: s.skipped,
      durationMs: s.durationMs,
      target: s.target,
      ...(s.interrupted ? { interrupted: s.interrupted } : {}),
      ...(s.byOthers ? { handledByOthers: s.byOthers } : {}),
      results: s.results,
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (s.total === 0) {
    io.stdout.write(`nothing to replay${s.skipped > 0 ? ` (${s.skipped} skipped)` : ''}\n`);
    return;
  }
  const byOthers = s.byOthers ?? 0;
  const notStarted = s.total - s.results.length - byOthers;
  io.stdout.write(
    `replayed ${s.results.length} of ${s.total} to ${s.target}: ${succeeded} succeeded, ${failed} failed` +
      (s.skipped > 0 ? `, ${s.skipped} skipped` : '') +
      (byOthers > 0 ? `, ${byOthers} handled by other runs` : '') +
      (notStarted > 0 ? `, ${notStarted} not started` : '') +
      ` (${(s.durationMs / 1000).toFixed(1)}s)\n`,
  );
}

/** stderr progress: an updating line on a terminal; one line per failure everywhere. */
class Progress {
  private succeeded = 0;
  private failed = 0;

  constructor(
    private readonly reporter: Reporter,
    private readonly total: number,
    private readonly started: number,
  ) {
    this.render();
  }

  done(result: EntryResult): void {
    if (result.status === 'succeeded') this.succeeded++;
    else {
      this.failed++;
      this.reporter.info(`failed ${result.delivery_id}: ${result.error} (${result.attempts} ${result.attempts === 1 ? 'try' : 'tries'})`);
    }
    this.render();
  }

  stop(): void {
    this.reporter.stop();
  }

  private render(): void {
    const done = this.succeeded + this.failed;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? (done / seconds).toFixed(1) : '0.0';
    this.reporter.progress(`replay ${done}/${this.total} · ${this.succeeded} succeeded · ${this.failed} failed · ${rate}/s`);
  }
}
