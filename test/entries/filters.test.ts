import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { UsageError } from '../../src/errors.js';
import { buildFilter, type FilterFlags } from '../../src/entries/filters.js';

const now = new Date('2026-03-10T12:00:00.000Z');

const entries: DlqEntry[] = [
  {
    delivery_id: 'a1',
    timestamp: '2026-03-10T11:30:00.000Z', // 30 min ago
    status_code: 503,
    status_message: 'Service Unavailable',
    request_body: '{"orderId":"order-1234"}',
    response_body: 'upstream down',
    webhook_id: 'wh-orders',
    webhook_name: 'Orders',
    replay_status: 'pending',
  },
  {
    delivery_id: 'b2',
    timestamp: '2026-03-09T12:00:00.000Z', // exactly 24 h ago
    status_code: 404,
    status_message: 'Not Found',
    request_body: '{"orderId":"order-9"}',
    response_body: '{"error":"no route ORDER-1234"}',
    webhook_id: 'wh-orders',
    webhook_name: 'Orders',
    replay_status: 'succeeded',
  },
  {
    delivery_id: 'c3',
    timestamp: '2026-03-01T08:00:00.000Z',
    status_code: 500,
    status_message: 'boom order-1234',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-billing',
    webhook_name: 'Billing',
    replay_status: 'failed',
  },
  // Seven-field entry from the original script: no replay_status, so pending.
  {
    delivery_id: 'd4',
    timestamp: '2026-02-20T00:00:00Z',
    status_code: 429,
    status_message: 'Too Many Requests',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-billing',
  },
  // Defensive: fields missing or malformed.
  { delivery_id: 'e5', timestamp: 'not a date', status_code: '502' as unknown as number },
  { delivery_id: 'f6' },
];

function ids(flags: FilterFlags): string[] {
  return entries.filter(buildFilter(flags, now)).map((e) => e.delivery_id);
}

function throwsUsage(flags: FilterFlags, flag: string): void {
  assert.throws(
    () => buildFilter(flags, now),
    (e: unknown) => e instanceof UsageError && e.message.startsWith(`${flag}: `),
    JSON.stringify(flags),
  );
}

test('no flags match everything', () => {
  assert.deepEqual(ids({}), ['a1', 'b2', 'c3', 'd4', 'e5', 'f6']);
});

test('--since is inclusive and relative to the pinned now', () => {
  assert.deepEqual(ids({ since: '1h' }), ['a1']);
  assert.deepEqual(ids({ since: '24h' }), ['a1', 'b2']);
  assert.deepEqual(ids({ since: '2026-03-01T08:00:00Z' }), ['a1', 'b2', 'c3']);
});

test('--until is inclusive; a date-only --until covers that whole day', () => {
  assert.deepEqual(ids({ until: '24h' }), ['b2', 'c3', 'd4']);
  assert.deepEqual(ids({ until: '2026-03-01T07:59:59Z' }), ['d4']);
  // Local-midnight semantics; pick a day far from the entries so the machine's zone does not matter.
  assert.deepEqual(ids({ until: '2026-02-25' }), ['d4']);
  assert.deepEqual(ids({ since: '2026-03-05', until: '2026-03-20' }), ['a1', 'b2']);
});

test('entries without a parseable timestamp never match a time filter', () => {
  assert.ok(!ids({ since: '3000w' }).includes('e5'));
  assert.ok(!ids({ until: '0s' }).includes('e5'));
  assert.ok(!ids({ until: '0s' }).includes('f6'));
});

test('--since after --until is a usage error', () => {
  throwsUsage({ since: '1h', until: '2h' }, '--since');
});

test('--status-code takes exact codes and classes, comma separated, case-insensitive', () => {
  assert.deepEqual(ids({ statusCode: '503' }), ['a1']);
  assert.deepEqual(ids({ statusCode: '5xx' }), ['a1', 'c3', 'e5']);
  assert.deepEqual(ids({ statusCode: '4XX' }), ['b2', 'd4']);
  assert.deepEqual(ids({ statusCode: '404, 500' }), ['b2', 'c3']);
  assert.deepEqual(ids({ statusCode: '429,5xx' }), ['a1', 'c3', 'd4', 'e5']);
  assert.deepEqual(ids({ statusCode: '200' }), []);
});

