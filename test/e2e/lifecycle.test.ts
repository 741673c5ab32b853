/**
 * The lifecycle commands (issue #14) as a user runs them: the built binary, real files, a local
 * receiver for replay.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { acquireFileLock } from '../../src/store/file-lock.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';
import { runBin } from '../support/run-bin.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

let receiver: Receiver;
const temps: TempDlq[] = [];
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
});
afterEach(async () => {
  receiver.requests.length = 0;
  for (const t of temps.splice(0)) await t.remove();
});

test('a resolved entry is not sent by the next replay (nor with --force); named by id with --force it is', async () => {
  const t = await tempDlq([entry('r-1'), entry('r-2'), entry('r-3')]);
  temps.push(t);
  const resolved = await runBin(['resolve', 'r-2', '--note', 'fixed by hand', '--file', t.path], { cwd: t.dir });
  assert.equal(resolved.code, ExitCode.ok, resolved.stderr);
  assert.equal(resolved.stdout, 'resolved 1 dead letter\n');

  const listed = await runBin(['list', '--replay-status', 'resolved', '--ids', '--file', t.path], { cwd: t.dir });
  assert.equal(listed.stdout, 'r-2\n');
  const grouped = await runBin(['list', '--group-by', 'replay_status', '--json', '--file', t.path], { cwd: t.dir });
  assert.deepEqual(JSON.parse(grouped.stdout), [
    { key: 'pending', count: 2 },
    { key: 'resolved', count: 1 },
  ]);

  for (const force of [[], ['--force']]) {
    receiver.requests.length = 0;
    const run = await runBin(['replay', '--to', receiver.url, '--json', ...force, '--file', t.path], { cwd: t.dir });
    assert.equal(run.code, ExitCode.ok, run.stderr);
    assert.ok(!receiver.requests.some((r) => r.headers['x-dlq-delivery-id'] === 'r-2'), `force: ${force.join(' ')}`);
  }
  const named = await runBin(['replay', 'r-2', '--to', receiver.url, '--file', t.path], { cwd: t.dir });
  assert.equal(named.stdout, 'nothing to replay (1 skipped)\n');
  assert.match(named.stderr, /skipping 1 resolved/);
  receiver.requests.length = 0;
  const forced = await runBin(['replay', 'r-2', '--force', '--to', receiver.url, '--file', t.path], { cwd: t.dir });
  assert.equal(forced.code, ExitCode.ok, forced.stderr);
  assert.deepEqual(receiver.requests.map((r) => r.headers['x-dlq-delivery-id']), ['r-2']);
  const r2 = (await t.read()).find((e) => e.delivery_id === 'r-2');
  assert.equal(r2?.replay_status, 'resolved');
  assert.equal(r2?.resolved_note, 'fixed by hand');

  const undo = await runBin(['resolve', '--undo', 'r-2', '--json', '--file', t.path], { cwd: t.dir });
  assert.equal(JSON.parse(undo.stdout).changed, 1);
  assert.equal((await t.read()).find((e) => e.delivery_id === 'r-2')?.replay_status, 'succeeded');
});

test('resolve without ids or filters is exit 2 with one line, the file untouched', async () => {
  const t = await tempDlq([entry('a')]);
  temps.push(t);
  const before = await t.text();
  const run = await runBin(['resolve', '--file', t.path], { cwd: t.dir });
  assert.equal(run.code, ExitCode.usage);
  assert.match(run.stderr, /^dlq: name delivery ids or give a filter .*\n$/);
  assert.equal(await t.text(), before);
});

test('after a replay where 110 of 120 succeed, prune --replay-status succeeded --archive keeps the 10 and archives the 110 byte-for-byte; --dry-run changes nothing', async () => {
  const t = await tempDlq(Array.from({ length: 120 }, (_, i) => entry(`p-${String(i).padStart(3, '0')}`, { status_code: i % 3 === 0 ? 500 : 503 })));
  temps.push(t);
  const failing = new Set(Array.from({ length: 10 }, (_, i) => `p-${String(i * 12).padStart(3, '0')}`));
  receiver.setResponder((req) => ({ status: failing.has(String(req.headers['x-dlq-delivery-id'])) ? 400 : 200 }));
  const replayed = await runBin(['replay', '--to', receiver.url, '--concurrency', '8', '--file', t.path], { cwd: t.dir });
  receiver.setResponder(() => ({ status: 200 }));
  assert.equal(replayed.code, ExitCode.replayFailed, replayed.stderr);

  const before = await t.text();
  // dlq's layout is one entry per line: these are the succeeded entries exactly as stored.
  const succeededLines = before.split('\n').slice(1, -2).map((l) => l.replace(/,$/, '')).filter((l) => l.includes('"replay_status":"succeeded"'));
  assert.equal(succeededLines.length, 110);

  const dry = await runBin(['prune', '--replay-status', 'succeeded', '--archive', 'a.ndjson', '--dry-run', '--file', t.path], { cwd: t.dir });
  assert.equal(dry.code, ExitCode.ok, dry.stderr);
  assert.match(dry.stdout, /^dry run: would prune 110 dead letters, 10 would remain .*nothing changed\n  by status code: 503 ×80, 500 ×30\n  by webhook: +Orders ×110\n$/);
  assert.equal(await t.text(), before, '--dry-run changed nothing');
  const dryJson = await runBin(['prune', '--replay-status', 'succeeded', '--dry-run', '--json', '--file', t.path], { cwd: t.dir });
  const summary = JSON.parse(dryJson.stdout) as Record<string, unknown>;
  assert.deepEqual([summary['dryRun'], summary['pruned'], summary['remaining']], [true, 110, 10]);
  assert.deepEqual(summary['byWebhook'], [{ webhook: 'Orders', count: 110 }]);
  assert.throws(() => readFileSync(join(t.dir, 'a.ndjson')), /ENOENT/);

  const pruned = await runBin(['prune', '--replay-status', 'succeeded', '--archive', 'a.ndjson', '--json', '--file', t.path], { cwd: t.dir });
  assert.equal(pruned.code, ExitCode.ok, pruned.stderr);
  assert.deepEqual((JSON.parse(pruned.stdout) as { pruned: number; remaining: number }).pruned, 110);
  const left = await t.read();
  assert.deepEqual(left.map((e) => e.delivery_id).sort(), [...failing].sort());
  assert.equal(readFileSync(join(t.dir, 'a.ndjson'), 'utf8'), `${succeededLines.join('\n')}\n`);
});

test('prune refuses to run without a filter or --all, and exits 2 / 6 / 75 leaving the DLQ file untouched', async () => {
  const t = await tempDlq([entry('a'), entry('b', { replay_status: 'succeeded' })]);
  temps.push(t);
  const before = await t.text();
  const run = (...args: string[]) => runBin(['prune', ...args, '--file', t.path], { cwd: t.dir });

  const none = await run();
  assert.equal(none.code, ExitCode.usage);
  assert.match(none.stderr, /^dlq: give a filter \(--older-than, .*\) or --all\n$/);
  for (const args of [['--older-than', 'soon'], ['--all', '--status-code', '5xx'], ['--replay-status', 'done'], ['--all', '--lock-timeout', 'x']]) {
    const bad = await run(...args);
    assert.equal(bad.code, ExitCode.usage, args.join(' '));
    assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
  }
  mkdirSync(join(t.dir, 'dir.ndjson'));
  const unusable = await run('--all', '--archive', 'dir.ndjson');
  assert.equal(unusable.code, ExitCode.dlqFile);
  assert.match(unusable.stderr, /^dlq: .*dir\.ndjson: .*\n$/);

  const lock = await acquireFileLock(t.path);
  try {
    const busy = await run('--all', '--lock-timeout', '300ms');
    assert.equal(busy.code, ExitCode.busy);
    assert.match(busy.stderr, /is busy: locked by pid/);
  } finally {
    await lock.release();
  }
  assert.equal(await t.text(), before);

  const all = await run('--all');
  assert.equal(all.code, ExitCode.ok, all.stderr);
  assert.equal(all.stdout.split('\n')[0], 'pruned 2 dead letters, 0 remain');
  assert.deepEqual(await t.read(), []);
});

test('--metrics-file on replay and prune: one file a real Prometheus parser accepts, with dlq_ samples; written on failure too', async () => {
  const t = await tempDlq([entry('m-1'), entry('m-2'), entry('m-3', { replay_status: 'succeeded' })]);
  temps.push(t);
  const metrics = join(t.dir, 'dlq.prom');
  receiver.setResponder((req) => ({ status: req.headers['x-dlq-delivery-id'] === 'm-2' ? 400 : 200 }));
  const replayed = await runBin(['replay', '--to', receiver.url, '--metrics-file', metrics, '--file', t.path], { cwd: t.dir });
  receiver.setResponder(() => ({ status: 200 }));
  assert.equal(replayed.code, ExitCode.replayFailed, replayed.stderr);
  let families = new Map(parsePrometheusTextFormat(readFileSync(metrics, 'utf8')).map((f) => [f.name, f]));
  const sample = (name: string, labels: Record<string, string>) =>
    families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
  assert.equal(sample('dlq_replay_deliveries', { outcome: 'succeeded' }), '1');
  assert.equal(sample('dlq_replay_deliveries', { outcome: 'failed' }), '1');
  assert.equal(sample('dlq_replay_deliveries', { outcome: 'skipped' }), '1');
  assert.ok(Number(sample('dlq_last_run_timestamp_seconds', { command: 'replay', outcome: 'error' })) > 1.7e9, 'exit 7 is outcome error');
  assert.equal(sample('dlq_entries', { webhook: 'Orders', replay_status: 'succeeded' }), '2');
  assert.equal(sample('dlq_entries', { webhook: 'Orders', replay_status: 'failed' }), '1');
  assert.equal(Number(sample('dlq_oldest_pending_timestamp_seconds', { webhook: 'Orders' })), Date.parse('2026-03-01T10:00:00.000Z') / 1000);

  const pruned = await runBin(['prune', '--replay-status', 'succeeded', '--metrics-file', metrics, '--file', t.path], { cwd: t.dir });
  assert.equal(pruned.code, ExitCode.ok, pruned.stderr);
  families = new Map(parsePrometheusTextFormat(readFileSync(metrics, 'utf8')).map((f) => [f.name, f]));
  assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'prune', outcome: 'success' }));
  assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'replay', outcome: 'error' }), 'carried over');
  assert.equal(sample('dlq_entries', { webhook: 'Orders', replay_status: 'succeeded' }), '0');
  assert.equal(sample('dlq_replay_deliveries', { outcome: 'failed' }), '1', 'carried over');

  // A failing run (the DLQ file is busy) still writes the file, with outcome error.
  const lock = await acquireFileLock(t.path);
  try {
    const busy = await runBin(['prune', '--all', '--lock-timeout', '200ms', '--metrics-file', metrics, '--file', t.path], { cwd: t.dir });
    assert.equal(busy.code, ExitCode.busy);
  } finally {
    await lock.release();
  }
  families = new Map(parsePrometheusTextFormat(readFileSync(metrics, 'utf8')).map((f) => [f.name, f]));
  assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'prune', outcome: 'error' }));
  assert.ok(sample('dlq_last_run_timestamp_seconds', { command: 'prune', outcome: 'success' }));
  assert.deepEqual(readdirSync(t.dir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left behind');

  const noDir = await runBin(['prune', '--all', '--metrics-file', join(t.dir, 'missing', 'x.prom'), '--file', t.path], { cwd: t.dir });
  assert.equal(noDir.code, ExitCode.usage);
  assert.match(noDir.stderr, /^dlq: --metrics-file: no directory .*missing\n$/);
});
