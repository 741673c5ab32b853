/**
 * Pages through an integration's failed-delivery history (contract §3).
 *
 * Page 1 reveals `total`; the remaining pages are fetched by `concurrency` workers through one
 * RequestRunner (shared pacing and retries), and merged in page order. Page numbers are offsets:
 * failures that arrive while we page push older items onto later pages, so the same delivery can
 * come back twice (deduplicated here by id) and the tail moves past the original last page (so
 * the plan grows with the largest `total` seen, and the front pages are read once more to pick up
 * the newcomers).
 *
 * A page that fails for good stops the harvest; what was collected until then is returned with
 * the failure so the caller can still save it (history-source.ts tells a history the org does not
 * offer from other failures).
 */
import { createHash } from 'node:crypto';
import type { GenesysClient, HistoryItem } from '../genesys/client.js';
import type { RequestRunner } from './request-runner.js';

export const HISTORY_PAGE_SIZE = 200; // the API's maximum

export interface HarvestOptions {
  integrationId: string;
  maxItems?: number | undefined;
  concurrency: number;
  onPage?: (info: { page: number; items: number; total: number; unique: number }) => void;
  /** Aborting it stops the harvest before the next page (SIGINT/SIGTERM); the outcome keeps what came before. */
  signal?: AbortSignal;
}

export interface HarvestOutcome {
  /** Unique by delivery id, newest first (page order). */
  items: HistoryItem[];
  /** Items received, duplicates included. */
  fetched: number;
  /** Items received more than once in this run (page shifts). */
  duplicates: number;
  pages: number;
  /** Set when the harvest stopped early; `items` holds what came before. */
  failure?: Error;
}

export async function harvestHistory(
  client: Pick<GenesysClient, 'historyPage'>,
  runner: RequestRunner,
  options: HarvestOptions,
): Promise<HarvestOutcome> {
  const size = HISTORY_PAGE_SIZE;
  const limit = options.maxItems ?? Number.POSITIVE_INFINITY;
  const pages = new Map<number, HistoryItem[]>();
  let firstTotal = 0;
  let maxTotal = 0;
  let fetched = 0;
  let pagesFetched = 0;
  let failure: Error | undefined;
  /** Ids received so far, for progress (the merge below is what deduplicates). */
  const seen = new Set<string>();

  const fetchPage = async (page: number): Promise<HistoryItem[]> => {
    options.signal?.throwIfAborted();
    const res = await runner.run(`history page ${page}`, () => client.historyPage(options.integrationId, page, size));
    const entities = Array.isArray(res.body.entities) ? (res.body.entities as HistoryItem[]) : [];
    const total = typeof res.body.total === 'number' ? res.body.total : 0;
    maxTotal = Math.max(maxTotal, total);
    fetched += entities.length;
    pagesFetched += 1;
    for (const item of entities) seen.add(deliveryIdOf(item));
    options.onPage?.({ page, items: entities.length, total: maxTotal, unique: seen.size });
    return entities;
  };

  try {
    const first = await fetchPage(1);
    pages.set(1, first);
    firstTotal = maxTotal;
    if (first.length > 0) await fetchRemaining();
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }

  async function fetchRemaining(): Promise<void> {
    const lastPage = () => Math.ceil(Math.min(maxTotal, limit) / size);
    let next = 2;
    let stop = false;
    let emptyAt = Number.POSITIVE_INFINITY;
    const worker = async () => {
      while (!stop) {
        const page = next;
        if (page > lastPage() || page >= emptyAt) return;
        next += 1;
        try {
          const items = await fetchPage(page);
          pages.set(page, items);
          if (items.length === 0) emptyAt = Math.min(emptyAt, page);
        } catch (error) {
          stop = true;
          throw error;
        }
      }
    };
    await runWorkers(options.concurrency, worker);
    // Failures that arrived while we paged sit at the front now: read those pages once more.
    const grown = maxTotal - firstTotal;
    if (grown > 0 && seen.size < limit) {
      const frontPages = Math.ceil(grown / size);
      let again = 1;
      await runWorkers(options.concurrency, async () => {
        while (again <= frontPages) {
          const page = again++;
          const items = await fetchPage(page);
          // Newcomers come first: keep them ahead of the older page-1 content.
          pages.set(-frontPages + page - 1, items);
        }
      });
    }
  }

  // Merge in page order (front re-reads first: they hold the newest failures), dedupe by id.
  const items: HistoryItem[] = [];
  const kept = new Set<string>();
  for (const page of [...pages.keys()].sort((a, b) => a - b)) {
    for (const item of pages.get(page) as HistoryItem[]) {
      const id = deliveryIdOf(item);
      if (kept.has(id)) continue;
      kept.add(id);
      items.push(item);
    }
  }
  const capped = items.length > limit ? items.slice(0, limit) : items;
  return {
    items: capped,
    fetched,
    duplicates: fetched - items.length,
    pages: pagesFetched,
    ...(failure ? { failure } : {}),
  };
}

/** Runs `n` copies of `worker`; the first rejection is rethrown after all have settled. */
async function runWorkers(n: number, worker: () => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, n) }, () => worker()));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/**
 * The delivery id of a history item. The platform sends `id`; for an item without one we derive a
 * stable id from its content so that re-fetching it does not duplicate it.
 */
export function deliveryIdOf(item: HistoryItem): string {
  if (typeof item.id === 'string' && item.id !== '') return item.id;
  const digest = createHash('sha256')
    .update(JSON.stringify([item.timestamp ?? null, item.statusCode ?? null, item.requestBody ?? null, item.responseBody ?? null]))
    .digest('hex');
  return `noid-${digest.slice(0, 32)}`;
}

