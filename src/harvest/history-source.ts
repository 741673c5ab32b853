/**
 * The designed source (contract §2, §3): resolve one webhook integration by name (or take its id),
 * then page through its failed-delivery history.
 *
 * A real Genesys Cloud org resolves the name through the integrations listing and then answers
 * the history path with 404, as for any unknown path (contract §3, "Reality check"). That is
 * reported as "this org offers no failed-delivery history" (exit 4, pointing at `dlq doctor` and
 * `--source events`), never as a wrong id.
 */
import { HistoryNotOfferedError, PlatformError } from '../errors.js';
import type { GenesysClient, HistoryItem } from '../genesys/client.js';
import { watermarkOf, webhookKey } from '../store/harvest-state.js';
import { harvestNamingSource, type HarvestContext, type HarvestSource, type SourceHarvest } from './harvest-source.js';
import { harvestHistory } from './harvest-history.js';
import { knownBelowWatermark } from './known-deliveries.js';
import { entryFromHistoryItem } from './merge-harvest.js';
import { resolveWebhook } from './resolve-webhook.js';

export interface HistorySourceOptions {
  /** The integration's exact name; resolved unless `webhookId` is given. */
  webhookName: string | undefined;
  /** `webhookId` and `webhookName` come from the platform (the integrations listing of --all-webhooks). */
  listed?: boolean;
  webhookId: string | undefined;
  maxItems: number | undefined;
  /** History pages in flight at once. */
  concurrency: number;
}

/** Statuses with which the history path says "nothing here": an unknown path or method. */
const NOT_OFFERED = new Set([404, 405]);

export class HistorySource implements HarvestSource {
  readonly name = 'history' as const;

  constructor(
    private readonly client: Pick<GenesysClient, 'searchWebhooks' | 'listIntegrations' | 'historyPage'>,
    private readonly options: HistorySourceOptions,
  ) {}

  harvest(context: HarvestContext): Promise<SourceHarvest> {
    return harvestNamingSource(this.name, () => this.read(context));
  }

  private async read(context: HarvestContext): Promise<SourceHarvest> {
    const { runner, log } = context;
    let webhook: { id: string; name: string | undefined; resolved: boolean };
    if (this.options.webhookId) {
      webhook = { id: this.options.webhookId, name: this.options.webhookName, resolved: this.options.listed === true };
    } else {
      const name = this.options.webhookName as string;
      log.progress(`history: resolving webhook '${name}'`, false);
      const found = await resolveWebhook(this.client, runner, name, (status) =>
        log.debug(`webhook search answered ${status}: resolving through the integrations listing`),
      );
      webhook = { id: found.id, name: found.name, resolved: true };
      log.debug(`webhook '${found.name}' is integration ${found.id} (via ${found.via})`);
    }

    // Incremental unless --full or no complete harvest of this webhook yet (issue #11).
    const key = webhookKey(webhook.id);
    const state = context.state;
    const mark = state ? watermarkOf(state, key) : undefined;
    let isKnown: ((item: HistoryItem) => boolean) | undefined;
    if (state && mark) {
      isKnown = knownBelowWatermark(mark, await context.recorded(key));
      log.debug(`incremental: stopping at the first page of deliveries recorded up to ${mark.newest} (--full reads every page)`);
    } else {
      log.debug(state ? 'full pass: no complete harvest of this webhook recorded yet' : 'full pass (--full)');
    }
    const outcome = await harvestHistory(this.client, runner, {
      integrationId: webhook.id,
      isKnown,
      onFallback: (reason) => log.debug(`history out of newest-first order (${reason}): reading every page instead`),
      maxItems: this.options.maxItems,
      concurrency: this.options.concurrency,
      signal: context.signal,
      onPage: ({ page, items, total, unique }) => {
        const of = total > 0 ? ` of ${total}` : '';
        log.progress(`history: ${unique}${of} failed deliveries (page ${page})`, false);
        log.debug(`history page ${page}: ${items} items; total ${total}`);
      },
    });
    const failure = outcome.failure;
    if (failure instanceof PlatformError && failure.status !== undefined && NOT_OFFERED.has(failure.status) && outcome.items.length === 0) {
      throw notOffered(webhook, failure.status, failure);
    }

    const ctx = { webhookId: webhook.id, webhookName: webhook.name, seenAt: context.seenAt };
    const label = webhook.name !== undefined ? `'${webhook.name}' (${webhook.id})` : webhook.id;
    return {
      subject: { text: `failed deliveries of ${label}`, json: { webhook: { id: webhook.id, name: webhook.name ?? null } } },
      entries: outcome.items.map((item) => entryFromHistoryItem(item, ctx)),
      fetched: outcome.fetched,
      duplicates: outcome.duplicates,
      pages: outcome.pages,
      mode: outcome.mode,
      marks: [
        {
          key,
          complete: outcome.complete,
          ...(outcome.newest !== undefined ? { newest: outcome.newest } : {}),
        },
      ],
      ...(failure ? { failure } : {}),
    };
  }
}

/**
 * The one line of issue #10 §6. With --webhook-id nothing was resolved, so a wrong id is possible
 * too, and the message says so.
 */
export function notOffered(
  webhook: { id: string; name: string | undefined; resolved: boolean },
  status: number,
  cause?: unknown,
): HistoryNotOfferedError {
  const path = 'POST /api/v2/integrations/{id}/history';
  const what = webhook.resolved
    ? `'${webhook.name ?? webhook.id}': this org offers no failed-delivery history`
    : `'${webhook.id}': no webhook integration with this id, or this org offers no failed-delivery history`;
  return new HistoryNotOfferedError(`${what} (${path} answered ${status}); run dlq doctor, or use --source events`, status, { cause });
}
