/**
 * `dlq fetch`: log in, harvest through one source (the designed failed-delivery history of a
 * webhook, or a real org's operational events; see src/harvest/harvest-source.ts), merge the
 * entries into the DLQ file under its lock. What was harvested before a failure is still merged
 * and saved.
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parseDuration, parsePositiveInt } from '../duration.js';
import { isDlqError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter } from '../output/reporter.js';
import type { DlqStore } from '../store/dlq-store.js';
import { withRunMetrics, type RunMetrics } from './run-metrics.js';
import { withWatermark, type HarvestState } from '../store/harvest-state.js';
import { openStoreSpec } from '../store/open-store.js';
import { resolveStoreSpec, type StoreSpec } from '../store/store-url.js';
import { EventsSource, eventsInterval, type EventsInterval } from '../harvest/events-source.js';
import type { HarvestSource, SourceHarvest } from '../harvest/harvest-source.js';
import type { HarvestMode } from '../harvest/harvest-history.js';
import { HistorySource } from '../harvest/history-source.js';
import { RateLimitPacer } from '../harvest/rate-limit-pacer.js';
import { RequestRunner } from '../harvest/request-runner.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../harvest/retry-policy.js';
// Cheap: the SDK itself is loaded only when a client is created or the regions are asked for.
import { GenesysClient } from '../genesys/client.js';
import { checkEnvironment, checkEnvironmentSyntax } from '../genesys/region.js';
import { SOURCE_NAMES, type SourceName } from '../select/fields.js';
import { SIGNAL_EXIT, trapSignals, type SignalSource } from '../signal-trap.js';

/** The platform configuration `fetch` and `doctor` share (same flags, same environment). */
export interface PlatformOptions extends CommonOptions {
  /** `history` (default) or `events` (env DLQ_SOURCE). */
  source?: string;
  webhook?: string;
  webhookId?: string;
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

export interface FetchSummary {
  source: SourceName;
  /** History: `webhook: {id, name}`; events: `eventDefinitions: [{id, name}]` and `interval`. */
  [subject: string]: unknown;
  fetched: number;
  new: number;
  updated: number;
  /** Items skipped because `dlq prune` removed them earlier. */
  pruned: number;
  duplicates: number;
  pages: number;
  /** `incremental`: stopped at what an earlier complete harvest recorded; `full`: read everything. */
  mode: HarvestMode;
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
  store: StoreSpec;
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
  onlyFor('--event-definition', options.eventDefinition, 'events');
  onlyFor('--since', options.since, 'events');
  onlyFor('--until', options.until, 'events');
  onlyFor('--search', options.search, 'events');

