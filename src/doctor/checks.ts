/**
 * The checks `dlq doctor` runs against an org before a first `dlq fetch` (issue #10 §5): login and
 * token, what the rate-limit headers allow, then for each source what fetch would touch. Each check
 * ends ok, warn or fail; only checks of the configured source can fail (the other source's are
 * warnings), and a failing check carries the exit code fetch would give at that point.
 *
 * Probes are as small as the API allows (one item, one page) and go through the same
 * RequestRunner as fetch, so 429s, 5xx retries and re-login behave the same.
 */
import { DlqError, ExitCode, type ExitCodeValue, PlatformError } from '../errors.js';
import type { ApiResponse, GenesysClient, RequestTrace } from '../genesys/client.js';
import { parseRateLimitHeaders } from '../harvest/rate-limit-pacer.js';
import type { RequestRunner } from '../harvest/request-runner.js';
import { definitionsOf, matchEventDefinitions } from '../harvest/resolve-event-definitions.js';
import { listAllWebhooks, resolveWebhook, SEARCH_NOT_OFFERED, type WebhookTarget } from '../harvest/resolve-webhook.js';
import type { EventDefinitionRef } from '../harvest/event-entry.js';
import type { SourceName } from '../entries/fields.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable name for scripts: login, token, history.search, history.listing, history.webhook, history.path, events.definitions, events.chosen, rate-limit. */
  check: string;
  /** For people: what was checked, naming the source it belongs to. */
  label: string;
  status: CheckStatus;
  message: string;
  /** The exit code `dlq fetch` would give here (fail only). */
  exitCode?: ExitCodeValue;
  /** Requests the check made (method, path, status): shown with --verbose, never headers or bodies. */
  requests: RequestTrace[];
  /** What else the check learned (the definitions' names), for --verbose and --json. */
  details?: Record<string, unknown>;
}

export interface DoctorPlan {
  source: SourceName;
  /** Where login goes (a region's login host or the gateway), for the login line. */
  loginHost: string;
  clientId: string;
  /** History source: the webhooks named (by name or id), or every one with `allWebhooks`. */
  webhooks: readonly WebhookTarget[];
  allWebhooks: boolean;
  eventDefinitions: readonly string[];
}

export interface DoctorContext {
  client: Pick<GenesysClient, 'login' | 'searchWebhooks' | 'listIntegrations' | 'historyPage' | 'eventDefinitions'>;
  runner: RequestRunner;
  now: () => number;
  /** Requests made since the last call (the client reports each one). */
  takeRequests: () => RequestTrace[];
  /** Each result as soon as it is known (doctor prints as it goes). */
  onResult?: (result: CheckResult) => void;
}

/** Every platform line says which source it is about: the designed history or a real org's events. */
const SOURCE_LABEL: Record<SourceName, string> = {
  history: 'history source (designed)',
  events: 'events source (real-org operational events)',
};
const label = (source: SourceName, what: string) => `${SOURCE_LABEL[source]} · ${what}`;

