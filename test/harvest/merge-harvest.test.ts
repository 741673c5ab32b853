import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { entryFromHistoryItem, mergeHarvest } from '../../src/harvest/merge-harvest.js';

const ctx = { webhookId: 'wh-1', webhookName: 'Orders', seenAt: '2026-11-23T10:00:00.000Z' };

test('a new entry gets every contract field and the defaults for missing ones', () => {
  const e = entryFromHistoryItem({ id: 'd1' }, ctx);
  assert.deepEqual(e, {
    delivery_id: 'd1',
    timestamp: ctx.seenAt,
    status_code: 500,
    status_message: 'Unknown error',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-1',
    webhook_name: 'Orders',
    first_seen_at: ctx.seenAt,
    last_seen_at: ctx.seenAt,
    replay_status: 'pending',
    replays: [],
  });
});

test('history fields are copied verbatim', () => {
  const e = entryFromHistoryItem(
    { id: 'd2', timestamp: '2026-11-22T01:02:03Z', statusCode: 503, statusMessage: 'Service Unavailable', requestBody: '{"a": "é"}', responseBody: 'down' },
    { ...ctx, webhookName: undefined },
  );
  assert.equal(e.request_body, '{"a": "é"}');
  assert.equal(e.response_body, 'down');
  assert.equal(e.status_code, 503);
  assert.equal(e.timestamp, '2026-11-22T01:02:03Z');
  assert.equal('webhook_name' in e, false, 'no webhook_name when it is not known');
});

test('a seven-field entry from the original script is merged without loss', () => {
  const legacy: DlqEntry = {
    delivery_id: 'old-1',
    timestamp: '2026-01-01T00:00:00Z',
    status_code: 502,
    status_message: 'Bad Gateway',
    request_body: '{"x":1}',
    response_body: '',
    webhook_id: 'wh-1',
  };
  const { entries, added, updated } = mergeHarvest([legacy], [{ id: 'old-1' }, { id: 'new-1', statusCode: 500 }], ctx);
  assert.equal(added, 1);
  assert.equal(updated, 1);
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0], { ...legacy, last_seen_at: ctx.seenAt, webhook_name: 'Orders' });
  assert.equal(entries[1]?.delivery_id, 'new-1');
});

test('existing entries keep replay state and unknown fields, and only get a new last_seen_at', () => {
  const existing: DlqEntry = {
    delivery_id: 'd1',
    timestamp: '2026-11-20T00:00:00Z',
    status_code: 500,
    status_message: 'x',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-1',
    webhook_name: 'Orders (renamed later)',
    first_seen_at: '2026-11-20T01:00:00Z',
    last_seen_at: '2026-11-20T01:00:00Z',
    replay_status: 'succeeded',
    replays: [{ at: '2026-11-21T00:00:00Z', target: 'https://r.example/h', http_status: 200, error: null, duration_ms: 12 }],
    ticket: 'OPS-42',
  };
  const { entries } = mergeHarvest([existing], [{ id: 'd1', statusCode: 503, requestBody: 'changed?' }], ctx);
  assert.deepEqual(entries[0], { ...existing, last_seen_at: ctx.seenAt });
});

test('the input array is not mutated and the file order is kept', () => {
  const a: DlqEntry = { delivery_id: 'a' };
  const b: DlqEntry = { delivery_id: 'b' };
  const input = [a, b];
  const { entries } = mergeHarvest(input, [{ id: 'b' }, { id: 'c' }], ctx);
  assert.deepEqual(input, [{ delivery_id: 'a' }, { delivery_id: 'b' }]);
  assert.deepEqual(entries.map((e) => e.delivery_id), ['a', 'b', 'c']);
});

test('pruned ids are not new: skipped unless the file still holds them (a prune interrupted before its rewrite)', () => {
  const existing: DlqEntry[] = [{ delivery_id: 'kept', webhook_id: 'wh-1' }];
  const r = mergeHarvest(existing, [{ id: 'gone' }, { id: 'kept' }, { id: 'fresh' }], ctx, new Set(['gone', 'kept']));
  assert.deepEqual(r.entries.map((e) => e.delivery_id), ['kept', 'fresh']);
  assert.deepEqual([r.added, r.updated, r.pruned], [1, 1, 1]);
});