test('--status-code rejects anything that is not a code or class', () => {
  for (const bad of ['', 'abc', '50', '5000', '6xx', '5x', '503,', 'xx']) throwsUsage({ statusCode: bad }, '--status-code');
});

test('--webhook matches the exact id or the name case-insensitively', () => {
  assert.deepEqual(ids({ webhook: 'Orders' }), ['a1', 'b2']);
  assert.deepEqual(ids({ webhook: 'orders' }), ['a1', 'b2']);
  assert.deepEqual(ids({ webhook: 'wh-billing' }), ['c3', 'd4']);
  assert.deepEqual(ids({ webhook: 'Billing' }), ['c3']);
  assert.deepEqual(ids({ webhook: 'WH-BILLING' }), []);
  assert.deepEqual(ids({ webhook: 'Order' }), []);
  throwsUsage({ webhook: ' ' }, '--webhook');
});

test('--replay-status treats a missing status as pending', () => {
  assert.deepEqual(ids({ replayStatus: 'pending' }), ['a1', 'd4', 'e5', 'f6']);
  assert.deepEqual(ids({ replayStatus: 'succeeded' }), ['b2']);
  assert.deepEqual(ids({ replayStatus: 'failed,succeeded' }), ['b2', 'c3']);
  throwsUsage({ replayStatus: 'done' }, '--replay-status');
  throwsUsage({ replayStatus: '' }, '--replay-status');
});

test('--grep is a case-sensitive substring of either body or the status message', () => {
  assert.deepEqual(ids({ grep: 'order-1234' }), ['a1', 'c3']); // request body, status message
  assert.deepEqual(ids({ grep: 'ORDER-1234' }), ['b2']); // response body
  assert.deepEqual(ids({ grep: 'Not Found' }), ['b2']);
  assert.deepEqual(ids({ grep: 'nowhere' }), []);
  throwsUsage({ grep: '' }, '--grep');
});

test('flags combine with AND', () => {
  assert.deepEqual(ids({ webhook: 'Orders', statusCode: '5xx' }), ['a1']);
  assert.deepEqual(ids({ webhook: 'Orders', statusCode: '5xx', replayStatus: 'succeeded' }), []);
  assert.deepEqual(ids({ since: '30d', grep: 'order-1234', replayStatus: 'failed' }), ['c3']);
});

test('validation happens before any entry is looked at', () => {
  // A bad later flag is reported even though earlier flags are fine.
  throwsUsage({ since: '1h', statusCode: '5xx', replayStatus: 'nope' }, '--replay-status');
});

test('with the known entries, --webhook <name> also matches seven-field entries of that webhook id', () => {
  const known = buildFilter({ webhook: 'billing' }, now, entries);
  assert.deepEqual(entries.filter(known).map((e) => e.delivery_id), ['c3', 'd4']);
  // Without them only entries carrying the name match.
  assert.deepEqual(ids({ webhook: 'billing' }), ['c3']);
});

test('--source: events are the operational-event entries, history everything else (seven-field entries too)', () => {
  const mixed: DlqEntry[] = [
    { delivery_id: 'h1', request_body: '{}' },
    { delivery_id: 'h2', source: 'history', request_body: '{}' },
    { delivery_id: 'e1', source: 'operational-event', request_body: null, status_code: null },
  ];
  const ids = (source: string) => mixed.filter(buildFilter({ source }, now)).map((e) => e.delivery_id);
  assert.deepEqual(ids('events'), ['e1']);
  assert.deepEqual(ids('history'), ['h1', 'h2']);
  assert.deepEqual(ids(' EVENTS '), ['e1']);
  assert.throws(() => buildFilter({ source: 'event' }, now), (e: unknown) => e instanceof UsageError && e.message === "--source: 'event' is not one of history, events");
  // Combined with the other filters: a null status code never matches --status-code.
  assert.deepEqual(mixed.filter(buildFilter({ source: 'events', statusCode: '5xx' }, now)).map((e) => e.delivery_id), []);
});
