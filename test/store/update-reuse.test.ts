/**
 * UpdateReuse (issue #13): a caller's next update starts from what its previous update wrote,
 * but only while nobody else changed the file; the bytes written are the same either way.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { readDlqFile, serializeDlq, serializeDlqChunks, updateDlqFile } from '../../src/store/dlq-file.js';
import { ENTRY_REF, readDlqIndex } from '../../src/store/dlq-index.js';
import { nodeStoreFs, type StoreFileHandle, type StoreFs } from '../../src/store/store-fs.js';
import { UpdateReuse } from '../../src/store/update-reuse.js';
import { entry, tempDir } from '../support/store-helpers.js';

/** Counts the reads that return bytes of the DLQ file itself (loading it; not stat or lock checks). */
function countingFs(path: string): StoreFs & { reads: number } {
  const fs: StoreFs & { reads: number } = {
    ...nodeStoreFs,
    reads: 0,
    async open(p, flags, mode) {
      const handle = await nodeStoreFs.open(p, flags, mode);
      if (p !== path) return handle;
      let counted = false;
      const counting: StoreFileHandle = {
        write: handle.write.bind(handle),
        stat: handle.stat.bind(handle),
        sync: handle.sync.bind(handle),
        chmod: handle.chmod.bind(handle),
        chown: handle.chown.bind(handle),
        utimes: handle.utimes.bind(handle),
        close: handle.close.bind(handle),
        async read(buffer, offset, length, position) {
          const r = await handle.read(buffer, offset, length, position);
          if (r.bytesRead > 0 && !counted) {
            counted = true;
            fs.reads++;
          }
          return r;
        },
      };
      return counting;
    },
  };
  return fs;
}

/** The recorder's kind of update: replaces the entries it changes, never edits one in place. */
const bump = (id: string) => ({ entries }: { entries: DlqEntry[] }) => ({
  entries: entries.map((e) => (e.delivery_id === id ? { ...e, n: Number(e['n'] ?? 0) + 1 } : e)),
  result: undefined,
});

