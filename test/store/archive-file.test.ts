import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { appendBatchesToArchive, appendToArchive } from '../../src/store/archive-file.js';
import { tempDir } from '../support/store-helpers.js';

/** Batches of lines as a store streams them; `failAfter` throws after that many batches (a lost connection). */
async function* batches(n: number, size: number, failAfter?: number): AsyncGenerator<string[]> {
  for (let b = 0; b < n; b++) {
    if (b === failAfter) throw new Error('connection lost');
    yield Array.from({ length: size }, (_, i) => JSON.stringify({ delivery_id: `b${b}-${i}`, body: 'x'.repeat(i % 50) }));
  }
}
const expected = (n: number, size: number, from = 0) =>
  Array.from({ length: n - from }, (_, b) => Array.from({ length: size }, (_, i) => `${JSON.stringify({ delivery_id: `b${b + from}-${i}`, body: 'x'.repeat(i % 50) })}\n`).join('')).join('');

test('streamed batches land as one NDJSON append (plain) or one more gzip member (.gz), the same text as one batch', async (t) => {
  const dir = tempDir(t);
  for (const name of ['a.ndjson', 'a.ndjson.gz']) {
    const path = join(dir, name);
    await appendToArchive(path, ['{"first":1}']);
    await appendBatchesToArchive(path, batches(40, 250));
    const bytes = readFileSync(path);
    const text = name.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    assert.equal(text, `{"first":1}\n${expected(40, 250)}`, name);
  }
  // Streamed in batches, a new .gz archive is one gzip member (its compressed bytes may differ
  // from gzip's of the same text at once; what it holds does not).
  const streamed = join(dir, 'streamed.ndjson.gz');
  await appendBatchesToArchive(streamed, batches(40, 250));
  const bytes = readFileSync(streamed);
  assert.equal(gunzipSync(bytes).toString('utf8'), expected(40, 250));
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
});

test('a source that fails midway leaves the archive as it was (plain: cut back; .gz: never replaced); no lines, no archive', async (t) => {
  const dir = tempDir(t);
  const plain = join(dir, 'a.ndjson');
  const gz = join(dir, 'a.ndjson.gz');
  writeFileSync(plain, '{"old":1}\n');
  writeFileSync(gz, gzipSync('{"old":1}\n'));
  for (const path of [plain, gz]) {
    const before = readFileSync(path);
    await assert.rejects(appendBatchesToArchive(path, batches(10, 500, 6)), /connection lost/);
    assert.ok(readFileSync(path).equals(before), path);
  }
  const none = join(dir, 'none.ndjson');
  await appendBatchesToArchive(none, (async function* () {
    yield [];
  })());
  assert.throws(() => readFileSync(none), /ENOENT/);
});
