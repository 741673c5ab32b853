/**
 * `dlq fetch`: log in, harvest through one source (the designed failed-delivery history of a
 * webhook, or a real org's operational events; see src/harvest/harvest-source.ts), merge the
 * entries into the DLQ file under its lock. What was harvested before a failure is still merged
 * and saved.
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parseDuration, parsePositiveInt } from '../duration.js';
import { ExitCode, isDlqError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { redactSecrets } from '../redact.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { withRunMetrics, type RunMetrics } from './run-metrics.js';
import type { DlqStore } from '../store/dlq-store.js';
import { openStoreSpec } from '../store/open-store.js';
import { resolveStoreSpec, type StoreSpec } from '../store/store-url.js';
import { metricsWebhookLabel } from '../output/prometheus-metrics.js';
import { withWatermark, type HarvestState } from '../store/harvest-state.js';
import { EventsSource, eventsInterval, type EventsInterval } from '../harvest/events-source.js';
import type { HarvestContext, SourceHarvest } from '../harvest/harvest-source.js';
import type { HarvestMode } from '../harvest/harvest-history.js';
import { HistorySource, type HistorySourceOptions } from '../harvest/history-source.js';
import { listAllWebhooks, type WebhookTarget } from '../harvest/resolve-webhook.js';
import { RateLimitPacer } from '../harvest/rate-limit-pacer.js';
import { RequestRunner } from '../harvest/request-runner.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../harvest/retry-policy.js';
// Cheap: the SDK itself is loaded only when a client is created or the regions are asked for.
import { GenesysClient } from '../genesys/client.js';
import { checkEnvironment, checkEnvironmentSyntax } from '../genesys/region.js';
import { SOURCE_NAMES, type SourceName } from '../entries/fields.js';
import { SIGNAL_EXIT, trapSignals, type SignalSource, type SignalTrap } from '../signal-trap.js';

/** The platform configuration `fetch` and `doctor` share (same flags, same environment). */
export interface PlatformOptions extends CommonOptions {
  /** `history` (default) or `events` (env DLQ_SOURCE). */
  source?: string;
  /** Webhook names (repeatable; env GENESYS_WEBHOOK_NAME, a comma list). */
  webhook?: string | string[];
  /** Webhook integration ids (repeatable). */
  webhookId?: string | string[];
  /** Every integration of type webhook. */
  allWebhooks?: boolean;
  /** Operational-event definition names or ids (repeatable; env GENESYS_EVENT_DEFINITIONS, a comma list). */
  eventDefinition?: string[];
  /** Events source: the query interval, in the forms of `dlq list`. */
  since?: string;
  until?: string;
  /** Events source: the query's searchTerm. */
  search?: string;
  environment?: string;
  gateway?: string;
}

export interface FetchOptions extends PlatformOptions {
  maxItems?: string;
  /** Prometheus text file written after the run (commands/run-metrics.ts). */
  metricsFile?: string;
  /** Total time rate-limit waits may add up to (default 10m). */
  maxWait?: string;
  /** History pages in flight at once (default 4). */
  concurrency?: string;
  lockTimeout?: string;
  /** Read everything, even where an earlier complete harvest allows stopping early (issue #11). */
  full?: boolean;
}

/** Test seams: faster backoff, signals. */
export interface FetchDeps {
  retryPolicy?: Partial<RetryPolicy>;
  signals?: SignalSource;
  forceExit?: (code: number) => void;
}

/** What one harvest counted: the whole run's totals (FetchSummary) and each webhook's (WebhookSummary). */
interface HarvestCounts {
  fetched: number;
  new: number;
  updated: number;
  /** Items skipped because `dlq prune` removed them earlier. */
  pruned: number;
  duplicates: number;
  /**
   * Distinct items received beyond --max-items (pages come 200 at a time; only the newest
   * max-items are kept). fetched = new + updated + pruned + duplicates + overMaxItems.
   */
  overMaxItems: number;
  pages: number;
  /** `incremental`: stopped at what an earlier complete harvest recorded; `full`: read everything. */
  mode: HarvestMode;
}

export interface FetchSummary extends HarvestCounts {
  source: SourceName;
  /** History: `webhook: {id, name}`; events: `eventDefinitions: [{id, name}]` and `interval`. */
  [subject: string]: unknown;
  retries: number;
  rateLimitWaits: number;
  durationMs: number;
  file: string;
  error?: string;
}

