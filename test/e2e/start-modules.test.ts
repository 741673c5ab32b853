/**
 * What a start loads: commands that do not talk to Genesys never load the SDK
 * (purecloud-platform-client-v2, ~0.3 s and 30 MB), and `dlq --version` loads neither commander
 * nor the CLI. The built binary runs with a module tracer (test/support/module-trace/) that logs
 * every ES module resolved and every CommonJS module required; fetch is the control that shows
 * the tracer sees the SDK when it is loaded.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildProgram } from '../../src/cli.js';
import { captureIo } from '../support/capture-io.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { createTestDatabase, postgresSkipReason } from '../support/postgres-server.js';
import { ROOT, runBin, runCommand } from '../support/run-bin.js';

const pkg = (name: string) => new RegExp(`[\\\\/]node_modules[\\\\/]${name}[\\\\/]`);
const SDK = pkg('purecloud-platform-client-v2');
/**
 * Loaded only when asked for: the PostgreSQL client (--store postgres), CSV (--csv), spinners (a
 * terminal), string-width (a table cell that is not plain ASCII).
 */
const ON_DEMAND = [pkg('pg'), pkg('csv-stringify'), pkg('ora'), pkg('string-width')];
const TRACER = join(ROOT, 'dist/test/support/module-trace/register.js');
const dir = mkdtempSync(join(tmpdir(), 'dlq-start-modules-'));
const file = join(dir, 'dlq.json');
copyFileSync(join(ROOT, 'dead_letter_queue.sample.json'), file);
/** The commands that talk to Genesys; every other one must start without the SDK. */
const PLATFORM_COMMANDS = new Set(['fetch', 'doctor']);

let traces = 0;
async function modulesOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const log = join(dir, `trace-${traces++}.log`);
  const r = await runBin(args, { cwd: dir, env: { ...env, DLQ_MODULE_TRACE: log }, nodeArgs: ['--import', TRACER] });
  let modules: string[] = [];
  try {
    modules = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    // No log: nothing was traced, which the assertions below catch.
  }
  return { code: r.code, stderr: r.stderr, modules };
}

const server = new FakeGenesys({
  clients: { 'trace-client': 'trace-secret' },
  integrations: [{ id: 'trace-webhook-id', name: 'Orders', failures: makeFailures(5, { seed: 2 }) }],
});
let url = '';
before(async () => {
  url = (await server.start()).url;
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the control: fetch loads the SDK, and the tracer sees it', async () => {
  const r = await modulesOf(['fetch', '--webhook', 'Orders', '--file', join(dir, 'fetched.json'), '--quiet'], {
    GENESYS_CLIENT_ID: 'trace-client',
    GENESYS_CLIENT_SECRET: 'trace-secret',
    GENESYS_GATEWAY: url,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.modules.some((m) => SDK.test(m)), 'the SDK is in the trace');
});

test('offline commands never load the SDK, nor the PostgreSQL client for a DLQ file', async () => {
  for (const args of [
    ['--help'],
    ['list', '--file', file],
    ['list', '--file', file, '--json', '--sort', 'status_code'],
    ['list', '--file', file, '--group-by', 'webhook'],
    ['inspect', '7c9e6679', '--file', file],
    ['replay', '--dry-run', '--to', 'http://127.0.0.1:9/hook', '--file', file],
    ['resolve', '7c9e6679', '--note', 'by hand', '--file', file],
    ['completion', 'bash'],
  ]) {
    const r = await modulesOf(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.modules.some((m) => m.includes('/dist/src/cli.js')), `${args.join(' ')} was traced`);
    assert.deepEqual(r.modules.filter((m) => SDK.test(m) || pkg('pg').test(m)), [], `dlq ${args.join(' ')} loaded the SDK or pg`);
  }
});

test('a plain list or inspect loads no on-demand package; --csv loads csv-stringify', async () => {
  for (const args of [
    ['list', '--file', file],
    ['inspect', '7c9e6679', '--file', file],
  ]) {
    const r = await modulesOf(args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.modules.filter((m) => ON_DEMAND.some((p) => p.test(m))), [], `dlq ${args.join(' ')}`);
  }
  const csv = await modulesOf(['list', '--file', file, '--csv']);
  assert.equal(csv.code, 0, csv.stderr);
  assert.ok(csv.modules.some((m) => pkg('csv-stringify').test(m)), 'the control: --csv loads it');
  const wide = join(dir, 'wide.json');
  writeFileSync(wide, JSON.stringify([{ delivery_id: 'evt-東京-1', request_body: '{}' }]));
  const table = await modulesOf(['list', '--file', wide]);
  assert.equal(table.code, 0, table.stderr);
  assert.ok(table.modules.some((m) => pkg('string-width').test(m)), 'the control: a wide cell loads string-width');
});

test("no command but fetch and doctor loads the SDK to show its help, whoever adds it", async () => {
  const names = buildProgram(captureIo(), () => {}).commands.map((c) => c.name());
  for (const name of names.filter((n) => !PLATFORM_COMMANDS.has(n))) {
    const r = await modulesOf([name, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.modules.filter((m) => SDK.test(m)), [], `dlq ${name} --help loaded the SDK`);
  }
});

test('dlq --version loads neither commander nor the CLI', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await modulesOf([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.modules.some((m) => m.endsWith('/dist/src/version.js')), 'traced');
    assert.deepEqual(r.modules.filter((m) => /commander|dist\/src\/cli\.js/.test(m)), []);
  }
});

/** Node's fetch implementation, set up by the first read of the global `Response` (~60-130 ms). */
const UNDICI = /^internal:internal\/deps\/undici\//;

test('list and inspect on PostgreSQL load pg without setting up Node\'s fetch (src/store/postgres/pg-client.ts)', { skip: postgresSkipReason() }, async () => {
  const db = await createTestDatabase();
  try {
    const control = join(dir, 'control.log');
    const touched = await runCommand(process.execPath, ['--import', TRACER, '-e', 'typeof Response'], { cwd: dir, env: { DLQ_MODULE_TRACE: control } });
    assert.equal(touched.code, 0, touched.stderr);
    assert.ok(readFileSync(control, 'utf8').split('\n').some((m) => UNDICI.test(m)), 'the control: reading Response loads undici, and the tracer sees it');
    for (const args of [
      ['list', '--status-code', '503', '--limit', '5'],
      ['inspect', 'no-such-id'],
    ]) {
      const r = await modulesOf(args, { DLQ_STORE: db.url });
      assert.equal(r.code, args[0] === 'inspect' ? 2 : 0, r.stderr);
      assert.ok(r.modules.some((m) => pkg('pg').test(m)), `dlq ${args.join(' ')} loaded pg`);
      assert.deepEqual(r.modules.filter((m) => UNDICI.test(m)), [], `dlq ${args.join(' ')} set up fetch`);
    }
  } finally {
    await db.close();
  }
});
