import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, symlinkSync, lstatSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DlqFileError, StoreError } from '../../src/errors.js';
import { readDlqFile, rewriteDlqFileFrom, serializeDlq, serializeDlqChunks, updateDlqFile } from '../../src/store/dlq-file.js';
import { nodeStoreFs, type StoreFs } from '../../src/store/store-fs.js';
import { entry, leftovers, tempDir } from '../support/store-helpers.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Records the permission bits of every data temp file at each write. */
function modeSpyFs(): StoreFs & { modes: number[] } {
  const spy: StoreFs & { modes: number[] } = {
    ...nodeStoreFs,
    modes: [],
    async open(path, flags, mode) {
      const handle = await nodeStoreFs.open(path, flags, mode);
      if (!/\.[0-9a-f]{16}\.tmp$/.test(path) || path.includes('.lock.')) return handle;
      return Object.assign(Object.create(null) as object, {
        read: handle.read.bind(handle),
        stat: handle.stat.bind(handle),
        chmod: handle.chmod.bind(handle),
        chown: handle.chown.bind(handle),
        utimes: handle.utimes.bind(handle),
        close: handle.close.bind(handle),
        sync: handle.sync.bind(handle),
        async write(buffer: Uint8Array, offset: number, length: number, position: number | null) {
          spy.modes.push(Number((await handle.stat({ bigint: true })).mode & 0o777n));
          return handle.write(buffer, offset, length, position);
        },
      });
    },
  };
  return spy;
}

describe('serializeDlqChunks', () => {
  it('produces exactly serializeDlq, whatever the chunk size (entries larger than a chunk too)', () => {
    const sets = [[], [entry('a')], Array.from({ length: 50 }, (_, i) => entry(`e${i}`, { big: 'é漢😀x'.repeat(i * 10) }))];
    for (const entries of sets) {
      for (const size of [64, 100, 1000, 1 << 20]) {
        // The yielded buffer is reused once the generator resumes: copy each chunk as it comes.
        const parts: Buffer[] = [];
        for (const chunk of serializeDlqChunks(entries, size)) parts.push(Buffer.from(chunk));
        const bytes = Buffer.concat(parts);
        assert.equal(bytes.toString('utf8'), serializeDlq(entries), `size ${size}, ${entries.length} entries`);
      }
    }
    assert.equal(serializeDlq([]), '[]\n');
    assert.equal(serializeDlq([{ delivery_id: 'a' }, { delivery_id: 'b' }]), '[\n{"delivery_id":"a"},\n{"delivery_id":"b"}\n]\n');
  });
});

