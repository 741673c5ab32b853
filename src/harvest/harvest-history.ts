/**
 * Pages through an integration's failed-delivery history (contract §3) without missing a failure
 * while new ones arrive.
 *
 * Page numbers are offsets into a list that grows at its head while we read it, so a page read
 * after n arrivals holds items n places further down than the same page read before them. What
 * does not move is an item's distance from the END of the list (arrivals only come at the head;
 * retention removes from the tail, see below). Every read reports the `total` it was answered
 * with, so each read of page p with total T and n items covers the "tail positions"
 * [T - (p-1)·size - n, T - (p-1)·size). The harvest keeps the union of what it covered and,
 * after the planned pages, re-reads exactly the pages that now hold any uncovered tail position
 * (a page read with a smaller total than its neighbour above leaves such a gap at its start),
 * until no gap is left. The same re-read picks up the failures that arrived at the head. Extra
 * requests are a page per gap, and gaps only appear when the list grew between two reads.
 *
 * Items are merged by delivery id and ordered by tail position, newest first.
 *
 * Two modes:
 * - full: every page down to the end of the list (or to the `maxItems` newest).
 * - incremental (`isKnown` given): pages are read from the front, one, then two, then four at a
 *   time (up to `concurrency`), and the first page made only of known deliveries (recorded by an
 *   earlier complete harvest and older than its watermark) ends the paging: everything below it
 *   is known too. A page that contradicts newest-first order (an item newer than one above it)
 *   turns the run into a full pass (`onFallback` says why). The gap rule still applies between
 *   the front and the stopping page.
 *
 * Assumption (contract §3): retention removes items from the tail, which lowers `total` without
 * moving anything; it is rare during a run and this module does not model it.
 *
 * A page that fails for good stops the harvest; what was collected until then is returned with
 * the failure so the caller can still save it (history-source.ts tells a history the org does not
 * offer, 404/405 on the first page, from other failures).
 */
import { createHash } from 'node:crypto';
import { PlatformError } from '../errors.js';
import type { GenesysClient, HistoryItem } from '../genesys/client.js';
import type { RequestRunner } from './request-runner.js';

export const HISTORY_PAGE_SIZE = 200; // the API's maximum

/**
 * Single-page re-reads allowed for gaps that reopen (each one needs the list to have moved again
 * during the previous re-read): at least this many, or twice the pages read by then.
 */
const MIN_GAP_READS = 20;

export type HarvestMode = 'full' | 'incremental';

export interface HarvestOptions {
  integrationId: string;
  maxItems?: number | undefined;
  concurrency: number;
  /** Items per page (the API's maximum by default; tests use small pages). */
  pageSize?: number;
  /**
   * Incremental mode: true for a delivery an earlier complete harvest recorded and that is older
   * than its watermark. A page made only of such deliveries ends the paging.
   */
  isKnown?: ((item: HistoryItem) => boolean) | undefined;
  onPage?: (info: { page: number; items: number; total: number; unique: number }) => void;
  /** An incremental harvest turned into a full pass; `reason` says why (for --verbose). */
  onFallback?: (reason: string) => void;
  /** Aborting it stops the harvest before the next page (SIGINT/SIGTERM); the outcome keeps what came before. */
  signal?: AbortSignal;
}

export interface HarvestOutcome {
  /** Unique by delivery id, newest first. */
  items: HistoryItem[];
  /** Items received, duplicates included. */
  fetched: number;
  /** Items received more than once in this run (page shifts, gap re-reads). */
  duplicates: number;
  /** History requests answered (re-reads included). */
  pages: number;
  /** How the run ended up reading: `incremental` unless it was asked for (or fell back to) a full pass. */
  mode: HarvestMode;
  /**
   * Everything the history held when the run started is in `items` (or known, for an incremental
   * run): no cap cut it short, no failure, no interruption. Only such a run may move a watermark.
   */
  complete: boolean;
  /** The newest timestamp among `items` (ISO 8601 as received), if any. */
  newest?: string;
  /** Set when the harvest stopped early; `items` holds what came before. */
  failure?: Error;
}

/** One answered read of one page. */
interface Read {
  page: number;
  items: HistoryItem[];
  /** Tail positions covered: [low, high). */
  low: number;
  high: number;
}

