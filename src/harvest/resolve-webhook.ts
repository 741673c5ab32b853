/**
 * Finds the webhook integration with exactly the given name (contract §2).
 *
 * The search endpoint matches partially, so the exact name is compared here. Where the search
 * path answers 404, 400 or 405 (it is not in the public API: a real org answers it like any
 * unknown path or method, contract §2), the integrations listing (GET /api/v2/integrations, every
 * page, type `webhook`) is used instead. Zero exact matches: not found (naming close matches); two or more:
 * ambiguous (listing their ids).
 */
import { PlatformError, WebhookResolutionError } from '../errors.js';
import type { GenesysClient, IntegrationSummary } from '../genesys/client.js';
import type { RequestRunner } from './request-runner.js';

/** One webhook to harvest: by name (resolved on the platform) or by integration id. */
export type WebhookTarget = { name: string; id?: undefined } | { id: string; name?: undefined };

export interface ResolvedWebhook {
  id: string;
  name: string;
  via: 'search' | 'listing';
}

/** Search answers that mean "no such search here": fall back to the listing. */
export const SEARCH_NOT_OFFERED: ReadonlySet<number> = new Set([400, 404, 405]);

const SEARCH_PAGE_SIZE = 200; // the API's maximum
const LISTING_PAGE_SIZE = 100; // GET /api/v2/integrations allows at most 100

export async function resolveWebhook(
  client: Pick<GenesysClient, 'searchWebhooks' | 'listIntegrations'>,
  runner: RequestRunner,
  name: string,
  onFallback?: (status: number) => void,
): Promise<ResolvedWebhook> {
  let candidates: IntegrationSummary[];
  let via: ResolvedWebhook['via'] = 'search';
  try {
    candidates = await searchAll(client, runner, name);
  } catch (error) {
    if (!(error instanceof PlatformError && error.status !== undefined && SEARCH_NOT_OFFERED.has(error.status))) throw error;
    onFallback?.(error.status);
    via = 'listing';
    candidates = (await listAllWebhooks(client, runner));
  }
  const exact = candidates.filter((c) => c.name === name);
  if (exact.length === 1) return { id: (exact[0] as IntegrationSummary).id, name, via };
  if (exact.length > 1) {
    const ids = exact.map((c) => c.id).join(', ');
    throw new WebhookResolutionError(
      `webhook name '${name}' is ambiguous: ${exact.length} integrations have it (${ids}); pass --webhook-id <id>`,
      exact.map((c) => ({ id: c.id, name: c.name })),
    );
  }
  let names = candidates.map((c) => c.name);
  if (via === 'search') {
    // The search only returns names containing the text; to suggest near misses ("orders-webhook"
    // for "OrdersWebhook") look at the whole listing. Best effort: this is already the error path.
    names = names.concat(await listAllWebhooks(client, runner).then((all) => all.map((c) => c.name), () => []));
  }
  const close = closeMatches(name, names);
  const hint = close.length > 0 ? `; close matches: ${close.map((n) => `'${n}'`).join(', ')}` : '';
  throw new WebhookResolutionError(`no webhook integration named '${name}'${hint}`);
}

async function searchAll(
  client: Pick<GenesysClient, 'searchWebhooks'>,
  runner: RequestRunner,
  name: string,
): Promise<IntegrationSummary[]> {
  const found: IntegrationSummary[] = [];
  for (let page = 1; ; page += 1) {
    const res = await runner.run(`webhook search page ${page}`, () => client.searchWebhooks(name, page, SEARCH_PAGE_SIZE));
    const entities = Array.isArray(res.body.entities) ? res.body.entities : [];
    found.push(...entities.filter(isSummary));
    const total = typeof res.body.total === 'number' ? res.body.total : found.length;
    if (entities.length === 0 || page * SEARCH_PAGE_SIZE >= total) return found;
  }
}

/** Every webhook integration (type `webhook`), from every page of GET /api/v2/integrations. */
export async function listAllWebhooks(
  client: Pick<GenesysClient, 'listIntegrations'>,
  runner: RequestRunner,
): Promise<IntegrationSummary[]> {
  const found: IntegrationSummary[] = [];
  for (let page = 1; ; page += 1) {
    const res = await runner.run(`integrations page ${page}`, () => client.listIntegrations(page, LISTING_PAGE_SIZE));
    const entities = Array.isArray(res.body.entities) ? res.body.entities : [];
    found.push(...entities.filter(isSummary).filter((e) => e.integrationType?.id === 'webhook'));
    const pageCount =
      typeof res.body.pageCount === 'number'
        ? res.body.pageCount
        : typeof res.body.total === 'number'
          ? Math.ceil(res.body.total / LISTING_PAGE_SIZE)
          : page;
    if (entities.length === 0 || page >= pageCount) return found;
  }
}

function isSummary(e: unknown): e is IntegrationSummary {
  return typeof e === 'object' && e !== null && typeof (e as IntegrationSummary).id === 'string' && typeof (e as IntegrationSummary).name === 'string';
}

/** Names that differ only by case/spacing, contain one another, or are a few edits away. */
export function closeMatches(wanted: string, names: readonly string[], max = 5): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
  const w = norm(wanted);
  const scored = [...new Set(names)]
    .map((n) => {
      const m = norm(n);
      const d = levenshtein(w, m);
      const score = m === w ? 0 : m.includes(w) || w.includes(m) ? 1 : d <= Math.max(2, Math.floor(w.length / 4)) ? 1 + d : Infinity;
      return { n, score };
    })
    .filter((s) => s.score !== Infinity)
    .sort((a, b) => a.score - b.score || a.n.localeCompare(b.n));
  return scored.slice(0, max).map((s) => s.n);
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
