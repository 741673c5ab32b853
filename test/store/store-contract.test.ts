/**
 * The store contract, run against both backends: the JSON file and a real PostgreSQL database
 * (test/support/postgres-server.ts). What one store answers, the other answers identically,
 * byte for byte at the level of the commands' stdout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { fetchCommand } from '../../src/commands/fetch.js';
import { inspectCommand } from '../../src/commands/inspect.js';
import { listCommand, type ListOptions } from '../../src/commands/list.js';
import { replayCommand } from '../../src/commands/replay.js';
import { storeCopyCommand } from '../../src/commands/store.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { entryFromHistoryItem } from '../../src/harvest/merge-harvest.js';
import type { DlqStore } from '../../src/store/dlq-store.js';
import { openStore } from '../../src/store/open-store.js';
import { captureIo } from '../support/capture-io.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres-server.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const skip = postgresSkipReason();
const NOW = new Date('2026-03-10T12:00:00.000Z');

/** Entries that stress the row format: odd types, unknown fields, key orders, NUL, surrogates. */
function oddEntries(): DlqEntry[] {
  return [
    { delivery_id: 'odd-seven', timestamp: '2026-03-02T00:00:00Z', status_code: 500, status_message: 'x', request_body: '{}', response_body: '{}', webhook_id: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4' },
    { status_code: '503', delivery_id: 'odd-string-code', timestamp: 'not a time', custom: { nested: [1, 2.5, null, true] }, request_body: 'plain text' },
    { delivery_id: 'odd-nul', timestamp: '2026-03-03T00:00:00Z', status_code: 502, request_body: 'a\u0000b', response_body: null, webhook_name: 'Orders', replays: [{ at: '2026-03-04T00:00:00Z', target: 'http://r/x', http_status: 503, error: null, duration_ms: 3 }] },
    { delivery_id: 'odd-surrogate', timestamp: '2026-03-03T00:00:01Z', status_code: 429, request_body: 'lone \ud800 high', replay_status: 'failed', replays: 'not an array' },
    { delivery_id: 'odd-event', source: 'operational-event', status_code: null, request_body: null, response_body: null, event: { a: 1 }, timestamp: '2026-03-05T00:00:00.123+02:00', replays: [], replay_status: 'pending', webhook_name: '', webhook_id: 'wh-x' },
    { delivery_id: 'odd-%_\\', timestamp: '2026-03-01T00:00:00Z', status_code: 404, replays: [{ http_status: 200, at: 'x', target: 't', error: null, duration_ms: 1.25, run_id: 'r', extra_field: 'kept' }], replay_status: 'succeeded' },
  ] as unknown as DlqEntry[];
}

/** Times and run ids of replay tries differ between two runs; everything else must match. */
const normal = (text: string) => text.replace(/"(at|run_id|durationMs|duration_ms)":("[^"]*"|\d+(\.\d+)?)/g, '"$1":"_"');

/** Entry by entry, so a failure names the first entry that differs. */
function sameEntries(actual: string, expected: string): void {
  const a = JSON.parse(actual) as DlqEntry[];
  const b = JSON.parse(expected) as DlqEntry[];
  for (let i = 0; i < Math.max(a.length, b.length); i++) assert.equal(JSON.stringify(a[i]), JSON.stringify(b[i]), `entry ${i}`);
}

const FIXTURE = [...makeDlqEntries(400, { seed: 7, now: NOW }), ...oddEntries()];

describe('the store contract, file and PostgreSQL alike', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let file: string;
  let pgUrl: string;
  let receiver: Receiver;
  const stores: DlqStore[] = [];
  const open = async (store: string) => {
    const s = await openStore({ store }, {}, dir);
    stores.push(s);
    return s;
  };

  before(async () => {
    db = await createTestDatabase();
    pgUrl = db.url;
    dir = mkdtempSync(join(tmpdir(), 'dlq-contract-'));
    file = join(dir, 'dlq.json');
    receiver = await startReceiver();
    for (const url of [`file:${file}`, pgUrl]) {
      const store = await open(url);
      const counts = await store.putEntries(FIXTURE, {});
      assert.deepEqual(counts, { added: FIXTURE.length, updated: 0 });
    }
  });
  after(async () => {
    try {
      for (const s of stores) await s.close();
      await receiver?.close();
    } finally {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every entry comes back exactly as written (field order, types, unknown fields, NUL, lone surrogates)', async () => {
    for (const url of [`file:${file}`, pgUrl]) {
      const { entries } = await (await open(url)).readAll();
      assert.equal(JSON.stringify(entries), JSON.stringify(FIXTURE), url);
    }
  });

  const run = async (command: (io: ReturnType<typeof captureIo>) => Promise<number>) => {
    const io = captureIo({ cwd: dir, now: NOW });
    let code: number;
    try {
      code = await command(io);
    } catch (error) {
      code = reportError(error, io);
    }
    return { code, out: io.out(), err: io.err() };
  };

  const LISTS: ListOptions[] = [
    {},
    { limit: '20' },
    { statusCode: '503', limit: '20' },
    { statusCode: '5xx,404', sort: 'status_code', reverse: true },
    { since: '2026-03-01', until: '2026-03-05', json: true },
    { webhook: 'orders', ndjson: true },
    { webhook: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4', ids: true },
    { replayStatus: 'failed,succeeded', sort: 'replay_status', limit: '50' },
    { grep: 'customer.end', limit: '15' },
    { grep: 'b', json: true, limit: '5' },
    { sort: 'webhook', limit: '60' },
    { sort: 'delivery_id', reverse: true, limit: '30', json: true },
    { sort: 'last_seen_at', limit: '10' },
    { sort: 'first_seen_at', reverse: true, limit: '10' },
    { groupBy: 'status_code' },
    { groupBy: 'webhook', json: true },
    { groupBy: 'day', statusCode: '5xx' },
    { groupBy: 'replay_status', reverse: true, grep: 'conversation' },
    { statusCode: '418' },
    { json: true },
    { source: 'events', json: true },
    { source: 'history', statusCode: '5xx', limit: '10' },
    { csv: true, limit: '40' },
    { csv: true, csvBodies: true, sort: 'webhook', statusCode: '4xx' },
    { groupBy: 'webhook', csv: true },
    { ndjson: true, limit: '25', redact: ['eventBody.ani', 'metadata'] },
  ];

  test('dlq list prints the same bytes from both stores for ~20 option sets', async () => {
    for (const options of LISTS) {
      const a = await run((io) => listCommand({ ...options, store: `file:${file}` }, io));
      const b = await run((io) => listCommand({ ...options, store: pgUrl }, io));
      assert.equal(a.code, 0, JSON.stringify(options) + a.err);
      assert.deepEqual(b, a, JSON.stringify(options));
    }
  });

  test('dlq inspect: full ids, prefixes, ambiguity and unknown ids alike', async () => {
    const some = FIXTURE[17] as DlqEntry;
    // LIKE's metacharacters in an id are literal: 'odd_' must not match 'odd-…', nor 'odd-\\' 'odd-%…'.
    for (const id of [some.delivery_id, some.delivery_id.slice(0, 6), 'odd-', 'odd-%', 'odd-%_', 'odd_', 'od%', 'odd-\\', 'odd-nul', 'nope', '1']) {
      for (const extra of [{}, { json: true }, { body: true }]) {
        const a = await run((io) => inspectCommand({ id, ...extra, store: `file:${file}` }, io));
        const b = await run((io) => inspectCommand({ id, ...extra, store: pgUrl }, io));
        assert.deepEqual(b, a, `${id} ${JSON.stringify(extra)}`);
      }
    }
  });

  test('ties, webhook names and "… and N more" counts: lists cut by --limit print the same from both stores', async () => {
    const tieFile = join(dir, 'ties.json');
    const tiePg = await db.another();
    const at = '2026-03-08T10:00:00.000Z';
    const hook = '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4';
    const tie = (id: string, extra: Partial<DlqEntry> = {}): DlqEntry => ({ delivery_id: id, timestamp: at, status_code: 503, request_body: '{}', webhook_id: hook, ...extra });
    // Same time and code, inserted out of id order; ids that sort differently by case or by
    // LIKE metacharacters; entries naming the webhook (the last one in store order wins) and
    // seven-field ones that carry only its id; an id no entry names; no timestamp at all.
    const entries: DlqEntry[] = [
      tie('tie-m', { webhook_name: 'Old name' }),
      tie('tie-b'),
      tie('tie-B', { status_code: 500 }),
      tie('tie-%x'),
      tie('tie-a', { webhook_name: 'Renamed' }),
      tie('tie-_'),
      tie('tie-%', { webhook_name: '' }),
      tie('tie-~', { webhook_id: 'hook-nobody-names' }),
      tie('tie-Z', { webhook_id: 'hook-nobody-names', status_code: 500 }),
      tie('tie-c', { timestamp: '2026-03-08T10:00:00Z' }),
      tie('tie-0', { timestamp: undefined }),
      tie('tie-1', { timestamp: undefined, webhook_name: 'Named late' }),
      tie('tie-y'),
      tie('tie-x', { status_code: 429 }),
    ];
    for (const url of [`file:${tieFile}`, tiePg]) await (await open(url)).putEntries(entries, {});
    const lists: ListOptions[] = [
      { limit: '3' },
      { limit: '5', reverse: true },
      { statusCode: '503', limit: '4' },
      { statusCode: '503', limit: '50' },
      { statusCode: '500,429', limit: '1' },
      { statusCode: '5xx', limit: '7', sort: 'status_code' },
      { statusCode: '418', limit: '5' },
      { limit: '14' },
      { limit: '13', csv: true },
      { sort: 'webhook', limit: '6' },
      { sort: 'delivery_id', limit: '9' },
      { webhook: 'renamed', limit: '2', json: true },
      { grep: '{}', limit: '3' },
      {},
    ];
    for (const options of lists) {
      const a = await run((io) => listCommand({ ...options, store: `file:${tieFile}` }, io));
      const b = await run((io) => listCommand({ ...options, store: tiePg }, io));
      assert.equal(a.code, 0, JSON.stringify(options) + a.err);
      assert.deepEqual(b, a, JSON.stringify(options));
    }
    // The control: the cases above do cut pages, tie, and name a webhook from other entries.
    const cut = await run((io) => listCommand({ statusCode: '503', limit: '4', store: tiePg }, io));
    assert.match(cut.err, /… and \d+ more \(use --limit\)/);
    const all = await run((io) => listCommand({ store: tiePg }, io));
    assert.match(all.out, /^tie-b .*Named late/m, 'the last name given in store order');
    assert.match(all.out, /^tie-% .*Named late/m, 'an empty name looks the id up too');
    assert.match(all.out, /^tie-~ .*hook-nobody-names/m);
    for (const id of ['tie-%', 'tie-%x', 'tie-_', 'tie_', 'tie-', 'tie', 'TIE-a']) {
      const a = await run((io) => inspectCommand({ id, json: true, store: `file:${tieFile}` }, io));
      const b = await run((io) => inspectCommand({ id, json: true, store: tiePg }, io));
      assert.deepEqual(b, a, id);
    }
  });

  test('dlq replay sends the same requests, prints the same summary and records the same tries', async () => {
    const results: { out: string; sent: string[]; after: string }[] = [];
    for (const url of [`file:${file}`, pgUrl]) {
      receiver.requests.length = 0;
      receiver.setResponder((req) => ({ status: String(req.headers['x-dlq-delivery-id']).charCodeAt(0) % 3 === 0 ? 500 : 200 }));
      const r = await run((io) =>
        replayCommand({ store: url, to: receiver.url, statusCode: '502,504', since: '2026-03-01', retries: '0', concurrency: '1', json: true }, io),
      );
      assert.ok(r.code === 0 || r.code === 7, r.err);
      const { entries } = await (await open(url)).readAll();
      results.push({
        out: normal(r.out),
        sent: receiver.requests.map((q) => `${q.headers['x-dlq-delivery-id']} ${q.headers['x-dlq-attempt']} ${q.body.toString('base64')}`),
        after: normal(JSON.stringify(entries)),
      });
    }
    assert.ok((results[0]?.sent.length ?? 0) > 10);
    assert.deepEqual(results[1], results[0]);
  });

  test('dlq fetch stores the same entries in both stores for the same server data', async () => {
    const clients = { 'contract-client': 'contract-secret-1234' };
    const server = new FakeGenesys({ clients, integrations: [{ id: 'a1b2c3d4-0000-4000-8000-00000000f00d', name: 'Fetched', failures: makeFailures(450, { seed: 3 }) }] });
    const { url: gateway } = await server.start();
    try {
      const env = { GENESYS_CLIENT_ID: 'contract-client', GENESYS_CLIENT_SECRET: 'contract-secret-1234' };
      const outs: string[] = [];
      const stored: string[] = [];
      const states: string[] = [];
      for (const url of [`file:${join(dir, 'fetched.json')}`, await db.another()]) {
        for (let round = 0; round < 2; round++) {
          const io = captureIo({ cwd: dir, now: NOW, env });
          const code = await fetchCommand({ store: url, gateway, webhook: 'Fetched', json: true }, io, { retryPolicy: { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false } });
          assert.equal(code, 0, io.err());
          const summary = JSON.parse(io.out()) as Record<string, unknown>;
          delete summary['durationMs'];
          delete summary['file'];
          outs.push(JSON.stringify(summary));
        }
        const store = await open(url);
        stored.push(JSON.stringify((await store.readAll()).entries));
        states.push(JSON.stringify(await store.readHarvestState()));
      }
      assert.equal(outs[2], outs[0]);
      assert.equal(outs[3], outs[1]);
      assert.match(outs[0] as string, /"fetched":450,"new":450,.*"mode":"full"/);
      // The second run stops at the watermark the first one left (issue #11), in both stores.
      assert.match(outs[1] as string, /"new":0,.*"mode":"incremental"/);
      sameEntries(stored[1] as string, stored[0] as string);
      assert.equal(states[1], states[0], 'the same watermarks');
      assert.match(states[0] as string, /webhook:a1b2c3d4-0000-4000-8000-00000000f00d/);
      assert.equal((JSON.parse(stored[0] as string) as unknown[]).length, 450);
    } finally {
      await server.stop();
    }
  });

  test('a password in a postgres:// URL is never printed, not even with --verbose or on errors', async () => {
    const password = new URL(pgUrl).password;
    const ok = await run((io) => listCommand({ store: pgUrl, verbose: true, limit: '3' }, io));
    const missingDb = new URL(pgUrl);
    missingDb.pathname = '/no_such_database';
    const noDb = await run((io) => listCommand({ store: missingDb.toString(), verbose: true }, io));
    const wrongUser = new URL(pgUrl);
    wrongUser.username = 'nobody';
    const badLogin = await run((io) => inspectCommand({ id: 'x', store: wrongUser.toString(), verbose: true }, io));
    assert.equal(ok.code, 0);
    assert.equal(noDb.code, 6);
    assert.match(noDb.err, /^dlq: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/no_such_database: cannot connect: .*does not exist/);
    assert.equal(badLogin.code, 6);
    for (const r of [ok, noDb, badLogin]) {
      assert.ok(!r.out.includes(password) && !r.err.includes(password), 'password printed');
    }
  });

  test('store copy: file → PostgreSQL → file, idempotent, verified, nothing printed with a password', async () => {
    const other = await db.another();
    const back = join(dir, 'back.json');
    const first = await run((io) => storeCopyCommand({ from: `file:${file}`, to: other }, io));
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`^copied ${FIXTURE.length} entries from .* to postgres://postgres:\\*\\*\\*@.*: ${FIXTURE.length} new, 0 updated; verified ${FIXTURE.length}\\n$`));
    const again = await run((io) => storeCopyCommand({ from: `file:${file}`, to: other, json: true }, io));
    assert.equal(JSON.parse(again.out).updated, FIXTURE.length);
    assert.equal(JSON.parse(again.out).new, 0);
    const down = await run((io) => storeCopyCommand({ from: other, to: `file:${back}` }, io));
    assert.equal(down.code, 0, down.err);
    const password = new URL(other).password;
    for (const r of [first, again, down]) assert.ok(!r.out.includes(password) && !r.err.includes(password));
    const a = await (await open(`file:${file}`)).readAll();
    const b = await (await open(`file:${back}`)).readAll();
    assert.equal(JSON.stringify(b.entries), JSON.stringify(a.entries));
  });

  test('fetch-style merges: new entries added, known ones get last_seen_at and a missing webhook_name', async () => {
    const items = [
      { id: 'odd-seven', timestamp: '2026-03-02T00:00:00Z', statusCode: 500 },
      { id: 'merge-new-1', timestamp: '2026-03-09T00:00:00Z', statusCode: 503, requestBody: '{"n":1}' },
      { id: 'odd-nul' },
      { id: 'merge-new-2' },
    ];
    const context = { webhookId: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4', webhookName: 'Orders', seenAt: '2026-03-10T11:00:00.000Z' };
    const after: string[] = [];
    for (const url of [`file:${file}`, pgUrl]) {
      const store = await open(url);
      const fresh = items.map((item) => entryFromHistoryItem(item, context));
      const counts = await store.mergeEntries(fresh, context.seenAt, { createWhenEmpty: true });
      assert.deepEqual({ ...counts, addedEntries: counts.addedEntries.map((e) => e.delivery_id) }, { added: 2, updated: 2, pruned: 0, addedEntries: ['merge-new-1', 'merge-new-2'] });
      // (The replay test before this one ran once per store: its tries' times differ.)
      after.push(normal(JSON.stringify((await store.readAll()).entries)));
    }
    sameEntries(after[1] as string, after[0] as string);
    const merged = JSON.parse(after[0] as string) as DlqEntry[];
    const seven = merged.find((e) => e.delivery_id === 'odd-seven') as DlqEntry;
    assert.equal(seven.webhook_name, 'Orders');
    assert.deepEqual(Object.keys(seven).slice(-2), ['last_seen_at', 'webhook_name']);
  });
});
