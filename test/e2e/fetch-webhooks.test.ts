/**
 * Issue #11's "many webhooks" cases through the built binary: stdout, stderr and the exit code as
 * cron sees them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { runBin } from '../support/run-bin.js';

const ORDERS = { id: 'e2e-orders', name: 'Orders', failures: makeFailures(230, { seed: 71, idPrefix: 'ord' }) };
const BILLING = { id: 'e2e-billing', name: 'Billing', failures: makeFailures(40, { seed: 72, idPrefix: 'bil' }) };
const server = new FakeGenesys({
  clients: { 'many-client': 'many-secret' },
  integrations: [ORDERS, BILLING, { id: 'e2e-flow', name: 'Flow', integrationType: 'purecloud-data-actions', failures: makeFailures(3, { seed: 73 }) }],
});
let url = '';
const env = () => ({ GENESYS_CLIENT_ID: 'many-client', GENESYS_CLIENT_SECRET: 'many-secret', GENESYS_GATEWAY: url });
const stored = (dir: string) =>
  new Set((JSON.parse(readFileSync(join(dir, 'dead_letter_queue.json'), 'utf8')) as { delivery_id: string }[]).map((e) => e.delivery_id));
const all = (failures: { id?: string }[], ids: Set<string>) => failures.every((f) => ids.has(f.id as string));

before(async () => {
  url = (await server.start()).url;
});
after(() => server.stop());

test('dlq fetch --webhook Orders --webhook Billing stores both, one summary line each and a total', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-many-'));
  const r = await runBin(['fetch', '--webhook', 'Orders', '--webhook', 'Billing'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  const ids = stored(dir);
  assert.ok(all(ORDERS.failures, ids) && all(BILLING.failures, ids));
  assert.equal(ids.size, 270);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(':')[0]), [
    "fetched 230 failed deliveries of 'Orders' (e2e-orders)",
    "fetched 40 failed deliveries of 'Billing' (e2e-billing)",
    'total',
  ]);
});

test('dlq fetch --all-webhooks stores every webhook integration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-many-'));
  const r = await runBin(['fetch', '--all-webhooks', '--json'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(stored(dir).size, 270);
  assert.deepEqual((JSON.parse(r.stdout) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id), ['e2e-orders', 'e2e-billing']);
});

test('one of two webhooks missing: exit 4, the other webhook saved, one error line naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-many-'));
  const r = await runBin(['fetch', '--webhook', 'Orders', '--webhook', 'Nope'], { cwd: dir, env: env() });
  assert.equal(r.code, 4, r.stderr);
  assert.ok(all(ORDERS.failures, stored(dir)));
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('dlq: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /^dlq: webhook 'Nope': history source: no webhook integration named 'Nope'/);
});
