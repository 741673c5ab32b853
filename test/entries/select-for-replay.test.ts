import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry, ReplayAttempt } from '../../src/dlq-entry.js';
import { UsageError } from '../../src/errors.js';
import { failedReplayRuns, selectForReplay } from '../../src/entries/select-for-replay.js';

const attempt = (status: number | null, run?: string): ReplayAttempt => ({
  at: '2026-01-01T00:00:00.000Z',
  target: 'http://x/h',
  http_status: status,
  error: status === null ? 'connection refused (ECONNREFUSED)' : null,
  duration_ms: 3,
  ...(run ? { run_id: run } : {}),
});

const entries: DlqEntry[] = [
  { delivery_id: 'aaa111', status_code: 503, request_body: '{}' },
  { delivery_id: 'aaa222', status_code: 500, request_body: '{}', replay_status: 'failed', replays: [attempt(500, 'r1')] },
  { delivery_id: 'bbb333', status_code: 404, request_body: '{}', replay_status: 'succeeded', replays: [attempt(200, 'r1')] },
  {
    delivery_id: 'ccc444',
    status_code: 503,
    request_body: '{}',
    replay_status: 'failed',
    replays: [attempt(503, 'r1'), attempt(503, 'r1'), attempt(null, 'r2'), attempt(500, 'r3')],
  },
];
const all = () => true;
const ids = (list: DlqEntry[]) => list.map((e) => e.delivery_id);

test('default: everything not yet succeeded; succeeded entries are counted as skipped', () => {
  const s = selectForReplay(entries, { ids: [], filter: all, force: false, maxReplays: undefined });
  assert.deepEqual(ids(s.toSend), ['aaa111', 'aaa222', 'ccc444']);
  assert.deepEqual(ids(s.skippedSucceeded), ['bbb333']);
});

test('--force includes succeeded entries', () => {
  const s = selectForReplay(entries, { ids: [], filter: all, force: true, maxReplays: undefined });
  assert.deepEqual(ids(s.toSend), ['aaa111', 'aaa222', 'bbb333', 'ccc444']);
});

test('ids and unique prefixes pick entries (sent in --order, not argument order); filters narrow them', () => {
  const s = selectForReplay(entries, { ids: ['ccc', 'aaa111'], filter: all, force: false, maxReplays: undefined });
  assert.deepEqual(ids(s.toSend), ['aaa111', 'ccc444']);
  const narrowed = selectForReplay(entries, {
    ids: ['ccc', 'aaa111'],
    filter: (e) => e.status_code === 503 && e.delivery_id !== 'aaa111',
    force: false,
    maxReplays: undefined,
  });
  assert.deepEqual(ids(narrowed.toSend), ['ccc444']);
  assert.throws(() => selectForReplay(entries, { ids: ['aaa'], filter: all, force: false, maxReplays: undefined }), UsageError);
  assert.throws(() => selectForReplay(entries, { ids: ['zzz'], filter: all, force: false, maxReplays: undefined }), UsageError);
});

test('failed replays are counted per run, not per try; tries without run_id count alone', () => {
  assert.equal(failedReplayRuns(entries[0] as DlqEntry), 0);
  assert.equal(failedReplayRuns(entries[2] as DlqEntry), 0);
  assert.equal(failedReplayRuns(entries[3] as DlqEntry), 3);
  // A run that ended in success does not count, even after failed tries.
  assert.equal(failedReplayRuns({ delivery_id: 'x', replays: [attempt(503, 'r'), attempt(200, 'r')] }), 0);
  assert.equal(failedReplayRuns({ delivery_id: 'x', replays: [attempt(503), attempt(503)] }), 2);
});

test('--max-replays skips entries that already failed that many runs', () => {
  const s = selectForReplay(entries, { ids: [], filter: all, force: false, maxReplays: 1 });
  assert.deepEqual(ids(s.toSend), ['aaa111']);
  assert.deepEqual(ids(s.skippedMaxReplays), ['aaa222', 'ccc444']);
  const s3 = selectForReplay(entries, { ids: [], filter: all, force: false, maxReplays: 3 });
  assert.deepEqual(ids(s3.toSend), ['aaa111', 'aaa222']);
  assert.deepEqual(ids(s3.skippedMaxReplays), ['ccc444']);
});

