/**
 * kill -9 at random moments: a child process keeps merging new entries into the DLQ file and
 * rewriting existing ones (state flips, a counter); we SIGKILL it, then check that the file still
 * parses, still holds every entry it held before that run, and that the next run recovers the
 * lock left behind by the dead process.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDlqFile, serializeDlq } from '../../src/store/dlq-file.js';
import { entry, leftovers, runWorker, tempDir } from '../support/store-helpers.js';

const KILLS = 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(`survives ${KILLS} SIGKILLs at random moments during merges and rewrites`, { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'dlq.json');
  // ~1 MB to start with, so that a read + rewrite takes long enough to be hit mid-way.
  writeFileSync(
    file,
    serializeDlq([{ delivery_id: 'counter', count: 0 }, ...Array.from({ length: 2000 }, (_, i) => entry(`seed-${i}`, { pad: 'x'.repeat(300) }))]),
  );
  let killedWhileLocked = 0;
  let commits = 0;
  for (let run = 0; run < KILLS; run++) {
    const before = await readDlqFile(file);
    const beforeIds = new Set(before.entries.map((e) => e.delivery_id));
    const beforeCount = before.entries.find((e) => e.delivery_id === 'counter')?.['count'] as number;
    const worker = runWorker({ file, prefix: `run${run}`, rounds: 0, perRound: 20, bodyBytes: 300, touchExisting: true, lockTimeoutMs: 3000 });
    // Half the runs: kill soon after the lock is taken (inside read/merge/write); the others at
    // any moment after spawning (startup, waiting, between rounds, mid-write).
    if (run % 2 === 0) {
      await worker.waitFor('locked');
      await sleep(Math.random() * 60);
    } else {
      await sleep(60 + Math.random() * 250);
    }
    const locks = worker.lines.filter((l) => l === 'locked').length;
    const done = worker.lines.filter((l) => l.startsWith('committed')).length;
    worker.child.kill('SIGKILL');
    const code = await worker.exited;
    assert.equal(code, 'SIGKILL', `run ${run} ended by itself (${code}): ${worker.stderr()}`);
    if (locks > done) killedWhileLocked++;
    commits += done;

    const after = await readDlqFile(file); // parses and validates (no duplicates), or throws
    const afterIds = new Set(after.entries.map((e) => e.delivery_id));
    for (const id of beforeIds) assert.ok(afterIds.has(id), `run ${run}: lost entry ${id}`);
    const afterCount = after.entries.find((e) => e.delivery_id === 'counter')?.['count'] as number;
    assert.ok(afterCount >= beforeCount, `run ${run}: counter went back from ${beforeCount} to ${afterCount}`);
  }
  assert.ok(killedWhileLocked >= 15, `only ${killedWhileLocked} kills landed while the lock was held`);
  assert.ok(commits > 0, 'some rounds committed between kills');

  // The last kill's lock and temp files are recovered/swept by the next normal run.
  await sleep(350);
  const final = runWorker({ file, prefix: 'final', rounds: 1, perRound: 1, lockTimeoutMs: 2000, staleMs: 300 });
  assert.equal(await final.exited, 0, final.stderr());
  assert.deepEqual(leftovers(dir), [], 'lock and temp files of killed runs are gone');
  const last = await readDlqFile(file);
  assert.ok(last.entries.some((e) => e.delivery_id === 'final-0-0'));
  t.diagnostic(`${KILLS} kills, ${killedWhileLocked} while locked, ${commits} rounds committed, ${last.entries.length} entries`);
});