const DEFAULT_ENVIRONMENT = 'mypurecloud.com';

export interface PlatformConfig {
  clientId: string;
  clientSecret: string;
  environment: string;
  gateway: URL | undefined;
  source: SourceName;
  /** History source: the webhooks to harvest, by name or by id, each once (empty with allWebhooks). */
  webhooks: WebhookTarget[];
  /** History source: every integration of type webhook (--all-webhooks). */
  allWebhooks: boolean;
  /** The first of `webhooks` (for commands that look at one webhook). */
  webhookName: string | undefined;
  webhookId: string | undefined;
  /** Events source: definition names or ids as given (empty for the history source). */
  eventDefinitions: string[];
  /** Events source: the query interval (undefined for the history source). */
  eventsInterval: EventsInterval | undefined;
  search: string | undefined;
  /** What the configured source lacks (the webhook, the event definitions); fetch refuses to run without it. */
  missing: string[];
}

interface FetchConfig extends PlatformConfig {
  maxItems: number | undefined;
  maxWaitMs: number;
  concurrency: number;
  lockTimeoutMs: number;
  /** The store (--store, --file, DLQ_STORE, DLQ_FILE). */
  store: StoreSpec;
  /** What summaries name: the file's path, or the store's URL without its password. */
  file: string;
}

/**
 * Flags win over the environment (whose names are the contract's, §7). Credentials missing, a bad
 * flag or an unknown region: UsageError (exit 2). What the chosen source itself needs is reported
 * in `missing`, so doctor can still check everything else.
 */
export function resolvePlatformConfig(options: PlatformOptions, env: NodeJS.ProcessEnv, now: Date): PlatformConfig {
  const val = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const source = parseSource(options.source, env['DLQ_SOURCE']);
  const clientId = val(env['GENESYS_CLIENT_ID']);
  const clientSecret = env['GENESYS_CLIENT_SECRET'] !== '' ? env['GENESYS_CLIENT_SECRET'] : undefined;
  const missingCredentials: string[] = [];
  if (!clientId) missingCredentials.push('GENESYS_CLIENT_ID');
  if (!clientSecret) missingCredentials.push('GENESYS_CLIENT_SECRET');

  // Flags of the other source are a mistake worth one line; its environment variables are ignored.
  const onlyFor = (flag: string, given: unknown, wanted: SourceName) => {
    if (given !== undefined && source !== wanted) {
      throw new UsageError(`${flag} applies to --source ${wanted} only (this run uses --source ${source})`);
    }
  };
  onlyFor('--webhook', options.webhook, 'history');
  onlyFor('--webhook-id', options.webhookId, 'history');
  onlyFor('--all-webhooks', options.allWebhooks || undefined, 'history');
  onlyFor('--event-definition', options.eventDefinition, 'events');
  onlyFor('--since', options.since, 'events');
  onlyFor('--until', options.until, 'events');
  onlyFor('--search', options.search, 'events');

  const missing: string[] = [];
  let webhooks: WebhookTarget[] = [];
  let eventDefinitions: string[] = [];
  let interval: EventsInterval | undefined;
  let search: string | undefined;
  const allWebhooks = options.allWebhooks === true;
  if (source === 'history') {
    webhooks = webhookTargets(options, env);
    if (webhooks.length === 0 && !allWebhooks) {
      missing.push('the webhook (--webhook <name>, --webhook-id <id>, --all-webhooks or GENESYS_WEBHOOK_NAME)');
    }
  } else {
    const given = options.eventDefinition ?? (env['GENESYS_EVENT_DEFINITIONS'] ?? '').split(',');
    eventDefinitions = [...new Set(given.map((d) => d.trim()).filter((d) => d !== ''))];
    if (options.eventDefinition !== undefined && eventDefinitions.length === 0) throw new UsageError('--event-definition: empty name or id');
    if (eventDefinitions.length === 0) {
      missing.push('the event definitions (--event-definition <name|id> or GENESYS_EVENT_DEFINITIONS)');
    }
    interval = eventsInterval(options, now);
    if (options.search !== undefined) {
      search = options.search.trim();
      if (search === '') throw new UsageError('--search: empty term');
    }
  }
  if (missingCredentials.length > 0) throw new UsageError(`missing configuration: ${[...missingCredentials, ...missing].join(', ')}`);

  const gatewayText = val(options.gateway) ?? val(env['GENESYS_GATEWAY']);
  let gateway: URL | undefined;
  if (gatewayText) {
    try {
      gateway = new URL(gatewayText);
    } catch {
      throw new UsageError(`--gateway: '${gatewayText}' is not a URL (example: http://127.0.0.1:8080)`);
    }
    if (gateway.protocol !== 'http:' && gateway.protocol !== 'https:') {
      throw new UsageError(`--gateway: only http and https URLs are supported, not '${gateway.protocol}'`);
    }
  }
  if (options.environment !== undefined && options.environment.trim() === '') {
    throw new UsageError('--environment: empty (e.g. mypurecloud.com, mypurecloud.ie)');
  }
  // Checked against the SDK's regions at run time; through a gateway any name goes (the gateway decides).
  const environmentText = val(options.environment) ?? val(env['GENESYS_ENVIRONMENT']) ?? DEFAULT_ENVIRONMENT;
  const environmentFlag = options.environment !== undefined ? '--environment' : 'GENESYS_ENVIRONMENT';
  const environment = gateway
    ? checkEnvironmentSyntax(environmentText, environmentFlag)
    : checkEnvironment(environmentText, GenesysClient.regionHosts(), environmentFlag);
  return {
    clientId: clientId as string,
    clientSecret: clientSecret as string,
    environment,
    gateway,
    source,
    webhooks,
    allWebhooks,
    webhookName: webhooks[0]?.name,
    webhookId: webhooks[0]?.id,
    eventDefinitions,
    eventsInterval: interval,
    search,
    missing,
  };
}

