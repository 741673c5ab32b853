/**
 * `dlq replay`: POST stored payloads to a recovered endpoint and record every try in the entry.
 * Issue #5; the behaviour is documented in README.md, section "replay".
 *
 * Exit codes: 0 when every selected entry succeeded (or nothing was selected), 7 when any failed,
 * 130 / 143 after SIGINT / SIGTERM (results so far are saved first), 2 for bad flags, and the
 * store's 6 / 75 when results cannot be saved.
 */
import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { version } from '../version.js';
import { effectiveEnv } from '../config.js';
import { DlqFileError, ExitCode, isDlqError, type DlqError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { withRunMetrics, type RunMetrics } from './run-metrics.js';
import { buildFilter } from '../entries/filters.js';
import { pickFilter, type DlqStore, type ReplayPlan, type ReplaySelection, type WebhookRef } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';
import type { StoreFs } from '../store/store-fs.js';
import { formatDryRun, skippedCount, summarizeDryRun } from '../replay/dry-run.js';
import { RateLimiter } from '../replay/rate-limiter.js';
import { parseReplayConfig, type ReplayOptions } from '../replay/replay-config.js';
import { runReplays, type EntryResult, type Trip } from '../replay/replay-runner.js';
import { routeResolver, type Route } from '../replay/routes.js';
import { noPayloadResult, type SkippedResult } from '../entries/select-for-replay.js';
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
  return withRunMetrics('replay', options, io, (metrics) => runReplay(options, io, deps, metrics));
}

async function runReplay(options: ReplayOptions, io: Io, deps: ReplayDeps, metrics: RunMetrics): Promise<number> {
  // Every summary printed is also what --metrics-file reports as dlq_replay_deliveries.
  const writeSummary = (io: Io, options: ReplayOptions, s: Summary) => {
    metrics.replayDeliveries({
      succeeded: s.results.filter((r) => r.status === 'succeeded').length,
      failed: s.results.filter((r) => r.status === 'failed').length,
      skipped: s.skipped,
    });
    printSummary(io, options, s);
  };
  const env = effectiveEnv(io, options.envFile);
  const config = parseReplayConfig(options, env, io.cwd);
  const now = io.now();
  const flags = {
    since: options.since,
    until: options.until,
    statusCode: options.statusCode,
    webhook: options.webhook,
    replayStatus: options.replayStatus,
    grep: options.grep,
    source: options.source,
  };
  // Validates every filter flag (exit 2) before the store is opened; the store runs the selection.
  buildFilter(flags, now);
  const selection: ReplaySelection = {
    ids: options.ids ?? [],
    filter: pickFilter(flags),
    now,
    force: options.force === true,
    maxReplays: config.maxReplays,
    order: config.order,
    limit: config.limit,
  };
  return withStore(options, env, io.cwd, (store) => replayFrom(store, options, config, selection, io, deps, writeSummary));
}

