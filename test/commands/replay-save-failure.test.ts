/**
 * Replay when its results cannot be saved (issue #9, item 2): it proves it can save before the
 * first POST, and when saving fails mid-run it stops starting deliveries, lets those in flight
 * finish, tries once more, and exits 6 naming every delivery that was sent but not recorded.
 * The file system is injected here (a full disk, a read-only directory); test/e2e/replay-full-disk
 * does the same on a real tmpfs when one can be mounted.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, afterEach, before, test } from 'node:test';
import { main } from '../../src/cli.js';
import { replayCommand, type ReplayOptions } from '../../src/commands/replay.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { ExitCode } from '../../src/errors.js';
import { nodeStoreFs, type StoreFileHandle, type StoreFs } from '../../src/store/store-fs.js';
import { captureIo } from '../support/capture-io.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';

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

async function dlq(entries: DlqEntry[]): Promise<TempDlq> {
  const t = await tempDlq(entries);
  temps.push(t);
  return t;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, open`), { code });
}

/** `<file>.<16 hex>.tmp`: the writer's temp files and the save probe, not the lock's. */
const isDataTemp = (path: string) => /\.[0-9a-f]{16}\.tmp$/.test(path) && !path.includes('.lock.');

/** A disk that fills up when `full` is set: writes to data temp files fail with ENOSPC. */
function switchableFs(): StoreFs & { full: boolean; readOnly: boolean; healAfterFailure: boolean } {
  const fs: StoreFs & { full: boolean; readOnly: boolean; healAfterFailure: boolean } = {
    ...nodeStoreFs,
    full: false,
    readOnly: false,
    healAfterFailure: false,
    async open(path, flags, mode) {
      if (fs.readOnly && flags !== 'r') throw errno('EROFS');
      const handle = await nodeStoreFs.open(path, flags, mode);
      if (!isDataTemp(path)) return handle;
      const wrapped: StoreFileHandle = {
        read: (...args) => handle.read(...args),
        stat: (opts) => handle.stat(opts),
        chmod: (m) => handle.chmod(m),
        chown: (u, g) => handle.chown(u, g),
        utimes: (a, m) => handle.utimes(a, m),
        close: () => handle.close(),
        sync: () => handle.sync(),
        async write(buffer, offset, length, position) {
          if (fs.full) {
            // Space comes back right after the first write it refused (no timer: a loaded
            // machine can delay timers past any window).
            if (fs.healAfterFailure) fs.full = false;
            throw errno('ENOSPC');
          }
          return handle.write(buffer, offset, length, position);
        },
      };
      return wrapped;
    },
  };
  return fs;
}

function replay(t: TempDlq, options: Partial<ReplayOptions>, storeFs: StoreFs, flushIntervalMs = 20) {
  const io = captureIo();
  const done = replayCommand({ file: t.path, to: receiver.url, ...options }, io, {
    signals: new EventEmitter() as never,
    retryPolicy: { baseDelayMs: 5, maxDelayMs: 20 },
    flushIntervalMs,
    storeFs,
  }).then(
    (code) => ({ code, error: undefined as unknown }),
    (error: unknown) => ({ code: undefined, error }),
  );
  return { io, done };
}

test('a read-only directory: nothing is sent, exit 6, the file is untouched, --json still prints an object', async () => {
  const t = await dlq(Array.from({ length: 5 }, (_, i) => entry(`ro-${i}`)));
  const before = await t.text();
  const fs = switchableFs();
  fs.readOnly = true;
  const { io, done } = replay(t, { json: true }, fs);
  const { error } = await done;
  assert.equal((error as { exitCode?: number }).exitCode, ExitCode.dlqFile);
  assert.match((error as Error).message, /read-only|EROFS/);
  assert.equal(receiver.requests.length, 0);
  assert.equal(await t.text(), before);
  const summary = JSON.parse(io.out()) as { total: number; results: unknown[]; error: string };
  assert.equal(summary.total, 5);
  assert.deepEqual(summary.results, []);
  assert.equal(summary.error, (error as Error).message);
});

test('a full disk before the run: the save probe fails, nothing is sent, exit 6', async () => {
  const t = await dlq([entry('full-1'), entry('full-2')]);
  const before = await t.text();
  const fs = switchableFs();
  fs.full = true;
  const { error } = await replay(t, {}, fs).done;
  assert.equal((error as { exitCode?: number }).exitCode, ExitCode.dlqFile);
  assert.match((error as Error).message, /cannot save results here \(a test file beside it failed: no space left on the device\)/);
  assert.equal(receiver.requests.length, 0);
  assert.equal(await t.text(), before);
});

