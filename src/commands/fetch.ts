/**
 * `dlq fetch`: log in, resolve the webhook, harvest its failed deliveries, merge them into the
 * DLQ file under its lock. What was harvested before a failure is still merged and saved.
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parseDuration, parsePositiveInt } from '../duration.js';
import { isDlqError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter } from '../output/reporter.js';
import type { DlqStore } from '../store/dlq-store.js';
import { openStoreSpec } from '../store/open-store.js';
import { resolveStoreSpec, type StoreSpec } from '../store/store-url.js';
import { harvestHistory, type HarvestOutcome } from '../harvest/harvest-history.js';
import { RateLimitPacer } from '../harvest/rate-limit-pacer.js';
import { RequestRunner } from '../harvest/request-runner.js';
import { resolveWebhook } from '../harvest/resolve-webhook.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../harvest/retry-policy.js';
// Cheap: the SDK itself is loaded only inside GenesysClient.create.
import { GenesysClient } from '../genesys/client.js';
import { SIGNAL_EXIT, trapSignals, type SignalSource } from '../signal-trap.js';

export interface FetchOptions extends CommonOptions {
  webhook?: string;
  webhookId?: string;
  environment?: string;
  gateway?: string;
  maxItems?: string;
  /** Total time rate-limit waits may add up to (default 10m). */
  maxWait?: string;
  /** History pages in flight at once (default 4). */
  concurrency?: string;
  lockTimeout?: string;
}

/** Test seams: faster backoff, signals. */
export interface FetchDeps {
  retryPolicy?: Partial<RetryPolicy>;
  signals?: SignalSource;
  forceExit?: (code: number) => void;
}

export interface FetchSummary {
  webhook: { id: string; name: string | null };
  fetched: number;
  new: number;
  updated: number;
  duplicates: number;
  pages: number;
  retries: number;
  rateLimitWaits: number;
  durationMs: number;
  file: string;
  error?: string;
}

const DEFAULT_ENVIRONMENT = 'mypurecloud.com';

interface FetchConfig {
  clientId: string;
  clientSecret: string;
  environment: string;
  gateway: URL | undefined;
  webhookName: string | undefined;
  webhookId: string | undefined;
  maxItems: number | undefined;
  maxWaitMs: number;
  concurrency: number;
  lockTimeoutMs: number;
  store: StoreSpec;
}

