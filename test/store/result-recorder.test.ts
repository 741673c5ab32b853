import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DlqEntry, ReplayAttempt } from '../../src/dlq-entry.js';
import { applyAttempts, ResultRecorder } from '../../src/store/result-recorder.js';
import { serializeDlq } from '../../src/store/dlq-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-recorder-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const attempt = (status: number | null): ReplayAttempt => ({
  at: '2026-01-01T00:00:00.000Z',
  target: 'http://127.0.0.1/h',
  http_status: status,
  error: status === null ? 'timed out after 1s' : null,
  duration_ms: 5,
  run_id: 'run-1',
});

test('applyAttempts appends, sets replay_status from the newest try, keeps other fields', () => {
  const entries: DlqEntry[] = [
    { delivery_id: 'a', custom: { keep: true }, replays: [attempt(500)], replay_status: 'failed' },
    { delivery_id: 'b' },
    { delivery_id: 'c', replay_status: 'succeeded' },
  ];
  const changed = applyAttempts(
    entries,
    new Map([
      ['a', [attempt(503), attempt(200)]],
      ['c', [attempt(null)]],
      ['gone', [attempt(200)]],
    ]),
  );
  assert.ok(changed);
  assert.equal(changed.size, 2);
  const a = changed.get(entries[0] as DlqEntry) as DlqEntry;
  assert.deepEqual(a.custom, { keep: true });
  assert.deepEqual(a.replays?.map((r) => r.http_status), [500, 503, 200]);
  assert.equal(a.replay_status, 'succeeded');
  assert.equal((changed.get(entries[2] as DlqEntry) as DlqEntry).replay_status, 'failed');
  assert.equal(changed.has(entries[1] as DlqEntry), false);
  assert.equal(applyAttempts(entries, new Map([['gone', [attempt(200)]]])), undefined);
});

test('applyAttempts keeps resolved: a person closed it (perhaps while the run was sending); the tries are still recorded', () => {
  const entries: DlqEntry[] = [{ delivery_id: 'r', replay_status: 'resolved', resolved_at: '2026-01-02T00:00:00.000Z' }];
  const changed = applyAttempts(entries, new Map([['r', [attempt(200)]]]));
  const r = changed?.get(entries[0] as DlqEntry) as DlqEntry;
  assert.equal(r.replay_status, 'resolved');
  assert.equal(r.resolved_at, '2026-01-02T00:00:00.000Z');
  assert.deepEqual(r.replays?.map((a) => a.http_status), [200]);
});

test('flush applies onto a fresh read: changes made meanwhile by others survive', async () => {
  const path = join(dir, 'fresh.json');
  await writeFile(path, serializeDlq([{ delivery_id: 'a' }, { delivery_id: 'b' }]));
  const recorder = new ResultRecorder(path, { lockTimeoutMs: 1000 });
  recorder.record('a', attempt(200));
  recorder.record('b', attempt(404));
  // Another run harvested a new entry and removed 'b' while our requests were in flight.
  await writeFile(path, serializeDlq([{ delivery_id: 'a', last_seen_at: 'now' }, { delivery_id: 'new' }]));
  await recorder.flush();
  const saved = JSON.parse(await readFile(path, 'utf8')) as DlqEntry[];
  assert.deepEqual(saved.map((e) => e.delivery_id), ['a', 'new']);
  assert.equal(saved[0]?.last_seen_at, 'now');
  assert.equal(saved[0]?.replay_status, 'succeeded');
  assert.equal(saved[0]?.replays?.length, 1);
  assert.equal(recorder.pendingCount, 0);
});

test('an empty flush does not touch the file; repeated flushes append only new tries', async () => {
  const path = join(dir, 'twice.json');
  const original = serializeDlq([{ delivery_id: 'a' }]);
  await writeFile(path, original);
  const recorder = new ResultRecorder(path, {});
  await recorder.flush();
  assert.equal(await readFile(path, 'utf8'), original);
  recorder.record('a', attempt(503));
  await recorder.flush();
  recorder.record('a', attempt(200));
  await Promise.all([recorder.flush(), recorder.flush()]);
  const saved = JSON.parse(await readFile(path, 'utf8')) as DlqEntry[];
  assert.deepEqual(saved[0]?.replays?.map((r) => r.http_status), [503, 200]);
  assert.equal(recorder.savedAttempts, 2);
});

test('a failed flush keeps the batch for the next one', async () => {
  const path = join(dir, 'broken.json');
  await writeFile(path, 'not json');
  const recorder = new ResultRecorder(path, {});
  recorder.record('a', attempt(200));
  await assert.rejects(recorder.flush());
  recorder.record('a', attempt(201));
  assert.equal(recorder.pendingCount, 2);
  await writeFile(path, serializeDlq([{ delivery_id: 'a' }]));
  await recorder.flush();
  const saved = JSON.parse(await readFile(path, 'utf8')) as DlqEntry[];
  assert.deepEqual(saved[0]?.replays?.map((r) => r.http_status), [200, 201]);
});
