/**
 * `dlq replay`'s selection run by the PostgreSQL store in SQL (replay-selection.ts) against the
 * file store's in-memory rules (entries/select-for-replay.ts): for the same data, --dry-run (text
 * and --json) and real runs print the same bytes, for every selection flag.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportError } from '../../../src/cli.js';
import { replayCommand, type ReplayOptions } from '../../../src/commands/replay.js';
import type { DlqEntry } from '../../../src/dlq-entry.js';
import { openStore } from '../../../src/store/open-store.js';
import { captureIo } from '../../support/capture-io.js';
import { makeDlqEntries } from '../../support/dlq-fixture.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../support/postgres-server.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const ORDERS = '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4';

/** Entries for each rule: resolved, no payload, tries of several runs, equal and missing times, raw (NUL) rows. */
function ruleEntries(): DlqEntry[] {
  const base = (id: string, extra: Record<string, unknown>): DlqEntry =>
    ({ delivery_id: id, timestamp: '2026-03-05T10:00:00.000Z', status_code: 503, request_body: `{"id":"${id}"}`, webhook_id: ORDERS, webhook_name: 'Orders', ...extra }) as DlqEntry;
  const tries = (runs: [string | undefined, number | null][]) =>
    runs.map(([run_id, http_status], i) => ({ at: `2026-03-06T00:00:0${i}Z`, target: 't', http_status, error: null, duration_ms: 1, ...(run_id ? { run_id } : {}) }));
  return [
    base('rule-resolved-1', { replay_status: 'resolved' }),
    base('rule-resolved-2', { replay_status: 'resolved', replays: tries([['r1', 500]]) }),
    base('rule-event-1', { source: 'operational-event', request_body: null, status_code: null }),
    base('rule-event-2', { source: 'operational-event', request_body: undefined }),
    base('rule-object-body', { request_body: { not: 'a string' } }),
    // Two failed runs (three tries), one failed run then a success, tries without run ids.
    base('rule-two-runs', { replay_status: 'failed', replays: tries([['r1', 500], ['r1', 502], ['r2', null]]) }),
    base('rule-recovered', { replay_status: 'failed', replays: tries([['r1', 500], ['r2', 200], ['r3', 503]]) }),
    base('rule-no-run-ids', { replay_status: 'failed', replays: tries([[undefined, 500], [undefined, 500]]) }),
    base('rule-done', { replay_status: 'succeeded', replays: tries([['r1', 200]]) }),
    // Same time: ties by delivery id; no time: last in both orders.
    base('rule-tie-b', { timestamp: '2026-03-04T00:00:00.000Z' }),
    base('rule-tie-a', { timestamp: '2026-03-04T00:00:00.000Z' }),
    base('rule-no-time-2', { timestamp: 'not a time' }),
    base('rule-no-time-1', { timestamp: undefined }),
    base('rule-string-code', { status_code: '502' }),
    // Seven-field entry: its webhook is named by other entries only.
    { delivery_id: 'rule-seven', timestamp: '2026-03-03T00:00:00Z', status_code: 500, status_message: 'x', request_body: '{}', response_body: '{}', webhook_id: ORDERS } as DlqEntry,
    // Raw rows (NUL): --grep reads their JSON.
    base('rule-nul-match', { request_body: 'needle\u0000here' }),
    base('rule-nul-other', { request_body: 'hay\u0000stack', response_body: 'x' }),
    base('rule-other-hook', { webhook_id: 'wh-other', webhook_name: 'Other', status_code: 404 }),
  ];
}

const FIXTURE = [...makeDlqEntries(300, { seed: 11, now: NOW }), ...ruleEntries()];

