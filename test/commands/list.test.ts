import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listCommand, type ListOptions } from '../../src/commands/list.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DlqFileError, ExitCode, UsageError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { captureIo as capture } from '../support/capture-io.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'dlq-list-'));

interface Captured {
  io: Io;
  out: () => string;
  err: () => string;
}

function captureIo(opts: { tty?: boolean; columns?: number; env?: NodeJS.ProcessEnv } = {}): Captured {
  const io = capture({ ...opts, cwd: dir, now: NOW });
  return { io, out: io.out, err: io.err };
}

let fileCounter = 0;
function dlqFile(entries: readonly DlqEntry[]): string {
  const path = join(dir, `dlq-${++fileCounter}.json`);
  writeFileSync(path, serializeDlq(entries));
  return path;
}

// Small, hand-made set: every sort key differs so orders are unambiguous.
const ENTRIES: DlqEntry[] = [
  {
    delivery_id: 'bbbb-0002',
    timestamp: '2026-03-10T11:00:00.000Z',
    status_code: 503,
    status_message: 'Service Unavailable',
    request_body: '{"orderId":"order-1"}',
    response_body: '',
    webhook_id: 'wh-1',
    webhook_name: 'Orders',
    first_seen_at: '2026-03-10T11:05:00.000Z',
    last_seen_at: '2026-03-10T11:50:00.000Z',
    replay_status: 'pending',
    replays: [],
    custom_field: { kept: true },
  },
  {
    delivery_id: 'aaaa-0001',
    timestamp: '2026-03-09T10:00:00.000Z',
    status_code: 404,
    status_message: 'Not Found',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-2',
    webhook_name: 'Billing',
    first_seen_at: '2026-03-09T10:01:00.000Z',
    last_seen_at: '2026-03-10T09:00:00.000Z',
    replay_status: 'succeeded',
    replays: [{ at: '2026-03-09T12:00:00.000Z', target: 'http://127.0.0.1:1/x', http_status: 200, error: null, duration_ms: 12 }],
  },
  {
    delivery_id: 'cccc-0003',
    timestamp: '2026-03-01T08:00:00.000Z',
    status_code: 500,
    status_message: 'Internal \u001b[31mServer\u001b[0m Error',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-1',
    webhook_name: 'Orders',
    first_seen_at: '2026-03-01T08:30:00.000Z',
    last_seen_at: '2026-03-01T08:30:00.000Z',
    replay_status: 'failed',
    replays: [],
  },
  // Seven fields only, as the original script wrote them.
  {
    delivery_id: 'dddd-0004',
    timestamp: '2026-02-20T06:00:00Z',
    status_code: 429,
    status_message: 'Too Many Requests',
    request_body: '{}',
    response_body: '{}',
    webhook_id: 'wh-2',
  },
];
const FILE = dlqFile(ENTRIES);

async function run(options: Omit<ListOptions, 'file'> & { file?: string }, ioOpts: Parameters<typeof captureIo>[0] = {}) {
  const c = captureIo(ioOpts);
  const code = await listCommand({ file: FILE, ...options }, c.io);
  return { code, out: c.out(), err: c.err() };
}

const idColumn = (table: string) =>
  table
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0]);

test('default: a plain table, newest first, every match on a pipe, nothing on stderr', async () => {
  const r = await run({});
  assert.equal(r.code, ExitCode.ok);
  assert.equal(r.err, '');
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0] as string, /^DELIVERY ID\s+FAILED AT\s+STATUS\s+WEBHOOK\s+REPLAY\s+MESSAGE$/);
  assert.deepEqual(idColumn(r.out), ['bbbb-0002', 'aaaa-0001', 'cccc-0003', 'dddd-0004']);
  assert.ok(!r.out.includes('\u001b'), 'no colour (and no raw escape from the payload) on a pipe');
  assert.ok(!/ \n/.test(r.out), 'no trailing spaces');
});

