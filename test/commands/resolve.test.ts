import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { resolveCommand, type ResolveOptions } from '../../src/commands/resolve.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { captureIo } from '../support/capture-io.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';

const temps: TempDlq[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await t.remove();
});
async function dlq(entries: DlqEntry[]): Promise<TempDlq> {
  const t = await tempDlq(entries);
  temps.push(t);
  return t;
}
const NOW = new Date('2026-03-05T12:00:00.000Z');
async function resolve(t: TempDlq, options: Partial<ResolveOptions>) {
  const io = captureIo({ now: NOW });
  const code = await resolveCommand({ file: t.path, ...options }, io);
  return { code, out: io.out(), err: io.err() };
}

test('by id (prefix): resolved with time and note, the rest untouched; --json summary', async () => {
  const t = await dlq([entry('aaa-1'), entry('bbb-2', { custom: 'kept' })]);
  const { code, out } = await resolve(t, { ids: ['bbb'], note: 'handled by hand', json: true });
  assert.equal(code, ExitCode.ok);
  assert.deepEqual(JSON.parse(out), { action: 'resolve', changed: 1, unchanged: 0, ids: ['bbb-2'], file: t.path });
  const [a, b] = await t.read();
  assert.deepEqual(a, entry('aaa-1'));
  assert.deepEqual(b, { ...entry('bbb-2', { custom: 'kept' }), replay_status: 'resolved', resolved_at: NOW.toISOString(), resolved_note: 'handled by hand' });
});

test('by filters; --undo reopens to what the history says', async () => {
  const t = await dlq([
    entry('a', { status_code: 404 }),
    entry('b', { status_code: 503 }),
    entry('c', { status_code: 404, replay_status: 'failed', replays: [{ at: 'x', target: 'y', http_status: 500, error: null, duration_ms: 1 }] }),
  ]);
  const r = await resolve(t, { statusCode: '4xx' });
  assert.equal(r.out, 'resolved 2 dead letters\n');
  assert.deepEqual((await t.read()).map((e) => e.replay_status), ['resolved', 'pending', 'resolved']);
  const again = await resolve(t, { statusCode: '4xx' });
  assert.equal(again.out, 'resolved 0 dead letters (2 already resolved)\n');
  const undo = await resolve(t, { ids: ['a', 'c'], undo: true });
  assert.equal(undo.out, 'reopened 2 dead letters\n');
  assert.deepEqual((await t.read()).map((e) => e.replay_status), ['pending', 'pending', 'failed']);
  assert.ok((await t.read()).every((e) => e.resolved_at === undefined));
});

test('bad input is exit 2 and leaves the file byte-for-byte as it was', async () => {
  const t = await dlq([entry('a'), entry('b')]);
  const before = await t.text();
  for (const options of [{}, { ids: ['zzz'] }, { ids: ['a'], undo: true, note: 'x' }, { statusCode: '99x' }, { replayStatus: 'done' }]) {
    await assert.rejects(resolve(t, options), UsageError, JSON.stringify(options));
  }
  assert.equal(await t.text(), before);
});

test('--source events selects the operational-event entries (and alone counts as a filter)', async () => {
  const event = entry('ev-1', { request_body: null, source: 'operational-event' });
  const t = await dlq([entry('h-1'), event]);
  const { code, out } = await resolve(t, { source: 'events', json: true });
  assert.equal(code, ExitCode.ok);
  assert.deepEqual((JSON.parse(out) as { ids: string[] }).ids, ['ev-1']);
  const [h, ev] = await t.read();
  assert.deepEqual(h, entry('h-1'));
  assert.equal(ev?.replay_status, 'resolved');
});
