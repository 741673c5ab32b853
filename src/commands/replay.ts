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
import { DlqFileError, ExitCode, isDlqError, type DlqError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { buildFilter } from '../select/filters.js';
import type { DlqEntry } from '../dlq-entry.js';
import type { DlqStore } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';
import type { StoreFs } from '../store/store-fs.js';
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
  /** The store's file system (tests inject a full disk or a read-only directory). */
  storeFs?: StoreFs;
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
  filter: (entry: DlqEntry) => boolean,
  io: Io,
  deps: ReplayDeps,
): Promise<number> {
  const path = store.location;
  const reporter = createReporter(io, { quiet: options.quiet, verbose: options.verbose });

  const { entries, exists } = await store.readAll();
  // Like list and inspect: a typo'd --file must fail CI, not pass as "nothing to replay".
  if (!exists) throw new DlqFileError(path, 'no DLQ file (run dlq fetch first)');
  const selection = selectForReplay(entries, {
    ids: options.ids ?? [],
    filter,
    force: options.force === true,
    maxReplays: config.maxReplays,
  });
  const skipped = selection.skippedSucceeded.length + selection.skippedMaxReplays.length + selection.skippedResolved.length;
  if (selection.skippedResolved.length > 0) {
    reporter.info(`skipping ${selection.skippedResolved.length} resolved (name them by id with --force to resend)`);
  }
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
    ...(deps.storeFs ? { fileSystem: deps.storeFs } : {}),
    leaseMs: deps.leaseMs ?? config.leaseMs,
  });
  const target = config.target.redacted;
  // A POST cannot be taken back: prove the results can be saved (the lock, a temp file beside
  // the DLQ file) before the first one, or a read-only directory or a full disk would have
  // every delivery sent and none recorded, and the next run would send them all again.
  try {
    await recorder.proveWritable();
  } catch (error) {
    if (isDlqError(error)) writeSummary(io, options, { target, total, skipped, durationMs: 0, results: [], error: error.message });
    throw error;
  }

  const agent = createAgent(config.target.url, config.concurrency);
  const started = performance.now();
  const progress = new Progress(reporter, total, started);
  reporter.info(`replaying ${total} dead ${total === 1 ? 'letter' : 'letters'} to ${target}`);
  const trap = trapSignals({
    onFirst: (name) => reporter.info(`${name}: stopping; saving results (again to quit at once)`),
    ...(deps.signals ? { signals: deps.signals } : {}),
    ...(deps.forceExit ? { forceExit: deps.forceExit } : {}),
  });
  // A save that fails during the run stops new deliveries (in-flight ones finish); the final
  // flush below is the one more try. Sending on while nothing can be recorded only grows the
  // number of deliveries the next run sends again.
  const stop = new AbortController();
  let saveFailure: unknown;
  recorder.startTimer(deps.flushIntervalMs ?? FLUSH_INTERVAL_MS, (error) => {
    if (saveFailure !== undefined) return;
    saveFailure = error;
    recorder.stopTimer();
    stop.abort();
    reporter.warn(`cannot save results (${(error as Error).message}): starting no more deliveries; finishing those in flight`);
  });
  let results: EntryResult[] = [];
  let finalFailure: unknown;
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
        stop: stop.signal,
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
      await recorder.flush();
    } catch (error) {
      finalFailure = error;
    } finally {
      await recorder.close();
      trap.release();
    }
  }

  const caught = trap.caught();
  // On a shared store, concurrent runs split the selection: what they handled is theirs to report.
  const byOthers = recorder.takenByOthers();
  const durationMs = Math.round(performance.now() - started);
  const failed = results.filter((r) => r.status === 'failed').length;
  if (saveFailure !== undefined || finalFailure !== undefined) {
    const error = saveError(path, finalFailure ?? saveFailure, {
      unrecorded: recorder.unsavedIds(),
      stoppedEarly: saveFailure !== undefined && results.length < total,
      done: results.length,
      total,
    });
    writeSummary(io, options, {
      target,
      total,
      skipped,
      durationMs,
      results,
      interrupted: caught,
      error: error.message,
      unrecorded: recorder.unsavedIds(),
    });
    throw error;
  }
  reporter.info(
    `replay finished: ${results.length - failed} succeeded, ${failed} failed` +
      (byOthers > 0 ? `, ${byOthers} handled by other runs` : '') +
      (caught ? `, ${total - results.length - byOthers} not started (${caught})` : '') +
      ` in ${(durationMs / 1000).toFixed(1)}s`,
  );
  writeSummary(io, options, { target, total, skipped, durationMs, results, interrupted: caught, byOthers });
  if (caught) return SIGNAL_EXIT[caught];
  return failed > 0 ? ExitCode.replayFailed : ExitCode.ok;
}

/**
 * The error a replay ends with when results could not be saved: the store's own (exit 6, or 75
 * when the file stayed locked), its message extended with what CI needs to act on.
 */
function saveError(
  path: string,
  cause: unknown,
  run: { unrecorded: readonly string[]; stoppedEarly: boolean; done: number; total: number },
): DlqError {
  const base: DlqError = isDlqError(cause)
    ? cause
    : new DlqFileError(path, `cannot save replay results: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  const parts = [base.message];
  if (run.stoppedEarly) parts.push(`stopped after ${run.done} of ${run.total} deliveries`);
  parts.push(
    run.unrecorded.length === 0
      ? 'every result so far is saved'
      : `sent but not recorded (${run.unrecorded.length}): ${run.unrecorded.join(', ')}`,
  );
  base.message = parts.join('; ');
  return base;
}

interface Summary {
  target: string;
  total: number;
  skipped: number;
  durationMs: number;
  results: EntryResult[];
  interrupted?: SignalName | undefined;
  /** Why the run ended with exit 6/75 (results could not be saved). */
  error?: string;
  /** Delivery ids whose tries in this run are not in the file. */
  unrecorded?: string[];
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
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(s.unrecorded !== undefined ? { unrecorded: s.unrecorded } : {}),
      ...(s.byOthers ? { handledByOthers: s.byOthers } : {}),
      results: s.results,
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (s.error !== undefined && s.results.length === 0) return; // the error line says it all
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
