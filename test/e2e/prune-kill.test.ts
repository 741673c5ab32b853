/**
 * `dlq prune --archive` killed with SIGKILL at random moments: every entry is always in the DLQ
 * file, the archive, or both, never in neither; the file always parses; a re-run finishes the job.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { seededRandom } from '../support/fake-genesys/failures.js';
import { BIN, runBin } from '../support/run-bin.js';

const KILLS = 10;

test(`prune --archive under ${KILLS} kill -9s: nothing is ever lost`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-prune-kill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dlq.json');
  const archive = join(dir, 'archive.ndjson');
  const entries = makeDlqEntries(4000, { seed: 5 });
  const all = new Set(entries.map((e) => e.delivery_id));
  const rand = seededRandom(99);
  const args = ['prune', '--status-code', '5xx', '--archive', archive, '--file', file, '--lock-timeout', '30s'];

  // How long one whole run takes here, to spread the kills over it.
  writeFileSync(file, serializeDlq(entries));
  let started = performance.now();
  assert.equal((await runBin(args, { cwd: dir })).code, 0);
  const runMs = performance.now() - started;

  let killedMidway = 0;
  for (let i = 0; i < KILLS; i++) {
    writeFileSync(file, serializeDlq(entries));
    rmSync(archive, { force: true });
    rmSync(`${file}.pruned`, { force: true });
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: 'ignore', env: { PATH: process.env['PATH'] } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    started = performance.now();
    await new Promise((r) => setTimeout(r, rand() * runMs));
    child.kill('SIGKILL');
    if ((await exited) === null) killedMidway++;

    const inFile = new Set((JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[]).map((e) => e.delivery_id));
    const inArchive = new Set<string>();
    if (existsSync(archive)) {
      for (const line of readFileSync(archive, 'utf8').split('\n')) {
        try {
          inArchive.add((JSON.parse(line) as DlqEntry).delivery_id);
        } catch {
          // a line cut short by the kill: its entry is still in the file (checked below)
        }
      }
    }
    for (const id of all) assert.ok(inFile.has(id) || inArchive.has(id), `kill ${i}: ${id} lost`);

    // A re-run after the kill finishes the job: the file keeps only non-5xx entries.
    const rerun = await runBin(args, { cwd: dir });
    assert.equal(rerun.code, 0, rerun.stderr);
    const left = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
    assert.ok(left.every((e) => (e.status_code as number) < 500));
  }
  assert.ok(killedMidway > 0, 'at least one kill landed before the run finished');
});
