/**
 * The built binary end to end: `node bin/dlq.js fetch` against the local Genesys-compatible
 * server, checking stdout, stderr and the exit code as cron or a person would see them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { BIN, runBin } from '../support/run-bin.js';

const CLIENT_ID = 'e2e-client';
const SECRET = 'e2e-secret-never-printed';
const server = new FakeGenesys({
  clients: { [CLIENT_ID]: SECRET },
  integrations: [{ id: 'e2e-webhook-id', name: 'MyCriticalWebhook', failures: makeFailures(420, { seed: 11 }) }],
});
let url = '';
const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-fetch-'));
const env = () => ({ GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, GENESYS_GATEWAY: url });

before(async () => {
  url = (await server.start()).url;
});
after(() => server.stop());

test('dlq fetch harvests into ./dead_letter_queue.json: summary on stdout, log lines on stderr, exit 0', async () => {
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fetched 420 failed deliveries of 'MyCriticalWebhook' \(e2e-webhook-id\): 420 new/);
  assert.doesNotMatch(r.stderr, /\u001b\[/, 'no colours or spinner frames when stderr is a pipe');
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
  const entries = JSON.parse(readFileSync(join(dir, 'dead_letter_queue.json'), 'utf8')) as unknown[];
  assert.equal(entries.length, 420);
});

test('--json prints one object with the documented fields', async () => {
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--json', '--quiet'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const s = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(s).sort(), ['durationMs', 'duplicates', 'fetched', 'file', 'mode', 'new', 'overMaxItems', 'pages', 'pruned', 'rateLimitWaits', 'retries', 'source', 'updated', 'webhook', 'webhooks'].sort());
  assert.equal(s['source'], 'history');
  assert.equal(s['new'], 0);
  assert.equal(s['mode'], 'incremental', 'the first run was complete: this one stops at what it recorded');
  assert.equal(s['pages'], 1);
  assert.equal(s['updated'], 200);
});

test('a nightly run reads only what is new (mode incremental); --full reads every page again', async () => {
  server.addFailures('e2e-webhook-id', makeFailures(150, { seed: 12, startTime: new Date('2026-11-23T12:00:00Z') }));
  server.resetStats();
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--json', '--verbose'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(s['mode'], 'incremental');
  assert.equal(s['new'], 150);
  assert.ok(server.stats.requests.history <= 3, `history requests: ${server.stats.requests.history}`);
  assert.match(r.stderr, /incremental: stopping at the first page of deliveries recorded up to /);
  server.resetStats();
  const full = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--full'], { cwd: dir, env: env() });
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, /: 0 new, 570 updated, 0 duplicates; 3 pages \(full\), /);
  assert.equal(server.stats.requests.history, 3);
});

test('a wrong secret: exit 3, one line on stderr, the secret nowhere', async () => {
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--verbose'], {
    cwd: dir,
    env: { ...env(), GENESYS_CLIENT_SECRET: 'wrong-secret-value' },
  });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^dlq: login rejected: HTTP 401: client not found/m);
  assert.ok(!r.stderr.includes('wrong-secret-value') && !r.stdout.includes('wrong-secret-value'));
});

test('a corrupt DLQ file: exit 6, file byte-for-byte untouched', async () => {
  const file = join(dir, 'corrupt.json');
  writeFileSync(file, '[{"delivery_id":"x"},');
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--file', file], { cwd: dir, env: env() });
  assert.equal(r.code, 6);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), '[{"delivery_id":"x"},');
});

test('usage errors: exit 2 with one line', async () => {
  const r = await runBin(['fetch', '--bogus'], { cwd: dir, env: env() });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const missing = await runBin(['fetch'], { cwd: dir, env: { GENESYS_GATEWAY: url } });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing configuration: GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, the webhook/);
});

test('--help (with examples) and --version', async () => {
  const help = await runBin(['fetch', '--help'], { cwd: dir });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:/);
  assert.match(help.stdout, /--webhook-id <id>/);
  const top = await runBin(['--help'], { cwd: dir });
  assert.equal(top.code, 0);
  for (const cmd of ['fetch', 'list', 'inspect', 'replay']) assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
  const version = await runBin(['--version'], { cwd: dir });
  assert.equal(version.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('the installed command (shebang) reports a missing --env-file itself: exit 2, one line', () => {
  // Run as `dlq ...` would be (the executable file, not `node bin/dlq.js`): Node 20 must not
  // intercept the script's own --env-file argument (nodejs/node#54232).
  const r = spawnSync(BIN, ['fetch', '--env-file', 'no-such.env'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'dlq: --env-file no-such.env: no such file\n');
});

test('--log-format json: every stderr line is one JSON object {time, level, msg, …}; no secret, no spinner; errors and usage errors too', async () => {
  const parseLines = (stderr: string) =>
    stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const ok = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--verbose', '--log-format', 'json'], { cwd: dir, env: env() });
  assert.equal(ok.code, 0, ok.stderr);
  const lines = parseLines(ok.stderr);
  assert.ok(lines.length >= 2);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line).slice(0, 3), ['time', 'level', 'msg']);
    assert.ok(!Number.isNaN(Date.parse(line['time'] as string)));
    assert.ok(['debug', 'info', 'warn'].includes(line['level'] as string));
    assert.equal(line['command'], 'fetch');
  }
  assert.ok(lines.some((l) => l['level'] === 'debug'), '--verbose lines are level debug');
  assert.ok(!ok.stderr.includes(SECRET));
  assert.match(ok.stdout, /^fetched \d+ failed deliveries of 'MyCriticalWebhook'/, 'stdout is the usual summary line');

  const wrong = 'wrong-secret-in-json-logs';
  const refused = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--verbose'], {
    cwd: dir,
    env: { ...env(), GENESYS_CLIENT_SECRET: wrong, DLQ_LOG_FORMAT: 'json' },
  });
  assert.equal(refused.code, 3);
  const last = parseLines(refused.stderr).at(-1) as Record<string, unknown>;
  assert.equal(last['level'], 'error');
  assert.equal(last['exitCode'], 3);
  assert.equal(last['error'], 'AuthError');
  assert.ok(!refused.stderr.includes(wrong));

  const usage = await runBin(['fetch', '--bogus', '--log-format=json'], { cwd: dir, env: env() });
  assert.equal(usage.code, 2);
  assert.deepEqual(
    parseLines(usage.stderr).map((l) => [l['level'], l['exitCode']]),
    [['error', 2]],
  );
  const badFlag = await runBin(['list', '--log-format', 'xml'], { cwd: dir, env: env() });
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /^dlq: .*--log-format.*xml.*\n$/);
  const badEnv = await runBin(['list'], { cwd: dir, env: { ...env(), DLQ_LOG_FORMAT: 'xml' } });
  assert.equal(badEnv.code, 2);
  assert.equal(badEnv.stderr, "dlq: DLQ_LOG_FORMAT: 'xml' is not one of text, json\n");
});