/**
 * The webhooks named by --webhook and --webhook-id (each repeatable; names first, in the order
 * given, each once), else by GENESYS_WEBHOOK_NAME (a comma list). --all-webhooks takes none of them.
 */
function webhookTargets(options: PlatformOptions, env: NodeJS.ProcessEnv): WebhookTarget[] {
  const given = (value: string | string[] | undefined, flag: string): string[] | undefined => {
    if (value === undefined) return undefined;
    const list = (Array.isArray(value) ? value : [value]).map((v) => v.trim());
    if (list.some((v) => v === '')) throw new UsageError(`${flag}: empty value`);
    return list;
  };
  const names = given(options.webhook, '--webhook');
  const ids = given(options.webhookId, '--webhook-id');
  if (options.allWebhooks && (names || ids)) {
    throw new UsageError('--all-webhooks harvests every webhook integration: drop --webhook and --webhook-id, or drop --all-webhooks');
  }
  if (options.allWebhooks) return [];
  const fromEnv = names || ids ? [] : (env['GENESYS_WEBHOOK_NAME'] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  const targets: WebhookTarget[] = [
    ...[...new Set([...(names ?? []), ...fromEnv])].map((name) => ({ name })),
    ...[...new Set(ids ?? [])].map((id) => ({ id })),
  ];
  return targets;
}

function parseSource(flag: string | undefined, fromEnv: string | undefined): SourceName {
  const text = flag ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : 'history');
  if ((SOURCE_NAMES as readonly string[]).includes(text)) return text as SourceName;
  throw new UsageError(`${flag !== undefined ? '--source' : 'DLQ_SOURCE'}: '${text}' is not one of ${SOURCE_NAMES.join(', ')}`);
}

function resolveFetchConfig(options: FetchOptions, env: NodeJS.ProcessEnv, cwd: string, now: Date): FetchConfig {
  const val = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const platform = resolvePlatformConfig(options, env, now);
  if (platform.missing.length > 0) throw new UsageError(`missing configuration: ${platform.missing.join(', ')}`);
  const maxItemsText = val(options.maxItems) ?? val(env['MAX_DLQ_ITEMS']);
  const maxItems = maxItemsText !== undefined ? parsePositiveInt(maxItemsText, options.maxItems ? '--max-items' : 'MAX_DLQ_ITEMS') : undefined;
  const store = resolveStoreSpec(options, env, cwd);
  return {
    ...platform,
    maxItems,
    maxWaitMs: parseDuration(options.maxWait ?? '10m', '--max-wait'),
    concurrency: parsePositiveInt(options.concurrency ?? '4', '--concurrency', { max: 32 }),
    lockTimeoutMs: parseDuration(options.lockTimeout ?? '30s', '--lock-timeout'),
    store,
    file: store.kind === 'file' ? store.path : store.location,
  };
}