async function replayFrom(
  store: DlqStore,
  options: ReplayOptions,
  config: ReturnType<typeof parseReplayConfig>,
  query: ReplaySelection,
  io: Io,
  deps: ReplayDeps,
  /** Prints the summary (and hands it to --metrics-file). */
  writeSummary: (io: Io, options: ReplayOptions, s: Summary) => void,
): Promise<number> {
  const path = store.location;
  const reporter = createReporter(io, { quiet: options.quiet, verbose: options.verbose });
  for (const warning of config.warnings) reporter.warn(warning);

  // With --routes, the store tells which webhooks its entries name (routeResolver's `known`).
  let routeOf: (webhook: WebhookRef) => Route | undefined = () => config.routes[0];
  const routing = (known: readonly WebhookRef[]) => {
    routeOf = routeResolver(config.routes, known);
    return (webhook: WebhookRef) => routeOf(webhook) !== undefined;
  };
  // The store counts (a PostgreSQL store in SQL: nothing is loaded per entry); a store that does
  // not exist is its exit-6 error, like list and inspect: a typo'd --file must fail CI.
  const plan = await store.planReplay(config.routed ? { ...query, routing } : query);
  const skipped = skippedCount(plan);
  // Listed in --json results: a script sees why these were not sent.
  const skippedResults = plan.skippedNoPayload.map(noPayloadResult);
  if (plan.skippedNoPayload.length > 0) {
    reporter.info(
      `skipping ${plan.skippedNoPayload.length} without a payload (operational events carry none: list and inspect them, they cannot be replayed)`,
    );
  }
  if (plan.skippedResolved > 0) {
    reporter.info(`skipping ${plan.skippedResolved} resolved (name them by id with --force to resend)`);
  }
  if (plan.skippedSucceeded > 0) {
    reporter.info(`skipping ${plan.skippedSucceeded} already succeeded (use --force to resend)`);
  }
  if (plan.skippedMaxReplays > 0) {
    reporter.info(`skipping ${plan.skippedMaxReplays} that already failed ${config.maxReplays} replays (--max-replays)`);
  }
  if (plan.skippedNoRoute > 0) {
    reporter.info(`skipping ${plan.skippedNoRoute} with no route in ${options.routes} (no "*" route)`);
  }
  if (plan.beyondLimit > 0) {
    reporter.info(`sending the ${config.order} ${plan.total} (--limit); ${plan.beyondLimit} more left for a later run`);
  }
  const target = config.routed ? null : (config.routes[0] as Route).target.redacted;
  const routeOfSelected = (e: WebhookRef) => routeOf(e) as Route;

  if (options.dryRun) {
    // Read only: no lock, no write, nothing sent.
    const summary = summarizeDryRun(plan, target, config.routed ? routeOfSelected : undefined);
    io.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : formatDryRun(summary));
    return ExitCode.ok;
  }

  const total = plan.total;
  const base = {
    target,
    // With --routes: delivery id → route name, filled as entries are handed out.
    routeNames: config.routed ? new Map<string, string | undefined>() : undefined,
    total,
    skipped,
    skippedResults,
    beyondLimit: plan.beyondLimit,
    trips: [] as Trip[],
  };
  if (total === 0) {
    writeSummary(io, options, { ...base, durationMs: 0, results: [] });
    return ExitCode.ok;
  }

  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy, retries: config.retries };
  const recorder = store.replaySession({
    plan,
    lockTimeoutMs: config.lockTimeoutMs,
    onLockWait: (holder) =>
      reporter.info(`DLQ file busy${holder.pid ? ` (pid ${holder.pid})` : ''}: waiting up to ${formatMs(config.lockTimeoutMs)} to save`),
    ...(deps.storeFs ? { fileSystem: deps.storeFs } : {}),
    leaseMs: deps.leaseMs ?? config.leaseMs,
  });
  // A POST cannot be taken back: prove the results can be saved (the lock, a temp file beside
  // the DLQ file) before the first one, or a read-only directory or a full disk would have
  // every delivery sent and none recorded, and the next run would send them all again.
  try {
    await recorder.proveWritable();
  } catch (error) {
    if (isDlqError(error)) writeSummary(io, options, { ...base, durationMs: 0, results: [], error: error.message });
    throw error;
  }

  // One keep-alive pool per route (its own receiver); --concurrency is for the whole run.
  const agents = new Map<Route, Agent>();
  const agentFor = (route: Route): Agent => {
    let agent = agents.get(route);
    if (!agent) agents.set(route, (agent = createAgent(route.target.url, config.concurrency)));
    return agent;
  };
  const started = performance.now();
  const progress = new Progress(reporter, total, started);
  reporter.info(`replaying ${total} dead ${total === 1 ? 'letter' : 'letters'} to ${target ?? describeRoutes(plan, config.routes, routeOfSelected)}`);
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
  let trips: Trip[] = [];
  let finalFailure: unknown;
  try {
    const routeNames = base.routeNames;
    const source = routeNames
      ? {
          next: async () => {
            const entry = await recorder.next();
            if (entry) routeNames.set(entry.delivery_id, routeOfSelected(entry).name);
            return entry;
          },
          release: (id: string, tried: boolean) => recorder.release(id, tried),
        }
      : recorder;
    ({ results, trips } = await runReplays(
      { source, total },
      {
        routeFor: routeOfSelected,
        timeoutMs: config.timeoutMs,
        policy,
        concurrency: config.concurrency,
        userAgent: `dlq/${version()}`,
        runId: randomUUID(),
        maxConsecutiveFailures: config.maxConsecutiveFailures,
      },
      {
        recorder,
        limiter: new RateLimiter(config.rate),
        agentFor,
        sleep: abortableSleep,
        now: io.now,
        signal: trap.signal,
        stop: stop.signal,
        onResult: (r) => progress.done(r),
        onRetry: (id, tried, delayMs) =>
          reporter.debug(`retrying ${id} in ${formatMs(delayMs)}: ${tried.status === null ? tried.error : `HTTP ${tried.status}`}`),
        onTrip: (route, reason) =>
          reporter.debug(`${routePrefix(route)}${reason}: starting no more deliveries; waiting for those in flight`),
      },
    ));
  } finally {
    recorder.stopTimer();
    progress.stop();
    for (const agent of agents.values()) agent.destroy();
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
      ...base,
      trips,
      durationMs,
      results,
      interrupted: caught,
      error: error.message,
      unrecorded: recorder.unsavedIds(),
    });
    throw error;
  }
  for (const trip of trips) {
    const n = trip.notAttempted;
    reporter.info(`${routePrefix(trip.route)}${trip.reason}; ${n.toLocaleString('en-US')} ${n === 1 ? 'entry' : 'entries'} not attempted`);
  }
  const notAttempted = trips.reduce((n, t) => n + t.notAttempted, 0);
  const notStarted = total - results.length - notAttempted - byOthers;
  reporter.info(
    `replay finished: ${results.length - failed} succeeded, ${failed} failed` +
      (byOthers > 0 ? `, ${byOthers} handled by other runs` : '') +
      (notAttempted > 0 ? `, ${notAttempted} not attempted (receiver looks down)` : '') +
      (caught && notStarted > 0 ? `, ${notStarted} not started (${caught})` : '') +
      ` in ${(durationMs / 1000).toFixed(1)}s`,
  );
  writeSummary(io, options, { ...base, trips, durationMs, results, interrupted: caught, byOthers });
  if (caught) return SIGNAL_EXIT[caught];
  return failed > 0 || trips.length > 0 ? ExitCode.replayFailed : ExitCode.ok;
}

