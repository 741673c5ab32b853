/**
 * `dlq fetch` end to end through the real SDK, against the project's local Genesys-compatible
 * server (loopback, random port) reached through the SDK's gateway setting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { fetchCommand, type FetchOptions } from '../../src/commands/fetch.js';
import { pruneCommand } from '../../src/commands/prune.js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures, type FakeGenesysOptions } from '../support/fake-genesys/index.js';

const CLIENT_ID = 'dlq-test-client';
const SECRET = 'dlq-test-secret-3x4mpl3';
const FAST = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, rateLimitBackoffMs: 20 };

let server: FakeGenesys;
let url: string;
let dir: string;
let file: string;

async function startServer(options: FakeGenesysOptions): Promise<void> {
  await server?.stop();
  server = new FakeGenesys({ clients: { [CLIENT_ID]: SECRET }, ...options });
  url = (await server.start()).url;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, ...extra };
}

async function runFetch(options: FetchOptions, environment: NodeJS.ProcessEnv = env()) {
  const io = captureIo({ env: environment, cwd: dir });
  let code: number;
  try {
    code = await fetchCommand({ gateway: url, file, ...options }, io, { retryPolicy: FAST });
  } catch (error) {
    code = reportError(error, io);
  }
  return { code, out: io.out(), err: io.err() };
}

const readEntries = (): DlqEntry[] => JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];

const ORDERS = { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'Orders' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dlq-fetch-'));
  file = join(dir, 'dlq.json');
});
after(async () => server?.stop());

describe('a full harvest', () => {
  const failures = makeFailures(450, { seed: 1 });
  before(async () => startServer({ integrations: [{ ...ORDERS, failures, successes: makeFailures(30, { seed: 2, idPrefix: 'ok' }) }] }));

  test('collects every failed delivery (status failed, size 200, every page) into a new 0600 file', async () => {
    server.resetStats();
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(summary['webhook'], { id: ORDERS.id, name: 'Orders' });
    assert.equal(summary['fetched'], 450);
    assert.equal(summary['new'], 450);
    assert.equal(summary['updated'], 0);
    assert.equal(summary['pages'], 3);
    assert.equal(summary['file'], file);
    assert.equal(typeof summary['durationMs'], 'number');
    const entries = readEntries();
    assert.equal(entries.length, 450);
    assert.deepEqual(new Set(entries.map((e) => e.delivery_id)), new Set(failures.map((f) => f.id)));
    for (const body of server.stats.historyBodies) {
      assert.equal((body as { status: string }).status, 'failed');
      assert.equal((body as { size: number }).size, 200);
    }
    const first = failures[0]!;
    const stored = entries.find((e) => e.delivery_id === first.id)!;
    assert.equal(stored.request_body, first.requestBody);
    assert.equal(stored.status_code, first.statusCode);
    assert.equal(stored.webhook_name, 'Orders');
    assert.equal(stored.replay_status, 'pending');
    assert.deepEqual(stored.replays, []);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('is safe to run twice: the second run adds nothing and refreshes last_seen_at', async () => {
    const r1 = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r1.code, 0, r1.err);
    const firstSeen = readEntries()[0]!.first_seen_at;
    const r2 = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r2.code, 0, r2.err);
    const s = JSON.parse(r2.out) as Record<string, unknown>;
    assert.equal(s['new'], 0);
    assert.equal(s['mode'], 'incremental');
    assert.equal(s['updated'], 200, 'incremental: page 1 was all known, so the run stopped there');
    const entries = readEntries();
    assert.equal(entries.length, 450);
    assert.equal(entries[0]!.first_seen_at, firstSeen);
    const r3 = await runFetch({ webhook: 'Orders', json: true, full: true });
    const s3 = JSON.parse(r3.out) as Record<string, unknown>;
    assert.equal(s3['mode'], 'full');
    assert.equal(s3['updated'], 450, '--full reads (and refreshes) every delivery');
  });

  test('entries dlq prune removed do not come back, though the platform still lists them', async () => {
    assert.equal((await runFetch({ webhook: 'Orders' })).code, 0);
    const io = captureIo({ cwd: dir });
    assert.equal(await pruneCommand({ file, statusCode: '5xx' }, io), 0);
    const left = readEntries();
    const prunedCount = 450 - left.length;
    assert.ok(prunedCount > 0 && left.length > 0);
    // --full reads every page (a plain run would stop at page 1, all recorded or pruned).
    const again = await runFetch({ webhook: 'Orders', json: true, full: true });
    assert.equal(again.code, 0, again.err);
    const s = JSON.parse(again.out) as Record<string, number>;
    assert.deepEqual([s['new'], s['updated'], s['pruned']], [0, left.length, prunedCount]);
    assert.deepEqual(readEntries().map((e) => e.delivery_id), left.map((e) => e.delivery_id));
  });

  test('--max-items caps the harvest', async () => {
    const r = await runFetch({ webhook: 'Orders', maxItems: '250', json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(readEntries().length, 250);
    // newest first: the cap keeps the most recent failures
    assert.deepEqual(readEntries().map((e) => e.delivery_id), failures.slice(0, 250).map((f) => f.id));
  });

  test('MAX_DLQ_ITEMS and GENESYS_WEBHOOK_NAME come from the environment; flags win', async () => {
    const r = await runFetch({ json: true }, env({ GENESYS_WEBHOOK_NAME: 'Orders', MAX_DLQ_ITEMS: '10' }));
    assert.equal(r.code, 0, r.err);
    assert.equal(readEntries().length, 10);
    const r2 = await runFetch({ maxItems: '20', json: true }, env({ GENESYS_WEBHOOK_NAME: 'Nope', MAX_DLQ_ITEMS: '10', GENESYS_WEBHOOK: 'x' }));
    assert.equal(r2.code, 4, 'the env webhook name is used when no flag is given');
    const r3 = await runFetch({ webhook: 'Orders', maxItems: '20', json: true }, env({ GENESYS_WEBHOOK_NAME: 'Nope', MAX_DLQ_ITEMS: '10' }));
    assert.equal(r3.code, 0, r3.err);
    assert.equal(readEntries().length, 20);
  });

  test('--webhook-id skips resolution', async () => {
    server.resetStats();
    const r = await runFetch({ webhookId: ORDERS.id, json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(server.stats.requests.search, 0);
    assert.equal(readEntries().length, 450);
    assert.equal(readEntries()[0]!.webhook_id, ORDERS.id);
  });

  test('a plain summary line on stdout, one-line progress on stderr when not a terminal', async () => {
    const r = await runFetch({ webhook: 'Orders' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^fetched 450 failed deliveries of 'Orders' \(.+\): 450 new, 0 updated, 0 duplicates; 3 pages/);
    assert.equal(r.out.trim().split('\n').length, 1);
    assert.doesNotMatch(r.err, /\u001b\[/, 'no ANSI escapes off a terminal');
  });

  test('--quiet prints nothing on stderr', async () => {
    const r = await runFetch({ webhook: 'Orders', quiet: true });
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
  });

  test('--webhook-id that does not exist: exit 4', async () => {
    const r = await runFetch({ webhookId: 'no-such-id' });
    assert.equal(r.code, 4);
    assert.match(r.err, /no-such-id/);
    assert.equal(existsSync(file), false);
  });
});

describe('failures mid-harvest lose nothing', () => {
  const failures = makeFailures(1000, { seed: 3 });
  beforeEach(async () => startServer({ integrations: [{ ...ORDERS, failures }] }));

  test('429s (with Retry-After) and 5xx are waited out / retried and every item arrives', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 429, retryAfter: '1', page: 2 });
    server.injectFault({ route: 'history', kind: 'status', status: 503, times: 2, page: 3 });
    server.injectFault({ route: 'history', kind: 'drop', page: 4 });
    server.injectFault({ route: 'history', kind: 'invalid-json', page: 5 });
    const t0 = Date.now();
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    assert.ok(Date.now() - t0 >= 1000, 'waited the Retry-After second');
    const s = JSON.parse(r.out) as Record<string, number>;
    assert.equal(s['new'], 1000);
    assert.equal(s['retries'], 4);
    assert.ok(s['rateLimitWaits']! >= 1);
    assert.deepEqual(new Set(readEntries().map((e) => e.delivery_id)), new Set(failures.map((f) => f.id)));
  });

  test('a 429 without Retry-After backs off and does not use up the retry budget', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 429, times: 8, page: 2 });
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(readEntries().length, 1000);
  });

  test('rate-limit waits past --max-wait: exit 5, and what was harvested is saved', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 429, retryAfter: '5', times: 100, page: 3 });
    const r = await runFetch({ webhook: 'Orders', maxWait: '2s', concurrency: '1', json: true });
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, /max-wait/);
    const saved = readEntries();
    assert.equal(saved.length, 400, 'pages 1 and 2 are saved');
  });

  test('5xx beyond the retries: exit 5 with the server message; earlier pages are saved', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 500, times: 50, page: 2 });
    const r = await runFetch({ webhook: 'Orders', concurrency: '1', json: true });
    assert.equal(r.code, 5);
    const errorLines = r.err.split('\n').filter((l) => l.startsWith('dlq: '));
    assert.equal(errorLines.length, 1, r.err);
    assert.match(errorLines[0]!, /HTTP 500.*gave up after 6 attempts/);
    const ids = new Set(readEntries().map((e) => e.delivery_id));
    for (const f of failures.slice(0, 200)) assert.ok(ids.has(f.id!));
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    assert.match(String(summary['error']), /HTTP 500/);
  });

  test('another 4xx: exit 5 at once, no retry', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 400, page: 2, body: { message: 'Invalid page size', code: 'bad.request', status: 400 } });
    const r = await runFetch({ webhook: 'Orders', concurrency: '1' });
    assert.equal(r.code, 5);
    assert.match(r.err, /Invalid page size/);
    assert.equal(server.stats.historyPages.filter((p) => p === 2).length, 1, 'page 2 requested once');
  });

  test('a 401 in the middle of the run: logs in again once and continues', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 401, page: 3 });
    const r = await runFetch({ webhook: 'Orders', concurrency: '1', json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(server.stats.requests.token, 2);
    assert.equal(readEntries().length, 1000);
  });

  test('a token that keeps being refused: exit 3', async () => {
    server.injectFault({ route: 'history', kind: 'status', status: 401, times: 100 });
    const r = await runFetch({ webhook: 'Orders' });
    assert.equal(r.code, 3);
    assert.equal(server.stats.requests.token, 2, 'logged in again exactly once');
  });
});

describe('page shifts while paging', () => {
  for (const seed of [1, 2, 3]) {
    test(`issue #11's scenario without the rate limit (chaos seed ${seed}): every failure present at the start is saved`, async () => {
      const failures = makeFailures(1234, { seed: 40 + seed });
      await startServer({
        integrations: [{ ...ORDERS, failures }],
        arrivals: { integrationId: ORDERS.id, count: (n) => (n % 3 === 0 ? 1 : 0) },
        latencyJitter: { seed, maxMs: 10 },
        chaos: { seed, status503: 0.04, drop: 0.02, invalidJson: 0.02, tooMany: 0.04, retryAfter: '0' },
      });
      const r = await runFetch({ webhook: 'Orders', json: true });
      assert.equal(r.code, 0, r.err);
      const ids = new Set(readEntries().map((e) => e.delivery_id));
      assert.deepEqual(failures.filter((f) => !ids.has(f.id!)).map((f) => f.id), []);
    });
  }


  test('duplicates from shifted pages are merged once and no old item is lost', async () => {
    const failures = makeFailures(1000, { seed: 4 });
    await startServer({ integrations: [{ ...ORDERS, failures }], pageGrowth: { integrationId: ORDERS.id, perHistoryRequest: 7 } });
    const r = await runFetch({ webhook: 'Orders', concurrency: '1', json: true });
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as Record<string, number>;
    assert.ok(s['duplicates']! > 0, 'the shifts produced duplicates');
    const entries = readEntries();
    const ids = entries.map((e) => e.delivery_id);
    assert.equal(new Set(ids).size, ids.length, 'each delivery once in the file');
    for (const f of failures) assert.ok(ids.includes(f.id!), `kept ${f.id}`);
    assert.equal(s['new'], entries.length);
  });
});

describe('resolution by name', () => {
  test('the search matches partially: only the exact name is taken', async () => {
    await startServer({
      integrations: [
        { id: 'id-1', name: 'Orders v2', failures: makeFailures(3, { seed: 5 }) },
        { ...ORDERS, failures: makeFailures(5, { seed: 6 }) },
      ],
    });
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { webhook: { id: string } }).webhook.id, ORDERS.id);
  });

  test('when the search path answers 404 the integrations listing (all pages, webhooks only) is used', async () => {
    const others = Array.from({ length: 230 }, (_, i) => ({ id: `other-${i}`, name: `Integration ${i}`, integrationType: i % 2 ? 'webhook' : 'purecloud-data-actions', failures: [] }));
    await startServer({
      searchAvailable: false,
      integrations: [...others, { id: 'not-a-webhook', name: 'Orders', integrationType: 'purecloud-data-actions', failures: [] }, { ...ORDERS, failures: makeFailures(5, { seed: 7 }) }],
    });
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { webhook: { id: string } }).webhook.id, ORDERS.id);
    assert.ok(server.stats.requests.integrations >= 3, 'every listing page read');
  });

  test('an ambiguous name: exit 4 listing the ids and pointing to --webhook-id', async () => {
    await startServer({
      integrations: [
        { id: 'dup-1', name: 'Orders', failures: [] },
        { id: 'dup-2', name: 'Orders', failures: [] },
      ],
    });
    const r = await runFetch({ webhook: 'Orders' });
    assert.equal(r.code, 4);
    assert.match(r.err, /dup-1/);
    assert.match(r.err, /dup-2/);
    assert.match(r.err, /--webhook-id/);
    assert.equal(r.err.trim().split('\n').length, 1);
  });

  test('no match: exit 4 naming close matches', async () => {
    await startServer({ integrations: [{ id: 'x', name: 'OrdersWebhook', failures: [] }, { id: 'y', name: 'Billing', failures: [] }] });
    const r = await runFetch({ webhook: 'orders-webhook' });
    assert.equal(r.code, 4);
    assert.match(r.err, /^dlq: history source: no webhook integration named 'orders-webhook'; close matches: 'OrdersWebhook'\n$/);
  });
});

describe('authentication and configuration', () => {
  before(async () => startServer({ integrations: [{ ...ORDERS, failures: makeFailures(5, { seed: 8 }) }] }));

  test('--metrics-file: new entries per webhook after a good run; outcome error (and the last success kept) after a refused login', async () => {
    const metrics = join(dir, 'dlq.prom');
    const ok = await runFetch({ webhook: 'Orders', metricsFile: metrics });
    assert.equal(ok.code, 0, ok.err);
    let families = parsePrometheusTextFormat(readFileSync(metrics, 'utf8'));
    const sample = (name: string, labels: Record<string, string>) =>
      families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    assert.equal(sample('dlq_fetch_new_entries', { webhook: 'Orders' }), '5');
    assert.equal(sample('dlq_entries', { webhook: 'Orders', replay_status: 'pending' }), '5');
    assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'fetch', outcome: 'success' }));
    const refused = await runFetch({ webhook: 'Orders', metricsFile: metrics }, env({ GENESYS_CLIENT_SECRET: 'wrong-secret-for-metrics' }));
    assert.equal(refused.code, 3);
    const text = readFileSync(metrics, 'utf8');
    assert.ok(!text.includes('wrong-secret-for-metrics'));
    families = parsePrometheusTextFormat(text);
    assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'fetch', outcome: 'error' }));
    assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'fetch', outcome: 'success' }));
    assert.equal(sample('dlq_fetch_new_entries', { webhook: 'Orders' }), undefined, 'the refused run added nothing');
    assert.equal(sample('dlq_entries', { webhook: 'Orders', replay_status: 'pending' }), '5');
  });

  test('a wrong secret: exit 3 with the status and error_description; the secret appears nowhere', async () => {
    const wrong = 'totally-wrong-secret-value';
    const r = await runFetch({ webhook: 'Orders', verbose: true }, env({ GENESYS_CLIENT_SECRET: wrong }));
    assert.equal(r.code, 3);
    assert.match(r.err, /401/);
    assert.match(r.err, /client not found/);
    for (const text of [r.out, r.err]) {
      assert.ok(!text.includes(wrong));
      assert.ok(!text.includes(SECRET));
      assert.ok(!text.includes(Buffer.from(`${CLIENT_ID}:${wrong}`).toString('base64')));
    }
    assert.equal(existsSync(file), false);
  });

  test('the token and the secret never appear in output, even with --verbose', async () => {
    const r = await runFetch({ webhook: 'Orders', verbose: true });
    assert.equal(r.code, 0, r.err);
    const tokens = server.stats.authorizationHeaders.map((h) => h.replace(/^Bearer /, ''));
    assert.ok(tokens.length > 0);
    for (const text of [r.out, r.err, readFileSync(file, 'utf8')]) {
      assert.ok(!text.includes(SECRET));
      for (const t of tokens) assert.ok(!text.includes(t));
    }
  });

  test('a missing permission (403): exit 3 naming the permission a role must grant', async () => {
    await startServer({ permissions: [], integrations: [{ ...ORDERS, failures: [] }] });
    const r = await runFetch({ webhook: 'Orders' });
    assert.equal(r.code, 3);
    assert.match(r.err, /needs a role granting the permission integrations:integration:view/);
    await startServer({ integrations: [{ ...ORDERS, failures: makeFailures(5, { seed: 8 }) }] });
  });

  test('missing credentials or webhook: exit 2 naming exactly what is missing', async () => {
    const r = await runFetch({}, {});
    assert.equal(r.code, 2);
    assert.match(r.err, /GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, the webhook/);
    const r2 = await runFetch({ webhook: 'Orders' }, { GENESYS_CLIENT_ID: CLIENT_ID });
    assert.equal(r2.code, 2);
    assert.match(r2.err, /missing configuration: GENESYS_CLIENT_SECRET$/m);
  });

  test('--env-file supplies the variables', async () => {
    writeFileSync(join(dir, 'dlq.env'), `GENESYS_CLIENT_ID=${CLIENT_ID}\nGENESYS_CLIENT_SECRET="${SECRET}"\nGENESYS_WEBHOOK_NAME=Orders\n`);
    const r = await runFetch({ envFile: 'dlq.env', json: true }, {});
    assert.equal(r.code, 0, r.err);
    assert.equal(readEntries().length, 5);
  });

  test('bad flags: exit 2', async () => {
    assert.equal((await runFetch({ webhook: 'Orders', gateway: 'ftp://x' })).code, 2);
    assert.equal((await runFetch({ webhook: 'Orders', maxItems: 'ten' })).code, 2);
    assert.equal((await runFetch({ webhook: 'Orders', maxWait: 'forever' })).code, 2);
    assert.equal((await runFetch({ webhook: 'Orders', environment: 'not an env' })).code, 2);
  });
});

describe('the DLQ file', () => {
  before(async () => startServer({ integrations: [{ ...ORDERS, failures: makeFailures(20, { seed: 9 }) }] }));

  test('a corrupt file: exit 6 naming the file, left byte-for-byte untouched, no API call', async () => {
    const corrupt = '[{"delivery_id": "a", "status_code": 500},\n{"delivery_id": "b"';
    writeFileSync(file, corrupt);
    server.resetStats();
    const r = await runFetch({ webhook: 'Orders' });
    assert.equal(r.code, 6);
    assert.ok(r.err.includes(file));
    assert.equal(readFileSync(file, 'utf8'), corrupt);
    assert.equal(server.stats.requests.token, 0);
  });

  for (const [label, content] of [
    ['not an array', '{"delivery_id": "a"}'],
    ['an entry without a string delivery_id', '[{"delivery_id": 12}]'],
  ] as const) {
    test(`${label}: exit 6, untouched`, async () => {
      writeFileSync(file, content);
      const r = await runFetch({ webhook: 'Orders' });
      assert.equal(r.code, 6);
      assert.equal(readFileSync(file, 'utf8'), content);
    });
  }

  test('a seven-field file from the original script is merged without loss', async () => {
    const legacy = [
      { delivery_id: 'legacy-1', timestamp: '2026-01-01T00:00:00Z', status_code: 502, status_message: 'Bad Gateway', request_body: '{"a":1}', response_body: '', webhook_id: ORDERS.id },
      { delivery_id: 'legacy-2', timestamp: '2026-01-02T00:00:00Z', status_code: 500, status_message: 'x', request_body: '{}', response_body: '{}', webhook_id: 'other' },
    ];
    writeFileSync(file, JSON.stringify(legacy, null, 2));
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    const entries = readEntries();
    assert.equal(entries.length, 22);
    for (const old of legacy) {
      const kept = entries.find((e) => e.delivery_id === old.delivery_id);
      assert.deepEqual(kept, old, 'unseen legacy entries are kept exactly');
    }
  });
});
