/**
 * `dlq replay` as a real process: what survives SIGKILL and SIGTERM, and the exit codes a CI job sees.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { replayStatusOf } from '../../src/dlq-entry.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
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

test("issue #9's three entries: ok-1 and ok-2 succeed, evt-東京-1 gets a failed try with its reason, exit 7; a rerun resends no success", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dlq-e2e-replay-'));
  try {
    const file = join(dir, 'x.json');
    await writeFile(
      file,
      '[{"delivery_id":"ok-1","request_body":"{}"},{"delivery_id":"evt-東京-1","request_body":"{}"},{"delivery_id":"ok-2","request_body":"{}"}]',
    );
    const first = await runBin(['replay', '--file', file, '--to', receiver.url], { cwd: dir });
    assert.equal(first.code, ExitCode.replayFailed, first.stderr);
    assert.ok(!first.stderr.includes('unexpected error'), first.stderr);
    assert.match(first.stderr, /failed evt-東京-1: the delivery id cannot be sent as an HTTP header value/);
    assert.deepEqual(receiver.requests.map((r) => r.headers['x-dlq-delivery-id']).sort(), ['ok-1', 'ok-2']);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { delivery_id: string; replay_status: string; replays: unknown[] }[];
    assert.deepEqual(
      saved.map((e) => [e.delivery_id, e.replay_status, e.replays.length]),
      [
        ['ok-1', 'succeeded', 1],
        ['evt-東京-1', 'failed', 1],
        ['ok-2', 'succeeded', 1],
      ],
    );
    const rerun = await runBin(['replay', '--file', file, '--to', receiver.url], { cwd: dir });
    assert.equal(rerun.code, ExitCode.replayFailed);
    assert.equal(receiver.requests.length, 2, 'nothing more was sent');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A real small tmpfs, or undefined when this machine does not let us mount one (not root, a container). */
function mountTmpfs(): string | undefined {
  const mountPoint = mkdtempSync(join(tmpdir(), 'dlq-e2e-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return mountPoint;
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(mountPoint: string): void {
  execFileSync('umount', [mountPoint], { stdio: 'ignore' });
  rmSync(mountPoint, { recursive: true, force: true });
}

test('a real full disk, then a real read-only directory: replay sends nothing and exits 6', async (t) => {
  const mountPoint = mountTmpfs();
  if (!mountPoint) return t.skip('cannot mount a tmpfs here; test/commands/replay-save-failure covers this with an injected file system');
  try {
    const file = join(mountPoint, 'dlq.json');
    writeFileSync(file, serializeDlq(Array.from({ length: 20 }, (_, i) => entry(`disk-${i}`))));
    const before = readFileSync(file);
    // Fill the disk completely.
    try {
      writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: full, as intended
    }
    const full = await runBin(['replay', '--file', file, '--to', receiver.url, '--json'], { cwd: mountPoint });
    assert.equal(full.code, ExitCode.dlqFile, full.stderr);
    assert.match(full.stderr, /^dlq: .*no space left on (the )?device/);
    assert.equal(JSON.parse(full.stdout).error, full.stderr.slice('dlq: '.length).trimEnd());
    assert.equal(receiver.requests.length, 0);
    assert.ok(readFileSync(file).equals(before));

    rmSync(join(mountPoint, 'filler'));
    execFileSync('mount', ['-o', 'remount,ro', mountPoint], { stdio: 'ignore' });
    const readOnly = await runBin(['replay', '--file', file, '--to', receiver.url], { cwd: mountPoint });
    assert.equal(readOnly.code, ExitCode.dlqFile, readOnly.stderr);
    assert.match(readOnly.stderr, /^dlq: .*(read-only|EROFS)/);
    assert.equal(receiver.requests.length, 0);
    assert.ok(readFileSync(file).equals(before));
  } finally {
    unmount(mountPoint);
  }
});
