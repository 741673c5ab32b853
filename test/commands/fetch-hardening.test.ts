/**
 * Inputs that used to end wrongly (issue #9, item 3), through the real SDK against the local
 * Genesys-compatible server: each must end with its documented exit code and one clear line.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { main } from '../../src/cli.js';
import { fetchCommand } from '../../src/commands/fetch.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';

const server = new FakeGenesys({
  clients: { c: 's' },
  integrations: [
    { id: 'wh-0001', name: 'Payments', failures: makeFailures(5, { seed: 1 }) },
    { id: 'wh-0002', name: 'Orders', failures: makeFailures(5, { seed: 2 }) },
    { id: 'wh-0003', name: 'Busy', failures: makeFailures(450, { seed: 3 }) },
  ],
});
let url = '';
let dir = '';
const env = { GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's' };
before(async () => {
  url = (await server.start()).url;
});
after(() => server.stop());
beforeEach(() => {
  server.resetStats();
  dir = mkdtempSync(join(tmpdir(), 'dlq-fetch-hard-'));
});

/** Runs `dlq fetch …` through main() (the real catch and exit-code mapping), default retry policy. */
async function fetch(args: string[]) {
  const io = captureIo({ env, cwd: dir });
  const code = await main(['node', 'dlq', 'fetch', '--file', join(dir, 'dlq.json'), ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const requests = () => Object.values(server.stats.requests).reduce((a, b) => a + b, 0);

test('--webhook with --webhook-id: two webhooks (issue #11), and one name is never filed under the other id', async () => {
  const r = await fetch(['--gateway', url, '--webhook', 'Orders', '--webhook-id', 'wh-0001', '--quiet']);
  assert.equal(r.code, 0, r.err);
  const entries = JSON.parse(readFileSync(join(dir, 'dlq.json'), 'utf8')) as { webhook_id: string; webhook_name?: string }[];
  const byId = (id: string) => entries.filter((e) => e.webhook_id === id);
  assert.equal(byId('wh-0001').length, 5);
  assert.equal(byId('wh-0002').length, 5);
  assert.ok(byId('wh-0001').every((e) => e.webhook_name !== 'Orders'), 'Orders is never written on wh-0001');
  assert.ok(byId('wh-0002').every((e) => e.webhook_name === 'Orders'));
});

test("--environment '' is exit 2, not the default region", async () => {
  const r = await fetch(['--environment', '', '--webhook', 'Orders']);
  assert.equal(r.code, 2);
  assert.equal(r.err, 'dlq: --environment: empty (e.g. mypurecloud.com, mypurecloud.ie)\n');
});

test('a host that does not resolve: exit 5 at once, not retried, the line names the host', async () => {
  const r = await fetch(['--gateway', 'http://gateway.invalid:8080', '--webhook', 'Orders']);
  assert.equal(r.code, 5);
  assert.equal(r.err, 'dlq: login: network: cannot reach http://gateway.invalid:8080: host not found (ENOTFOUND)\n');
  assert.doesNotMatch(r.err, /retrying|gave up/);
});

test('https against a plain-http server: exit 5 at once with one readable TLS line naming the host, not retried', async () => {
  const https = url.replace('http://', 'https://');
  const r = await fetch(['--gateway', https, '--webhook', 'Orders']);
  assert.equal(r.code, 5);
  assert.equal(
    r.err,
    `dlq: login: network: cannot reach ${https}: TLS handshake failed: wrong version number (does the server speak plain http?) (EPROTO)\n`,
  );
});

test('a refused connection is still retried (a restarting gateway), and its line names the host too', async () => {
  const io = captureIo({ env, cwd: dir });
  await assert.rejects(
    fetchCommand({ gateway: 'http://127.0.0.1:9', webhook: 'Orders', file: join(dir, 'dlq.json') }, io, {
      retryPolicy: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 10, randomize: false },
    }),
    (e: unknown) =>
      (e as Error).message === 'login: network: cannot reach http://127.0.0.1:9: connection refused (ECONNREFUSED) (gave up after 3 attempts)',
  );
});

test('login answers 200 with an HTML page: exit 3 naming the content type, nothing else requested', async () => {
  server.injectFault({ route: 'token', kind: 'html' });
  const r = await fetch(['--gateway', url, '--webhook', 'Orders']);
  assert.equal(r.code, 3);
  assert.equal(r.err, 'dlq: login answered 200 but no access_token (text/html)\n');
  assert.equal(requests(), 1);
});

test('--webhook-id nope: one error line, no "partial harvest 0" summary, no "saved the 0" line', async () => {
  const r = await fetch(['--gateway', url, '--webhook-id', 'nope']);
  assert.equal(r.code, 4, r.err);
  assert.equal(r.out, '');
  assert.equal(r.err.split('\n').length, 2, r.err);
  assert.match(r.err, /^dlq: /);
  assert.doesNotMatch(r.err, /saved the 0/);
});

test('SIGTERM while login hangs: exit 143 at once, no retry line after the stop message', async () => {
  server.injectFault({ route: 'token', kind: 'delay', delayMs: 4000 });
  const signals = new EventEmitter();
  const io = captureIo({ env, cwd: dir });
  const running = fetchCommand({ gateway: url, webhook: 'Orders', file: join(dir, 'dlq.json') }, io, { signals });
  while (server.stats.requests.token < 1) await sleep(10);
  const stoppedAt = performance.now();
  signals.emit('SIGTERM');
  assert.equal(await running, 143);
  // Well under the 4 s the login hangs here (and the 27 s of retries it used to take).
  assert.ok(performance.now() - stoppedAt < 2000, `took ${Math.round(performance.now() - stoppedAt)} ms`);
  const afterStop = io.err().slice(io.err().indexOf('SIGTERM: stopping'));
  assert.doesNotMatch(afterStop, /retrying/);
  rmSync(dir, { recursive: true, force: true });
});

test('--max-items: the counters add up (what was received beyond the cap is counted, not silently dropped)', async () => {
  const json = await fetch(['--gateway', url, '--webhook', 'Busy', '--max-items', '250', '--json', '--quiet']);
  assert.equal(json.code, 0, json.err);
  const s = JSON.parse(json.out) as Record<string, number>;
  // Two pages of 200 arrive; the 250 newest are kept.
  assert.deepEqual([s['fetched'], s['new'], s['updated'], s['duplicates'], s['pruned'], s['overMaxItems']], [400, 250, 0, 0, 0, 150]);
  assert.equal(s['fetched'], s['new']! + s['updated']! + s['duplicates']! + s['pruned']! + s['overMaxItems']!);
  const text = await fetch(['--gateway', url, '--webhook', 'Busy', '--max-items', '250', '--quiet']);
  assert.match(text.out, /^fetched 400 failed deliveries of 'Busy' \(wh-0003\): 0 new, 250 updated, 0 duplicates, 150 over --max-items; /);
});

test('--file a dangling symlink whose directory is missing: exit 6 before any request, the link left as it is', async () => {
  const link = join(dir, 'dangling.json');
  symlinkSync(join(dir, 'missing-dir', 'dlq.json'), link);
  const io = captureIo({ env, cwd: dir });
  const code = await main(['node', 'dlq', 'fetch', '--file', link, '--gateway', url, '--webhook', 'Orders'], io);
  assert.equal(code, 6, io.err());
  assert.match(io.err(), /^dlq: .*dangling\.json: is a symlink to .*missing-dir\/dlq\.json, whose directory cannot be used: ENOENT/);
  assert.equal(requests(), 0, 'nothing harvested for a file that cannot take it');
  assert.ok(lstatSync(link).isSymbolicLink());
});
