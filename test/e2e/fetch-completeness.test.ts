/**
 * Issue #11 through the built binary. The page-shift scenario: 1,234 failures, a new one at the
 * head every 3 history requests, the default --concurrency 4, a rate limit of 5 requests per 2 s,
 * 4% 503s, 2% connection resets and 2% malformed pages. Every failure that existed when the run
 * started must be in the file. And a capped run followed by a plain one leaves every failure in the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { runBin } from '../support/run-bin.js';

test('the page-shift scenario: exit 0 and every failure present at the start is in the file', async () => {
  const failures = makeFailures(1234, { seed: 1234 });
  const server = new FakeGenesys({
    clients: { 'shift-client': 'shift-secret' },
    integrations: [{ id: 'shift-hook', name: 'Shifty', failures }],
    arrivals: { integrationId: 'shift-hook', count: (n) => (n % 3 === 0 ? 1 : 0) },
    rateLimit: { allowed: 5, windowMs: 2000 },
    latencyJitter: { seed: 5, maxMs: 15 },
    chaos: { seed: 12, status503: 0.04, drop: 0.02, invalidJson: 0.02 },
  });
  const { url } = await server.start();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-shift-'));
    const r = await runBin(['fetch', '--webhook', 'Shifty', '--json'], {
      cwd: dir,
      env: { GENESYS_CLIENT_ID: 'shift-client', GENESYS_CLIENT_SECRET: 'shift-secret', GENESYS_GATEWAY: url },
    });
    assert.equal(r.code, 0, r.stderr);
    const ids = new Set((JSON.parse(readFileSync(join(dir, 'dead_letter_queue.json'), 'utf8')) as { delivery_id: string }[]).map((e) => e.delivery_id));
    const missing = failures.filter((f) => !ids.has(f.id as string));
    assert.deepEqual(missing, []);
    const summary = JSON.parse(r.stdout) as { retries: number; rateLimitWaits: number };
    assert.ok(summary.retries > 0 && summary.rateLimitWaits > 0, 'the run met faults and the rate limit');
  } finally {
    await server.stop();
  }
});

test('--max-items 500 on a 3,000-failure webhook, then a plain run: all 3,000 in the file', async () => {
  const failures = makeFailures(3000, { seed: 3000 });
  const server = new FakeGenesys({ clients: { 'cap-client': 'cap-secret' }, integrations: [{ id: 'cap-hook', name: 'Capped', failures }] });
  const { url } = await server.start();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-cap-'));
    const env = { GENESYS_CLIENT_ID: 'cap-client', GENESYS_CLIENT_SECRET: 'cap-secret', GENESYS_GATEWAY: url };
    const capped = await runBin(['fetch', '--webhook', 'Capped', '--max-items', '500', '--json'], { cwd: dir, env });
    assert.equal(capped.code, 0, capped.stderr);
    assert.equal((JSON.parse(capped.stdout) as { new: number }).new, 500);
    const plain = await runBin(['fetch', '--webhook', 'Capped', '--json'], { cwd: dir, env });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((JSON.parse(plain.stdout) as { new: number }).new, 2500);
    const ids = new Set((JSON.parse(readFileSync(join(dir, 'dead_letter_queue.json'), 'utf8')) as { delivery_id: string }[]).map((e) => e.delivery_id));
    assert.equal(ids.size, 3000);
    assert.ok(failures.every((f) => ids.has(f.id as string)));
  } finally {
    await server.stop();
  }
});