export async function fetchCommand(options: FetchOptions, io: Io, deps: FetchDeps = {}): Promise<number> {
  return withRunMetrics('fetch', options, io, (metrics) => runFetch(options, io, deps, metrics));
}

async function runFetch(options: FetchOptions, io: Io, deps: FetchDeps, metrics: RunMetrics): Promise<number> {
  const started = performance.now();
  const now = io.now();
  const env = effectiveEnv(io, options.envFile);
  const config = resolveFetchConfig(options, env, io.cwd, now);
  const reporter = createReporter({ ...io, env }, { quiet: options.quiet, verbose: options.verbose });

  // Fail fast on an obviously unusable store before spending any API quota; the file store's full
  // validation happens when it is read under the lock for the merge.
  const store = await openStoreSpec(config.store, env);
  try {
    await store.check();
  } catch (error) {
    await store.close();
    throw error;
  }

  // Ctrl-C or a cron timeout's SIGTERM: stop paging, save what was harvested, exit 130/143.
  const trap = trapSignals({
    onFirst: (name) => reporter.info(`${name}: stopping; saving what was harvested (again to quit at once)`),
    ...(deps.signals ? { signals: deps.signals } : {}),
    ...(deps.forceExit ? { forceExit: deps.forceExit } : {}),
  });
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy };
  const pacer = new RateLimitPacer({
    signal: trap.signal,
    maxWaitMs: config.maxWaitMs,
    onWait: (ms, reason) =>
      reporter.progress(
        reason === 'retry-after'
          ? `rate limited (429): waiting ${seconds(ms)} as Retry-After asks`
          : `rate-limit budget spent: waiting ${seconds(ms)} for the window to reset`,
        true,
      ),
  });
  const runner = new RequestRunner(
    pacer,
    policy,
    { onRetry: ({ error, attempt }) => reporter.progress(`retrying after attempt ${attempt} failed: ${error}`, true) },
    trap.signal,
  );

  const run: RunParts = { io, options, reporter, trap, runner, pacer, started, metrics, store };
  try {
    const client = await GenesysClient.create(
      { clientId: config.clientId, clientSecret: config.clientSecret, environment: config.environment, gateway: config.gateway },
      { onReauthenticated: () => reporter.info('access token refused (401): logged in again') },
      // A signal cancels a login in flight: nothing is harvested yet, nothing to wait for.
      { loginSignal: trap.signal },
    );
    const target = config.gateway ? config.gateway.origin : config.environment;
    reporter.progress(`logging in to ${target}`, false);
    reporter.debug(`logging in to ${target} as client ${config.clientId} (--source ${config.source})`);
    await runner.run('login', async () => {
      await client.login();
      return { status: 200, headers: {}, body: {} };
    });

    const context: HarvestContext = {
      runner,
      signal: trap.signal,
      seenAt: now.toISOString(),
      now,
      log: reporter,
      state: options.full ? undefined : await store.readHarvestState(),
      recorded: (key) => store.readRecordedIds(key),
    };
    if (config.source === 'events') {
      const source = new EventsSource(client, {
        definitions: config.eventDefinitions,
        interval: config.eventsInterval as EventsInterval,
        search: config.search,
        maxItems: config.maxItems,
      });
      const harvest = await source.harvest(context);
      const saved = await save(store, config, harvest, context.seenAt);
      for (const [label, n] of saved.newByWebhook) metrics.fetchNew(label, n);
      const summary: FetchSummary = { source: config.source, ...harvest.subject.json, ...counts(saved), ...runStats(runner, pacer, started, config) };
      return finishSingle(summary, [{ text: harvest.subject.text, counts: saved }], saved.error, 'operational events', run);
    }
    return await fetchWebhooks(config, client, context, run);
  } catch (error) {
    // Interrupted before the harvest began (logging in, resolving): nothing to save.
    const interrupted = trap.caught();
    if (interrupted && !isDlqError(error)) return SIGNAL_EXIT[interrupted];
    throw error;
  } finally {
    trap.release();
    reporter.stop();
    await store.close();
  }
}