/** Flags win over the environment (whose names are the contract's, §6). */
function resolveFetchConfig(options: FetchOptions, env: NodeJS.ProcessEnv, cwd: string): FetchConfig {
  const val = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const clientId = val(env['GENESYS_CLIENT_ID']);
  const clientSecret = env['GENESYS_CLIENT_SECRET'] !== '' ? env['GENESYS_CLIENT_SECRET'] : undefined;
  const webhookId = val(options.webhookId);
  const webhookName = val(options.webhook) ?? (webhookId ? undefined : val(env['GENESYS_WEBHOOK_NAME']));
  const missing: string[] = [];
  if (!clientId) missing.push('GENESYS_CLIENT_ID');
  if (!clientSecret) missing.push('GENESYS_CLIENT_SECRET');
  if (!webhookName && !webhookId) missing.push('the webhook (--webhook <name>, --webhook-id <id> or GENESYS_WEBHOOK_NAME)');
  if (missing.length > 0) throw new UsageError(`missing configuration: ${missing.join(', ')}`);

  const environment = (val(options.environment) ?? val(env['GENESYS_ENVIRONMENT']) ?? DEFAULT_ENVIRONMENT)
    .replace(/^https?:\/\//, '')
    .replace(/^(api|login)\./, '')
    .replace(/\/+$/, '');
  if (!/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(environment)) {
    throw new UsageError(`--environment: '${environment}' is not a Genesys Cloud environment (e.g. mypurecloud.com, mypurecloud.ie)`);
  }
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
  const maxItemsText = val(options.maxItems) ?? val(env['MAX_DLQ_ITEMS']);
  const maxItems = maxItemsText !== undefined ? parsePositiveInt(maxItemsText, options.maxItems ? '--max-items' : 'MAX_DLQ_ITEMS') : undefined;
  return {
    clientId: clientId as string,
    clientSecret: clientSecret as string,
    environment,
    gateway,
    webhookName,
    webhookId,
    maxItems,
    maxWaitMs: parseDuration(options.maxWait ?? '10m', '--max-wait'),
    concurrency: parsePositiveInt(options.concurrency ?? '4', '--concurrency', { max: 32 }),
    lockTimeoutMs: parseDuration(options.lockTimeout ?? '30s', '--lock-timeout'),
    store: resolveStoreSpec(options, env, cwd),
  };
}

export async function fetchCommand(options: FetchOptions, io: Io, deps: FetchDeps = {}): Promise<number> {
  const started = performance.now();
  const env = effectiveEnv(io, options.envFile);
  const config = resolveFetchConfig(options, env, io.cwd);

  // Fail fast on an obviously unusable store before spending any API quota; the file store's full
  // validation happens when it is read under the lock for the merge.
  const store = await openStoreSpec(config.store);
  try {
    await store.check();
    return await fetchInto(store, config, options, { ...io, env }, deps, started);
  } finally {
    await store.close();
  }
}

/** The harvest and the merge; `io.env` is the effective environment (--env-file applied). */
async function fetchInto(store: DlqStore, config: FetchConfig, options: FetchOptions, io: Io, deps: FetchDeps, started: number): Promise<number> {
  const reporter = createReporter(io, { quiet: options.quiet, verbose: options.verbose });

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
    reporter.debug(`logging in to ${target} as client ${config.clientId}`);
    await runner.run('login', async () => {
      await client.login();
      return { status: 200, headers: {}, body: {} };
    });

    let webhook: { id: string; name: string | undefined };
    if (config.webhookId) {
      webhook = { id: config.webhookId, name: config.webhookName };
    } else {
      reporter.progress(`resolving webhook '${config.webhookName}'`, false);
      const resolved = await resolveWebhook(client, runner, config.webhookName as string, () =>
        reporter.debug('webhook search answered 404: resolving through the integrations listing'),
      );
      webhook = { id: resolved.id, name: resolved.name };
      reporter.debug(`webhook '${resolved.name}' is integration ${resolved.id} (via ${resolved.via})`);
    }

    const outcome = await harvestHistory(client, runner, {
      integrationId: webhook.id,
      maxItems: config.maxItems,
      concurrency: config.concurrency,
      signal: trap.signal,
      onPage: ({ page, items, total, unique }) => {
        const of = total > 0 ? ` of ${total}` : '';
        reporter.progress(`history: ${unique}${of} failed deliveries (page ${page})`, false);
        reporter.debug(`history page ${page}: ${items} items; total ${total}`);
      },
    });

    const summary = await save(store, config, webhook, outcome, io, runner, pacer, started);
    reporter.stop();
    const interrupted = trap.caught();
    if (interrupted) {
      summary.error = `interrupted by ${interrupted}`;
      print(summary, options, io);
      reporter.info(`${interrupted}: saved the ${summary.new + summary.updated} deliveries harvested before it`);
      return SIGNAL_EXIT[interrupted];
    }
    if (outcome.failure) {
      summary.error = outcome.failure.message;
      print(summary, options, io);
      reporter.info(`saved the ${summary.new + summary.updated} deliveries harvested before the failure`);
      throw outcome.failure;
    }
    print(summary, options, io);
    return 0;
  } catch (error) {
    // Interrupted before the harvest began (logging in, resolving): nothing to save.
    const interrupted = trap.caught();
    if (interrupted && !isDlqError(error)) return SIGNAL_EXIT[interrupted];
    throw error;
  } finally {
    trap.release();
    reporter.stop();
  }
}

async function save(
  store: DlqStore,
  config: FetchConfig,
  webhook: { id: string; name: string | undefined },
  outcome: HarvestOutcome,
  io: Io,
  runner: RequestRunner,
  pacer: RateLimitPacer,
  started: number,
): Promise<FetchSummary> {
  const seenAt = io.now().toISOString();
  // Nothing harvested: an existing store is left alone; a new one is created only after a clean run.
  const merged = await store.mergeHarvest(
    outcome.items,
    { webhookId: webhook.id, webhookName: webhook.name, seenAt },
    { createWhenEmpty: !outcome.failure, lockTimeoutMs: config.lockTimeoutMs },
  );
  return {
    webhook: { id: webhook.id, name: webhook.name ?? null },
    fetched: outcome.fetched,
    new: merged.added,
    updated: merged.updated,
    duplicates: outcome.duplicates,
    pages: outcome.pages,
    retries: runner.stats.retries,
    rateLimitWaits: pacer.waits,
    durationMs: Math.round(performance.now() - started),
    file: store.location,
  };
}

function print(summary: FetchSummary, options: FetchOptions, io: Io): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const name = summary.webhook.name ? `'${summary.webhook.name}' (${summary.webhook.id})` : summary.webhook.id;
  io.stdout.write(
    `${summary.error ? 'partial harvest' : 'fetched'} ${summary.fetched} failed deliveries of ${name}: ` +
      `${summary.new} new, ${summary.updated} updated, ${summary.duplicates} duplicates; ` +
      `${summary.pages} pages, ${summary.retries} retries, ${summary.rateLimitWaits} rate-limit waits, ` +
      `${seconds(summary.durationMs)} -> ${summary.file}\n`,
  );
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