test('the disk fills mid-run: no new deliveries, in-flight ones finish, one more try, exit 6 listing what was sent but not recorded', async () => {
  const ids = Array.from({ length: 12 }, (_, i) => `mid-${i}`);
  const t = await dlq(ids.map((id) => entry(id)));
  const fs = switchableFs();
  receiver.setResponder((req) => {
    // The disk fills while the third delivery is on the wire.
    if (req.index === 2) fs.full = true;
    return { status: 200, delayMs: 120 };
  });
  const { io, done } = replay(t, { json: true, concurrency: '2' }, fs);
  const { error } = await done;
  assert.equal((error as { exitCode?: number }).exitCode, ExitCode.dlqFile);
  const sent = receiver.requests.map((r) => String(r.headers['x-dlq-delivery-id']));
  assert.ok(sent.length >= 3 && sent.length <= 5, `stopped soon after the failure: sent ${sent.length}`);
  const saved = await t.read();
  const recorded = saved.filter((e) => (e.replays?.length ?? 0) > 0).map((e) => e.delivery_id);
  const summary = JSON.parse(io.out()) as { error: string; unrecorded: string[]; results: { delivery_id: string; status: string }[] };
  // Every delivery sent is either in the file or named as unrecorded; nothing else is.
  assert.deepEqual([...recorded, ...summary.unrecorded].sort(), [...sent].sort());
  assert.ok(summary.unrecorded.length >= 1);
  // In-flight deliveries finished with their real answer, not "interrupted".
  assert.deepEqual(new Set(summary.results.map((r) => r.status)), new Set(['succeeded']));
  assert.equal(summary.results.length, sent.length);
  assert.equal(summary.error, (error as Error).message);
  assert.match(summary.error, new RegExp(`stopped after ${sent.length} of 12 deliveries; sent but not recorded \\(${summary.unrecorded.length}\\): ${summary.unrecorded.join(', ')}$`));
  // Entries never sent are still pending, so the next run sends them.
  assert.ok(saved.filter((e) => !sent.includes(e.delivery_id)).every((e) => (e.replay_status ?? 'pending') === 'pending'));
  // Warned once, not every flush interval.
  assert.equal(io.err().match(/cannot save results/g)?.length, 1, io.err());
});

test('a save that fails mid-run but succeeds on the final try: everything is recorded, still exit 6 (the run stopped early)', async () => {
  const t = await dlq(Array.from({ length: 8 }, (_, i) => entry(`heal-${i}`)));
  const fs = switchableFs();
  fs.healAfterFailure = true;
  receiver.setResponder((req) => {
    if (req.index === 2) fs.full = true;
    // The delivery that filled the disk stays in flight long enough for a periodic save (every
    // 20 ms) to fail on the full disk; space comes back before the in-flight deliveries end.
    return { status: 200, delayMs: req.index === 2 ? 1000 : 120 };
  });
  const { io, done } = replay(t, { json: true, concurrency: '2' }, fs);
  const { error } = await done;
  assert.equal((error as { exitCode?: number }).exitCode, ExitCode.dlqFile);
  const summary = JSON.parse(io.out()) as { unrecorded: string[]; results: unknown[] };
  assert.deepEqual(summary.unrecorded, []);
  assert.match((error as Error).message, /stopped after \d of 8 deliveries; every result so far is saved$/);
  const sent = receiver.requests.length;
  assert.equal((await t.read()).filter((e) => e.replay_status === 'succeeded').length, sent);
});

test('exit 6 and 75 print a --json object with error from every command (list, inspect, replay, fetch)', async () => {
  const t = await dlq([entry('j-1')]);
  const missing = `${t.dir}/missing.json`;
  const cases: [string[], number][] = [
    [['list', '--file', missing, '--json'], ExitCode.dlqFile],
    [['inspect', 'j-1', '--file', missing, '--json'], ExitCode.dlqFile],
    [['replay', '--file', missing, '--to', receiver.url, '--json'], ExitCode.dlqFile],
    [['fetch', '--file', `${t.dir}/bad.json`, '--webhook', 'W', '--gateway', 'http://127.0.0.1:9', '--json'], ExitCode.dlqFile],
  ];
  writeFileSync(`${t.dir}/bad.json`, '{not json');
  const env = { GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' };
  for (const [args, expected] of cases) {
    const io = captureIo({ env });
    const code = await main(['node', 'dlq', ...args], io);
    assert.equal(code, expected, args.join(' '));
    const out = JSON.parse(io.out()) as { error: string; exitCode: number };
    assert.equal(out.exitCode, expected);
    assert.equal(`dlq: ${out.error}\n`, io.err(), args.join(' '));
  }
  // 75: the file is locked by a live process (this one) past --lock-timeout.
  writeFileSync(`${t.path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'x', since: new Date().toISOString() }));
  const io = captureIo();
  const code = await main(['node', 'dlq', 'replay', '--file', t.path, '--to', receiver.url, '--lock-timeout', '200ms', '--json'], io);
  assert.equal(code, ExitCode.busy);
  const out = JSON.parse(io.out()) as { error: string; total: number; results: unknown[] };
  assert.match(out.error, /is busy: locked by pid/);
  assert.equal(out.total, 1);
  assert.equal(receiver.requests.length, 0);
});