  const missing: string[] = [];
  let webhookName: string | undefined;
  let webhookId: string | undefined;
  let eventDefinitions: string[] = [];
  let interval: EventsInterval | undefined;
  let search: string | undefined;
  if (source === 'history') {
    webhookId = val(options.webhookId);
    webhookName = val(options.webhook) ?? (webhookId ? undefined : val(env['GENESYS_WEBHOOK_NAME']));
    if (!webhookName && !webhookId) missing.push('the webhook (--webhook <name>, --webhook-id <id> or GENESYS_WEBHOOK_NAME)');
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
    webhookName,
    webhookId,
    eventDefinitions,
    eventsInterval: interval,
    search,
    missing,
  };
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
  return {
    ...platform,
    maxItems,
    maxWaitMs: parseDuration(options.maxWait ?? '10m', '--max-wait'),
    concurrency: parsePositiveInt(options.concurrency ?? '4', '--concurrency', { max: 32 }),
    lockTimeoutMs: parseDuration(options.lockTimeout ?? '30s', '--lock-timeout'),
    store: resolveStoreSpec(options, env, cwd),
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
  const store = await openStoreSpec(config.store);
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

  try {
    const client = await GenesysClient.create(
      { clientId: config.clientId, clientSecret: config.clientSecret, environment: config.environment, gateway: config.gateway },
      { onReauthenticated: () => reporter.info('access token refused (401): logged in again') },
    );
    const target = config.gateway ? config.gateway.origin : config.environment;
    reporter.progress(`logging in to ${target}`, false);
    reporter.debug(`logging in to ${target} as client ${config.clientId} (--source ${config.source})`);
    await runner.run('login', async () => {
      await client.login();
      return { status: 200, headers: {}, body: {} };
    });

    const harvest = await sourceFor(config, client).harvest({
      runner,
      signal: trap.signal,
      seenAt: now.toISOString(),
      now,
      log: reporter,
      state: options.full ? undefined : await store.readHarvestState(),
      recorded: (key) => store.readRecordedIds(key),
    });

    const summary = await save(store, config, harvest, now.toISOString(), runner, pacer, started);
    metrics.fetchNew(metricsWebhook(summary), summary.new);
    reporter.stop();
    const what = config.source === 'events' ? 'operational events' : 'deliveries';
    const interrupted = trap.caught();
    if (interrupted) {
      summary.error = `interrupted by ${interrupted}`;
      print(summary, harvest, options, io);
      reporter.info(`${interrupted}: saved the ${summary.new + summary.updated} ${what} harvested before it`);
      return SIGNAL_EXIT[interrupted];
    }
    if (harvest.failure) {
      summary.error = harvest.failure.message;
      print(summary, harvest, options, io);
      reporter.info(`saved the ${summary.new + summary.updated} ${what} harvested before the failure`);
      throw harvest.failure;
    }
    print(summary, harvest, options, io);
    return 0;
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

/** The `webhook` label of dlq_fetch_new_entries: the webhook's name, else its id ('' for operational events). */
function metricsWebhook(summary: FetchSummary): string {
  const webhook = summary['webhook'] as { id?: unknown; name?: unknown } | undefined;
  if (typeof webhook?.name === 'string' && webhook.name !== '') return webhook.name;
  return typeof webhook?.id === 'string' ? webhook.id : '';
}

/** The source the configuration names (history by default). */
function sourceFor(config: FetchConfig, client: GenesysClient): HarvestSource {
  if (config.source === 'events') {
    return new EventsSource(client, {
      definitions: config.eventDefinitions,
      interval: config.eventsInterval as EventsInterval,
      search: config.search,
      maxItems: config.maxItems,
    });
  }
  return new HistorySource(client, {
    webhookName: config.webhookName,
    webhookId: config.webhookId,
    maxItems: config.maxItems,
    concurrency: config.concurrency,
  });
}

async function save(
  store: DlqStore,
  config: FetchConfig,
  harvest: SourceHarvest,
  seenAt: string,
  runner: RequestRunner,
  pacer: RateLimitPacer,
  started: number,
): Promise<FetchSummary> {
  // Nothing harvested: an existing store is left alone; a new one is created only after a clean run.
  // Deliveries `dlq prune` removed stay removed (README, section "lifecycle"). The watermarks move
  // in the same update as the entries they vouch for.
  const merged = await store.mergeEntries(harvest.entries, seenAt, {
    createWhenEmpty: !harvest.failure,
    lockTimeoutMs: config.lockTimeoutMs,
    updateState: (state) => withMarks(state, harvest, seenAt),
  });
  return {
    source: config.source,
    ...harvest.subject.json,
    fetched: harvest.fetched,
    new: merged.added,
    updated: merged.updated,
    pruned: merged.pruned,
    duplicates: harvest.duplicates,
    pages: harvest.pages,
    mode: harvest.mode,
    retries: runner.stats.retries,
    rateLimitWaits: pacer.waits,
    durationMs: Math.round(performance.now() - started),
    file: store.location,
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

function print(summary: FetchSummary, harvest: SourceHarvest, options: FetchOptions, io: Io): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  io.stdout.write(
    `${summary.error ? 'partial harvest' : 'fetched'} ${summary.fetched} ${harvest.subject.text}: ` +
      `${summary.new} new, ${summary.updated} updated, ${summary.duplicates} duplicates` +
      `${summary.pruned > 0 ? `, ${summary.pruned} pruned earlier` : ''}; ` +
      `${summary.pages} pages (${summary.mode}), ${summary.retries} retries, ${summary.rateLimitWaits} rate-limit waits, ` +
      `${seconds(summary.durationMs)} -> ${summary.file}\n`,
  );
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