describe('replay selection: file and PostgreSQL alike', { skip: postgresSkipReason() }, () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  const stores = () => [`file:${join(dir, 'dlq.json')}`, db.url];

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'dlq-replay-selection-'));
    receiver = await startReceiver();
    writeFileSync(join(dir, 'orders-only.json'), JSON.stringify({ Orders: { to: 'http://127.0.0.1:9/orders' } }));
    writeFileSync(join(dir, 'routes.json'), JSON.stringify({ orders: { to: 'http://127.0.0.1:9/orders' }, 'wh-other': { to: 'http://127.0.0.1:9/other' }, '*': { to: 'http://127.0.0.1:9/rest' } }));
    for (const url of stores()) {
      const store = await openStore({ store: url }, {}, dir);
      try {
        await store.putEntries(FIXTURE, {});
      } finally {
        await store.close();
      }
    }
  });
  after(async () => {
    try {
      await receiver?.close();
    } finally {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const run = async (options: ReplayOptions) => {
    const io = captureIo({ cwd: dir, now: NOW });
    let code: number;
    try {
      code = await replayCommand(options, io);
    } catch (error) {
      code = reportError(error, io);
    }
    return { code, out: io.out(), err: io.err() };
  };

  const DRY_RUNS: ReplayOptions[] = [
    {},
    { json: true },
    { order: 'newest' },
    { limit: '7' },
    { order: 'newest', limit: '3', json: true },
    { limit: '100000' },
    { statusCode: '5xx', json: true },
    { webhook: 'orders' },
    { webhook: ORDERS, limit: '4' },
    { replayStatus: 'failed', json: true },
    { replayStatus: 'pending,succeeded', force: true },
    { source: 'events', json: true },
    { source: 'history', limit: '10', order: 'newest' },
    { grep: 'customer.end' },
    { grep: 'needle', json: true },
    { since: '2026-03-01', until: '2026-03-05' },
    { force: true, json: true },
    { maxReplays: '1', json: true },
    { maxReplays: '2' },
    { maxReplays: '2', force: true, order: 'newest', limit: '5' },
    { ids: ['rule-resolved-1', 'rule-event-1', 'rule-two-runs', 'rule-done'], json: true },
    { ids: ['rule-resolved-1', 'rule-resolved-2', 'rule-done', 'rule-tie'], force: true, json: true },
    { ids: ['rule-tie-a', 'rule-no-time-1', 'rule-seven'], order: 'newest' },
    { ids: ['rule-'] },
    { ids: ['rule-nope'] },
    { ids: [' '] },
    { routes: 'orders-only.json', json: true },
    { routes: 'orders-only.json', statusCode: '5xx' },
    { routes: 'routes.json', json: true, limit: '50' },
  ];

  test('--dry-run prints the same from both stores for every selection flag', async () => {
    for (const options of DRY_RUNS) {
      const withTarget = options.routes ? options : { ...options, to: 'http://127.0.0.1:9/hook' };
      const [a, b] = [await run({ ...withTarget, dryRun: true, store: stores()[0] }), await run({ ...withTarget, dryRun: true, store: stores()[1] })];
      assert.deepEqual(b, a, JSON.stringify(options));
    }
  });

  test('the dry runs count what the rules say (not just the same on both)', async () => {
    const json = async (options: ReplayOptions) => JSON.parse((await run({ ...options, to: 'http://127.0.0.1:9/hook', dryRun: true, json: true, store: db.url })).out);
    const byId = await json({ ids: ['rule-resolved-1', 'rule-event-1', 'rule-two-runs', 'rule-done'] });
    assert.deepEqual([byId.total, byId.skippedResolved, byId.skippedNoPayload, byId.skippedSucceeded], [1, 1, 1, 1]);
    const forced = await json({ ids: ['rule-resolved-1', 'rule-done'], force: true });
    assert.deepEqual([forced.total, forced.skipped], [2, 0]);
    const max = await json({ ids: ['rule-two-runs', 'rule-recovered', 'rule-no-run-ids'], maxReplays: '2' });
    // rule-two-runs: 2 failed runs; rule-recovered: r1 and r3 failed; rule-no-run-ids: 2 runs of one try.
    assert.deepEqual([max.total, max.skippedMaxReplays], [0, 3]);
    const max3 = await json({ ids: ['rule-two-runs', 'rule-recovered', 'rule-no-run-ids'], maxReplays: '3' });
    assert.deepEqual([max3.total, max3.skippedMaxReplays], [3, 0]);
    const ties = await json({ ids: ['rule-no-time-1', 'rule-tie-b', 'rule-no-time-2', 'rule-tie-a', 'rule-seven'] });
    assert.deepEqual(ties.firstIds, ['rule-seven', 'rule-tie-a', 'rule-tie-b', 'rule-no-time-1', 'rule-no-time-2']);
    const newest = await json({ ids: ['rule-no-time-1', 'rule-tie-b', 'rule-no-time-2', 'rule-tie-a', 'rule-seven'], order: 'newest' });
    assert.deepEqual(newest.firstIds, ['rule-tie-a', 'rule-tie-b', 'rule-seven', 'rule-no-time-1', 'rule-no-time-2']);
    const grep = await json({ grep: 'needle' });
    assert.deepEqual(grep.firstIds, ['rule-nul-match']);
    const routed = JSON.parse((await run({ routes: 'orders-only.json', dryRun: true, json: true, store: db.url })).out);
    assert.ok(routed.skippedNoRoute > 50 && routed.byRoute.length === 1, JSON.stringify(routed.byRoute));
  });

  test('a real run with --order newest --limit sends the same entries in the same order and prints the same', async () => {
    const outs: { out: string; sent: string[] }[] = [];
    for (const url of stores()) {
      receiver.requests.length = 0;
      const r = await run({ store: url, to: receiver.url, order: 'newest', limit: '12', statusCode: '5xx', retries: '0', concurrency: '1', json: true });
      assert.equal(r.code, 0, r.err);
      outs.push({ out: r.out.replace(/"durationMs":\d+/, ''), sent: receiver.requests.map((q) => String(q.headers['x-dlq-delivery-id'])) });
    }
    assert.equal(outs[0]?.sent.length, 12);
    assert.deepEqual(outs[1], outs[0]);
    // And the next run goes on with the next ones (those sent are succeeded now).
    const next = await run({ store: db.url, to: receiver.url, order: 'newest', limit: '12', statusCode: '5xx', dryRun: true, json: true });
    const firstNext = JSON.parse(next.out).firstIds[0];
    assert.ok(!outs[1]?.sent.includes(firstNext));
  });
});
