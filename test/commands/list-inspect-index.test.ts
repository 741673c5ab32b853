/**
 * `dlq list` / `dlq inspect` through the sidecar index must print exactly what the full read
 * prints: every option set runs on the same file with the index and without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectCommand, type InspectOptions } from '../../src/commands/inspect.js';
import { listCommand, type ListOptions } from '../../src/commands/list.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DlqFileError, ExitCode } from '../../src/errors.js';
import { updateDlqFile } from '../../src/store/dlq-file.js';
import { indexPathFor, readDlqIndex } from '../../src/store/dlq-index.js';
import { captureIo } from '../support/capture-io.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'dlq-index-cmd-'));

const ODD: DlqEntry[] = [
  // Only a webhook id (named by other entries), a code stored as a string, odd timestamps, hostile text.
  { delivery_id: 'odd-1', timestamp: '2026-03-10T10:00:00Z', status_code: 503, status_message: 'm', request_body: '', response_body: '', webhook_id: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4' },
  { delivery_id: 'odd-2', timestamp: 'yesterday', status_code: '502' as unknown as number, status_message: 'bad \u001b[2J gateway', request_body: 'héllo 🌍 \u001b[31m\r\u007f', response_body: '{}' },
  { delivery_id: 'odd-3', status_code: null as unknown as number, request_body: '{"a":1}', replay_status: 'bogus' as 'pending', replays: [] },
  { delivery_id: 'odd-4\u001b[1m', timestamp: 17 as unknown as string, status_message: 42 as unknown as string, webhook_name: '', webhook_id: '', last_seen_at: 'x', first_seen_at: '2026-03-01T00:00:00Z' },
  // Operational events (contract §5): null bodies and status, the event kept whole; one with an odd source value.
  { delivery_id: 'opev-0001', timestamp: '2026-03-10T09:00:00Z', status_code: 503, status_message: 'http.status.503 (Orders lookup)', request_body: null, response_body: null, webhook_id: 'act-1', webhook_name: 'Orders lookup', replay_status: 'pending', replays: [], source: 'operational-event', event_definition: { id: 'def-1', name: 'Data Action Failed' }, event: { errorCode: 'http.status.503', entityName: 'Orders lookup' } },
  { delivery_id: 'opev-0002', timestamp: '2026-03-09T09:00:00Z', status_code: null, status_message: 'ACTION.TIMEOUT', request_body: null, response_body: null, source: 'operational-event', event_definition: { id: 'def-1', name: 'Data Action Failed' }, event: { errorCode: 'ACTION.TIMEOUT' } },
  { delivery_id: 'other-5', timestamp: '2026-03-09T10:00:00Z', status_code: 500, request_body: '{}', source: 7 as unknown as string },
];
const ENTRIES: DlqEntry[] = [...makeDlqEntries(240, { seed: 7, now: NOW }), ...ODD];
const FILE = join(dir, 'dlq.json');
await updateDlqFile(FILE, () => ({ entries: ENTRIES, result: undefined }));
const IDX = indexPathFor(FILE);
const ASIDE = `${IDX}.aside`;

async function capture(run: (io: ReturnType<typeof captureIo>) => Promise<number>, tty: boolean) {
  const io = captureIo({ tty, columns: 90, now: NOW, cwd: dir, env: {} });
  try {
    const code = await run(io);
    return { code, out: io.out(), err: io.err() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), out: io.out(), err: io.err() };
  }
}

/** The result with the index, then without it (index moved aside and back). */
async function both(run: (io: ReturnType<typeof captureIo>) => Promise<number>, tty = false) {
  assert.ok(await readDlqIndex(FILE), 'the index is valid before the indexed run');
  const indexed = await capture(run, tty);
  renameSync(IDX, ASIDE);
  try {
    assert.equal(await readDlqIndex(FILE), undefined);
    return { indexed, full: await capture(run, tty) };
  } finally {
    renameSync(ASIDE, IDX);
  }
}

