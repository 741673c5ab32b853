/**
 * The lifecycle commands (issue #14) as a user runs them: the built binary, real files, a local
 * receiver for replay.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
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
