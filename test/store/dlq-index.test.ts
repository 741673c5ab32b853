import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { serializeDlq, updateDlqFile } from '../../src/store/dlq-file.js';
import { DLQ_INDEX_VERSION, DlqIndexStaleError, ENTRY_REF, indexPathFor, readDlqIndex, readEntriesAt } from '../../src/store/dlq-index.js';
import { serializeDlqChunks, type EntryLayout } from '../../src/store/serialize-dlq.js';
import { entry, leftovers, tempDir } from '../support/store-helpers.js';

const ODD: DlqEntry[] = [
  entry('a-1', { webhook_name: 'Orders', replay_status: 'failed', replays: [{ at: 'x', target: 't', http_status: 500, error: null, duration_ms: 1 }] }),
  // Seven-field entry, a status code stored as a string, a non-string timestamp, non-ASCII text.
  { delivery_id: 'b-2', timestamp: '2024-05-02T00:00:00Z', status_code: 429, status_message: 'x', request_body: '', response_body: '', webhook_id: 'w' },
  entry('c-3', { status_code: '503' as unknown as number, timestamp: 12 as unknown as string, status_message: 'été 🌍 \u0000' }),
  entry('d-4', { status_code: null as unknown as number, webhook_name: { nested: true } as unknown as string }),
];

/** The summary's string-keyed fields (without its byte-range symbol). */
const plain = (e: DlqEntry | undefined) => Object.fromEntries(Object.entries(e ?? {}));

async function write(path: string, entries: readonly DlqEntry[]): Promise<void> {
  await updateDlqFile(path, () => ({ entries: [...entries], result: undefined }));
}

test('the serialiser records each entry’s byte range, also across chunk boundaries', () => {
  const entries = [...ODD, entry('e-5', { request_body: 'x'.repeat(300) })];
  const layout: EntryLayout = { offsets: [], lengths: [] };
  // The generator reuses its buffer: copy each chunk before asking for the next.
  const parts: Buffer[] = [];
  for (const chunk of serializeDlqChunks(entries, 64, layout)) parts.push(Buffer.from(chunk));
  const bytes = Buffer.concat(parts);
  assert.equal(bytes.toString('utf8'), serializeDlq(entries));
  assert.equal(layout.offsets.length, entries.length);
  entries.forEach((e, i) => {
    const slice = bytes.subarray(layout.offsets[i], (layout.offsets[i] as number) + (layout.lengths[i] as number));
    assert.equal(slice.toString('utf8'), JSON.stringify(e));
  });
});

test('an update writes the index: identity of the new file, right offsets, summaries, file mode', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dlq.json');
  writeFileSync(path, '[]\n', { mode: 0o640 });
  await write(path, ODD);
  const idxPath = indexPathFor(path);
  assert.equal(statSync(idxPath).mode & 0o777, 0o640);
  const header = JSON.parse(readFileSync(idxPath, 'utf8').split('\n')[0] as string);
  const st = statSync(path, { bigint: true });
  assert.deepEqual(header.identity, { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) });
  assert.equal(header.count, ODD.length);

  const index = await readDlqIndex(path);
  assert.ok(index);
  const file = readFileSync(path);
  index.entries.forEach((summary, i) => {
    const ref = summary[ENTRY_REF];
    assert.deepEqual(JSON.parse(file.toString('utf8', ref.offset, ref.offset + ref.length)), ODD[i]);
  });
  assert.deepEqual(plain(index.entries[0]), {
    delivery_id: 'a-1',
    timestamp: '2024-05-01T10:00:00.000Z',
    status_code: 503,
    status_message: 'Service Unavailable',
    webhook_id: 'wh-1',
    webhook_name: 'Orders',
    replay_status: 'failed',
  });
  assert.equal(index.entries[0]?.[ENTRY_REF].replays, 1);
  // String codes are kept (statusCodeOf reads them); values of types nobody reads are left out.
  assert.deepEqual(plain(index.entries[2]), { delivery_id: 'c-3', status_code: '503', status_message: 'été 🌍 \u0000', webhook_id: 'wh-1' });
  assert.equal('status_code' in (index.entries[3] as object), false);
  assert.equal('webhook_name' in (index.entries[3] as object), false);

  assert.deepEqual(await readEntriesAt(index, [index.entries[2] as DlqEntry, index.entries[0] as DlqEntry]), [ODD[2], ODD[0]]);
  assert.deepEqual(leftovers(dir), []);
});

