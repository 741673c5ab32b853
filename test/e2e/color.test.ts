/**
 * Colour control as a person sees it: the built binary on a real terminal (a pty from util-linux
 * `script`) and on a pipe. `--color never`, `--no-color` and NO_COLOR leave no escape code on a
 * terminal, spinners included; `--color always` and FORCE_COLOR colour a pipe.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { BIN, ROOT, runBin } from '../support/run-bin.js';

const SAMPLE = join(ROOT, 'dead_letter_queue.sample.json');
const ESC = '\u001b[';
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasScript ? false : 'util-linux `script` is not installed: no pty to test on';
const dir = mkdtempSync(join(tmpdir(), 'dlq-color-'));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the binary on a pty 100 columns wide; stdout and stderr both land on it. */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const command = `stty cols 100 rows 30; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  try {
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      cwd: dir,
      env: { PATH: process.env['PATH'], TZ: 'UTC', TERM: 'xterm-256color', ...env },
      timeout: 60_000,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? -1, output: e.stdout ?? '' };
  }
}

test('list on a terminal: colour by default, none with --color never, --no-color or NO_COLOR', { skip }, async () => {
  const auto = await onTerminal(['list', '--file', SAMPLE]);
  assert.equal(auto.code, 0, auto.output);
  assert.ok(auto.output.includes(`${ESC}31m`), 'auto colours a terminal (the control for the cases below)');
  for (const [args, env] of [
    [['--color', 'never'], {}],
    [['--color=never'], {}],
    [['--no-color'], {}],
    [[], { NO_COLOR: '1' }],
  ] as const) {
    const r = await onTerminal(['list', '--file', SAMPLE, ...args], env);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /7c9e6679-7425-40de-944b-e07fc1f90ae7/);
    assert.ok(!r.output.includes('\u001b'), `no escape with ${JSON.stringify([args, env])}: ${JSON.stringify(r.output.slice(0, 200))}`);
  }
});

test('--color always colours a pipe, before or after the command and over NO_COLOR; FORCE_COLOR does too', async () => {
  for (const [args, env] of [
    [['list', '--file', SAMPLE, '--color', 'always'], { NO_COLOR: '1' }],
    [['--color', 'always', 'inspect', '7c9e6679', '--file', SAMPLE], {}],
    [['list', '--file', SAMPLE], { FORCE_COLOR: '1' }],
  ] as const) {
    const r = await runBin([...args], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(ESC), `colour with ${JSON.stringify([args, env])}`);
  }
  const plain = await runBin(['list', '--file', SAMPLE], { cwd: dir });
  assert.ok(!plain.stdout.includes('\u001b'), 'a pipe stays plain by default');
  const forcedOff = await runBin(['list', '--file', SAMPLE, '--no-color'], { cwd: dir, env: { FORCE_COLOR: '1' } });
  assert.ok(!forcedOff.stdout.includes('\u001b'), '--no-color beats FORCE_COLOR');
  const bad = await runBin(['list', '--file', SAMPLE, '--color', 'sometimes'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^dlq: option '--color <when>' argument 'sometimes' is invalid\. Allowed choices are auto, always, never\./);
});

// fetch's spinner on a terminal follows the same rule.
const server = new FakeGenesys({
  clients: { 'color-client': 'color-secret' },
  latencyMs: 40,
  integrations: [{ id: 'color-webhook-id', name: 'Orders', failures: makeFailures(1200, { seed: 5 }) }],
});
let url = '';
before(async () => {
  url = (await server.start()).url;
});
after(() => server.stop());
const fetchArgs = (file: string) => ['fetch', '--webhook', 'Orders', '--file', join(dir, file), '--concurrency', '1'];
const fetchEnv = () => ({ GENESYS_CLIENT_ID: 'color-client', GENESYS_CLIENT_SECRET: 'color-secret', GENESYS_GATEWAY: url });

test('fetch on a terminal: a coloured spinner by default; plain lines with --color never or NO_COLOR', { skip }, async () => {
  const auto = await onTerminal(fetchArgs('auto.json'), fetchEnv());
  assert.equal(auto.code, 0, auto.output);
  assert.ok(auto.output.includes(`${ESC}36m`), `a cyan spinner frame: ${JSON.stringify(auto.output.slice(0, 300))}`);
  for (const [args, extra] of [
    [['--color', 'never'], {}],
    [[], { NO_COLOR: '1' }],
  ] as const) {
    const r = await onTerminal([...fetchArgs(`plain-${args.length}.json`), ...args], { ...fetchEnv(), ...extra });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /fetched 1200 failed deliveries/);
    assert.ok(!r.output.includes('\u001b'), `no spinner and no colour: ${JSON.stringify(r.output.slice(0, 300))}`);
  }
});