/** What printing and the exit code need of the run, besides the config. */
interface RunParts {
  io: Io;
  options: FetchOptions;
  reporter: Reporter;
  trap: SignalTrap;
  runner: RequestRunner;
  pacer: RateLimitPacer;
  started: number;
  /** The run's metrics (--metrics-file): new entries per webhook. */
  metrics: RunMetrics;
  store: DlqStore;
}

/** What one harvest added to the file, or why it could not be saved. */
interface Saved {
  fetched: number;
  added: number;
  updated: number;
  pruned: number;
  /** New entries by their dlq_fetch_new_entries `webhook` label. */
  newByWebhook: Map<string, number>;
  duplicates: number;
  /** Distinct items received beyond --max-items (see FetchSummary.overMaxItems). */
  overMaxItems: number;
  pages: number;
  mode: HarvestMode;
  /** The harvest's failure part-way (what came before is saved). */
  error?: Error;
}

/** One webhook's part of the summary (`webhooks` in --json). */
export interface WebhookSummary extends HarvestCounts {
  id: string | null;
  name: string | null;
  error?: string;
}

interface SummaryLine {
  text: string;
  counts?: Saved;
  error?: string;
}

/**
 * The exit code of a run where several webhooks failed differently: the most severe one, in this
 * order (README, "Many webhooks"): interrupted (130/143), DLQ file unusable (6), DLQ file busy
 * (75), authentication (3), platform failure (5), webhook not found, ambiguous or offering no
 * history (4). File problems come first because nothing more could be saved; a naming problem
 * of one webhook last, since the others were harvested.
 */
export const EXIT_SEVERITY: readonly number[] = [130, 143, ExitCode.dlqFile, ExitCode.busy, ExitCode.auth, ExitCode.platform, ExitCode.webhook, ExitCode.usage, ExitCode.failure];

export function mostSevere(codes: readonly number[]): number {
  let best = 0;
  for (const code of codes) {
    if (code === 0) continue;
    const rank = (c: number) => {
      const i = EXIT_SEVERITY.indexOf(c);
      return i < 0 ? EXIT_SEVERITY.length : i;
    };
    if (best === 0 || rank(code) < rank(best)) best = code;
  }
  return best;
}

/**
 * The history source for every webhook asked for, one after another, sharing the login, the
 * pacer and the retries. Each webhook's harvest is saved under the lock before the next begins;
 * a webhook that fails (not found, ambiguous, no history, 5xx after retries) does not stop the
 * others. A DLQ file that cannot be saved, or a signal, stops the run.
 */