export async function harvestHistory(
  client: Pick<GenesysClient, 'historyPage'>,
  runner: RequestRunner,
  options: HarvestOptions,
): Promise<HarvestOutcome> {
  const size = options.pageSize ?? HISTORY_PAGE_SIZE;
  const limit = options.maxItems ?? Number.POSITIVE_INFINITY;
  const concurrency = Math.max(1, options.concurrency);
  let mode: HarvestMode = options.isKnown ? 'incremental' : 'full';
  const reads: Read[] = [];
  /** The largest (effective) total seen: the list's size at the latest read. */
  let latestTotal = 0;
  let fetched = 0;
  let failure: Error | undefined;
  let capped = false;
  /** Id → tail position and item, for the merge and the progress count. */
  const byId = new Map<string, { at: number; item: HistoryItem }>();
  const covered = new Coverage();

  const readPage = async (page: number): Promise<Read> => {
    options.signal?.throwIfAborted();
    const res = await runner.run(`history page ${page}`, () => client.historyPage(options.integrationId, page, size));
    const items = Array.isArray(res.body.entities) ? (res.body.entities as HistoryItem[]) : [];
    const start = (page - 1) * size;
    // A short page is the end of the list at that moment, whatever `total` claims.
    let total = typeof res.body.total === 'number' && Number.isFinite(res.body.total) ? res.body.total : latestTotal;
    if (items.length < size) total = start + items.length;
    total = Math.max(total, start + items.length);
    const read: Read = { page, items, high: total - start, low: total - start - items.length };
    reads.push(read);
    latestTotal = Math.max(latestTotal, total);
    fetched += items.length;
    covered.add(read.low, read.high);
    items.forEach((item, i) => {
      const id = deliveryIdOf(item);
      if (!byId.has(id)) byId.set(id, { at: read.high - 1 - i, item });
    });
    options.onPage?.({ page, items: items.length, total: latestTotal, unique: byId.size });
    return read;
  };

  /**
   * Reads `pages` (ascending) with up to `concurrency` in flight. The first failure stops the
   * rest; an empty page (the end of the list) makes the later ones pointless.
   */
  const readAll = async (pages: readonly number[]): Promise<void> => {
    let next = 0;
    let stop = false;
    let emptyAt = Number.POSITIVE_INFINITY;
    await runWorkers(Math.min(concurrency, pages.length), async () => {
      while (!stop && next < pages.length) {
        const page = pages[next++] as number;
        if (page >= emptyAt) return;
        try {
          const read = await readPage(page);
          if (read.items.length === 0) emptyAt = Math.min(emptyAt, page);
        } catch (error) {
          stop = true;
          throw error;
        }
      }
    });
  };

  try {
    const first = await readPage(1);
    const startTotal = first.high;
    /** The lowest tail position this run must cover. */
    let low = 0;
    const capLow = Math.max(0, startTotal - limit);
    if (first.items.length > 0) {
      let stoppedAt: Read | undefined = mode === 'incremental' && allKnown(first, options.isKnown) ? first : undefined;
      const firstViolation = mode === 'incremental' ? orderViolation(byId) : undefined;
      if (firstViolation) {
        stoppedAt = undefined;
        mode = 'full';
        options.onFallback?.(firstViolation);
      }
      if (mode === 'incremental' && !stoppedAt) {
        // Incremental: read ahead 1, 2, 4 … pages at a time until a page of known deliveries.
        let nextPage = 2;
        let batch = 1;
        while (!stoppedAt && mode === 'incremental') {
          const lastPage = Math.ceil((latestTotal - capLow) / size);
          const pages = range(nextPage, Math.min(lastPage, nextPage + batch - 1));
          if (pages.length === 0 || byId.size >= limit) break;
          nextPage += pages.length;
          batch = Math.min(concurrency, batch * 2);
          await readAll(pages);
          const violation = orderViolation(byId);
          if (violation) {
            mode = 'full';
            options.onFallback?.(violation);
            break;
          }
          stoppedAt = reads
            .filter((r) => r.items.length > 0 && allKnown(r, options.isKnown))
            .sort((a, b) => b.high - a.high)[0];
          if (reads.some((r) => r.items.length === 0)) break; // the end of the list
        }
      }
      if (stoppedAt) {
        low = stoppedAt.low;
      } else if (mode === 'full') {
        const pages = range(2, Math.ceil((latestTotal - capLow) / size)).filter((p) => !reads.some((r) => r.page === p));
        await readAll(pages);
      }
    }
    if (capLow > low) {
      low = capLow;
      capped = capLow > 0;
    }
    // Close every gap between `low` and the size of the list as it is now: first all pages that
    // hold one, in parallel; then, for what is still open (the list moved again meanwhile), one
    // page at a time, each placed where the latest total says the gap now is.
    const high = latestTotal;
    const budget = Math.max(MIN_GAP_READS, 2 * reads.length);
    let gaps = covered.gaps(low, high);
    if (gaps.length > 0) await readAll(pagesHolding(gaps, latestTotal, size));
    for (let extra = 0; (gaps = covered.gaps(low, high)).length > 0; extra += 1) {
      if (extra >= budget) {
        const missing = gaps.reduce((n, [a, b]) => n + b - a, 0);
        throw new PlatformError(
          `the failed-delivery history grew faster than it could be read: ${missing} deliveries still unread after ${extra} re-reads; run fetch again`,
        );
      }
      // Arrivals per answered request so far: where the gap will most likely be when answered.
      const drift = (latestTotal - startTotal) / reads.length;
      await readPage(pageChasing(gaps[0] as [number, number], latestTotal, size, drift));
    }
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }

  const merged = [...byId.values()].sort((a, b) => b.at - a.at).map((e) => e.item);
  if (merged.length > limit) capped = true;
  const items = merged.length > limit ? merged.slice(0, limit) : merged;
  const newest = newestTimestamp(items);
  return {
    items,
    fetched,
    duplicates: fetched - byId.size,
    pages: reads.length,
    mode,
    complete: failure === undefined && !capped,
    ...(newest !== undefined ? { newest } : {}),
    ...(failure ? { failure } : {}),
  };
}