describe('updateDlqFile', () => {
  it('creates a new file 0600 even with a permissive umask, one entry per line', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const old = process.umask(0);
    try {
      const result = await updateDlqFile(file, ({ entries, exists }) => {
        assert.equal(exists, false);
        return { entries: [...entries, entry('a'), entry('b')], result: 'done' };
      });
      assert.equal(result, 'done');
    } finally {
      process.umask(old);
    }
    assert.equal(modeOf(file), 0o600);
    assert.equal(readFileSync(file, 'utf8'), serializeDlq([entry('a'), entry('b')]));
    assert.deepEqual(leftovers(dir), []);
  });

  it('keeps the existing mode on rewrite, and temp files are never more readable than the target', async (t) => {
    const dir = tempDir(t);
    for (const mode of [0o644, 0o640, 0o600, 0o604]) {
      const file = join(dir, `dlq-${mode.toString(8)}.json`);
      writeFileSync(file, serializeDlq([entry('a')]));
      const old = process.umask(0);
      try {
        (await import('node:fs')).chmodSync(file, mode);
        const fs = modeSpyFs();
        await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('b')], result: null }), { fs });
        assert.ok(fs.modes.length > 0);
        for (const m of fs.modes) assert.equal(m & ~mode, 0, `temp mode ${m.toString(8)} within ${mode.toString(8)}`);
      } finally {
        process.umask(old);
      }
      assert.equal(modeOf(file), mode, `mode ${mode.toString(8)} kept`);
    }
    // A new file: temp at most 0600.
    const fs = modeSpyFs();
    await updateDlqFile(join(dir, 'new.json'), () => ({ entries: [entry('x')], result: null }), { fs });
    for (const m of fs.modes) assert.equal(m & ~0o600, 0);
  });

  it('writes nothing at all when update returns entries: null', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, '[{"delivery_id":"a"}]');
    const before = statSync(file, { bigint: true });
    const r = await updateDlqFile(file, () => ({ entries: null, result: 7 }));
    assert.equal(r, 7);
    const after = statSync(file, { bigint: true });
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal(readFileSync(file, 'utf8'), '[{"delivery_id":"a"}]', 'layout untouched');
    const missing = join(dir, 'missing.json');
    await updateDlqFile(missing, () => ({ entries: null, result: null }));
    assert.equal(existsSync(missing), false);
    assert.deepEqual(leftovers(dir), []);
  });

  it('writes a proper array over an empty (0-byte) file, keeping its mode', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, '', { mode: 0o640 });
    (await import('node:fs')).chmodSync(file, 0o640);
    await updateDlqFile(file, ({ entries, exists }) => {
      assert.deepEqual({ entries, exists }, { entries: [], exists: true });
      return { entries: [entry('a')], result: null };
    });
    assert.equal(readFileSync(file, 'utf8'), serializeDlq([entry('a')]));
    assert.equal(modeOf(file), 0o640);
  });

  it('refuses to write entries the next read would reject', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    for (const [bad, problem] of [
      [[entry('a'), entry('a')], /refusing to write: entry 2: duplicate delivery_id "a"/],
      [[{ id: 'x' }], /refusing to write: entry 1: no delivery_id/],
      [['str'], /refusing to write: entry 1: not an object/],
    ] as const) {
      await assert.rejects(
        updateDlqFile(file, () => ({ entries: bad as never, result: null })),
        (e: unknown) => e instanceof DlqFileError && problem.test(e.message),
      );
      assert.deepEqual(readFileSync(file), before);
    }
    assert.deepEqual(leftovers(dir), []);
  });

  it('releases the lock and leaves the file alone when update throws', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    await assert.rejects(
      updateDlqFile(file, () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(leftovers(dir), []);
    // The lock is free again: a zero-timeout update goes through.
    await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('b')], result: null }), { lockTimeoutMs: 0 });
    assert.equal((await readDlqFile(file)).entries.length, 2);
  });

  it('rewrites the target of a symlinked DLQ file and keeps the link', async (t) => {
    const dir = tempDir(t);
    const real = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(real, serializeDlq([entry('a')]));
    symlinkSync(real, link);
    await updateDlqFile(link, ({ entries }) => ({ entries: [...entries, entry('b')], result: null }));
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.deepEqual((await readDlqFile(real)).entries, [entry('a'), entry('b')]);
  });

  it('a dangling symlink (issue #9): written through to its target, the link kept; exit 6 when the target directory is missing', async (t) => {
    const dir = tempDir(t);
    // Target directory exists: the new file is created where the link points (through a chain too).
    const link = join(dir, 'link.json');
    const hop = join(dir, 'hop.json');
    symlinkSync('real.json', hop);
    symlinkSync(hop, link);
    await updateDlqFile(link, () => ({ entries: [entry('a')], result: null }));
    assert.ok(lstatSync(link).isSymbolicLink() && lstatSync(hop).isSymbolicLink());
    assert.deepEqual((await readDlqFile(join(dir, 'real.json'))).entries, [entry('a')]);
    assert.deepEqual((await readDlqFile(link)).entries, [entry('a')]);

    // Target directory missing: exit 6 naming the target, the link untouched, nothing created.
    const dangling = join(dir, 'dangling.json');
    symlinkSync(join(dir, 'missing-dir', 'dlq.json'), dangling);
    const before = readdirSync(dir).sort();
    await assert.rejects(
      updateDlqFile(dangling, () => ({ entries: [entry('b')], result: null })),
      (e: unknown) =>
        e instanceof DlqFileError &&
        e.exitCode === 6 &&
        e.message.startsWith(`${dangling}: is a symlink to ${join(dir, 'missing-dir', 'dlq.json')}, whose directory cannot be used: ENOENT`),
    );
    assert.ok(lstatSync(dangling).isSymbolicLink());
    assert.deepEqual(readdirSync(dir).sort(), before);
  });

  it('round-trips thousands of entries through the chunked reader and a small write buffer', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const first = Array.from({ length: 2000 }, (_, i) => entry(`a${i}`, { s: 'é漢😀 ] , {'.repeat(i % 7) }));
    const opts = { chunkedThresholdBytes: 0, readChunkBytes: 1000, writeChunkBytes: 777 };
    await updateDlqFile(file, () => ({ entries: first, result: null }), opts);
    await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('last')], result: null }), opts);
    assert.equal(readFileSync(file, 'utf8'), serializeDlq([...first, entry('last')]));
  });
});

