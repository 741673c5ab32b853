/**
 * dlq prune in the store: archive first (plain or gzip, appended, fsynced), pruned ids next, the
 * rewrite last; whatever fails, a removed entry is in the archive, the file or both, never neither.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DlqFileError } from '../../src/errors.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { readPrunedIds, prunedPathFor } from '../../src/store/pruned-ids.js';
import { pruneDlqFile } from '../../src/store/prune-dlq.js';
import { nodeStoreFs, type StoreFs } from '../../src/store/store-fs.js';
import { entry, tempDir } from '../support/store-helpers.js';

const odd = (e: DlqEntry) => Number(e.delivery_id.split('-')[1]) % 2 === 1;
const seed = (dir: string, n = 6) => {
  const file = join(dir, 'dlq.json');
  const entries = Array.from({ length: n }, (_, i) => entry(`e-${i}`, { custom: { n: i, text: 'ünï "q"' } }));
  writeFileSync(file, serializeDlq(entries));
  return { file, entries, before: readFileSync(file) };
};
/** Each entry's exact line in the DLQ file (dlq's layout: one entry per line). */
const linesOf = (text: string) => text.split('\n').slice(1, -2).map((l) => l.replace(/,$/, ''));

test('removes the selected entries; the archive gets them whole, byte-for-byte as in the file, appended on every run', async (t) => {
  const dir = tempDir(t);
  const { file, before } = seed(dir);
  const archive = join(dir, 'archive.ndjson');
  writeFileSync(archive, '{"earlier":true}\n');
  const wantLines = linesOf(before.toString('utf8')).filter((_, i) => i % 2 === 1);
  const result = await pruneDlqFile(file, { select: (all) => all.filter(odd), archive: { path: archive, line: (e) => JSON.stringify(e) } });
  assert.deepEqual(result.removed.map((e) => e.delivery_id), ['e-1', 'e-3', 'e-5']);
  assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[]).map((e) => e.delivery_id), ['e-0', 'e-2', 'e-4']);
  assert.equal(readFileSync(archive, 'utf8'), `{"earlier":true}\n${wantLines.join('\n')}\n`);
  assert.deepEqual([...(await readPrunedIds(file))].sort(), ['e-1', 'e-3', 'e-5']);
  // Nothing matching: neither file is touched.
  const after = readFileSync(file);
  await pruneDlqFile(file, { select: () => [], archive: { path: archive, line: (e) => JSON.stringify(e) } });
  assert.ok(readFileSync(file).equals(after));
});

test('a new archive is created 0600; a .gz archive gains one gzip member per run and reads back whole', async (t) => {
  const dir = tempDir(t);
  const { file, before } = seed(dir);
  const lines = linesOf(before.toString('utf8'));
  const plain = join(dir, 'new.ndjson');
  await pruneDlqFile(file, { select: (all) => all.slice(0, 1), archive: { path: plain, line: (e) => JSON.stringify(e) } });
  assert.equal(statSync(plain).mode & 0o777, 0o600);
  const gz = join(dir, 'archive.ndjson.gz');
  await pruneDlqFile(file, { select: (all) => all.slice(0, 2), archive: { path: gz, line: (e) => JSON.stringify(e) } });
  await pruneDlqFile(file, { select: (all) => all.slice(0, 1), archive: { path: gz, line: (e) => JSON.stringify(e) } });
  assert.equal(statSync(gz).mode & 0o777, 0o600);
  assert.equal(gunzipSync(readFileSync(gz)).toString('utf8'), `${lines.slice(1, 4).join('\n')}\n`);
});

test('an unusable archive is exit 6 naming it; the DLQ file is untouched and nothing is tombstoned', async (t) => {
  const dir = tempDir(t);
  const { file, before } = seed(dir);
  mkdirSync(join(dir, 'a-directory'));
  writeFileSync(join(dir, 'plain.gz'), 'not gzip');
  const cases = [join(dir, 'a-directory'), join(dir, 'missing-dir', 'a.ndjson'), join(dir, 'plain.gz'), join(dir, 'missing-dir', 'a.ndjson.gz')];
  for (const archive of cases) {
    await assert.rejects(
      pruneDlqFile(file, { select: (all) => all.filter(odd), archive: { path: archive, line: (e) => JSON.stringify(e) } }),
      (error: unknown) => error instanceof DlqFileError && error.message.startsWith(archive.replace(/\/a\.ndjson(\.gz)?$/, '')),
      archive,
    );
    assert.ok(readFileSync(file).equals(before), archive);
  }
  assert.equal(readFileSync(join(dir, 'plain.gz'), 'utf8'), 'not gzip');
  assert.equal((await readPrunedIds(file)).size, 0);
  if (process.getuid?.() !== 0) {
    const readOnly = join(dir, 'ro.ndjson');
    writeFileSync(readOnly, '');
    chmodSync(readOnly, 0o400);
    await assert.rejects(pruneDlqFile(file, { select: (all) => all.slice(), archive: { path: readOnly, line: (e) => JSON.stringify(e) } }), DlqFileError);
    assert.ok(readFileSync(file).equals(before));
  }
});

test('the rewrite failing after the archive was written leaves the entries in both, and tombstoned', async (t) => {
  const dir = tempDir(t);
  const { file, before } = seed(dir);
  const archive = join(dir, 'a.ndjson');
  const failingRename: StoreFs = {
    ...nodeStoreFs,
    rename: async (from, to) => {
      if (to === file) throw Object.assign(new Error('simulated crash before the rename'), { code: 'EIO' });
      return nodeStoreFs.rename(from, to);
    },
  };
  await assert.rejects(
    pruneDlqFile(file, { select: (all) => all.filter(odd), archive: { path: archive, line: (e) => JSON.stringify(e) } }, { fs: failingRename }),
    DlqFileError,
  );
  assert.ok(readFileSync(file).equals(before), 'the DLQ file still holds them');
  assert.equal(readFileSync(archive, 'utf8').split('\n').filter(Boolean).length, 3, 'and so does the archive');
  assert.equal((await readPrunedIds(file)).size, 3);
});

test('the pruned-id list survives a line cut short by a crash', async (t) => {
  const dir = tempDir(t);
  const { file } = seed(dir);
  writeFileSync(prunedPathFor(file), '{"delivery_id":"x-1","pruned_at":"t"}\n{"delivery_id":"x-');
  await pruneDlqFile(file, { select: (all) => all.slice(0, 1) });
  assert.deepEqual([...(await readPrunedIds(file))].sort(), ['e-0', 'x-1']);
  assert.match(readFileSync(prunedPathFor(file), 'utf8'), /\{"delivery_id":"x-\n\{"delivery_id":"e-0"/);
});