async function fetchWebhooks(config: FetchConfig, client: GenesysClient, context: HarvestContext, run: RunParts): Promise<number> {
  const { reporter, trap } = run;
  const targets: HistorySourceOptions[] = [];
  const results: WebhookSummary[] = [];
  const lines: SummaryLine[] = [];
  const errors: Error[] = [];
  const common = { maxItems: config.maxItems, concurrency: config.concurrency };
  const fail = (who: { id: string | null; name: string | null }, text: string, error: Error) => {
    errors.push(error);
    results.push({ ...who, fetched: 0, new: 0, updated: 0, pruned: 0, duplicates: 0, overMaxItems: 0, pages: 0, mode: 'full', error: error.message });
    lines.push({ text, error: error.message });
  };
  if (config.allWebhooks) {
    reporter.progress('listing the webhook integrations', false);
    const all = await listAllWebhooks(client, context.runner);
    reporter.debug(`--all-webhooks: ${all.length} webhook integrations`);
    for (const w of all) targets.push({ webhookId: w.id, webhookName: w.name, listed: true, ...common });
  } else {
    for (const t of config.webhooks) targets.push({ webhookId: t.id, webhookName: t.name, ...common });
  }
  const single = targets.length === 1 && !config.allWebhooks;
  const done = new Set<string>();
  for (const target of targets) {
    if (trap.caught()) break;
    const label = target.webhookName !== undefined && target.webhookId === undefined ? `'${target.webhookName}'` : (target.webhookId as string);
    if (target.webhookId !== undefined && done.has(target.webhookId)) {
      reporter.debug(`webhook ${target.webhookId}: harvested already in this run`);
      continue;
    }
    let harvest: SourceHarvest;
    try {
      harvest = await new HistorySource(client, target).harvest(context);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (single || (trap.caught() && !isDlqError(error))) throw failure;
      fail({ id: target.webhookId ?? null, name: target.webhookName ?? null }, `webhook ${label}`, failure);
      continue;
    }
    const json = harvest.subject.json as { webhook: { id: string; name: string | null } };
    done.add(json.webhook.id);
    let saved: Saved;
    try {
      saved = await save(run.store, config, harvest, context.seenAt);
    } catch (error) {
      // The file cannot take it: the next webhooks could not be saved either.
      if (single) throw error;
      fail(json.webhook, harvest.subject.text, error instanceof Error ? error : new Error(String(error)));
      break;
    }
    for (const [label, n] of saved.newByWebhook) run.metrics.fetchNew(label, n);
    if (saved.error) errors.push(saved.error);
    results.push({ ...json.webhook, ...counts(saved), ...(saved.error ? { error: saved.error.message } : {}) });
    lines.push({ text: harvest.subject.text, counts: saved, ...(saved.error ? { error: saved.error.message } : {}) });
  }

  const totals = results.reduce(
    (t, r) => ({
      fetched: t.fetched + r.fetched,
      new: t.new + r.new,
      updated: t.updated + r.updated,
      pruned: t.pruned + r.pruned,
      duplicates: t.duplicates + r.duplicates,
      overMaxItems: t.overMaxItems + r.overMaxItems,
      pages: t.pages + r.pages,
    }),
    { fetched: 0, new: 0, updated: 0, pruned: 0, duplicates: 0, overMaxItems: 0, pages: 0 },
  );
  const mode: HarvestMode = results.length > 0 && results.every((r) => r.mode === 'incremental') ? 'incremental' : 'full';
  const first = results[0];
  const summary: FetchSummary = {
    source: 'history',
    ...(single && first ? { webhook: { id: first.id, name: first.name } } : {}),
    ...totals,
    mode,
    ...runStats(run.runner, run.pacer, run.started, config),
    webhooks: results,
  };
  if (single) {
    // One webhook: the output and exit code of a single harvest, as before.
    return finishSingle(summary, lines, errors[0], 'deliveries', run);
  }
  reporter.stop();
  const interrupted = trap.caught();
  if (interrupted) summary.error = `interrupted by ${interrupted}`;
  else if (errors.length > 0) summary.error = `${errors.length} of ${results.length} webhooks failed`;
  print(summary, lines, run.options, run.io);
  if (interrupted) {
    reporter.info(`${interrupted}: saved what was harvested; the webhooks after it were not harvested`);
    return SIGNAL_EXIT[interrupted];
  }
  for (const r of results) {
    if (r.error !== undefined) reportLine(run.io, `webhook ${r.name !== null ? `'${r.name}'` : r.id}: ${r.error}`);
  }
  return mostSevere(errors.map((e) => (isDlqError(e) ? e.exitCode : ExitCode.failure)));
}

/** The end of a run of one harvest: print, then exit 0, 130/143, or rethrow the failure (exit by its class). */
function finishSingle(summary: FetchSummary, lines: SummaryLine[], failure: Error | undefined, what: string, run: RunParts): number {
  const { reporter, trap } = run;
  reporter.stop();
  const interrupted = trap.caught();
  const saved = summary.new + summary.updated;
  // Nothing received before the failure (`--webhook-id nope`): the error line alone says it; a
  // "partial harvest 0 …" summary and "saved the 0 …" would only be noise (issue #9).
  if (failure && !interrupted && summary.fetched === 0) throw failure;
  if (interrupted) summary.error = `interrupted by ${interrupted}`;
  else if (failure) summary.error = failure.message;
  print(summary, lines, run.options, run.io);
  if (interrupted) {
    reporter.info(`${interrupted}: saved the ${saved} ${what} harvested before it`);
    return SIGNAL_EXIT[interrupted];
  }
  if (failure) {
    reporter.info(`saved the ${saved} ${what} harvested before the failure`);
    throw failure;
  }
  return 0;
}

/** One `dlq: …` line on stderr, escaped and redacted like the top-level error line. */
function reportLine(io: Io, text: string): void {
  io.stderr.write(`dlq: ${escapeText(redactSecrets(text, io.env))}\n`);
}

function counts(saved: Saved) {
  return {
    fetched: saved.fetched,
    new: saved.added,
    updated: saved.updated,
    pruned: saved.pruned,
    duplicates: saved.duplicates,
    overMaxItems: saved.overMaxItems,
    pages: saved.pages,
    mode: saved.mode,
  };
}

