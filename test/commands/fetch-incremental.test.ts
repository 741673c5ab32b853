/**
 * Incremental harvests (issue #11 part 2) through fetchCommand and the real SDK against the local
 * Genesys-compatible server: a nightly run reads what is new and stops at the deliveries an
 * earlier complete harvest recorded; only complete harvests move the watermark; --full reads
 * everything; an out-of-order page falls back to a full pass; pruned deliveries never come back.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { fetchCommand, type FetchOptions } from '../../src/commands/fetch.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { statePathFor } from '../../src/store/harvest-state-file.js';
import { watermarkOf, webhookKey, type HarvestState } from '../../src/store/harvest-state.js';
import { pruneDlqFile } from '../../src/store/prune-dlq.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures, type FakeGenesysOptions, type HistoryItem } from '../support/fake-genesys/index.js';

const CLIENT_ID = 'dlq-test-client';
const SECRET = 'dlq-test-secret-incr';
const FAST = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, rateLimitBackoffMs: 20 };
const ORDERS = { id: 'a1b2c3d4-0000-4000-8000-00000000000a', name: 'Orders' };
const KEY = webhookKey(ORDERS.id);

let server: FakeGenesys | undefined;
let url: string;
let dir: string;
let file: string;

async function startServer(failures: HistoryItem[], options: Omit<FakeGenesysOptions, 'integrations'> = {}): Promise<FakeGenesys> {
  await server?.stop();
  server = new FakeGenesys({ clients: { [CLIENT_ID]: SECRET }, integrations: [{ ...ORDERS, failures }], ...options });
  url = (await server.start()).url;
  return server;
}

async function runFetch(options: FetchOptions, target = file) {
  const io = captureIo({ env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET }, cwd: dir });
  let code: number;
  try {
    code = await fetchCommand({ gateway: url, file: target, webhook: 'Orders', json: true, ...options }, io, { retryPolicy: FAST });
  } catch (error) {
    code = reportError(error, io);
  }
  const out = io.out();
  return { code, err: io.err(), summary: (out.trim() ? JSON.parse(out.trim().split('\n').pop()!) : {}) as Record<string, unknown> };
}

const readEntries = (path = file): DlqEntry[] => JSON.parse(readFileSync(path, 'utf8')) as DlqEntry[];
const readState = (): HarvestState => JSON.parse(readFileSync(statePathFor(file), 'utf8')) as HarvestState;
/** Entries without the per-run fields, to compare files written by different runs. */
const content = (entries: DlqEntry[]) => entries.map(({ first_seen_at: _f, last_seen_at: _l, ...rest }) => rest);

/** Failures newer than everything makeFailures(…, default start) produces. */
const newer = (count: number, seed: number) => makeFailures(count, { seed, startTime: new Date('2026-11-23T12:00:00Z') });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dlq-incr-'));
  file = join(dir, 'dlq.json');
});
after(async () => server?.stop());

