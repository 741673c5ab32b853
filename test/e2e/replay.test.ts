/**
 * `dlq replay` as a real process: what survives SIGKILL and SIGTERM, and the exit codes a CI job sees.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, afterEach, before, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { replayStatusOf } from '../../src/dlq-entry.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';
import { BIN, runBin } from '../support/run-bin.js';
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
  receiver.setResponder(() => ({ status: 200 }));
  receiver.requests.length = 0;
  for (const t of temps.splice(0)) await t.remove();
});

function spawnReplay(args: string[], cwd: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> } {
  const child = spawn(process.execPath, [BIN, 'replay', ...args], {
    cwd,
    env: { PATH: process.env['PATH'], TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr?.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  return { child, done };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a SIGKILLed replay, re-run, does not resend what was saved as succeeded', async () => {
  const t = await tempDlq(Array.from({ length: 8 }, (_, i) => entry(`k-${i}`)));
  temps.push(t);
  receiver.setResponder((req) => (req.index < 3 ? { status: 200 } : { hang: true }));
  const { child, done } = spawnReplay(['--file', t.path, '--to', receiver.url, '--concurrency', '1', '--timeout', '60s'], t.dir);
  // Results are saved in batches while the run goes (every ~2 s), without waiting for the end.
  await until('3 successes saved', async () => (await t.read()).filter((e) => replayStatusOf(e) === 'succeeded').length === 3);
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  const firstRun = receiver.requests.map((r) => r.headers['x-dlq-delivery-id']);
  assert.deepEqual(firstRun, ['k-0', 'k-1', 'k-2', 'k-3']);

  receiver.requests.length = 0;
  receiver.setResponder(() => ({ status: 200 }));
  const rerun = await runBin(['replay', '--file', t.path, '--to', receiver.url, '--json'], { cwd: t.dir });
  assert.equal(rerun.code, ExitCode.ok, rerun.stderr);
  const resent = receiver.requests.map((r) => r.headers['x-dlq-delivery-id']).sort();
  assert.deepEqual(resent, ['k-3', 'k-4', 'k-5', 'k-6', 'k-7']);
  const summary = JSON.parse(rerun.stdout) as { total: number; succeeded: number; skipped: number };
  assert.deepEqual([summary.total, summary.succeeded, summary.skipped], [5, 5, 3]);
  assert.ok((await t.read()).every((e) => replayStatusOf(e) === 'succeeded'));
});

test('SIGTERM: in-flight requests stop, everything so far is saved at once, exit 143', async () => {
  const t = await tempDlq(Array.from({ length: 5 }, (_, i) => entry(`s-${i}`)));
  temps.push(t);
  receiver.setResponder((req) => (req.index < 2 ? { status: 200 } : { hang: true }));
  const { child, done } = spawnReplay(['--file', t.path, '--to', receiver.url, '--concurrency', '1', '--json'], t.dir);
  await until('the third request to hang', () => receiver.requests.length === 3);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143);
  const saved = await t.read();
  assert.deepEqual(saved.map((e) => replayStatusOf(e)), ['succeeded', 'succeeded', 'failed', 'pending', 'pending']);
  const summary = JSON.parse(result.stdout) as { interrupted: string; succeeded: number; failed: number };
  assert.deepEqual([summary.interrupted, summary.succeeded, summary.failed], ['SIGTERM', 2, 1]);
});

test('exit codes a CI job relies on: 0 all succeeded, 7 some failed, 2 no target', async () => {
  const t = await tempDlq([entry('c-1'), entry('c-2')]);
  temps.push(t);
  receiver.setResponder((req) => ({ status: req.headers['x-dlq-delivery-id'] === 'c-1' ? 410 : 200 }));
  const failed = await runBin(['replay', '--file', t.path, '--to', receiver.url, '--quiet'], { cwd: t.dir });
  assert.equal(failed.code, ExitCode.replayFailed);
  assert.equal(failed.stderr, '');
  assert.match(failed.stdout, /1 succeeded, 1 failed/);

  receiver.setResponder(() => ({ status: 200 }));
  const ok = await runBin(['replay', '--file', t.path, '--quiet'], { cwd: t.dir, env: { DLQ_REPLAY_URL: receiver.url } });
  assert.equal(ok.code, ExitCode.ok);
  assert.match(ok.stdout, /^replayed 1 of 1 .*1 succeeded, 0 failed, 1 skipped/);

  const usage = await runBin(['replay', '--file', t.path], { cwd: t.dir });
  assert.equal(usage.code, ExitCode.usage);
  assert.match(usage.stderr, /^dlq: --to: no replay target/);
});
