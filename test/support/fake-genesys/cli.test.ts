/** The runnable local server: its options, and the process itself on a random port. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, parseFakeGenesysArgs, parseRate } from './cli-options.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

test('parseRate reads <requests>/<window>', () => {
  assert.deepEqual(parseRate('50/10s'), { allowed: 50, windowMs: 10_000 });
  assert.deepEqual(parseRate('300/1m'), { allowed: 300, windowMs: 60_000 });
  assert.deepEqual(parseRate('5/60'), { allowed: 5, windowMs: 60_000 });
  for (const bad of ['50', '0/10s', 'x/10s', '50/soon', '50/0s']) assert.throws(() => parseRate(bad), /--rate/, bad);
});

test('parseFakeGenesysArgs builds the server options from the flags', () => {
  const c = parseFakeGenesysArgs(['--port', '8080', '--failures', '250', '--latency', '20', '--rate', '50/10s', '--webhook', 'MyCriticalWebhook', '--growth', '3', '--no-search']);
  assert.ok(c);
  assert.equal(c.port, 8080);
  assert.deepEqual(c.options.clients, { [DEFAULT_CLIENT_ID]: DEFAULT_CLIENT_SECRET });
  assert.equal(c.options.latencyMs, 20);
  assert.deepEqual(c.options.rateLimit, { allowed: 50, windowMs: 10_000 });
  assert.equal(c.options.searchAvailable, false);
  assert.deepEqual(c.options.pageGrowth, { integrationId: c.webhookId, perHistoryRequest: 3 });
  const [main, near] = c.options.integrations ?? [];
  assert.deepEqual([main?.name, main?.failures.length], ['MyCriticalWebhook', 250]);
  assert.ok(near && near.name !== main?.name && near.name.startsWith('MyCriticalWebhook'), 'a near-namesake exercises exact matching');

  const real = parseFakeGenesysArgs(['--no-history', '--events', '40']);
  assert.equal(real?.options.historyAvailable, false);
  assert.equal(real?.options.events?.length, 40);
  assert.deepEqual(real?.options.eventDefinitions?.map((d) => d.name), ['Data Action Failed', 'Architect Flow Error']);
  assert.throws(() => parseFakeGenesysArgs(['--events', '-1']), /--events/);

  const d = parseFakeGenesysArgs([]);
  assert.deepEqual([d?.port, d?.options.rateLimit, d?.options.latencyMs, d?.options.searchAvailable, d?.options.pageGrowth], [0, null, 0, true, null]);
  assert.equal(parseFakeGenesysArgs(['--help']), undefined);
  assert.throws(() => parseFakeGenesysArgs(['--port', '70000']), /--port/);
  assert.throws(() => parseFakeGenesysArgs(['--failures', 'many']), /--failures/);
  assert.throws(() => parseFakeGenesysArgs(['--bogus']), /bogus/);
});

test('the cli serves on the port it prints and stops cleanly on SIGINT', { timeout: 15_000 }, async () => {
  const child = spawn(process.execPath, [CLI, '--failures', '30', '--webhook', 'Hook A', '--client-id', 'cid', '--client-secret', 'csecret'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m && stderr.includes('Ctrl-C')) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  try {
    assert.match(stderr, /client id: +cid/);
    assert.match(stderr, /client secret: +csecret/);
    const tokenRes = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}` }, body: 'grant_type=client_credentials' });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const search = await fetch(`${url}/api/v2/integrations/webhooks/search`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` }, body: JSON.stringify({ name: 'Hook A', size: 10, page: 1 }) });
    const found = (await search.json()) as { entities: { id: string; name: string }[] };
    const hook = found.entities.find((e) => e.name === 'Hook A');
    assert.ok(hook);
    const history = await fetch(`${url}/api/v2/integrations/${hook.id}/history`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` }, body: JSON.stringify({ status: 'failed', size: 200, page: 1 }) });
    assert.equal(((await history.json()) as { total: number }).total, 30);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  }
  assert.match(stderr, /stopped after 1 logins, 2 API requests/);
});

test('the cli rejects a bad flag with one line and exit 2', { timeout: 15_000 }, async () => {
  const child = spawn(process.execPath, [CLI, '--rate', 'fast'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.match(stderr, /^fake-genesys: --rate: 'fast'/);
});
