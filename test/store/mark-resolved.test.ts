import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry, ReplayAttempt } from '../../src/dlq-entry.js';
import { markResolved } from '../../src/store/mark-resolved.js';

const attempt = (status: number | null): ReplayAttempt => ({ at: 't', target: 'http://x/h', http_status: status, error: null, duration_ms: 1 });
const AT = '2026-03-02T00:00:00.000Z';

test('resolve sets replay_status, resolved_at and the note; keeps unknown fields; already resolved entries are unchanged', () => {
  const all: DlqEntry[] = [
    { delivery_id: 'a', custom: [1, 2], replay_status: 'failed', replays: [attempt(500)] },
    { delivery_id: 'b', replay_status: 'resolved', resolved_at: 'earlier', resolved_note: 'first' },
    { delivery_id: 'c' },
  ];
  const out = markResolved(all, [all[0] as DlqEntry, all[1] as DlqEntry], { undo: false, at: AT, note: 'handled' });
  assert.deepEqual(out.changed, ['a']);
  assert.deepEqual(out.unchanged, ['b']);
  assert.deepEqual(out.entries?.[0], { delivery_id: 'a', custom: [1, 2], replay_status: 'resolved', replays: [attempt(500)], resolved_at: AT, resolved_note: 'handled' });
  assert.equal(out.entries?.[1], all[1]);
  assert.equal(out.entries?.[2], all[2]);
  // the input is never modified
  assert.equal(all[0]?.replay_status, 'failed');
});

test('without --note there is no resolved_note; nothing to change is null (no rewrite)', () => {
  const all: DlqEntry[] = [{ delivery_id: 'a' }];
  const out = markResolved(all, all, { undo: false, at: AT });
  assert.equal('resolved_note' in (out.entries?.[0] as DlqEntry), false);
  assert.equal(markResolved(out.entries as DlqEntry[], out.entries as DlqEntry[], { undo: false, at: AT }).entries, null);
});

test('undo goes back to what the replay history says and drops resolved_at / resolved_note', () => {
  const resolved = { replay_status: 'resolved' as const, resolved_at: AT, resolved_note: 'x' };
  const all: DlqEntry[] = [
    { delivery_id: 'never', ...resolved },
    { delivery_id: 'ok', ...resolved, replays: [attempt(500), attempt(204)] },
    { delivery_id: 'bad', ...resolved, replays: [attempt(200), attempt(null)] },
    { delivery_id: 'open', replay_status: 'failed', replays: [attempt(500)] },
  ];
  const out = markResolved(all, all, { undo: true, at: AT });
  assert.deepEqual(out.changed, ['never', 'ok', 'bad']);
  assert.deepEqual(out.unchanged, ['open']);
  assert.deepEqual(out.entries?.map((e) => e.replay_status), ['pending', 'succeeded', 'failed', 'failed']);
  assert.ok(out.entries?.every((e) => !('resolved_at' in e) && !('resolved_note' in e)));
});