/** The set of tail positions read so far, as sorted disjoint half-open intervals. */
class Coverage {
  private intervals: [number, number][] = [];

  add(low: number, high: number): void {
    if (high <= low) return;
    const out: [number, number][] = [];
    let a = low;
    let b = high;
    for (const [x, y] of this.intervals) {
      if (y < a || x > b) out.push([x, y]);
      else {
        a = Math.min(a, x);
        b = Math.max(b, y);
      }
    }
    out.push([a, b]);
    this.intervals = out.sort((p, q) => p[0] - q[0]);
  }

  /** The parts of [low, high) not covered. */
  gaps(low: number, high: number): [number, number][] {
    const gaps: [number, number][] = [];
    let at = low;
    for (const [x, y] of this.intervals) {
      if (y <= at) continue;
      if (x >= high) break;
      if (x > at) gaps.push([at, x]);
      at = Math.max(at, y);
      if (at >= high) break;
    }
    if (at < high) gaps.push([at, high]);
    return gaps;
  }
}

/** The pages that hold the tail positions of `gaps` in a list of `total` items. */
function pagesHolding(gaps: readonly [number, number][], total: number, size: number): number[] {
  const pages = new Set<number>();
  for (const [a, b] of gaps) {
    // Tail positions [a, b) are head offsets [total - b, total - a).
    const first = Math.floor(Math.max(0, total - b) / size) + 1;
    const last = Math.floor(Math.max(0, total - a - 1) / size) + 1;
    for (let p = first; p <= last; p += 1) pages.add(p);
  }
  return [...pages].sort((x, y) => x - y);
}

/**
 * The page to read for the gap [a, b) (tail positions) of a list of `total` items that grows by
 * about `drift` items per request: the page that holds the gap's start once it has moved by that
 * much, as long as the whole gap still fits on it.
 */
function pageChasing([a, b]: [number, number], total: number, size: number, drift: number): number {
  const start = Math.max(0, total - b);
  const width = b - a;
  const expected = Math.max(0, Math.round(drift));
  const ahead = width < size ? Math.min(expected, size - width) : expected;
  return Math.floor((start + ahead) / size) + 1;
}

function allKnown(read: Read, isKnown: ((item: HistoryItem) => boolean) | undefined): boolean {
  return isKnown !== undefined && read.items.length > 0 && read.items.every((item) => isKnown(item));
}

/**
 * Newest-first order checked over everything read, by tail position: an item newer than one
 * above it means the list is not ordered as the contract says, and stopping early would be a
 * guess. Returns a description of the first contradiction, or undefined.
 */
function orderViolation(byId: ReadonlyMap<string, { at: number; item: HistoryItem }>): string | undefined {
  const sorted = [...byId.values()].sort((a, b) => b.at - a.at);
  let oldestAbove: { time: number; id: string } | undefined;
  for (const { item } of sorted) {
    const time = typeof item.timestamp === 'string' ? Date.parse(item.timestamp) : Number.NaN;
    if (Number.isNaN(time)) continue;
    if (oldestAbove && time > oldestAbove.time) {
      return `delivery ${deliveryIdOf(item)} (${item.timestamp as string}) is newer than ${oldestAbove.id} listed before it`;
    }
    if (!oldestAbove || time < oldestAbove.time) oldestAbove = { time, id: deliveryIdOf(item) };
  }
  return undefined;
}

function newestTimestamp(items: readonly HistoryItem[]): string | undefined {
  let best: { time: number; text: string } | undefined;
  for (const item of items) {
    if (typeof item.timestamp !== 'string') continue;
    const time = Date.parse(item.timestamp);
    if (!Number.isNaN(time) && (!best || time > best.time)) best = { time, text: item.timestamp };
  }
  return best?.text;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = from; p <= to; p += 1) out.push(p);
  return out;
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