/** "route 'Orders' (https://orders.example.com/hook): " with --routes, nothing with --to. */
function routePrefix(route: Route): string {
  return route.name === undefined ? '' : `route '${route.name}' (${route.target.redacted}): `;
}

/** The routes the plan's entries go to, in the routes file's order. */
function describeRoutes(plan: ReplayPlan, routes: readonly Route[], routeOf: (webhook: WebhookRef) => Route): string {
  const hit = new Set(plan.groups.map(routeOf));
  const used = routes.filter((r) => hit.has(r));
  return `${used.length} ${used.length === 1 ? 'route' : 'routes'} (${[...used].map((r) => `${r.name} → ${r.target.redacted}`).join(', ')})`;
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
  /** null with --routes (each result names its route). */
  target: string | null;
  /** With --routes: delivery id → route name. */
  routeNames: Map<string, string | undefined> | undefined;
  total: number;
  skipped: number;
  /** Skipped entries that --json lists among the results (those without a payload). */
  skippedResults: SkippedResult[];
  beyondLimit: number;
  durationMs: number;
  results: EntryResult[];
  trips: Trip[];
  interrupted?: SignalName | undefined;
  /** Why the run ended with exit 6/75 (results could not be saved). */
  error?: string;
  /** Delivery ids whose tries in this run are not in the file. */
  unrecorded?: string[];
  /** Entries of the selection that concurrent runs on a shared store handled. */
  byOthers?: number;
}

function printSummary(io: Io, options: ReplayOptions, s: Summary): void {
  const succeeded = s.results.filter((r) => r.status === 'succeeded').length;
  const failed = s.results.filter((r) => r.status === 'failed').length;
  const notAttempted = s.trips.reduce((n, t) => n + t.notAttempted, 0);
  if (options.json) {
    const out = {
      total: s.total,
      succeeded,
      failed,
      skipped: s.skipped,
      ...(s.beyondLimit > 0 ? { beyondLimit: s.beyondLimit } : {}),
      durationMs: s.durationMs,
      target: s.target,
      ...(s.interrupted ? { interrupted: s.interrupted } : {}),
      ...(s.trips.length > 0
        ? {
            stoppedEarly: {
              reason: s.trips.map((t) => `${routePrefix(t.route)}${t.reason}`).join('; '),
              notAttempted,
              ...(s.routeNames ? { routes: s.trips.map((t) => ({ route: t.route.name, reason: t.reason, notAttempted: t.notAttempted })) } : {}),
            },
          }
        : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(s.unrecorded !== undefined ? { unrecorded: s.unrecorded } : {}),
      ...(s.byOthers ? { handledByOthers: s.byOthers } : {}),
      // With --routes each result names its route (the routes-file key).
      results: [
        ...(s.routeNames ? s.results.map((r) => ({ ...r, route: s.routeNames?.get(r.delivery_id) ?? null })) : s.results),
        ...s.skippedResults,
      ],
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
  const notStarted = s.total - s.results.length - notAttempted - byOthers;
  io.stdout.write(
    `replayed ${s.results.length} of ${s.total} to ${s.target ?? 'their routes'}: ${succeeded} succeeded, ${failed} failed` +
      (s.skipped > 0 ? `, ${s.skipped} skipped` : '') +
      (byOthers > 0 ? `, ${byOthers} handled by other runs` : '') +
      (notAttempted > 0 ? `, ${notAttempted} not attempted (receiver looks down)` : '') +
      (notStarted > 0 ? `, ${notStarted} not started` : '') +
      (s.beyondLimit > 0 ? `, ${s.beyondLimit} beyond --limit` : '') +
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