describe('file-system failures anywhere in an update', () => {
  it('are exit 6 naming the file, and leave it untouched (here: the last identity check before the rename)', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    let reads = 0;
    const failing: StoreFs = {
      ...nodeStoreFs,
      async open(path, flags, mode) {
        // The identity check runs once the temp file is complete: fail exactly there.
        const handle = await nodeStoreFs.open(path, flags, mode);
        if (path === file && flags === 'r' && readdirSync(dir).some((n) => n.endsWith('.tmp')) && ++reads === 1) {
          // A raw errno error from deep inside (fstat), not one the store anticipated.
          handle.stat = async () => {
            throw Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO' });
          };
        }
        return handle;
      },
    };
    await assert.rejects(
      updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('b')], result: null }), { fs: failing }),
      (e: unknown) => e instanceof DlqFileError && e.exitCode === 6 && e.message === `${file}: cannot update: EIO: i/o error, fstat`,
    );
    assert.equal(reads, 1);
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('rewriteDlqFileFrom (store copy into a file)', () => {
  const batchesOf = async function* (entries: DlqEntry[], size: number, failAfter?: number) {
    for (let start = 0, n = 0; start < entries.length; start += size, n++) {
      if (failAfter !== undefined && n === failAfter) throw new StoreError('postgres://db', 'connection lost');
      yield entries.slice(start, start + size);
    }
  };

  it('writes what arrives in batches as serializeDlq would, whatever the chunk size', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    const entries = Array.from({ length: 30 }, (_, i) => entry(`s${i}`, { big: 'é漢😀'.repeat(i * 7) }));
    for (const chunk of [64, 1000, 1 << 20]) {
      const count = await rewriteDlqFileFrom(path, () => batchesOf(entries, 7), { writeChunkBytes: chunk });
      assert.equal(count, 30);
      assert.equal(readFileSync(path, 'utf8'), serializeDlq(entries), `chunk ${chunk}`);
    }
    await rewriteDlqFileFrom(path, () => batchesOf([], 7));
    assert.equal(readFileSync(path, 'utf8'), '[]\n');
    assert.deepEqual(leftovers(dir), []);
  });

  it('a source failing midway, or an invalid entry, leaves the file byte-for-byte as it was', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'dlq.json');
    writeFileSync(path, serializeDlq([entry('old')]));
    const before = readFileSync(path);
    const many = Array.from({ length: 20 }, (_, i) => entry(`n${i}`));
    await assert.rejects(rewriteDlqFileFrom(path, () => batchesOf(many, 5, 2)), (e: unknown) => e instanceof StoreError && /connection lost/.test(e.message));
    await assert.rejects(rewriteDlqFileFrom(path, () => batchesOf([entry('a'), { nope: 1 } as unknown as DlqEntry], 5)), /refusing to write: entry 2: no delivery_id/);
    await assert.rejects(rewriteDlqFileFrom(path, () => batchesOf([entry('a'), entry('a')], 5)), /duplicate delivery_id "a"/);
    // An id already in the file may only come back in its own place (the first entries), not again after them.
    await assert.rejects(
      rewriteDlqFileFrom(path, async function* ({ entries }) {
        yield entries;
        yield [entry('old')];
      }),
      /duplicate delivery_id "old"/,
    );
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(leftovers(dir), []);
  });
});