const FILTERS: ListOptions[] = [
  {},
  { statusCode: '503' },
  { statusCode: '5xx,429' },
  { since: '7d' },
  { since: '2026-02-20', until: '2026-03-01' },
  { webhook: 'orders' },
  { webhook: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4' },
  { replayStatus: 'failed,succeeded' },
  { statusCode: '4xx', replayStatus: 'pending', webhook: 'Billing Events' },
  { statusCode: '418' },
  { source: 'events' },
  { source: 'history', statusCode: '5xx' },
];
const SHAPES: ListOptions[] = [
  {},
  { limit: '7' },
  { limit: '0' },
  { sort: 'status_code' },
  { sort: 'webhook', reverse: true, limit: '5' },
  { sort: 'delivery_id' },
  { sort: 'replay_status', limit: '3' },
  { sort: 'last_seen_at' },
  { sort: 'first_seen_at', reverse: true },
];
const FORMATS: ListOptions[] = [{}, { json: true }, { ndjson: true }, { ids: true }];
const GROUPS: ListOptions[] = ['status_code', 'webhook', 'day', 'replay_status'].flatMap((g) => [
  { groupBy: g },
  { groupBy: g, json: true },
  { groupBy: g, reverse: true, limit: '2' },
]);

test('list prints the same bytes with and without the index, for every option', async () => {
  const cases: { options: ListOptions; tty: boolean }[] = [];
  for (const f of FILTERS) for (const s of SHAPES) for (const fmt of FORMATS) cases.push({ options: { ...f, ...s, ...fmt }, tty: false });
  for (const f of FILTERS.slice(0, 4)) for (const g of GROUPS) cases.push({ options: { ...f, ...g }, tty: false });
  // On a terminal: colours, the default limit, escaped ids, bars.
  for (const o of [{}, { statusCode: '5xx' }, { ids: true }, { groupBy: 'webhook' }, { quiet: true, limit: '2' }] as ListOptions[]) {
    cases.push({ options: o, tty: true });
  }
  // CSV and redaction read whole entries for the shown rows, like --json.
  const wholeFormats: ListOptions[] = [
    { csv: true },
    { csv: true, csvBodies: true, redact: ['conversationId'], limit: '40' },
    { ndjson: true, redact: ['eventBody.ani', 'attributes'] },
    { csv: true, groupBy: 'webhook' },
  ];
  for (const f of FILTERS.slice(0, 4)) for (const w of wholeFormats) cases.push({ options: { ...f, ...w }, tty: false });
  // Errors come before any read either way.
  cases.push({ options: { json: true, ids: true }, tty: false }, { options: { sort: 'nope' }, tty: false });
  let nonEmpty = 0;
  for (const { options, tty } of cases) {
    const { indexed, full } = await both((io) => listCommand({ file: FILE, ...options }, io), tty);
    assert.deepEqual(indexed, full, JSON.stringify({ options, tty }));
    if (indexed.out.length > 200) nonEmpty++;
  }
  assert.ok(nonEmpty > cases.length / 2, 'most cases print real data');
});

test('--json through the index prints whole entries, byte for byte as the file has them', async () => {
  const { indexed } = await both((io) => listCommand({ file: FILE, ndjson: true, limit: '0' }, io));
  const lines = readFileSync(FILE, 'utf8').split('\n').slice(1, -2).map((l) => l.replace(/,$/, ''));
  assert.deepEqual(indexed.out.trimEnd().split('\n').sort(), lines.sort());
});

test('the table really comes from the index when it is valid', async () => {
  // The index is trusted while the DLQ file's identity matches: a doctored summary shows up,
  // which proves the whole file was not parsed.
  const original = readFileSync(IDX, 'utf8');
  try {
    writeFileSync(IDX, original.replace('"odd-1","2026-03-10T10:00:00Z",503,"m"', '"odd-1","2026-03-10T10:00:00Z",503,"FROM-INDEX"'));
    const r = await capture((io) => listCommand({ file: FILE, statusCode: '503' }, io), false);
    assert.match(r.out, /FROM-INDEX/);
    // --grep needs the bodies, so it always reads the file.
    const g = await capture((io) => listCommand({ file: FILE, grep: 'm' }, io), false);
    assert.doesNotMatch(g.out, /FROM-INDEX/);
  } finally {
    writeFileSync(IDX, original);
  }
});

test('inspect prints the same bytes with and without the index (default, --json, --body, errors)', async () => {
  const sample = [ENTRIES[0], ENTRIES[17], ENTRIES[239], ...ODD] as DlqEntry[];
  const ids = [...sample.map((e) => e.delivery_id), sample[1]!.delivery_id.slice(0, 8), 'odd-', 'nope', 'odd-2'];
  for (const id of ids) {
    for (const extra of [{}, { json: true }, { body: true }] as Partial<InspectOptions>[]) {
      for (const tty of [false, true]) {
        const { indexed, full } = await both((io) => inspectCommand({ file: FILE, id, ...extra }, io), tty);
        assert.deepEqual(indexed, full, JSON.stringify({ id, extra, tty }));
      }
    }
  }
  const body = await both((io) => inspectCommand({ file: FILE, id: 'odd-2', body: true }, io));
  assert.equal(body.indexed.out, ODD[1]!.request_body);
  const ambiguous = await both((io) => inspectCommand({ file: FILE, id: 'odd-' }, io));
  assert.match(ambiguous.indexed.error ?? '', /ambiguous: 4 dead letters match/);
});

test('a corrupt DLQ file is exit 6 even next to an index (never stale data)', async () => {
  const path = join(dir, 'corrupt.json');
  await updateDlqFile(path, () => ({ entries: ENTRIES.slice(0, 20), result: undefined }));
  const good = readFileSync(path);
  writeFileSync(path, good.subarray(0, good.length - 40));
  for (const run of [
    (io: ReturnType<typeof captureIo>) => listCommand({ file: path }, io),
    (io: ReturnType<typeof captureIo>) => listCommand({ file: path, json: true }, io),
    (io: ReturnType<typeof captureIo>) => inspectCommand({ file: path, id: ENTRIES[0]!.delivery_id }, io),
  ]) {
    const io = captureIo({ now: NOW, cwd: dir });
    await assert.rejects(run(io), (e: unknown) => e instanceof DlqFileError && e.exitCode === ExitCode.dlqFile);
    assert.equal(io.out(), '');
  }
});

test('a DLQ file replaced by another writer is read in full, not through its old index', async () => {
  const path = join(dir, 'replaced.json');
  await updateDlqFile(path, () => ({ entries: ENTRIES.slice(0, 20), result: undefined }));
  const other = join(dir, 'replaced.tmp-other');
  const changed = ENTRIES.slice(0, 20).map((e) => ({ ...e, status_message: 'CHANGED' }));
  writeFileSync(other, `[\n${changed.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
  renameSync(other, path);
  const io = captureIo({ now: NOW, cwd: dir });
  assert.equal(await listCommand({ file: path }, io), ExitCode.ok);
  assert.equal(io.out().match(/CHANGED/g)?.length, 20);
});
