import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DlqFileError, LockBusyError } from '../../src/errors.js';
import { acquireFileLock } from '../../src/store/file-lock.js';
import { readDlqFile, serializeDlq, updateDlqFile } from '../../src/store/dlq-file.js';
import { nodeStoreFs, type StoreFs } from '../../src/store/store-fs.js';
import { entry, leftovers, runWorker, tempDir } from '../support/store-helpers.js';

/** A pid that is certainly dead: a child that has already exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(result.stdout);
}

function writeLock(file: string, content: Record<string, unknown> | string, ageMs = 0): void {
  const lock = `${file}.lock`;
  writeFileSync(lock, typeof content === 'string' ? content : JSON.stringify(content));
  if (ageMs > 0) {
    const when = new Date(Date.now() - ageMs);
    utimesSync(lock, when, when);
  }
}

const addOne = (id: string) => ({ entries }: { entries: ReturnType<typeof entry>[] }) => ({ entries: [...entries, entry(id)], result: id });

describe('DLQ file lock', () => {
  it('a busy lock gives LockBusyError (exit 75) after the timeout, naming the holder and since when', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    const held = await acquireFileLock(file);
    t.after(() => held.release());
    const waits: unknown[] = [];
    const started = Date.now();
    await assert.rejects(
      updateDlqFile(file, addOne('b'), { lockTimeoutMs: 300, onLockWait: (holder) => waits.push(holder) }),
      (error: unknown) => {
        assert.ok(error instanceof LockBusyError);
        assert.equal(error.exitCode, 75);
        assert.match(error.message, new RegExp(`is busy: locked by pid ${process.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT`));
        assert.ok(!error.message.includes('\n'));
        assert.ok(error.since instanceof Date);
        return true;
      },
    );
    assert.ok(Date.now() - started >= 290, 'waited for the timeout');
    assert.equal(waits.length, 1, 'onLockWait called once per wait');
    assert.equal((waits[0] as { pid: number }).pid, process.pid);
    assert.deepEqual(readFileSync(file), before);
    // Released: the next run goes through at once.
    await held.release();
    assert.equal(await updateDlqFile(file, addOne('b'), { lockTimeoutMs: 0 }), 'b');
  });

  it('waits for a lock released within the timeout instead of failing', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const held = await acquireFileLock(file);
    setTimeout(() => void held.release(), 150).unref();
    assert.equal(await updateDlqFile(file, addOne('a'), { lockTimeoutMs: 5000 }), 'a');
  });

  it('recovers at once a lock left by a dead process on this host', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    writeLock(file, { pid: deadPid(), host: hostname(), token: 'dead', since: new Date().toISOString() });
    assert.equal(await updateDlqFile(file, addOne('b'), { lockTimeoutMs: 0 }), 'b');
    assert.deepEqual(leftovers(dir), []);
  });

  it('recovers a lock from another host only once its mtime is older than the stale threshold', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const foreign = { pid: 1, host: 'other-host.example', token: 'far', since: '2024-01-01T00:00:00.000Z' };
    writeLock(file, foreign, 1000);
    await assert.rejects(updateDlqFile(file, addOne('a'), { lockTimeoutMs: 0, staleMs: 60_000 }), (e: unknown) => {
      assert.ok(e instanceof LockBusyError);
      assert.match(e.message, /locked by pid 1 on other-host\.example since 2024-01-01T00:00:00\.000Z/);
      return true;
    });
    writeLock(file, foreign, 61_000);
    assert.equal(await updateDlqFile(file, addOne('a'), { lockTimeoutMs: 0, staleMs: 60_000 }), 'a');
    // An unreadable (empty) lock is judged by its mtime alone.
    writeLock(file, '', 0);
    await assert.rejects(updateDlqFile(file, addOne('b'), { lockTimeoutMs: 0 }), LockBusyError);
    writeLock(file, '', 30_000);
    assert.equal(await updateDlqFile(file, addOne('b'), { lockTimeoutMs: 0 }), 'b');
  });

  it('never renames over the file after losing the lock, and never deletes the new holder\'s lock', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    const intruder = JSON.stringify({ pid: 1, host: 'other', token: 'intruder', since: new Date().toISOString() });
    await assert.rejects(
      updateDlqFile(file, ({ entries }) => {
        // Someone took the lock over while we were working.
        writeFileSync(`${file}.lock`, intruder);
        return { entries: [...entries, entry('b')], result: null };
      }),
      (e: unknown) => e instanceof LockBusyError && /lost the lock/.test(e.message) && /nothing was written/.test(e.message),
    );
    assert.deepEqual(readFileSync(file), before);
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), intruder, 'the new holder keeps its lock');
    // The lock removed from under us: same outcome.
    rmSync(`${file}.lock`);
    await assert.rejects(
      updateDlqFile(file, ({ entries }) => {
        rmSync(`${file}.lock`);
        return { entries: [...entries, entry('b')], result: null };
      }),
      LockBusyError,
    );
    assert.deepEqual(readFileSync(file), before);
  });

  it('does not take over a lock that replaced the stale one it judged (proper-lockfile #121 race)', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const lock = `${file}.lock`;
    writeLock(file, { pid: deadPid(), host: hostname(), token: 'stale', since: new Date().toISOString() });
    const fresh = JSON.stringify({ pid: 1, host: 'other', token: 'fresh', since: new Date().toISOString() });
    let swapped = 0;
    // Between our stale judgement and our takeover rename, another run removes the stale lock
    // and creates its own.
    const racyFs: StoreFs = {
      ...nodeStoreFs,
      async rename(from, to) {
        if (from === lock && swapped === 0) {
          swapped++;
          writeFileSync(lock, fresh);
        }
        return nodeStoreFs.rename(from, to);
      },
    };
    await assert.rejects(updateDlqFile(file, addOne('a'), { lockTimeoutMs: 100, fs: racyFs }), LockBusyError);
    assert.equal(swapped, 1);
    assert.equal(readFileSync(lock, 'utf8'), fresh, 'the fresh lock was put back, not deleted');
    assert.equal(existsSync(file), false);
  });

  it('a lock that cannot be created (no permission, full disk) is exit 6, not "busy"', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const before = readFileSync(file);
    const denied: StoreFs = {
      ...nodeStoreFs,
      async open(path, flags, mode) {
        if (path.startsWith(`${file}.lock.`)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
        return nodeStoreFs.open(path, flags, mode);
      },
    };
    await assert.rejects(
      updateDlqFile(file, addOne('b'), { lockTimeoutMs: 100, fs: denied }),
      (e: unknown) => e instanceof DlqFileError && /cannot create the lock dlq\.json\.lock in .*: EACCES: permission denied/.test(e.message),
    );
    assert.deepEqual(readFileSync(file), before);
  });

  it('a holder that releases never deletes a lock that replaced its own', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const held = await acquireFileLock(file);
    const other = JSON.stringify({ pid: 1, host: 'other', token: 'other', since: new Date().toISOString() });
    writeFileSync(`${file}.lock`, other);
    await held.release();
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), other);
  });

  it('a holder stopped (SIGSTOP) past the stale threshold is taken over and then writes nothing', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    writeFileSync(file, serializeDlq([entry('a')]));
    const staleMs = 400;
    const worker = runWorker({ file, prefix: 'stopped', rounds: 1, perRound: 1, holdMs: 300, staleMs });
    t.after(() => worker.child.kill('SIGKILL'));
    await worker.waitFor('locked');
    worker.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, staleMs + 300));
    // The stopped holder's lock is stale by now (its pid is alive, but it stopped refreshing).
    assert.equal(await updateDlqFile(file, addOne('taker'), { lockTimeoutMs: 5000, staleMs }), 'taker');
    worker.child.kill('SIGCONT');
    assert.equal(await worker.exited, 75, worker.stderr());
    assert.match(worker.stderr(), /lost the lock/);
    assert.deepEqual(
      (await readDlqFile(file)).entries.map((e) => e.delivery_id),
      ['a', 'taker'],
      'the stopped run did not rename over the file',
    );
    assert.deepEqual(leftovers(dir), []);
  });

  it('a held lock does not keep the process alive (refresh timer unref\'d)', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const url = new URL('../../src/store/file-lock.js', import.meta.url).href;
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); await m.acquireFileLock(${JSON.stringify(file)}); console.log('held');`],
      { encoding: 'utf8', timeout: 10_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'held');
  });
});
