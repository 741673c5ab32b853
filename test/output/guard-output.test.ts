import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import type { Io, OutStream } from '../../src/io.js';
import { describeWriteError } from '../../src/output/guard-output.js';
import { updateDlqFile } from '../../src/store/dlq-file.js';
import { captureIo } from '../support/capture-io.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';

/** A stdout whose writes fail with `code` from the first one on, reported a tick later as Node does. */
function failingStdout(code: string): OutStream & EventEmitter & { writes: number } {
  const stream = Object.assign(new EventEmitter(), {
    writes: 0,
    isTTY: false,
    write(): boolean {
      stream.writes++;
      const error = Object.assign(new Error(`${code}: injected, write`), { code });
      process.nextTick(() => stream.emit('error', error));
      return false;
    },
  });
  return stream;
}

async function bigFile(): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dlq-guard-'));
  const path = join(dir, 'dlq.json');
  const entries = makeDlqEntries(4000, { seed: 9, now: new Date('2026-03-01T00:00:00Z') });
  // Through the store, so the sidecar index exists and list reads whole entries in batches.
  await updateDlqFile(path, () => ({ entries, result: undefined }));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

test('a reader that leaves (EPIPE): list stops at the first failed write, exit 0, nothing on stderr', async () => {
  const file = await bigFile();
  try {
    for (const format of ['--ndjson', '--json', '--ids']) {
      const stdout = failingStdout('EPIPE');
      const io: Io = { ...captureIo(), stdout };
      const err = captureIo();
      const code = await main(['node', 'dlq', 'list', format, '--file', file.path], { ...io, stderr: err.stderr });
      assert.equal(code, 0, format);
      assert.equal(err.err(), '', format);
      // 4,000 entries are megabytes of NDJSON, dozens of 64 KB chunks: it stopped after the first.
      assert.ok(stdout.writes <= 2, `${format}: ${stdout.writes} writes`);
    }
  } finally {
    await file.remove();
  }
});

test('a full device (ENOSPC): one line naming the problem, exit 74, and the writing stops', async () => {
  const file = await bigFile();
  try {
    const stdout = failingStdout('ENOSPC');
    const err = captureIo();
    const code = await main(['node', 'dlq', 'list', '--ndjson', '--file', file.path], { ...captureIo(), stdout, stderr: err.stderr });
    assert.equal(code, 74);
    assert.equal(err.err(), 'dlq: cannot write to stdout: no space left on the device\n');
    assert.ok(stdout.writes <= 2, `${stdout.writes} writes`);
  } finally {
    await file.remove();
  }
});

test('write errors read as one plain phrase', () => {
  assert.equal(describeWriteError(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })), 'i/o error (EIO)');
  assert.equal(describeWriteError(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'no space left on the device');
});
