/**
 * What `dlq replay --dry-run` prints: counts grouped by status code and webhook (and by route with
 * --routes), and the first ids in send order, all from the store's ReplayPlan (counted by the
 * store: a PostgreSQL store counts in SQL, nothing is loaded per entry).
 */
import { escapeText } from '../output/escape-text.js';
import type { ReplayPlan, WebhookRef } from '../store/dlq-store.js';
import type { Route } from './routes.js';

export const DRY_RUN_SHOWN_IDS = 5;

export interface DryRunSummary {
  dryRun: true;
  /** null with --routes (see byRoute). */
  target: string | null;
  total: number;
  skipped: number;
  skippedSucceeded: number;
  skippedMaxReplays: number;
  skippedResolved: number;
  /** Entries without a payload (operational events): never sent. */
  skippedNoPayload: number;
  skippedNoRoute: number;
  /** Selected but past --limit. */
  beyondLimit: number;
  /** With --routes only: the routes-file key, its (redacted) target, and how many go there. */
  byRoute?: { route: string; target: string; count: number }[];
  /** Most frequent first (arrays, because objects would reorder numeric keys). null: no status stored. */
  byStatusCode: { status_code: number | null; count: number }[];
  byWebhook: { webhook: string; count: number }[];
  firstIds: string[];
}

export function summarizeDryRun(plan: ReplayPlan, target: string | null, routeOf?: (webhook: WebhookRef) => Route): DryRunSummary {
  const byStatusCode = new Map<number | null, number>();
  const byWebhook = new Map<string, number>();
  const byRoute = new Map<Route, number>();
  for (const group of plan.groups) {
    if (routeOf) {
      const route = routeOf(group);
      byRoute.set(route, (byRoute.get(route) ?? 0) + group.count);
    }
    byStatusCode.set(group.statusCode, (byStatusCode.get(group.statusCode) ?? 0) + group.count);
    const hook = webhookLabel(group);
    byWebhook.set(hook, (byWebhook.get(hook) ?? 0) + group.count);
  }
  return {
    dryRun: true,
    target,
    total: plan.total,
    skipped: skippedCount(plan),
    skippedSucceeded: plan.skippedSucceeded,
    skippedMaxReplays: plan.skippedMaxReplays,
    skippedResolved: plan.skippedResolved,
    skippedNoPayload: plan.skippedNoPayload.length,
    skippedNoRoute: plan.skippedNoRoute,
    beyondLimit: plan.beyondLimit,
    ...(routeOf
      ? {
          byRoute: [...byRoute]
            .sort((a, b) => b[1] - a[1] || String(a[0].name).localeCompare(String(b[0].name)))
            .map(([route, count]) => ({ route: route.name as string, target: route.target.redacted, count })),
        }
      : {}),
    byStatusCode: sortByCount(byStatusCode).map(([status_code, count]) => ({ status_code, count })),
    byWebhook: sortByCount(byWebhook).map(([webhook, count]) => ({ webhook, count })),
    firstIds: plan.firstIds.slice(0, DRY_RUN_SHOWN_IDS),
  };
}

export function formatDryRun(s: DryRunSummary): string {
  const plural = s.total === 1 ? 'dead letter' : 'dead letters';
  const to = s.target ?? `${s.byRoute?.length ?? 0} ${s.byRoute?.length === 1 ? 'route' : 'routes'}`;
  const limited = s.beyondLimit > 0 ? ` (${s.beyondLimit} more beyond --limit)` : '';
  const lines = [`dry run: would replay ${s.total} ${plural} to ${to}${limited}${skippedNote(s)}; nothing sent, nothing changed`];
  if (s.total > 0) {
    if (s.byRoute) {
      lines.push(`  by route:       ${s.byRoute.map((g) => `${escapeText(g.route)} → ${g.target} ×${g.count}`).join(', ')}`);
    }
    lines.push(`  by status code: ${s.byStatusCode.map((g) => `${g.status_code ?? 'unknown'} ×${g.count}`).join(', ')}`);
    // Names and ids come from the file: shown escaped, like everything list and inspect print.
    lines.push(`  by webhook:     ${s.byWebhook.map((g) => `${escapeText(g.webhook)} ×${g.count}`).join(', ')}`);
    const more = s.total > s.firstIds.length ? ` (and ${s.total - s.firstIds.length} more)` : '';
    lines.push(`  first ids:      ${s.firstIds.map((id) => escapeText(id)).join(', ')}${more}`);
  }
  return `${lines.join('\n')}\n`;
}

function skippedNote(s: DryRunSummary): string {
  if (s.skipped === 0) return '';
  const parts: string[] = [];
  if (s.skippedSucceeded > 0) parts.push(`${s.skippedSucceeded} already succeeded`);
  if (s.skippedMaxReplays > 0) parts.push(`${s.skippedMaxReplays} at --max-replays`);
  if (s.skippedResolved > 0) parts.push(`${s.skippedResolved} resolved`);
  if (s.skippedNoPayload > 0) parts.push(`${s.skippedNoPayload} without payload`);
  if (s.skippedNoRoute > 0) parts.push(`${s.skippedNoRoute} no route`);
  return ` (${s.skipped} skipped: ${parts.join(', ')})`;
}

/** Every entry the selection leaves out, whatever the reason. */
export function skippedCount(plan: ReplayPlan): number {
  return plan.skippedSucceeded + plan.skippedMaxReplays + plan.skippedResolved + plan.skippedNoPayload.length + plan.skippedNoRoute;
}

function webhookLabel(webhook: WebhookRef): string {
  if (typeof webhook.webhook_name === 'string' && webhook.webhook_name !== '') return webhook.webhook_name;
  if (typeof webhook.webhook_id === 'string' && webhook.webhook_id !== '') return webhook.webhook_id;
  return 'unknown';
}

function sortByCount<K>(counts: Map<K, number>): [K, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}