test('table rows: local time, status, webhook (name borrowed for seven-field entries), replay status, escaped message', async () => {
  const r = await run({});
  const local = (iso: string) => {
    const d = new Date(iso);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  };
  const rows = r.out.split('\n');
  assert.match(rows[1] as string, new RegExp(`^bbbb-0002\\s+${local('2026-03-10T11:00:00.000Z')}\\s+503  Orders\\s+pending\\s+Service Unavailable$`));
  assert.ok((rows[3] as string).includes('Internal \\x1b[31mServer\\x1b[0m Error'));
  // dddd has no webhook_name: wh-2 is called Billing by another entry.
  assert.match(rows[4] as string, /^dddd-0004 .* 429  Billing\s+pending\s+Too Many Requests$/);
});

test('on a terminal status codes are coloured by class, and NO_COLOR turns that off', async () => {
  const tty = await run({}, { tty: true, columns: 200 });
  assert.match(tty.out, /\u001b\[31m\s*503\u001b\[39m/, 'server errors red');
  assert.match(tty.out, /\u001b\[33m\s*404\u001b\[39m/, 'client errors yellow');
  assert.ok(tty.out.includes('\u001b[32msucceeded'), 'succeeded green');
  const noColor = await run({}, { tty: true, columns: 200, env: { NO_COLOR: '1' } });
  assert.ok(!noColor.out.includes('\u001b'));
  assert.ok(noColor.out.includes(' 503  '));
});

test('the message column is shortened to fit the terminal width', async () => {
  const long = dlqFile([{ ...ENTRIES[0], status_message: `Service Unavailable: ${'x'.repeat(300)}` } as DlqEntry]);
  for (const columns of [120, 160]) {
    const r = await run({ file: long }, { tty: true, columns, env: { NO_COLOR: '1' } });
    const row = r.out.split('\n')[1] as string;
    assert.equal(Array.from(row).length, columns);
    assert.ok(row.endsWith('x…'));
  }
  // No columns (a pipe): 100.
  const piped = await run({ file: long });
  assert.equal(Array.from(piped.out.split('\n')[1] as string).length, 100);
});

test('--limit cuts rows and says on stderr how many more matched; --quiet drops that line', async () => {
  const r = await run({ limit: '2' });
  assert.deepEqual(idColumn(r.out), ['bbbb-0002', 'aaaa-0001']);
  assert.equal(r.err, '… and 2 more (use --limit)\n');
  const q = await run({ limit: '2', quiet: true });
  assert.equal(q.err, '');
  const exact = await run({ limit: '4' });
  assert.equal(exact.err, '');
});

test('--limit defaults to 50 on a terminal only; --limit 0 means no limit', async () => {
  const many = dlqFile(makeDlqEntries(60, { seed: 7, now: NOW }));
  const tty = await run({ file: many }, { tty: true, env: { NO_COLOR: '1' } });
  assert.equal(idColumn(tty.out).length, 50);
  assert.equal(tty.err, '… and 10 more (use --limit)\n');
  const all = await run({ file: many, limit: '0' }, { tty: true, env: { NO_COLOR: '1' } });
  assert.equal(idColumn(all.out).length, 60);
  const pipe = await run({ file: many, ids: true });
  assert.equal(pipe.out.trimEnd().split('\n').length, 60);
  assert.equal(pipe.err, '');
});

test('--limit also applies to --json, --ndjson and --ids', async () => {
  assert.equal((JSON.parse((await run({ json: true, limit: '1' })).out) as unknown[]).length, 1);
  assert.equal((await run({ ndjson: true, limit: '3' })).out.trimEnd().split('\n').length, 3);
  const ids = await run({ ids: true, limit: '1' });
  assert.equal(ids.out, 'bbbb-0002\n');
  assert.equal(ids.err, '… and 3 more (use --limit)\n');
});

test('--json prints whole entries exactly as stored (unknown fields too), in list order', async () => {
  const r = await run({ json: true });
  const parsed = JSON.parse(r.out) as DlqEntry[];
  const byId = new Map(ENTRIES.map((e) => [e.delivery_id, e]));
  assert.deepEqual(
    parsed,
    ['bbbb-0002', 'aaaa-0001', 'cccc-0003', 'dddd-0004'].map((id) => byId.get(id)),
  );
  assert.deepEqual(parsed[0]?.['custom_field'], { kept: true });
  assert.equal(r.err, '');
});

test('--ndjson prints one whole entry per line; --ids one id per line', async () => {
  const nd = await run({ ndjson: true, statusCode: '5xx' });
  assert.deepEqual(
    nd.out.trimEnd().split('\n').map((l) => JSON.parse(l) as DlqEntry),
    [ENTRIES[0], ENTRIES[2]],
  );
  const ids = await run({ ids: true, statusCode: '5xx' });
  assert.equal(ids.out, 'bbbb-0002\ncccc-0003\n');
});

test('nothing matching: header-only table plus a note on stderr, [] for --json, nothing for --ids; exit 0', async () => {
  const t = await run({ statusCode: '418' });
  assert.equal(t.code, 0);
  assert.equal(t.out.trimEnd().split('\n').length, 1);
  assert.equal(t.err, 'no dead letters match\n');
  const j = await run({ statusCode: '418', json: true });
  assert.equal(j.out, '[]\n');
  assert.equal(j.err, '');
  const n = await run({ statusCode: '418', ndjson: true });
  assert.equal(n.out, '');
  const i = await run({ statusCode: '418', ids: true });
  assert.equal(i.out, '');
});

test('an empty DLQ file lists nothing', async () => {
  const empty = dlqFile([]);
  assert.equal((await run({ file: empty, json: true })).out, '[]\n');
});

test('filters are applied (each flag, and combined)', async () => {
  const ids = async (o: ListOptions) => (await run({ ...o, ids: true })).out.trimEnd().split('\n').filter(Boolean);
  assert.deepEqual(await ids({ since: '24h' }), ['bbbb-0002']);
  assert.deepEqual(await ids({ since: '30h' }), ['bbbb-0002', 'aaaa-0001']);
  assert.deepEqual(await ids({ until: '2026-03-01T08:00:00Z' }), ['cccc-0003', 'dddd-0004']);
  assert.deepEqual(await ids({ statusCode: '4xx' }), ['aaaa-0001', 'dddd-0004']);
  assert.deepEqual(await ids({ webhook: 'orders' }), ['bbbb-0002', 'cccc-0003']);
  assert.deepEqual(await ids({ webhook: 'wh-2' }), ['aaaa-0001', 'dddd-0004']);
  // dddd-0004 has only webhook_id wh-2, which aaaa-0001 calls Billing.
  assert.deepEqual(await ids({ webhook: 'billing' }), ['aaaa-0001', 'dddd-0004']);
  assert.deepEqual(await ids({ replayStatus: 'pending' }), ['bbbb-0002', 'dddd-0004']);
  assert.deepEqual(await ids({ grep: 'order-1' }), ['bbbb-0002']);
  assert.deepEqual(await ids({ webhook: 'Orders', replayStatus: 'failed', since: '30d' }), ['cccc-0003']);
});

test('--sort on each field, --reverse flips it; missing values last', async () => {
  const order = async (sort: string, reverse = false) =>
    (await run({ sort, reverse, ids: true })).out.trimEnd().split('\n');
  assert.deepEqual(await order('timestamp'), ['bbbb-0002', 'aaaa-0001', 'cccc-0003', 'dddd-0004']);
  assert.deepEqual(await order('timestamp', true), ['dddd-0004', 'cccc-0003', 'aaaa-0001', 'bbbb-0002']);
  assert.deepEqual(await order('status_code'), ['aaaa-0001', 'dddd-0004', 'cccc-0003', 'bbbb-0002']);
  assert.deepEqual(await order('status_code', true), ['bbbb-0002', 'cccc-0003', 'dddd-0004', 'aaaa-0001']);
  assert.deepEqual(await order('delivery_id'), ['aaaa-0001', 'bbbb-0002', 'cccc-0003', 'dddd-0004']);
  // Ties (two Orders, then Billing + an unnamed wh-2) break by newest timestamp.
  assert.deepEqual(await order('webhook'), ['aaaa-0001', 'bbbb-0002', 'cccc-0003', 'dddd-0004']);
  assert.deepEqual(await order('replay_status'), ['cccc-0003', 'bbbb-0002', 'dddd-0004', 'aaaa-0001']);
  // dddd has no last_seen_at: last in both directions.
  assert.deepEqual(await order('last_seen_at'), ['bbbb-0002', 'aaaa-0001', 'cccc-0003', 'dddd-0004']);
  assert.deepEqual(await order('last_seen_at', true), ['cccc-0003', 'aaaa-0001', 'bbbb-0002', 'dddd-0004']);
  assert.deepEqual(await order('first_seen_at'), ['bbbb-0002', 'aaaa-0001', 'cccc-0003', 'dddd-0004']);
});

test('--sort with --limit picks the same rows as a full sort (bounded selection)', async () => {
  const many = makeDlqEntries(400, { seed: 3, now: NOW });
  const file = dlqFile(many);
  for (const sort of ['timestamp', 'status_code', 'webhook', 'delivery_id']) {
    const all = (await run({ file, sort, ids: true })).out.trimEnd().split('\n');
    const top = (await run({ file, sort, ids: true, limit: '7' })).out.trimEnd().split('\n');
    assert.deepEqual(top, all.slice(0, 7), sort);
    const rev = (await run({ file, sort, ids: true, limit: '5', reverse: true })).out.trimEnd().split('\n');
    const allRev = (await run({ file, sort, ids: true, reverse: true })).out.trimEnd().split('\n');
    assert.deepEqual(rev, allRev.slice(0, 5), `${sort} reversed`);
  }
  // The default order really is newest first.
  const times = (JSON.parse((await run({ file, json: true })).out) as DlqEntry[]).map((e) => Date.parse(e.timestamp as string));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
});

test('--group-by counts per group, biggest first, after the filters', async () => {
  const grouped = async (groupBy: string, extra: ListOptions = {}) =>
    JSON.parse((await run({ groupBy, json: true, ...extra })).out) as { key: unknown; count: number }[];
  assert.deepEqual(await grouped('webhook'), [
    { key: 'Billing', count: 2 },
    { key: 'Orders', count: 2 },
  ]);
  assert.deepEqual(await grouped('replay_status'), [
    { key: 'pending', count: 2 },
    { key: 'failed', count: 1 },
    { key: 'succeeded', count: 1 },
  ]);
  assert.deepEqual(await grouped('status_code', { statusCode: '5xx' }), [
    { key: 500, count: 1 },
    { key: 503, count: 1 },
  ]);
  // Local days; midday-ish timestamps keep this independent of the zone for -7..+12.
  const days = await grouped('day');
  assert.equal(days.length, 4);
  assert.deepEqual(
    days.map((d) => d.count),
    [1, 1, 1, 1],
  );
  assert.ok(days.every((d) => typeof d.key === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d.key)));
  assert.deepEqual(await grouped('webhook', { reverse: true }), [
    { key: 'Orders', count: 2 },
    { key: 'Billing', count: 2 },
  ]);
});

test('--group-by on a larger file: counts add up and are sorted by count', async () => {
  const many = makeDlqEntries(500, { seed: 11, now: NOW });
  const file = dlqFile(many);
  const groups = JSON.parse((await run({ file, groupBy: 'status_code', json: true })).out) as { key: number; count: number }[];
  assert.equal(
    groups.reduce((s, g) => s + g.count, 0),
    500,
  );
  for (const g of groups) assert.equal(g.count, many.filter((e) => e.status_code === g.key).length);
  for (let i = 1; i < groups.length; i++) assert.ok((groups[i - 1] as { count: number }).count >= (groups[i] as { count: number }).count);
});

test('--group-by table: bars on a terminal only, --limit cuts groups with a closing line', async () => {
  const tty = await run({ groupBy: 'replay_status' }, { tty: true, env: { NO_COLOR: '1' } });
  const lines = tty.out.trimEnd().split('\n');
  assert.match(lines[0] as string, /^REPLAY_STATUS\s+COUNT$/);
  assert.match(lines[1] as string, /^pending\s+2  █{40}$/);
  assert.match(lines[2] as string, /^failed\s+1  █{20}$/);
  const pipe = await run({ groupBy: 'replay_status' });
  assert.ok(!pipe.out.includes('█'));
  assert.match(pipe.out.split('\n')[1] as string, /^pending\s+2$/);
  const cut = await run({ groupBy: 'replay_status', limit: '1' });
  assert.equal(cut.out.trimEnd().split('\n').length, 2);
  assert.equal(cut.err, '… and 2 more groups (use --limit)\n');
});

test('a missing key is its own group', async () => {
  const file = dlqFile([{ delivery_id: 'x1' }, { delivery_id: 'x2', status_code: 500 }]);
  const groups = JSON.parse((await run({ file, groupBy: 'status_code', json: true })).out);
  assert.deepEqual(groups, [
    { key: 500, count: 1 },
    { key: null, count: 1 },
  ]);
  assert.match((await run({ file, groupBy: 'day' })).out, /\(none\)\s+2/);
});

test('bad flags are usage errors naming the flag, checked before the file is read', async () => {
  const missing = join(dir, 'does-not-exist.json');
  const cases: [ListOptions, RegExp][] = [
    [{ json: true, ids: true }, /^--json and --ids cannot be combined$/],
    [{ ndjson: true, ids: true }, /^--ndjson and --ids cannot be combined$/],
    [{ since: 'yesterday' }, /^--since: 'yesterday' is not a time/],
    [{ statusCode: '5x' }, /^--status-code: /],
    [{ replayStatus: 'done' }, /^--replay-status: /],
    [{ sort: 'size' }, /^--sort: 'size' is not one of timestamp, /],
    [{ limit: 'ten' }, /^--limit: /],
    [{ limit: '-1' }, /^--limit: /],
    [{ groupBy: 'hour' }, /^--group-by: /],
    [{ groupBy: 'day', ids: true }, /^--group-by cannot be combined with --ids$/],
    [{ groupBy: 'day', sort: 'timestamp' }, /^--sort cannot be combined with --group-by/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(
      run({ ...options, file: missing }),
      (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage && message.test(e.message),
      JSON.stringify(options),
    );
  }
});

test('a missing DLQ file is exit 6 telling to fetch first', async () => {
  const missing = join(dir, 'nope.json');
  await assert.rejects(
    run({ file: missing }),
    (e: unknown) =>
      e instanceof DlqFileError && e.exitCode === ExitCode.dlqFile && e.message === `${missing}: no DLQ file (run dlq fetch first)`,
  );
});

test('an invalid DLQ file is exit 6 and stays byte-for-byte as it was', async () => {
  for (const content of ['[{"delivery_id": "a"},', '{"not": "an array"}', '[{"no_id": 1}]']) {
    const path = join(dir, `bad-${++fileCounter}.json`);
    writeFileSync(path, content);
    const before = readFileSync(path);
    await assert.rejects(run({ file: path }), (e: unknown) => e instanceof DlqFileError && e.exitCode === ExitCode.dlqFile);
    assert.deepEqual(readFileSync(path), before);
  }
});

test('the file comes from --file, then DLQ_FILE (also via --env-file), then ./dead_letter_queue.json', async () => {
  const viaEnv = captureIo({ env: { DLQ_FILE: FILE } });
  await listCommand({ ids: true }, viaEnv.io);
  assert.equal(viaEnv.out().split('\n').length, 5);

  const envFile = join(dir, 'list.env');
  writeFileSync(envFile, `DLQ_FILE=${dlqFile([ENTRIES[2] as DlqEntry])}\n`);
  const viaEnvFile = captureIo();
  await listCommand({ ids: true, envFile }, viaEnvFile.io);
  assert.equal(viaEnvFile.out(), 'cccc-0003\n');

  const cwdDir = mkdtempSync(join(tmpdir(), 'dlq-list-cwd-'));
  writeFileSync(join(cwdDir, 'dead_letter_queue.json'), serializeDlq([ENTRIES[1] as DlqEntry]));
  const viaDefault = captureIo();
  viaDefault.io.cwd = cwdDir;
  await listCommand({ ids: true }, viaDefault.io);
  assert.equal(viaDefault.out(), 'aaaa-0001\n');
});

test('--ids on a terminal escapes control characters in ids; on a pipe they are raw for xargs', async () => {
  const file = dlqFile([{ delivery_id: 'evil\u001b]0;pwned\u0007' }]);
  assert.equal((await run({ file, ids: true }, { tty: true })).out, 'evil\\x1b]0;pwned\\x07\n');
  assert.equal((await run({ file, ids: true })).out, 'evil\u001b]0;pwned\u0007\n');
});
