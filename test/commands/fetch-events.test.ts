/**
 * `dlq fetch --source events` through the real SDK against the local Genesys-compatible server:
 * the operational-events source (contract §6), and the history source on an org that does not
 * offer history (contract §3, "Reality check").
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { fetchCommand, type FetchOptions } from '../../src/commands/fetch.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { captureIo } from '../support/capture-io.js';
import {
  DATA_ACTION_FAILED,
  FLOW_ERROR,
  FakeGenesys,
  makeEvents,
  makeFailures,
  type FakeGenesysOptions,
} from '../support/fake-genesys/index.js';

const CLIENT_ID = 'dlq-test-client';
const SECRET = 'dlq-test-secret-ev3nts';
const FAST = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, rateLimitBackoffMs: 20 };
const DAY = 86_400_000;

let server: FakeGenesys | undefined;
let url: string;
let dir: string;
let file: string;

/** 450 "Data Action Failed" in the last 10 days, 120 of another definition, 30 older than the retention. */
function orgEvents() {
  const now = Date.now();
  return [
    ...makeEvents(450, { definition: DATA_ACTION_FAILED, newest: new Date(now - 60_000), stepMs: Math.floor((9.5 * DAY) / 450), seed: 1 }),
    ...makeEvents(120, { definition: FLOW_ERROR, newest: new Date(now - 30_000), stepMs: 3_600_000, seed: 2 }),
    ...makeEvents(30, { definition: DATA_ACTION_FAILED, newest: new Date(now - 11 * DAY), stepMs: 3_600_000, seed: 3 }),
  ];
}

async function startServer(options: FakeGenesysOptions): Promise<FakeGenesys> {
  await server?.stop();
  server = new FakeGenesys({ clients: { [CLIENT_ID]: SECRET }, eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR], ...options });
  url = (await server.start()).url;
  return server;
}

async function runFetch(options: FetchOptions, extraEnv: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, ...extraEnv }, cwd: dir });
  let code: number;
  try {
    code = await fetchCommand({ gateway: url, file, ...options }, io, { retryPolicy: FAST });
  } catch (error) {
    code = reportError(error, io);
  }
  return { code, out: io.out(), err: io.err() };
}

const readEntries = (): DlqEntry[] => JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
const events = (extra: FetchOptions = {}): FetchOptions => ({ source: 'events', eventDefinition: ['data action failed'], ...extra });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dlq-fetch-events-'));
  file = join(dir, 'dlq.json');
});
after(async () => server?.stop());