describe('incremental harvest', () => {
  test('after a complete harvest, the next run reads only the new pages, adds exactly the new ones and gives the file a full pass gives', async () => {
    const s = await startServer(makeFailures(2000, { seed: 31 }));
    const first = await runFetch({});
    assert.equal(first.code, 0, first.err);
    assert.equal(first.summary['mode'], 'full');
    assert.equal(first.summary['pages'], 10);
    assert.ok(watermarkOf(readState(), KEY), 'a complete harvest records a watermark');

    const fresh = newer(150, 32);
    s.addFailures(ORDERS.id, fresh);
    const copy = join(dir, 'copy.json');
    copyFileSync(file, copy);
    s.resetStats();
    const second = await runFetch({});
    assert.equal(second.code, 0, second.err);
    assert.equal(second.summary['mode'], 'incremental');
    assert.equal(second.summary['new'], 150);
    assert.ok(s.stats.requests.history <= 3, `history requests: ${s.stats.requests.history}`);
    assert.equal(second.summary['pages'], s.stats.requests.history);

    s.resetStats();
    const full = await runFetch({ full: true }, copy);
    assert.equal(full.code, 0, full.err);
    assert.equal(full.summary['mode'], 'full');
    assert.equal(s.stats.requests.history, 11, '--full reads every page again');
    assert.equal(full.summary['new'], 150);
    assert.deepEqual(content(readEntries()), content(readEntries(copy)), 'the same file as a full pass');
  });

  test('nothing new: one history request', async () => {
    const s = await startServer(makeFailures(1000, { seed: 33 }));
    assert.equal((await runFetch({})).code, 0);
    s.resetStats();
    const r = await runFetch({});
    assert.equal(r.code, 0, r.err);
    assert.equal(s.stats.requests.history, 1);
    assert.equal(r.summary['new'], 0);
    assert.equal(r.summary['mode'], 'incremental');
  });

  test('the summary line says the mode', async () => {
    await startServer(makeFailures(30, { seed: 34 }));
    assert.equal((await runFetch({})).code, 0);
    const io = captureIo({ env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET }, cwd: dir });
    assert.equal(await fetchCommand({ gateway: url, file, webhook: 'Orders' }, io, { retryPolicy: FAST }), 0);
    assert.match(io.out(), /; 1 pages \(incremental\), /);
  });

  test('--max-items 500 on 3,000 failures, then a plain run: all 3,000 in the file; the capped run moved no watermark', async () => {
    const failures = makeFailures(3000, { seed: 35 });
    await startServer(failures);
    const capped = await runFetch({ maxItems: '500' });
    assert.equal(capped.code, 0, capped.err);
    assert.equal(readEntries().length, 500);
    assert.equal(existsSync(statePathFor(file)) ? watermarkOf(readState(), KEY) : undefined, undefined);
    const plain = await runFetch({});
    assert.equal(plain.code, 0, plain.err);
    assert.deepEqual(new Set(readEntries().map((e) => e.delivery_id)), new Set(failures.map((f) => f.id)));
  });

  test('a capped run after a complete one keeps the old watermark, and the next plain run closes the gap', async () => {
    const s = await startServer(makeFailures(400, { seed: 36 }));
    assert.equal((await runFetch({})).code, 0);
    const mark = watermarkOf(readState(), KEY);
    const fresh = newer(900, 37);
    s.addFailures(ORDERS.id, fresh);
    assert.equal((await runFetch({ maxItems: '300' })).code, 0);
    assert.deepEqual(watermarkOf(readState(), KEY), mark, 'capped: watermark unchanged');
    const r = await runFetch({});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.summary['mode'], 'incremental');
    assert.equal(r.summary['new'], 600);
    assert.equal(readEntries().length, 1300);
    assert.notDeepEqual(watermarkOf(readState(), KEY), mark, 'complete: the watermark moved');
  });

  test('a run that fails part-way saves what it read but keeps the watermark', async () => {
    const s = await startServer(makeFailures(400, { seed: 38 }));
    assert.equal((await runFetch({})).code, 0);
    const state = readFileSync(statePathFor(file), 'utf8');
    s.addFailures(ORDERS.id, newer(700, 39));
    s.injectFault({ route: 'history', kind: 'status', status: 500, times: 50, page: 3 });
    const r = await runFetch({ concurrency: '1' });
    assert.equal(r.code, 5);
    assert.equal(r.summary['new'], 400, 'pages 1-2 saved');
    assert.equal(readFileSync(statePathFor(file), 'utf8'), state, 'state untouched');
  });

  test('a page newer than the one above it: falls back to a full pass and says so with --verbose', async () => {
    const s = await startServer(makeFailures(600, { seed: 40 }));
    assert.equal((await runFetch({})).code, 0);
    // Two new failures, the older one listed first: the list contradicts newest-first order.
    const [a, b] = newer(2, 41) as [HistoryItem, HistoryItem];
    s.addFailures(ORDERS.id, [b, a]);
    s.resetStats();
    const r = await runFetch({ verbose: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.summary['mode'], 'full');
    assert.match(r.err, /out of newest-first order .*reading every page/);
    assert.ok(s.stats.requests.history >= 4, 'every page read');
    assert.equal(r.summary['new'], 2);
  });

  test('a delivery deleted from the file by hand comes back when its page is read; --full brings back any', async () => {
    const failures = makeFailures(600, { seed: 42 });
    await startServer(failures);
    assert.equal((await runFetch({})).code, 0);
    const entries = readEntries();
    const deep = failures[450]!.id!;
    writeFileSync(file, JSON.stringify(entries.filter((e) => e.delivery_id !== failures[0]!.id && e.delivery_id !== deep)));
    const r = await runFetch({});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.summary['new'], 1, 'page 1 is not all recorded: read, and the run goes on to a page that is');
    const full = await runFetch({ full: true });
    assert.equal(full.summary['new'], 1);
    assert.equal(readEntries().length, 600);
  });
});