function runStats(runner: RequestRunner, pacer: RateLimitPacer, started: number, config: FetchConfig) {
  return {
    retries: runner.stats.retries,
    rateLimitWaits: pacer.waits,
    durationMs: Math.round(performance.now() - started),
    file: config.file,
  };
}

/**
 * Merges one harvest into the store (the file: under its lock); its watermark moves only if it was
 * complete, in the same update. Nothing harvested: an existing store is left alone; a new one is
 * created only after a clean run. Deliveries `dlq prune` removed stay removed (README, "lifecycle").
 */
async function save(store: DlqStore, config: FetchConfig, harvest: SourceHarvest, seenAt: string): Promise<Saved> {
  const merged = await store.mergeEntries(harvest.entries, seenAt, {
    createWhenEmpty: !harvest.failure,
    lockTimeoutMs: config.lockTimeoutMs,
    updateState: (state) => withMarks(state, harvest, seenAt),
  });
  // Counted by their webhook label for --metrics-file (operational events: their entity).
  const newByWebhook = new Map<string, number>();
  for (const e of merged.addedEntries) newByWebhook.set(metricsWebhookLabel(e), (newByWebhook.get(metricsWebhookLabel(e)) ?? 0) + 1);
  return {
    fetched: harvest.fetched,
    added: merged.added,
    updated: merged.updated,
    pruned: merged.pruned,
    newByWebhook,
    duplicates: harvest.duplicates,
    overMaxItems: Math.max(0, harvest.fetched - harvest.duplicates - harvest.entries.length),
    pages: harvest.pages,
    mode: harvest.mode,
    ...(harvest.failure ? { error: harvest.failure } : {}),
  };
}

/**
 * The state after this harvest (saved after its entries, under the same lock): only a complete
 * harvest of a source moves its watermark, never a capped, interrupted or failed one.
 */
function withMarks(state: HarvestState, harvest: SourceHarvest, seenAt: string): HarvestState {
  let next = state;
  for (const mark of harvest.marks) {
    if (mark.complete && mark.newest !== undefined) next = withWatermark(next, mark.key, mark.newest, seenAt);
  }
  return next;
}

/**
 * stdout: with --json one object; else one line per harvest (per webhook), and for several
 * webhooks a last line with the totals. A single harvest's line ends with the run's figures.
 */
function print(summary: FetchSummary, lines: SummaryLine[], options: FetchOptions, io: Io): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const tail =
    `${summary.retries} retries, ${summary.rateLimitWaits} rate-limit waits, ` + `${seconds(summary.durationMs)} -> ${summary.file}`;
  const part = (
    c: { fetched: number; new: number; updated: number; pruned: number; duplicates: number; overMaxItems: number; pages: number; mode: string },
    what: string,
  ) =>
    `${what}: ${c.new} new, ${c.updated} updated, ${c.duplicates} duplicates` +
    `${c.pruned > 0 ? `, ${c.pruned} pruned earlier` : ''}` +
    `${c.overMaxItems > 0 ? `, ${c.overMaxItems} over --max-items` : ''}; ${c.pages} pages (${c.mode})`;
  if (lines.length === 1 && (summary.source === 'events' || summary['webhook'] !== undefined)) {
    const line = lines[0] as SummaryLine;
    io.stdout.write(`${summary.error ? 'partial harvest' : 'fetched'} ${part(summary, `${summary.fetched} ${line.text}`)}, ${tail}\n`);
    return;
  }
  const out: string[] = [];
  for (const line of lines) {
    if (line.counts === undefined) {
      out.push(`failed ${line.text}: ${escapeText(line.error ?? 'failed')}`);
      continue;
    }
    const c = line.counts;
    const shown = { fetched: c.fetched, new: c.added, updated: c.updated, pruned: c.pruned, duplicates: c.duplicates, overMaxItems: c.overMaxItems, pages: c.pages, mode: c.mode };
    out.push(`${line.error ? 'partial harvest' : 'fetched'} ${part(shown, `${c.fetched} ${line.text}`)}`);
  }
  const webhooks = (summary['webhooks'] as unknown[] | undefined)?.length ?? lines.length;
  out.push(`total: ${webhooks} webhooks, ${part(summary, `${summary.fetched} failed deliveries`)}, ${tail}`);
  io.stdout.write(`${out.join('\n')}\n`);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
