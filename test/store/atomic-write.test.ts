/**
 * Full-disk and I/O-failure behaviour of the rewrite: a real small tmpfs when this machine lets us
 * mount one, and always an injected file system (short writes, ENOSPC, zero-byte writes, fsync and
 * rename failures). In every failure case: exit 6, the original byte-identical, no temp file left.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DlqFileError } from '../../src/errors.js';
import { readDlqFile, serializeDlq, updateDlqFile } from '../../src/store/dlq-file.js';
import { nodeStoreFs, type StoreFileHandle, type StoreFs } from '../../src/store/store-fs.js';
import { entry, leftovers, tempDir } from '../support/store-helpers.js';

interface Faults {
  /** Each write stores at most this many bytes (a short write). */
  maxPerWrite?: number;
  /** Total bytes the "disk" accepts in data temp files before ENOSPC. */
  capacity?: number;
  /** Writes return 0 bytes. */
  zeroWrites?: boolean;
  failSync?: string;
  failRename?: string;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure`), { code });
}

const isDataTemp = (path: string) => /\.[0-9a-f]{16}\.tmp$/.test(path) && !path.includes('.lock.');

function faultyFs(faults: Faults): StoreFs & { writes: number } {
  let stored = 0;
  const fs: StoreFs & { writes: number } = {
    ...nodeStoreFs,
    writes: 0,
    async open(path, flags, mode) {
      const handle = await nodeStoreFs.open(path, flags, mode);
      if (!isDataTemp(path)) return handle;
      const wrapped: StoreFileHandle = {
        read: (...args) => handle.read(...args),
        stat: (opts) => handle.stat(opts),
        chmod: (m) => handle.chmod(m),
        chown: (u, g) => handle.chown(u, g),
        utimes: (a, m) => handle.utimes(a, m),
        close: () => handle.close(),
        async sync() {
          if (faults.failSync) throw errno(faults.failSync);
          return handle.sync();
        },
        async write(buffer, offset, length, position) {
          fs.writes++;
          if (faults.zeroWrites) return { bytesWritten: 0 };
          let n = Math.min(length, faults.maxPerWrite ?? length);
          if (faults.capacity !== undefined) {
            if (stored >= faults.capacity) throw errno('ENOSPC');
            n = Math.min(n, faults.capacity - stored);
          }
          const result = await handle.write(buffer, offset, n, position);
          stored += result.bytesWritten;
          return result;
        },
      };
      return wrapped;
    },
    async rename(from, to) {
      if (faults.failRename && isDataTemp(from)) throw errno(faults.failRename);
      return nodeStoreFs.rename(from, to);
    },
  };
  return fs;
}

function seed(dir: string, count: number): { file: string; before: Buffer } {
  const file = join(dir, 'dlq.json');
  writeFileSync(file, serializeDlq(Array.from({ length: count }, (_, i) => entry(`old-${i}`))), { mode: 0o640 });
  return { file, before: readFileSync(file) };
}

const more = (n: number) => Array.from({ length: n }, (_, i) => entry(`new-${i}`, { pad: 'p'.repeat(200) }));

async function expectUntouched(dir: string, file: string, before: Buffer, run: Promise<unknown>, problem: RegExp) {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof DlqFileError, String(error));
    assert.equal(error.exitCode, 6);
    assert.match(error.message, problem);
    assert.ok(error.message.startsWith(`${file}: `));
    assert.ok(!error.message.includes('\n'));
    return true;
  });
  assert.deepEqual(readFileSync(file), before, 'original byte-identical');
  assert.deepEqual(leftovers(dir), [], 'no temp or lock file left');
}

describe('atomic rewrite', () => {
  it('loops on short writes and writes every byte', async (t) => {
    const dir = tempDir(t);
    const { file } = seed(dir, 50);
    const fs = faultyFs({ maxPerWrite: 97 });
    const added = more(40);
    await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, ...added], result: null }), { fs, writeChunkBytes: 4096 });
    const expected = [...Array.from({ length: 50 }, (_, i) => entry(`old-${i}`)), ...added];
    assert.equal(readFileSync(file, 'utf8'), serializeDlq(expected));
    assert.ok(fs.writes > 100, `short writes were exercised (${fs.writes} writes)`);
  });

  it('on ENOSPC mid-write: exit 6, original byte-identical, temp file removed', async (t) => {
    const dir = tempDir(t);
    const { file, before } = seed(dir, 50);
    const fs = faultyFs({ capacity: before.length + 1000, maxPerWrite: 5000 });
    await expectUntouched(
      dir,
      file,
      before,
      updateDlqFile(file, ({ entries }) => ({ entries: [...entries, ...more(200)], result: null }), { fs, writeChunkBytes: 8192 }),
      /cannot write: no space left on the device; the file was left as it was/,
    );
  });

  it('treats a write that stores nothing as a failure instead of looping or renaming', async (t) => {
    const dir = tempDir(t);
    const { file, before } = seed(dir, 5);
    await expectUntouched(
      dir,
      file,
      before,
      updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('x')], result: null }), { fs: faultyFs({ zeroWrites: true }) }),
      /cannot write: write made no progress/,
    );
  });

  it('on fsync or rename failure: exit 6, original byte-identical, temp file removed', async (t) => {
    const dir = tempDir(t);
    const { file, before } = seed(dir, 5);
    const update = ({ entries }: { entries: ReturnType<typeof entry>[] }) => ({ entries: [...entries, entry('x')], result: null });
    await expectUntouched(dir, file, before, updateDlqFile(file, update, { fs: faultyFs({ failSync: 'EIO' }) }), /cannot flush to disk: EIO/);
    await expectUntouched(dir, file, before, updateDlqFile(file, update, { fs: faultyFs({ failRename: 'EXDEV' }) }), /cannot replace the file: EXDEV/);
  });

  it('refuses entries that cannot be serialised, leaving the file as it was', async (t) => {
    const dir = tempDir(t);
    const { file, before } = seed(dir, 3);
    await expectUntouched(
      dir,
      file,
      before,
      updateDlqFile(file, ({ entries }) => ({ entries: [...entries, { delivery_id: 'big', n: 10n } as never], result: null })),
      /cannot serialise the entries/,
    );
  });

  it('on a real full tmpfs: exit 6, original byte-identical, no temp file', async (t) => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'dlq-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      rmSync(mountPoint, { recursive: true, force: true });
      t.skip('cannot mount a tmpfs here; the injected ENOSPC test covers this path');
      return;
    }
    t.after(() => {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
      rmSync(mountPoint, { recursive: true, force: true });
    });
    const file = join(mountPoint, 'dlq.json');
    // ~225 KiB on a 512 KiB disk: the original plus a ~460 KiB rewrite cannot fit; a 225 KiB one can.
    const old = Array.from({ length: 500 }, (_, i) => entry(`old-${i}`, { pad: 'o'.repeat(200) }));
    writeFileSync(file, serializeDlq(old), { mode: 0o600 });
    const before = readFileSync(file);
    await expectUntouched(
      mountPoint,
      file,
      before,
      updateDlqFile(file, ({ entries }) => ({ entries: [...entries, ...more(500)], result: null })),
      /no space left on the device; the file was left as it was/,
    );
    assert.deepEqual(readdirSync(mountPoint), ['dlq.json']);
    // A write that fits still succeeds afterwards on the same disk.
    await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('fits')], result: null }));
    assert.equal((await readDlqFile(file)).entries.length, 501);
  });
});
