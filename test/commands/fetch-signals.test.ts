/**
 * Ctrl-C or a cron timeout during `dlq fetch`: stop paging, save what was harvested, exit
 * 130 (SIGINT) / 143 (SIGTERM); a second signal leaves at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchCommand } from '../../src/commands/fetch.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { BIN } from '../support/run-bin.js';

const failures = makeFailures(3000, { seed: 21 });
const server = new FakeGenesys({
  clients: { c: 's' },
  integrations: [{ id: 'w1', name: 'Slow', failures }],
  latencyMs: 150,
});
let url = '';
before(async () => {
  url = (await server.start()).url;
});
after(() => server.stop());

async function waitForPages(n: number): Promise<void> {
  while (server.stats.historyPages.length < n) await sleep(10);
}

test('SIGTERM mid-harvest: the pages already fetched are saved, exit 143', async () => {
  server.resetStats();
  const dir = mkdtempSync(join(tmpdir(), 'dlq-sig-'));
  const file = join(dir, 'dlq.json');
  const signals = new EventEmitter();
  const io = captureIo({ env: { GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's' }, cwd: dir });
  const running = fetchCommand({ webhook: 'Slow', gateway: url, file, concurrency: '1', json: true }, io, { signals });
  await waitForPages(3);
  signals.emit('SIGTERM');
  const code = await running;
  assert.equal(code, 143);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
  assert.ok(saved.length >= 400 && saved.length < 3000, `saved ${saved.length}`);
  const ids = new Set(failures.map((f) => f.id));
  for (const e of saved) assert.ok(ids.has(e.delivery_id));
  const summary = JSON.parse(io.out()) as { error: string; new: number };
  assert.equal(summary.error, 'interrupted by SIGTERM');
  assert.equal(summary.new, saved.length);
  assert.ok(server.stats.historyPages.length < 15, 'stopped paging');
  assert.equal(signals.listenerCount('SIGTERM'), 0, 'handlers removed');
});

test('a second signal leaves at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-sig-'));
  const signals = new EventEmitter();
  const exits: number[] = [];
  const io = captureIo({ env: { GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's' }, cwd: dir });
  server.resetStats();
  const running = fetchCommand({ webhook: 'Slow', gateway: url, file: join(dir, 'dlq.json'), concurrency: '1' }, io, {
    signals,
    forceExit: (c) => exits.push(c),
  });
  await waitForPages(1);
  signals.emit('SIGINT');
  signals.emit('SIGINT');
  assert.deepEqual(exits, [130]);
  assert.equal(await running, 130);
});

test('the built binary: SIGINT during the harvest exits 130 with a valid, partial file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-sig-'));
  const file = join(dir, 'dlq.json');
  server.resetStats();
  const child = spawn(process.execPath, [BIN, 'fetch', '--webhook', 'Slow', '--concurrency', '1', '--file', file], {
    env: { PATH: process.env['PATH'], GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's', GENESYS_GATEWAY: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  await waitForPages(2);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 130, stderr);
  assert.ok(existsSync(file));
  const saved = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
  assert.ok(saved.length > 0 && saved.length < 3000, `saved ${saved.length}`);
  assert.match(stderr, /SIGINT: stopping; saving what was harvested/);
});

test('SIGTERM during the second of three webhooks: the first saved whole, the second in part, the third not started; exit 143', async () => {
  const fast = makeFailures(50, { seed: 22, idPrefix: 'fst' });
  const later = makeFailures(10, { seed: 23, idPrefix: 'ltr' });
  const many = new FakeGenesys({
    clients: { c: 's' },
    integrations: [
      { id: 'w-fast', name: 'Fast', failures: fast },
      { id: 'w-slow', name: 'Slow', failures },
      { id: 'w-later', name: 'Later', failures: later },
    ],
    latencyMs: 100,
  });
  const manyUrl = (await many.start()).url;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dlq-sig-'));
    const file = join(dir, 'dlq.json');
    const signals = new EventEmitter();
    const io = captureIo({ env: { GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's' }, cwd: dir });
    const running = fetchCommand({ webhook: ['Fast', 'Slow', 'Later'], gateway: manyUrl, file, concurrency: '1', json: true }, io, { signals });
    while (many.stats.historyPages.length < 3) await sleep(10);
    signals.emit('SIGTERM');
    assert.equal(await running, 143);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
    const of = (id: string) => saved.filter((e) => e.webhook_id === id).length;
    assert.equal(of('w-fast'), 50);
    assert.ok(of('w-slow') >= 200 && of('w-slow') < 3000, `slow: ${of('w-slow')}`);
    assert.equal(of('w-later'), 0);
    const summary = JSON.parse(io.out()) as { error: string; webhooks: { name: string }[] };
    assert.equal(summary.error, 'interrupted by SIGTERM');
    assert.deepEqual(summary.webhooks.map((w) => w.name), ['Fast', 'Slow']);
    const marks = (JSON.parse(readFileSync(`${file}.state.json`, 'utf8')) as { watermarks: Record<string, unknown> }).watermarks;
    assert.deepEqual(Object.keys(marks), ['webhook:w-fast'], 'the interrupted harvest moved no watermark');
  } finally {
    await many.stop();
  }
});

test('the built binary: SIGTERM while login hangs ends the process at once with 143, no file written (issue #9)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-sig-'));
  const file = join(dir, 'dlq.json');
  server.resetStats();
  server.injectFault({ route: 'token', kind: 'delay', delayMs: 4000 });
  const child = spawn(process.execPath, [BIN, 'fetch', '--webhook', 'Slow', '--file', file], {
    env: { PATH: process.env['PATH'], GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's', GENESYS_GATEWAY: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  while (server.stats.requests.token < 1) await sleep(10);
  const killedAt = performance.now();
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // The process itself is gone well before the 4 s the login hangs: the request was cancelled,
  // not left to keep the event loop alive.
  assert.ok(performance.now() - killedAt < 2000, `took ${Math.round(performance.now() - killedAt)} ms`);
  assert.equal(code, 143, stderr);
  assert.ok(!existsSync(file));
  assert.doesNotMatch(stderr, /retrying/);
});
