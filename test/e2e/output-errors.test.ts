/**
 * stdout that cannot be written (issue #9): `> /dev/full` is one line and exit 74 for every
 * command that prints, never a stack; the work itself (fetch's merge) is still saved.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { entry } from '../replay/helpers.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { BIN } from '../support/run-bin.js';

const server = new FakeGenesys({
  clients: { 'out-client': 'out-secret' },
  integrations: [{ id: 'out-webhook-id', name: 'Out', failures: makeFailures(30, { seed: 3 }) }],
});
let url = '';
const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-output-'));
before(async () => {
  url = (await server.start()).url;
});
after(() => {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the binary with stdout on /dev/full. */
function toDevFull(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const full = openSync('/dev/full', 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'], TZ: 'UTC', ...env },
      stdio: ['ignore', full, 'pipe'],
    });
    closeSync(full);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('list, inspect and fetch onto a full device: one line, exit 74; fetch still saved its harvest', async () => {
  const file = join(dir, 'dlq.json');
  writeFileSync(file, serializeDlq([entry('full-1'), entry('full-2')]));
  for (const args of [['list'], ['list', '--ndjson'], ['list', '--json'], ['inspect', 'full-1'], ['inspect', 'full-1', '--body']]) {
    const r = await toDevFull([...args, '--file', file]);
    assert.equal(r.code, 74, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, 'dlq: cannot write to stdout: no space left on the device\n', args.join(' '));
  }
  const fetched = join(dir, 'fetched.json');
  const r = await toDevFull(['fetch', '--webhook', 'Out', '--file', fetched, '--quiet'], {
    GENESYS_CLIENT_ID: 'out-client',
    GENESYS_CLIENT_SECRET: 'out-secret',
    GENESYS_GATEWAY: url,
  });
  assert.equal(r.code, 74, r.stderr);
  assert.equal(r.stderr, 'dlq: cannot write to stdout: no space left on the device\n');
  assert.equal((JSON.parse(readFileSync(fetched, 'utf8')) as unknown[]).length, 30);
});
