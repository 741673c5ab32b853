/**
 * Several processes update the same DLQ file at once (one per webhook, each adding its own entries
 * and flipping the state of its earlier ones), while this process makes state updates in between:
 * the final file must hold exactly the union, and the shared counter every increment.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readDlqFile, updateDlqFile } from '../../src/store/dlq-file.js';
import { leftovers, runWorker, tempDir } from '../support/store-helpers.js';

const WORKERS = 4;
const ROUNDS = 12;
const PER_ROUND = 5;
const LOCAL_UPDATES = 12;

it('concurrent updaters lose no entry and no update', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'dlq.json');
  const workers = Array.from({ length: WORKERS }, (_, w) =>
    runWorker({ file, prefix: `webhook${w}`, rounds: ROUNDS, perRound: PER_ROUND, touchExisting: true, lockTimeoutMs: 60_000 }),
  );
  // State updates from this process, interleaved with the workers' merges.
  for (let k = 0; k < LOCAL_UPDATES; k++) {
    await updateDlqFile(
      file,
      ({ entries }) => {
        const next = entries.map((e) => (e.delivery_id === 'counter' ? { ...e, count: (e['count'] as number) + 1 } : e));
        if (!next.some((e) => e.delivery_id === 'counter')) next.unshift({ delivery_id: 'counter', count: 1 });
        next.push({ delivery_id: `local-${k}`, replay_status: 'failed' });
        return { entries: next, result: null };
      },
      { lockTimeoutMs: 60_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
  }
  const codes = await Promise.all(workers.map((w) => w.exited));
  assert.deepEqual(codes, workers.map(() => 0), workers.map((w) => w.stderr()).join(''));

  const { entries } = await readDlqFile(file);
  const expected = new Set<string>(['counter']);
  for (let k = 0; k < LOCAL_UPDATES; k++) expected.add(`local-${k}`);
  for (let w = 0; w < WORKERS; w++) {
    for (let r = 0; r < ROUNDS; r++) for (let j = 0; j < PER_ROUND; j++) expected.add(`webhook${w}-${r}-${j}`);
  }
  assert.deepEqual(new Set(entries.map((e) => e.delivery_id)), expected, 'exactly the union');
  assert.equal(entries.length, expected.size, 'no duplicates');
  const counter = entries.find((e) => e.delivery_id === 'counter');
  assert.equal(counter?.['count'], WORKERS * ROUNDS + LOCAL_UPDATES, 'no lost increment');
  for (const e of entries) {
    const m = /^webhook\d+-(\d+)-\d+$/.exec(e.delivery_id);
    if (m) assert.equal(e.replay_status, Number(m[1]) === ROUNDS - 1 ? 'pending' : 'succeeded', e.delivery_id);
    if (e.delivery_id.startsWith('local-')) assert.equal(e.replay_status, 'failed');
  }
  assert.deepEqual(leftovers(dir), []);
});