export async function runChecks(plan: DoctorPlan, ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let lastHeaders: Record<string, string> | undefined;
  const record = (result: Omit<CheckResult, 'requests'>): CheckResult => {
    const full = { ...result, requests: ctx.takeRequests() };
    results.push(full);
    ctx.onResult?.(full);
    return full;
  };
  /** Runs one probe; keeps its headers for the rate-limit line. */
  const probe = async <T>(operation: string, call: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T>> => {
    const res = await ctx.runner.run(operation, call);
    lastHeaders = res.headers;
    return res;
  };
  /** fail for the configured source, warn for the other one. */
  const severity = (source: SourceName): CheckStatus => (plan.source === source ? 'fail' : 'warn');
  const failure = (source: SourceName, check: string, what: string, message: string, exitCode: ExitCodeValue) =>
    record({ check, label: label(source, what), status: severity(source), message, ...(plan.source === source ? { exitCode } : {}) });

  // 1. Login: nothing else can be checked without it.
  let expiresAt: number | undefined;
  try {
    await ctx.runner.run('login', async () => {
      expiresAt = (await ctx.client.login()).expiresAt;
      return { status: 200, headers: {}, body: {} };
    });
    record({ check: 'login', label: 'login', status: 'ok', message: `logged in at ${plan.loginHost} as client ${plan.clientId}` });
  } catch (error) {
    record({ check: 'login', label: 'login', status: 'fail', message: `${describe(error)} (at ${plan.loginHost})`, exitCode: exitCodeOf(error) });
    return results;
  }
  if (expiresAt === undefined) {
    record({ check: 'token', label: 'token', status: 'warn', message: 'the token response named no lifetime (expires_in)' });
  } else {
    const left = expiresAt - ctx.now();
    const status: CheckStatus = left < 3_600_000 ? 'warn' : 'ok';
    const note = status === 'warn' ? '; runs longer than that log in again when the token is refused' : '';
    record({ check: 'token', label: 'token', status, message: `access token valid for ${formatDuration(left)}${note}` });
  }

  // 2. The history source: search, listing, the named webhook, its history path.
  const historyNamed = plan.webhooks.length > 0 || plan.allWebhooks;
  if (plan.source === 'history' || historyNamed) {
    await historyChecks();
  }
  // 3. The events source: definitions readable, the chosen ones known.
  await eventChecks();

  // 4. What the rate-limit headers allow.
  const limits = lastHeaders ? parseRateLimitHeaders(lastHeaders) : undefined;
  if (limits) {
    record({
      check: 'rate-limit',
      label: 'rate limit',
      status: 'ok',
      message: `${limits.allowed} requests per window, ${Math.max(0, limits.allowed - limits.count)} left, the window resets in ${Math.round(limits.resetMs / 1000)}s`,
    });
  } else {
    record({ check: 'rate-limit', label: 'rate limit', status: 'warn', message: 'no inin-ratelimit-* headers seen: dlq paces by 429s alone' });
  }
  return results;

  async function historyChecks(): Promise<void> {
    // The search path (not in the public API: a real org answers 404 and names resolve through the listing).
    try {
      const first = plan.webhooks.find((w) => w.name !== undefined)?.name ?? '';
      const res = await probe('webhook search', () => ctx.client.searchWebhooks(first, 1, 1));
      record({ check: 'history.search', label: label('history', 'webhook search'), status: 'ok', message: `webhook search answers (${count(res.body.total ?? res.body.entities?.length ?? 0, 'match', 'matches')})` });
    } catch (error) {
      if (error instanceof PlatformError && error.status !== undefined && SEARCH_NOT_OFFERED.has(error.status)) {
        record({ check: 'history.search', label: label('history', 'webhook search'), status: 'warn', message: `webhook search not offered (HTTP ${error.status}): names resolve through the integrations listing` });
      } else {
        failure('history', 'history.search', 'webhook search', describe(error), exitCodeOf(error));
        return;
      }
    }
    try {
      const res = await probe('integrations listing', () => ctx.client.listIntegrations(1, 1));
      record({ check: 'history.listing', label: label('history', 'integrations listing'), status: 'ok', message: `the integrations listing answers (${count(res.body.total, 'integration', 'integrations')})` });
    } catch (error) {
      failure('history', 'history.listing', 'integrations listing', describe(error), exitCodeOf(error));
      return;
    }
    // Which webhooks fetch would read: each one named, or (--all-webhooks) every one listed.
    const webhooks: { id: string; name: string | undefined; resolved: boolean }[] = [];
    if (plan.allWebhooks) {
      try {
        const all = await listAllWebhooks(ctx.client, ctx.runner);
        record({
          check: 'history.webhook',
          label: label('history', 'webhooks'),
          status: all.length > 0 ? 'ok' : 'warn',
          message: `--all-webhooks: ${count(all.length, 'webhook integration', 'webhook integrations')}`,
        });
        // Whether an org offers the history path is one answer for all its webhooks: probe one.
        if (all[0]) webhooks.push({ id: all[0].id, name: all[0].name, resolved: true });
      } catch (error) {
        failure('history', 'history.webhook', 'webhooks', describe(error), exitCodeOf(error));
        return;
      }
    } else if (plan.webhooks.length === 0) {
      failure('history', 'history.webhook', 'webhook', 'no webhook named (--webhook <name>, --webhook-id <id>, --all-webhooks or GENESYS_WEBHOOK_NAME)', ExitCode.usage);
      return;
    }
    for (const target of plan.allWebhooks ? [] : plan.webhooks) {
      if (target.id !== undefined) {
        webhooks.push({ id: target.id, name: undefined, resolved: false });
        record({ check: 'history.webhook', label: label('history', 'webhook'), status: 'ok', message: `--webhook-id ${target.id} given: not resolved by name` });
        continue;
      }
      try {
        const found = await resolveWebhook(ctx.client, ctx.runner, target.name);
        webhooks.push({ id: found.id, name: found.name, resolved: true });
        record({ check: 'history.webhook', label: label('history', 'webhook'), status: 'ok', message: `'${found.name}' is integration ${found.id} (via the ${found.via})` });
      } catch (error) {
        failure('history', 'history.webhook', 'webhook', describe(error), exitCodeOf(error));
      }
    }
    // With several webhooks each line names its own.
    for (const webhook of webhooks) await historyPath(webhook, webhooks.length > 1);
  }

  /** Does the history path answer for this webhook: 200, or 404/405 (not offered by this org)? */
  async function historyPath(webhook: { id: string; name: string | undefined; resolved: boolean }, named: boolean): Promise<void> {
    const which = named ? `'${webhook.name ?? webhook.id}': ` : '';
    try {
      const res = await probe('history', () => ctx.client.historyPage(webhook.id, 1, 1));
      record({
        check: 'history.path',
        label: label('history', 'failed-delivery history'),
        status: 'ok',
        message: `${which}the failed-delivery history answers (${count(res.body.total, 'failed delivery', 'failed deliveries')})`,
      });
    } catch (error) {
      if (error instanceof PlatformError && (error.status === 404 || error.status === 405)) {
        const who = webhook.resolved ? `this org offers no failed-delivery history` : `no integration ${webhook.id}, or this org offers no failed-delivery history`;
        failure(
          'history',
          'history.path',
          'failed-delivery history',
          `${which}${who} (POST /api/v2/integrations/{id}/history answered ${error.status}); use the events source: --source events`,
          ExitCode.notFound,
        );
      } else {
        failure('history', 'history.path', 'failed-delivery history', `${which}${describe(error)}`, exitCodeOf(error));
      }
    }
  }

  async function eventChecks(): Promise<void> {
    let available: EventDefinitionRef[];
    try {
      available = definitionsOf((await probe('event definitions', () => ctx.client.eventDefinitions())).body);
    } catch (error) {
      // A 403 already names the permission (usage:events:view) a role must grant.
      failure('events', 'events.definitions', 'definitions', describe(error), exitCodeOf(error));
      return;
    }
    record({
      check: 'events.definitions',
      label: label('events', 'definitions'),
      status: available.length > 0 ? 'ok' : severity('events'),
      message:
        available.length > 0
          ? `${available.length} operational-event definitions readable`
          : 'the org lists no operational-event definitions',
      ...(available.length === 0 && plan.source === 'events' ? { exitCode: ExitCode.notFound } : {}),
      details: { definitions: available.map((d) => d.name) },
    });
    if (plan.source !== 'events') return;
    if (plan.eventDefinitions.length === 0) {
      failure('events', 'events.chosen', 'chosen definitions', 'no event definitions named (--event-definition <name|id> or GENESYS_EVENT_DEFINITIONS)', ExitCode.usage);
      return;
    }
    try {
      const chosen = matchEventDefinitions(plan.eventDefinitions, available);
      record({ check: 'events.chosen', label: label('events', 'chosen definitions'), status: 'ok', message: chosen.map((d) => `'${d.name}' (${d.id})`).join(', ') });
    } catch (error) {
      failure('events', 'events.chosen', 'chosen definitions', describe(error), exitCodeOf(error));
    }
  }
}

function count(n: number | undefined, one: string, many: string): string {
  return n === undefined ? `? ${many}` : `${n} ${n === 1 ? one : many}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof DlqError ? error.exitCode : ExitCode.platform;
}

function formatDuration(ms: number): string {
  if (ms <= 0) return 'no time (already expired)';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}