test('an empty DLQ gets an empty index', async (t) => {
  const path = join(tempDir(t), 'dlq.json');
  await write(path, []);
  assert.deepEqual((await readDlqIndex(path))?.entries, []);
});

test('no index, or a DLQ file changed by anyone else, means no index', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dlq.json');
  writeFileSync(path, serializeDlq(ODD));
  assert.equal(await readDlqIndex(path), undefined, 'files written by other tools have no index');

  await write(path, ODD);
  assert.ok(await readDlqIndex(path));
  appendFileSync(path, ' ');
  assert.equal(await readDlqIndex(path), undefined, 'appended by hand');

  await write(path, ODD);
  const other = join(dir, 'other.json');
  writeFileSync(other, serializeDlq(ODD.slice(1)));
  renameSync(other, path);
  assert.equal(await readDlqIndex(path), undefined, 'replaced by another writer');
});

test('a corrupt, truncated or other-version index is ignored', async (t) => {
  const path = join(tempDir(t), 'dlq.json');
  await write(path, ODD);
  const idxPath = indexPathFor(path);
  const good = readFileSync(idxPath, 'utf8');
  const [headerLine, ...rest] = good.split('\n');
  const header = JSON.parse(headerLine as string);
  const body = rest.join('\n');
  const variants: Record<string, string> = {
    garbage: 'not an index\n[]\n',
    empty: '',
    truncated: good.slice(0, Math.floor(good.length * 0.7)),
    'no newline': JSON.stringify(header),
    'other version': `${JSON.stringify({ ...header, version: DLQ_INDEX_VERSION + 1 })}\n${body}`,
    'wrong count': `${JSON.stringify({ ...header, count: ODD.length + 1 })}\n${body}`,
    'row past the end': `${headerLine}\n${body.replace(/^\[\n\[2,/, `[\n[${Number(header.identity.size)},`)}`,
    'row of the wrong shape': `${headerLine}\n${body.replace(/^\[\n\[2,\d+,/, '[\n[2,"x",')}`,
  };
  for (const [name, text] of Object.entries(variants)) {
    writeFileSync(idxPath, text);
    assert.equal(await readDlqIndex(path), undefined, name);
  }
  writeFileSync(idxPath, good);
  assert.ok(await readDlqIndex(path), 'the untouched index is still accepted (the variants were rejected for their content)');
});

test('readEntriesAt refuses a file replaced after the index was read, and an index pointing elsewhere', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dlq.json');
  await write(path, ODD);
  const index = await readDlqIndex(path);
  assert.ok(index);
  await write(path, [...ODD].reverse());
  await assert.rejects(readEntriesAt(index, [index.entries[0] as DlqEntry]), DlqIndexStaleError);

  // Same identity, but a row whose range holds another entry (a forged or buggy index).
  const fresh = await readDlqIndex(path);
  assert.ok(fresh);
  const wrong = { ...fresh.entries[0], [ENTRY_REF]: (fresh.entries[1] as DlqEntry & { [ENTRY_REF]: unknown })[ENTRY_REF] };
  await assert.rejects(readEntriesAt(fresh, [wrong as DlqEntry]), DlqIndexStaleError);
});

test('failing to write the index is not an error, and leaves no index behind', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dlq.json');
  // A directory where the index would go: the index rename fails, the update must not.
  mkdirSync(indexPathFor(path));
  await write(path, ODD);
  assert.equal(readFileSync(path, 'utf8'), serializeDlq(ODD));
  assert.equal(await readDlqIndex(path), undefined);
  assert.deepEqual(leftovers(dir), []);
  assert.ok(existsSync(path));
});

test('the index of a symlinked DLQ file lives next to the real file', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'real'));
  const real = join(dir, 'real', 'dlq.json');
  writeFileSync(real, '[]\n');
  const link = join(dir, 'link.json');
  const { symlinkSync } = await import('node:fs');
  symlinkSync(real, link);
  await write(link, ODD);
  assert.ok(existsSync(indexPathFor(real)));
  assert.equal(existsSync(indexPathFor(link)), false);
  assert.equal((await readDlqIndex(link))?.entries.length, ODD.length);
});
