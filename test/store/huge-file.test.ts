/**
 * A DLQ file larger than V8's maximum string length (536,870,888 UTF-16 code units, ~512 MiB)
 * loads and saves. Writing and reading ~600 MB takes a while, so this runs only with
 * DLQ_TEST_HUGE=1; the chunk-boundary logic it relies on is always tested on small inputs
 * (json-array-scanner.test.ts, dlq-file-read.test.ts).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readDlqFile, updateDlqFile } from '../../src/store/dlq-file.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { tempDir } from '../support/store-helpers.js';

const MAX_STRING_LENGTH = 536_870_888;
const enabled = process.env['DLQ_TEST_HUGE'] === '1';

it('loads and saves a DLQ file larger than the maximum string length', { skip: !enabled && 'set DLQ_TEST_HUGE=1 to run', timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'huge.json');
  const body = `{"payload":"${'x'.repeat(100 * 1024)}","note":"é ] , {"}`;
  const count = 5600;
  const make = (i: number): DlqEntry => ({ delivery_id: `huge-${i}`, status_code: 503, request_body: body, n: i });
  let started = Date.now();
  await updateDlqFile(file, () => ({ entries: Array.from({ length: count }, (_, i) => make(i)), result: null }));
  const size = statSync(file).size;
  t.diagnostic(`wrote ${(size / 2 ** 20).toFixed(0)} MiB in ${Date.now() - started} ms`);
  assert.ok(size > MAX_STRING_LENGTH, `file is ${size} bytes`);

  started = Date.now();
  await updateDlqFile(file, ({ entries }) => {
    assert.equal(entries.length, count);
    return { entries: [...entries, make(count)], result: null };
  });
  t.diagnostic(`read + rewrote in ${Date.now() - started} ms`);

  started = Date.now();
  const { entries } = await readDlqFile(file);
  t.diagnostic(`read in ${Date.now() - started} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  assert.equal(entries.length, count + 1);
  assert.deepEqual(entries[count], make(count));
  assert.equal(entries[1234]?.request_body, body);
});