describe('the events source', () => {
  test('stores exactly the 450 retained events of the named definition, each event whole; a rerun adds 0', async () => {
    const s = await startServer({ events: orgEvents() });
    const r = await runFetch(events({ json: true }));
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(summary['source'], 'events');
    assert.deepEqual(summary['eventDefinitions'], [{ id: DATA_ACTION_FAILED.id, name: DATA_ACTION_FAILED.name }]);
    assert.equal(summary['fetched'], 450);
    assert.equal(summary['new'], 450);
    assert.equal(summary['pages'], 3);
    const entries = readEntries();
    assert.equal(entries.length, 450);
    assert.equal(new Set(entries.map((e) => e.delivery_id)).size, 450);
    for (const e of entries) {
      assert.equal(e.source, 'operational-event');
      assert.equal(e.request_body, null);
      assert.deepEqual(e.event_definition, { id: DATA_ACTION_FAILED.id, name: 'Data Action Failed' });
    }
    const sent = makeEvents(450, { definition: DATA_ACTION_FAILED, newest: new Date(0), stepMs: 1, seed: 1 });
    assert.deepEqual(Object.keys(entries[0]?.event ?? {}).sort(), Object.keys(sent[0] ?? {}).sort(), 'event kept with every field');
    // Cursor paging at 200, one definition, the whole retention, newest first.
    const queries = s.stats.eventQueries;
    assert.deepEqual(queries.map((q) => q.pageSize), ['200', '200', '200']);
    assert.equal(queries[0]?.after, null);
    assert.ok(queries[1]?.after && queries[2]?.after && queries[1].after !== queries[2].after);
    const body = queries[0]?.body as { interval: string; eventDefinitionIds: string[]; sortOrder: string };
    assert.deepEqual(body.eventDefinitionIds, [DATA_ACTION_FAILED.id]);
    assert.equal(body.sortOrder, 'DESC');
    const [start, end] = body.interval.split('/').map((t) => Date.parse(t));
    assert.ok(Math.abs((end as number) - (start as number) - 10 * DAY) < 5000, body.interval);

    // A rerun is incremental (issue #11): only from the watermark minus the 1 h overlap.
    s.resetStats();
    const again = await runFetch(events({ json: true }));
    assert.equal(again.code, 0, again.err);
    const rerun = JSON.parse(again.out) as Record<string, unknown>;
    assert.equal(rerun['mode'], 'incremental');
    assert.equal(rerun['new'], 0);
    assert.ok((rerun['fetched'] as number) < 10, `read only the overlap: ${String(rerun['fetched'])}`);
    const newest = Date.parse(entries[0]!.timestamp!);
    const rerunStart = Date.parse((s.stats.eventQueries[0]?.body as { interval: string }).interval.split('/')[0]!);
    assert.equal(rerunStart, newest - 3_600_000, 'from the watermark minus one hour');

    const full = await runFetch(events({ full: true }));
    assert.equal(full.code, 0, full.err);
    assert.match(full.out, /^fetched 450 operational events of 'Data Action Failed' \(.+\): 0 new, 450 updated, 0 duplicates; 3 pages \(full\)/);
    assert.equal(readEntries().length, 450);
  });

  test('incremental events: a new event is added by the next run; --since, --max-items and failed runs move no watermark', async () => {
    const s = await startServer({ events: orgEvents() });
    assert.equal((await runFetch(events())).code, 0);
    const state = () => readFileSync(`${file}.state.json`, 'utf8');
    const before = state();
    const fresh = makeEvents(1, { definition: DATA_ACTION_FAILED, newest: new Date(Date.now() - 1000), stepMs: 1, seed: 9 });
    s.addEvents(fresh);
    const capped = await runFetch(events({ maxItems: '1' }));
    assert.equal(capped.code, 0, capped.err);
    assert.equal(state(), before, 'a capped run moves no watermark');
    const since = await runFetch(events({ since: '2h' }));
    assert.equal(since.code, 0, since.err);
    assert.equal(state(), before, 'an explicit --since moves no watermark');
    const r = await runFetch(events({ json: true }));
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { mode: string }).mode, 'incremental');
    assert.notEqual(state(), before, 'a complete incremental run moves it');
    assert.equal(readEntries().length, 451);
  });

  test('events arriving while paging shift nothing: every event of the first read is kept, none twice', async () => {
    const s = await startServer({ events: orgEvents(), eventGrowth: { definitionId: DATA_ACTION_FAILED.id, perQuery: 37 } });
    const r = await runFetch(events({ json: true, until: new Date(Date.now() - 1000).toISOString() }));
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).fetched, 450, 'arrivals after --until are outside the interval');
    assert.equal(readEntries().length, 450);
    assert.equal(s.stats.eventQueries.length, 3);
  });

  test('--since/--until narrow the interval (the forms of dlq list); an earlier --since is clamped with a warning', async () => {
    const s = await startServer({ events: orgEvents() });
    const r = await runFetch(events({ since: '2d', until: '1d' }));
    assert.equal(r.code, 0, r.err);
    const expected = 450 / 9.5;
    assert.ok(Math.abs(readEntries().length - expected) <= 2, `${readEntries().length} events in one day`);
    s.stats.eventQueries.length = 0;
    const clamped = await runFetch(events({ since: '30d', json: true }));
    assert.equal(clamped.code, 0, clamped.err);
    assert.match(clamped.err, /^warning: events source: --since .* is before the 10-day retention of operational events; querying from /m);
    const [start] = (s.stats.eventQueries[0]?.body as { interval: string }).interval.split('/');
    assert.ok(Date.now() - Date.parse(start as string) <= 10 * DAY + 5000);
    assert.equal(JSON.parse(clamped.out).fetched, 450);
  });

  test('--search passes through as searchTerm; several definitions are read one after another', async () => {
    const s = await startServer({ events: orgEvents() });
    const r = await runFetch({ source: 'events', eventDefinition: ['Data Action Failed', FLOW_ERROR.id], search: 'zendesk', json: true });
    assert.equal(r.code, 0, r.err);
    const bodies = s.stats.eventQueries.map((q) => q.body as { searchTerm?: string; eventDefinitionIds: string[] });
    assert.ok(bodies.every((b) => b.searchTerm === 'zendesk'));
    assert.deepEqual([...new Set(bodies.map((b) => b.eventDefinitionIds[0]))], [DATA_ACTION_FAILED.id, FLOW_ERROR.id]);
    const entries = readEntries();
    assert.ok(entries.length > 0 && entries.every((e) => e.webhook_name === 'Zendesk - Create Ticket'));
    assert.deepEqual(new Set(entries.map((e) => e.event_definition?.name)), new Set(['Data Action Failed', 'Architect Flow Error']));
  });

  test('DLQ_SOURCE and GENESYS_EVENT_DEFINITIONS (a comma list) come from the environment', async () => {
    await startServer({ events: orgEvents() });
    const r = await runFetch({ json: true }, { DLQ_SOURCE: 'events', GENESYS_EVENT_DEFINITIONS: ' DATA ACTION FAILED , Architect Flow Error' });
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).fetched, 570);
  });

  test('429s, 5xx and a 401 mid-run behave as for history: waited out, retried, logged in again', async () => {
    await startServer({
      events: orgEvents(),
      rateLimit: { allowed: 3, windowMs: 300 },
      faults: [
        { route: 'events', kind: 'status', status: 503, skip: 1 },
        { route: 'events', kind: 'drop', skip: 2 },
        { route: 'definitions', kind: 'status', status: 429, retryAfter: '0' },
      ],
    });
    const r = await runFetch(events({ json: true, verbose: true }));
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as { fetched: number; retries: number; rateLimitWaits: number };
    assert.equal(summary.fetched, 450);
    assert.ok(summary.retries >= 2, r.err);
    assert.ok(summary.rateLimitWaits >= 1, r.err);

    const s = await startServer({ events: orgEvents() });
    s.injectFault({ route: 'events', kind: 'delay', delayMs: 1, skip: 1 });
    const io = captureIo({ env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET }, cwd: dir });
    const running = fetchCommand({ gateway: url, file, ...events() }, io, { retryPolicy: FAST });
    s.revokeTokens();
    assert.equal(await running, 0, io.err());
    assert.ok(s.stats.requests.token >= 1);
  });

  test('an unknown definition: exit 4 naming close names, nothing written', async () => {
    await startServer({ events: orgEvents() });
    const r = await runFetch({ source: 'events', eventDefinition: ['Data Actions Failed'] });
    assert.equal(r.code, 4);
    assert.equal(r.err, "dlq: events source: no operational-event definition named 'Data Actions Failed'; close names: 'Data Action Failed'\n");
    assert.equal(r.out, '');
    assert.equal(existsSync(file), false);
  });

  test('no permission usage:events:view (403): exit 3 naming it', async () => {
    await startServer({ events: orgEvents(), permissions: ['integrations:integration:view'] });
    const r = await runFetch(events());
    assert.equal(r.code, 3);
    assert.match(r.err, /^dlq: events source: event definitions: HTTP 403 missing\.permissions: .* needs a role granting the permission usage:events:view$/m);
    assert.equal(existsSync(file), false);
  });

  test('configuration errors are exit 2 with one line, before any request', async () => {
    const s = await startServer({ events: orgEvents() });
    const cases: [FetchOptions, RegExp][] = [
      [{ source: 'events' }, /missing configuration: the event definitions \(--event-definition <name\|id> or GENESYS_EVENT_DEFINITIONS\)/],
      [{ source: 'events', eventDefinition: ['x'], webhook: 'Orders' }, /--webhook applies to --source history only \(this run uses --source events\)/],
      [{ webhook: 'Orders', since: '1d' }, /--since applies to --source events only/],
      [{ source: 'events', eventDefinition: ['x'], since: 'yesterday' }, /--since: 'yesterday' is not a time/],
      [{ source: 'events', eventDefinition: ['x'], since: '1d', until: '2d' }, /--since: '1d' is after --until '2d'/],
      [{ source: 'events', eventDefinition: ['x'], until: '11d' }, /--until: '11d' is before the 10-day retention/],
      [{ source: 'events', eventDefinition: ['x'], search: ' ' }, /--search: empty term/],
      [{ source: 'everything' }, /--source: 'everything' is not one of history, events/],
    ];
    for (const [options, message] of cases) {
      const r = await runFetch(options);
      assert.equal(r.code, 2, `${JSON.stringify(options)}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.err.split('\n').length, 2, r.err);
    }
    const env = await runFetch({}, { DLQ_SOURCE: 'hist' });
    assert.match(env.err, /^dlq: DLQ_SOURCE: 'hist' is not one of history, events\n$/);
    assert.equal(s.stats.requests.token, 0);
  });
});

describe('the history source on an org that does not offer it', () => {
  const ORDERS = { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'MyCriticalWebhook', failures: makeFailures(10, { seed: 4 }) };

  test('the history path answering 404: exit 4, the one line of the issue, nothing written or printed', async () => {
    await startServer({ integrations: [ORDERS], historyAvailable: false, searchAvailable: false });
    const r = await runFetch({ webhook: 'MyCriticalWebhook' });
    assert.equal(r.code, 4);
    assert.equal(
      r.err,
      "dlq: 'MyCriticalWebhook': this org offers no failed-delivery history (POST /api/v2/integrations/{id}/history answered 404); run dlq doctor, or use --source events\n",
    );
    assert.equal(r.out, '');
    assert.equal(existsSync(file), false);
  });

  test('405 too; with --webhook-id the message allows for a wrong id', async () => {
    await startServer({ integrations: [ORDERS], faults: [{ route: 'history', kind: 'status', status: 405 }] });
    const r = await runFetch({ webhook: 'MyCriticalWebhook' });
    assert.equal(r.code, 4);
    assert.match(r.err, /answered 405\); run dlq doctor, or use --source events\n$/);
    const byId = await runFetch({ webhookId: 'no-such-id' });
    assert.equal(byId.code, 4);
    assert.match(byId.err, /^dlq: 'no-such-id': no webhook integration with this id, or this org offers no failed-delivery history \(POST \/api\/v2\/integrations\/\{id\}\/history answered 404\); run dlq doctor, or use --source events\n$/);
  });

  test('a search answering 400 or 405 falls back to the listing, as 404 does', async () => {
    for (const status of [400, 405]) {
      const s = await startServer({ integrations: [ORDERS], faults: [{ route: 'search', kind: 'status', status, times: 99 }] });
      const r = await runFetch({ webhook: 'MyCriticalWebhook', json: true, verbose: true });
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).fetched, 10);
      assert.match(r.err, new RegExp(`webhook search answered ${status}: resolving through the integrations listing`));
      assert.equal(s.stats.requests.search, 1, 'not retried');
    }
  });
});

describe('every platform error names its source', () => {
  test('history: a 5xx after retries and a resolution error; events: a 5xx after retries', async () => {
    await startServer({
      integrations: [{ id: 'wh-1', name: 'Orders', failures: makeFailures(3, { seed: 1 }) }],
      events: orgEvents(),
      faults: [
        { route: 'history', kind: 'status', status: 503, times: 99 },
        { route: 'events', kind: 'status', status: 502, times: 99 },
      ],
    });
    const history = await runFetch({ webhook: 'Orders' });
    assert.equal(history.code, 5);
    assert.match(history.err, /^dlq: history source: history page 1: HTTP 503 service\.unavailable: .*\(gave up after 6 attempts\)$/m);
    const unknown = await runFetch({ webhook: 'Nope' });
    assert.equal(unknown.code, 4);
    assert.match(unknown.err, /^dlq: history source: no webhook integration named 'Nope'/m);
    const events = await runFetch({ source: 'events', eventDefinition: ['Data Action Failed'] });
    assert.equal(events.code, 5);
    assert.match(events.err, /^dlq: events source: events query 'Data Action Failed' page 1: HTTP 502 /m);
  });
});