describe('pruned deliveries', () => {
  test('a pruned delivery never comes back: not incrementally, not with --full, not after a capped run', async () => {
    const failures = makeFailures(500, { seed: 43 });
    const s = await startServer(failures);
    assert.equal((await runFetch({})).code, 0);
    const pruned = new Set([failures[0]!.id, failures[250]!.id, failures[499]!.id]);
    await pruneDlqFile(file, { select: (entries) => entries.filter((e) => pruned.has(e.delivery_id)) });
    s.addFailures(ORDERS.id, newer(10, 44));
    for (const options of [{}, { full: true }, { maxItems: '200' }, {}]) {
      const r = await runFetch(options);
      assert.equal(r.code, 0, r.err);
      const ids = new Set(readEntries().map((e) => e.delivery_id));
      for (const id of pruned) assert.ok(!ids.has(id!), `${id} stays pruned (${JSON.stringify(options)})`);
    }
    assert.equal(readEntries().length, 507);
  });

  test('pruned deliveries count as recorded: a page of them and of stored ones still ends an incremental run', async () => {
    const failures = makeFailures(600, { seed: 48 });
    const s = await startServer(failures);
    assert.equal((await runFetch({})).code, 0);
    const pruned = new Set(failures.slice(0, 100).map((f) => f.id));
    await pruneDlqFile(file, { select: (entries) => entries.filter((e) => pruned.has(e.delivery_id)) });
    s.resetStats();
    const r = await runFetch({});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.summary['mode'], 'incremental');
    assert.equal(s.stats.requests.history, 1);
    assert.equal(r.summary['pruned'], 100);
  });
});

describe('the state file', () => {
  test('seven-field files load as they are and get a watermark next to them', async () => {
    await startServer(makeFailures(5, { seed: 46 }));
    const legacy = [{ delivery_id: 'legacy-1', timestamp: '2026-01-01T00:00:00Z', status_code: 502, status_message: 'Bad Gateway', request_body: '{}', response_body: '', webhook_id: ORDERS.id }];
    writeFileSync(file, JSON.stringify(legacy));
    const r = await runFetch({});
    assert.equal(r.code, 0, r.err);
    const entries = readEntries();
    assert.ok(Array.isArray(entries), 'the DLQ file stays a JSON array');
    assert.deepEqual(entries.find((e) => e.delivery_id === 'legacy-1'), legacy[0]);
    assert.ok(watermarkOf(readState(), KEY));
  });

  test('an unusable state file: exit 6 naming it, DLQ file and state untouched', async () => {
    await startServer(makeFailures(5, { seed: 47 }));
    assert.equal((await runFetch({})).code, 0);
    const before = readFileSync(file, 'utf8');
    writeFileSync(statePathFor(file), '{"version": 1, "watermarks": [');
    const r = await runFetch({});
    assert.equal(r.code, 6);
    assert.match(r.err, /state\.json: harvest state unusable/);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.equal(readFileSync(statePathFor(file), 'utf8'), '{"version": 1, "watermarks": [');
  });
});