const at = (id: string, timestamp?: string): DlqEntry => ({ delivery_id: id, request_body: '{}', ...(timestamp ? { timestamp } : {}) });
const timed = [
  at('n2', '2026-03-02T00:00:00Z'),
  at('none-b'),
  at('o1', '2026-03-01T00:00:00+01:00'), // 2026-02-28T23:00Z: the oldest, although it sorts later as text
  at('tie-b', '2026-03-01T12:00:00Z'),
  at('bad', 'not a time'),
  at('tie-a', '2026-03-01T12:00:00.000Z'),
  at('none-a'),
];

test('--order oldest (the default): by timestamp, ties by delivery_id, no timestamp last', () => {
  const s = selectForReplay(timed, { ids: [], filter: all, force: false, maxReplays: undefined });
  assert.deepEqual(ids(s.toSend), ['o1', 'tie-a', 'tie-b', 'n2', 'bad', 'none-a', 'none-b']);
  assert.equal(s.beyondLimit, 0);
});

test('--order newest: newest first, ties still by delivery_id, no timestamp still last', () => {
  const s = selectForReplay(timed, { ids: [], filter: all, force: false, maxReplays: undefined, order: 'newest' });
  assert.deepEqual(ids(s.toSend), ['n2', 'tie-a', 'tie-b', 'o1', 'bad', 'none-a', 'none-b']);
});

test('--limit keeps the first n of the chosen order, after the skips; the rest is counted', () => {
  const done = { ...at('o0', '2026-01-01T00:00:00Z'), replay_status: 'succeeded' as const };
  const s = selectForReplay([...timed, done], { ids: [], filter: all, force: false, maxReplays: undefined, limit: 2 });
  assert.deepEqual(ids(s.toSend), ['o1', 'tie-a']);
  assert.equal(s.beyondLimit, 5);
  assert.deepEqual(ids(s.skippedSucceeded), ['o0']);
  const newest = selectForReplay(timed, { ids: [], filter: all, force: false, maxReplays: undefined, order: 'newest', limit: 1 });
  assert.deepEqual(ids(newest.toSend), ['n2']);
});

test('with routes, entries without one are skipped as no route (after the other skips)', () => {
  const s = selectForReplay(entries, { ids: [], filter: all, force: false, maxReplays: undefined, hasRoute: (e) => e.status_code === 503 });
  assert.deepEqual(ids(s.toSend), ['aaa111', 'ccc444']);
  assert.deepEqual(ids(s.skippedNoRoute), ['aaa222']);
  assert.deepEqual(ids(s.skippedSucceeded), ['bbb333']);
});

test('resolved entries are never sent, --force included, unless named by id together with --force', () => {
  const withResolved: DlqEntry[] = [
    ...entries,
    { delivery_id: 'ddd555', status_code: 503, request_body: '{}', replay_status: 'resolved', replays: [attempt(500, 'r1')] },
  ];
  for (const force of [false, true]) {
    const s = selectForReplay(withResolved, { ids: [], filter: all, force, maxReplays: undefined });
    assert.ok(!ids(s.toSend).includes('ddd555'), `force=${force}`);
    assert.deepEqual(ids(s.skippedResolved), ['ddd555']);
  }
  const named = selectForReplay(withResolved, { ids: ['ddd555'], filter: all, force: false, maxReplays: undefined });
  assert.deepEqual(ids(named.toSend), []);
  assert.deepEqual(ids(named.skippedResolved), ['ddd555']);
  const namedForced = selectForReplay(withResolved, { ids: ['ddd5', 'aaa111'], filter: all, force: true, maxReplays: undefined });
  // Sent in --order (here: no timestamps, so by id), not in argument order.
  assert.deepEqual(ids(namedForced.toSend), ['aaa111', 'ddd555']);
  assert.deepEqual(namedForced.skippedResolved, []);
});
