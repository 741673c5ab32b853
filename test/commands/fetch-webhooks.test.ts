/**
 * Many webhooks in one run (issue #11 part 3) through fetchCommand and the real SDK: repeatable
 * --webhook/--webhook-id, GENESYS_WEBHOOK_NAME as a comma list, --all-webhooks; one login and one
 * pacer; each webhook saved; a failing webhook does not stop the others; the most severe exit code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { fetchCommand, mostSevere, type FetchOptions } from '../../src/commands/fetch.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures, type FakeGenesysOptions } from '../support/fake-genesys/index.js';

const CLIENT_ID = 'dlq-test-client';
const SECRET = 'dlq-test-secret-many';
const FAST = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, rateLimitBackoffMs: 20 };
const ORDERS = { id: 'orders-0000-4000-8000-000000000001', name: 'Orders', failures: makeFailures(250, { seed: 61, idPrefix: 'ord' }) };
const BILLING = { id: 'billing-000-4000-8000-000000000002', name: 'Billing', failures: makeFailures(120, { seed: 62, idPrefix: 'bil' }) };
const SHIPPING = { id: 'shipping-00-4000-8000-000000000003', name: 'Shipping', failures: makeFailures(30, { seed: 63, idPrefix: 'shp' }) };
const ACTIONS = { id: 'actions-000-4000-8000-000000000004', name: 'Data actions', integrationType: 'purecloud-data-actions', failures: makeFailures(5, { seed: 64 }) };

let server: FakeGenesys | undefined;
let url: string;
let dir: string;
let file: string;

async function startServer(options: FakeGenesysOptions = {}): Promise<FakeGenesys> {
  await server?.stop();
  server = new FakeGenesys({ clients: { [CLIENT_ID]: SECRET }, integrations: [ORDERS, BILLING, SHIPPING, ACTIONS], ...options });
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
const idsOf = (webhookId: string) => new Set(readEntries().filter((e) => e.webhook_id === webhookId).map((e) => e.delivery_id));
const sameIds = (webhookId: string, failures: { id?: string }[]) => assert.deepEqual(idsOf(webhookId), new Set(failures.map((f) => f.id)));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dlq-many-'));
  file = join(dir, 'dlq.json');
});
after(async () => server?.stop());

describe('several webhooks in one run', () => {
  test('--webhook Orders --webhook Billing: both stored, one login, one line each plus the totals', async () => {
    const s = await startServer();
    const r = await runFetch({ webhook: ['Orders', 'Billing'] });
    assert.equal(r.code, 0, r.err);
    sameIds(ORDERS.id, ORDERS.failures);
    sameIds(BILLING.id, BILLING.failures);
    assert.equal(s.stats.requests.token, 1, 'one login');
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 3, r.out);
    assert.match(lines[0]!, /^fetched 250 failed deliveries of 'Orders' \(orders-[^)]+\): 250 new, 0 updated, 0 duplicates; 2 pages \(full\)$/);
    assert.match(lines[1]!, /^fetched 120 failed deliveries of 'Billing' \(billing-[^)]+\): 120 new, 0 updated, 0 duplicates; 1 pages \(full\)$/);
    assert.match(lines[2]!, /^total: 2 webhooks, 370 failed deliveries: 370 new, 0 updated, 0 duplicates; 3 pages \(full\), 0 retries, 0 rate-limit waits, .+ -> /);
    for (const e of readEntries()) assert.equal(e.webhook_name, e.webhook_id === ORDERS.id ? 'Orders' : 'Billing');
  });

  test('--json: one object per webhook in `webhooks`, totals at the top level', async () => {
    await startServer();
    const r = await runFetch({ webhook: ['Orders', 'Billing'], json: true });
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(s['webhooks'], [
      { id: ORDERS.id, name: 'Orders', fetched: 250, new: 250, updated: 0, pruned: 0, duplicates: 0, overMaxItems: 0, pages: 2, mode: 'full' },
      { id: BILLING.id, name: 'Billing', fetched: 120, new: 120, updated: 0, pruned: 0, duplicates: 0, overMaxItems: 0, pages: 1, mode: 'full' },
    ]);
    assert.deepEqual([s['fetched'], s['new'], s['updated'], s['duplicates'], s['pages'], s['mode'], s['file']], [370, 370, 0, 0, 3, 'full', file]);
    assert.equal(s['webhook'], undefined, 'no single webhook to name');
    assert.equal(typeof s['durationMs'], 'number');
    const again = JSON.parse((await runFetch({ webhook: ['Orders', 'Billing'], json: true })).out) as Record<string, unknown>;
    assert.equal(again['mode'], 'incremental', 'each webhook has its own watermark');
  });

  test('one webhook keeps the single-webhook output, plus `webhooks`', async () => {
    await startServer();
    const r = await runFetch({ webhook: 'Orders', json: true });
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(s['webhook'], { id: ORDERS.id, name: 'Orders' });
    assert.equal(s['new'], 250);
    assert.equal((s['webhooks'] as unknown[]).length, 1);
  });

  test('--all-webhooks: every integration of type webhook, nothing else', async () => {
    const s = await startServer({ searchAvailable: false });
    const r = await runFetch({ allWebhooks: true, json: true });
    assert.equal(r.code, 0, r.err);
    sameIds(ORDERS.id, ORDERS.failures);
    sameIds(BILLING.id, BILLING.failures);
    sameIds(SHIPPING.id, SHIPPING.failures);
    assert.equal(idsOf(ACTIONS.id).size, 0);
    const names = (JSON.parse(r.out) as { webhooks: { name: string }[] }).webhooks.map((w) => w.name);
    assert.deepEqual(names, ['Orders', 'Billing', 'Shipping']);
    assert.equal(s.stats.requests.search, 0, 'names come from the listing');
  });

  test('GENESYS_WEBHOOK_NAME may be a comma list', async () => {
    await startServer();
    const r = await runFetch({ json: true }, { GENESYS_WEBHOOK_NAME: 'Orders, Shipping' });
    assert.equal(r.code, 0, r.err);
    sameIds(ORDERS.id, ORDERS.failures);
    sameIds(SHIPPING.id, SHIPPING.failures);
  });

  test('--webhook X --webhook-id Y are two webhooks: X\'s name never lands on Y\'s entries', async () => {
    await startServer();
    const r = await runFetch({ webhook: 'Orders', webhookId: BILLING.id, json: true });
    assert.equal(r.code, 0, r.err);
    sameIds(ORDERS.id, ORDERS.failures);
    sameIds(BILLING.id, BILLING.failures);
    for (const e of readEntries().filter((x) => x.webhook_id === BILLING.id)) assert.equal(e.webhook_name, undefined);
  });

  test('a webhook named and given by id is harvested once', async () => {
    const s = await startServer();
    const r = await runFetch({ webhook: 'Orders', webhookId: ORDERS.id, json: true });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { webhooks: unknown[] }).webhooks.length, 1);
    assert.equal(s.stats.requests.history, 2);
  });

  test('--all-webhooks with --webhook: exit 2, one line', async () => {
    await startServer();
    const r = await runFetch({ allWebhooks: true, webhook: 'Orders' });
    assert.equal(r.code, 2);
    assert.match(r.err, /^dlq: --all-webhooks harvests every webhook integration/);
    assert.equal(r.err.trim().split('\n').length, 1);
  });
});

describe('a failing webhook does not stop the others', () => {
  test('one of two missing: exit 4, the other saved, the error on stderr and in --json', async () => {
    await startServer();
    const r = await runFetch({ webhook: ['Nope', 'Billing'], json: true });
    assert.equal(r.code, 4, r.err);
    sameIds(BILLING.id, BILLING.failures);
    assert.match(r.err, /^dlq: webhook 'Nope': history source: no webhook integration named 'Nope'/m);
    const s = JSON.parse(r.out) as { webhooks: { name: string; error?: string }[]; error: string; new: number };
    assert.equal(s.webhooks[0]?.name, 'Nope');
    assert.match(s.webhooks[0]?.error ?? '', /no webhook integration named 'Nope'/);
    assert.equal(s.webhooks[1]?.error, undefined);
    assert.equal(s.new, 120);
    assert.equal(s.error, '1 of 2 webhooks failed');
  });

  test('the summary line of a failed webhook says so', async () => {
    await startServer();
    const r = await runFetch({ webhook: ['Orders', 'Nope'] });
    assert.equal(r.code, 4);
    const lines = r.out.trim().split('\n');
    assert.match(lines[1]!, /^failed webhook 'Nope': history source: no webhook integration named 'Nope'/);
    assert.match(lines[2]!, /^total: 2 webhooks, 250 failed deliveries: 250 new/);
  });

  test('5xx after retries on one (exit 5) and a missing one (exit 4): exit 5, and what each harvested is saved', async () => {
    const s = await startServer();
    s.injectFault({ route: 'history', kind: 'status', status: 503, times: 100, page: 2 });
    const r = await runFetch({ webhook: ['Orders', 'Nope', 'Shipping'], concurrency: '1', json: true });
    assert.equal(r.code, 5, r.err);
    assert.equal(idsOf(ORDERS.id).size, 200, 'page 1 of Orders saved');
    sameIds(SHIPPING.id, SHIPPING.failures);
    const errors = r.err.split('\n').filter((l) => l.startsWith('dlq: '));
    assert.equal(errors.length, 2, r.err);
  });

  test('the order of severity', () => {
    assert.equal(mostSevere([]), 0);
    assert.equal(mostSevere([0, 4]), 4);
    assert.equal(mostSevere([4, 5]), 5);
    assert.equal(mostSevere([5, 3]), 3);
    assert.equal(mostSevere([3, 75]), 75);
    assert.equal(mostSevere([75, 6, 4]), 6);
    assert.equal(mostSevere([6, 130]), 130);
  });
});