describe('UpdateReuse', () => {
  it('skips the re-read while the file is as written, and writes the same bytes as a fresh update', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    const initial = Array.from({ length: 20 }, (_, i) => entry(`r${i}`, { body: 'é漢😀'.repeat(i) }));
    writeFileSync(path, serializeDlq(initial));
    const fs = countingFs(path);
    const reuse = new UpdateReuse();
    await updateDlqFile(path, bump('r1'), { fs, reuse });
    await updateDlqFile(path, bump('r2'), { fs, reuse });
    await updateDlqFile(path, bump('r1'), { fs, reuse });
    assert.equal(fs.reads, 1, 'only the first update read the file');
    const expected = initial.map((e) => (e.delivery_id === 'r1' ? { ...e, n: 2 } : e.delivery_id === 'r2' ? { ...e, n: 1 } : e));
    assert.equal(readFileSync(path, 'utf8'), serializeDlq(expected));
  });

  it('another writer in between: the next update reads the file again and keeps that writer’s change', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    writeFileSync(path, serializeDlq([entry('a'), entry('b')]));
    const fs = countingFs(path);
    const reuse = new UpdateReuse();
    await updateDlqFile(path, bump('a'), { fs, reuse });
    // Another run (no reuse) adds an entry; then someone edits the file by hand, same size even.
    await updateDlqFile(path, ({ entries }) => ({ entries: [...entries, entry('c')], result: undefined }));
    await updateDlqFile(path, bump('b'), { fs, reuse });
    assert.equal(fs.reads, 2);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"b"', '"B"'));
    await updateDlqFile(path, bump('c'), { fs, reuse });
    assert.equal(fs.reads, 3);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as DlqEntry[];
    assert.deepEqual(saved.map((e) => [e.delivery_id, e['n'] ?? 0]), [['a', 1], ['B', 1], ['c', 1]]);
  });

  it('a read with the reuse hands its entries to the first update: no second read, same bytes, same index', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    const initial = Array.from({ length: 12 }, (_, i) => entry(`r${i}`, { body: `é${i}` }));
    writeFileSync(path, serializeDlq(initial));
    const fs = countingFs(path);
    const reuse = new UpdateReuse();
    const { entries } = await readDlqFile(path, { fs, reuse });
    assert.equal(fs.reads, 1);
    // Like the replay recorder: each update replaces r3 with a copy holding one more try.
    const attempt = { at: 'x', target: 'http://127.0.0.1/', http_status: 503, error: null, duration_ms: 1 };
    const tryR3 = ({ entries: now }: { entries: DlqEntry[] }) => ({
      entries: now.map((e) => (e.delivery_id === 'r3' ? { ...e, replay_status: 'failed' as const, replays: [...(e.replays ?? []), attempt] } : e)),
      result: undefined,
    });
    await updateDlqFile(path, tryR3, { fs, reuse });
    await updateDlqFile(path, tryR3, { fs, reuse });
    assert.equal(fs.reads, 1, 'the updates started from what the read returned');
    const expected: DlqEntry[] = entries.map((e) => (e.delivery_id === 'r3' ? { ...e, replay_status: 'failed', replays: [attempt, attempt] } : e));
    assert.equal(readFileSync(path, 'utf8'), serializeDlq(expected));
    // The index rows kept for unchanged entries still describe the file as written.
    const index = await readDlqIndex(path);
    assert.ok(index, 'an index was written');
    const bytes = readFileSync(path);
    assert.deepEqual(
      index.entries.map((row) => JSON.parse(bytes.toString('utf8', row[ENTRY_REF].offset, row[ENTRY_REF].offset + row[ENTRY_REF].length)) as DlqEntry),
      expected,
    );
    assert.deepEqual(index.entries.map((row) => row[ENTRY_REF].replays), expected.map((e) => (e.delivery_id === 'r3' ? 2 : 0)));
    assert.deepEqual(index.entries.map((row) => row.replay_status), expected.map((e) => e.replay_status));
  });

  it('a read with the reuse, then another writer: the first update reads the file again and keeps that change', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    writeFileSync(path, serializeDlq([entry('a'), entry('b')]));
    const fs = countingFs(path);
    const reuse = new UpdateReuse();
    await readDlqFile(path, { fs, reuse });
    // A fetch merges while the replay is sending.
    await updateDlqFile(path, ({ entries }) => ({ entries: [...entries, entry('c')], result: undefined }));
    await updateDlqFile(path, bump('a'), { fs, reuse });
    assert.equal(fs.reads, 2);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as DlqEntry[];
    assert.deepEqual(saved.map((e) => [e.delivery_id, e['n'] ?? 0]), [['a', 1], ['b', 0], ['c', 0]]);
  });

  it('a read with the reuse keeps each entry’s stored text only when a fresh index vouches for it', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    const initial = Array.from({ length: 8 }, (_, i) => entry(`t${i}`, { body: `{"n":${i},"s":"é\\n"}` }));
    // No index (written by hand): nothing kept, every entry is stringified by the first update.
    writeFileSync(path, serializeDlq(initial));
    const bare = new UpdateReuse();
    const read1 = await readDlqFile(path, { reuse: bare });
    assert.equal(read1.entries.filter((e) => bare.texts.has(e)).length, 0);
    // Written by the store (index beside it): every entry's text is kept, byte for byte.
    await updateDlqFile(path, ({ entries }) => ({ entries: entries.map((e) => ({ ...e })), result: undefined }));
    const indexed = new UpdateReuse();
    const read2 = await readDlqFile(path, { reuse: indexed });
    assert.deepEqual(read2.entries.map((e) => indexed.texts.get(e)?.toString('utf8')), read2.entries.map((e) => JSON.stringify(e)));
    // The same entries, rewritten by hand: the index now describes another file version.
    writeFileSync(path, serializeDlq(read2.entries).replace('"t3"', '"T3"'));
    const stale = new UpdateReuse();
    const read3 = await readDlqFile(path, { reuse: stale });
    assert.equal(read3.entries.filter((e) => stale.texts.has(e)).length, 0);
    // An update from the kept texts writes what a fresh one would.
    const reuse = new UpdateReuse();
    await updateDlqFile(path, ({ entries }) => ({ entries: entries.map((e) => ({ ...e })), result: undefined }));
    const { entries } = await readDlqFile(path, { reuse });
    await updateDlqFile(path, bump('t5'), { reuse });
    assert.equal(readFileSync(path, 'utf8'), serializeDlq(entries.map((e) => (e.delivery_id === 't5' ? { ...e, n: 1 } : e))));
  });

  it('a file over maxBytes is not kept', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    writeFileSync(path, serializeDlq([entry('a', { pad: 'x'.repeat(500) })]));
    const fs = countingFs(path);
    const reuse = new UpdateReuse(100);
    await updateDlqFile(path, bump('a'), { fs, reuse });
    await updateDlqFile(path, bump('a'), { fs, reuse });
    assert.equal(fs.reads, 2);
  });
});

describe('serializeDlqChunks with cached bytes', () => {
  it('the same bytes whether an entry is stringified or copied from the cache, at any chunk size', () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(`e${i}`, { big: 'é漢😀x'.repeat(i * 7) }));
    const expected = serializeDlq(entries);
    for (const chunk of [64, 200, 1000, 1 << 20]) {
      const texts = new WeakMap<DlqEntry, Buffer>();
      const first = Buffer.concat([...serializeDlqChunks(entries, chunk, undefined, texts)]).toString('utf8');
      const layout = { offsets: [] as number[], lengths: [] as number[] };
      const again = Buffer.concat([...serializeDlqChunks(entries, chunk, layout, texts)]).toString('utf8');
      assert.equal(first, expected, `chunk ${chunk}`);
      assert.equal(again, expected, `chunk ${chunk}, from the cache`);
      const bytes = Buffer.from(expected);
      entries.forEach((e, i) => assert.equal(bytes.subarray(layout.offsets[i], (layout.offsets[i] as number) + (layout.lengths[i] as number)).toString(), JSON.stringify(e)));
    }
  });
});
