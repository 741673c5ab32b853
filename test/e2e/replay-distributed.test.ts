/**
 * Distributed replay on a real PostgreSQL store (issue #15): several `dlq replay` processes share
 * one selection, each delivery is sent once, and a killed process's entries are taken over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { openStore } from '../../src/store/open-store.js';
import { entry } from '../replay/helpers.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres-server.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { BIN } from '../support/run-bin.js';

const skip = postgresSkipReason();
let db: TestDatabase;
let receiver: Receiver;
let dir: string;
before(async () => {
  if (skip) return;
  db = await createTestDatabase();
  receiver = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), 'dlq-distributed-'));
});
after(async () => {
  try {
    await receiver?.close();
  } finally {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

async function seed(url: string, entries: DlqEntry[]): Promise<void> {
  const store = await openStore({ store: url }, {}, dir);
  try {
    await store.putEntries(entries, {});
  } finally {
    await store.close();
  }
}

async function readBack(url: string): Promise<DlqEntry[]> {
  const store = await openStore({ store: url }, {}, dir);
  try {
    return (await store.readAll()).entries;
  } finally {
    await store.close();
  }
}

function replay(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'replay', ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'], TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

test('three replay processes started together deliver each of 900 entries exactly once, all exit 0', { skip }, async () => {
  const url = await db.another();
  await seed(url, Array.from({ length: 900 }, (_, i) => entry(`d-${String(i).padStart(4, '0')}`)));
  receiver.requests.length = 0;
  receiver.setResponder(() => ({ status: 200, delayMs: 2 }));
  const runs = [0, 1, 2].map(() => replay(['--store', url, '--to', receiver.url, '--concurrency', '4', '--json']));
  const outcomes = await Promise.all(runs.map((r) => r.done));
  for (const o of outcomes) assert.equal(o.code, 0, o.stderr);

  const sent = receiver.requests.map((r) => String(r.headers['idempotency-key']));
  assert.equal(sent.length, 900, 'one request per entry');
  assert.equal(new Set(sent).size, 900, 'no entry sent twice');
  const summaries = outcomes.map((o) => JSON.parse(o.stdout) as { total: number; succeeded: number; handledByOthers?: number });
  assert.equal(summaries.reduce((n, s) => n + s.succeeded, 0), 900);
  for (const s of summaries) assert.equal(s.succeeded + (s.handledByOthers ?? 0), s.total);
  assert.ok(summaries.filter((s) => s.succeeded > 0).length >= 2, 'the work was shared');

  const stored = await readBack(url);
  assert.equal(stored.filter((e) => e.replay_status === 'succeeded' && e.replays?.length === 1).length, 900);
});

test('a replay killed with -9 loses its claims when its lease expires; another run takes them over', { skip }, async () => {
  const url = await db.another();
  await seed(url, Array.from({ length: 20 }, (_, i) => entry(`k-${String(i).padStart(2, '0')}`)));
  receiver.requests.length = 0;
  // The first process's requests hang: it holds its claims until it is killed.
  receiver.setResponder(() => ({ hang: true }));
  const first = replay(['--store', url, '--to', receiver.url, '--concurrency', '2', '--lease', '1s', '--timeout', '60s']);
  const deadline = Date.now() + 20_000;
  while (receiver.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(receiver.requests.length, 2, 'the first run is sending');
  const inFlight = receiver.requests.map((r) => String(r.headers['idempotency-key']));
  first.child.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');

  receiver.setResponder(() => ({ status: 200 }));
  const started = Date.now();
  const second = await replay(['--store', url, '--to', receiver.url, '--concurrency', '4', '--json']).done;
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).succeeded, 20, 'every entry, the dead run\'s claims included');
  assert.ok(Date.now() - started < 15_000);
  // The resend window: what the dead run had in flight goes again, with the same Idempotency-Key.
  const resent = receiver.requests.slice(2).map((r) => String(r.headers['idempotency-key']));
  for (const id of inFlight) assert.ok(resent.includes(id), `${id} resent`);
  const stored = await readBack(url);
  assert.ok(stored.every((e) => e.replay_status === 'succeeded'));
});
