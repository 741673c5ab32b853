/**
 * The package as a user gets it: `npm pack` from a copy of the sources without dist/ (prepack must
 * build), the tarball's file list, `npm install -g --prefix <tmp>` of that tarball, then the
 * installed `dlq` run from another directory: --version, list of the shipped sample, and a fetch
 * against the local Genesys-compatible server.
 *
 * npm runs with --prefer-offline so the dependencies come from the cache `npm ci` just filled
 * (the network is asked only for what the cache lacks).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { ROOT, runCommand } from '../support/run-bin.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = mkdtempSync(join(tmpdir(), 'dlq-install-'));
const checkout = join(tmp, 'checkout');
const prefix = join(tmp, 'prefix');
const elsewhere = join(tmp, 'elsewhere');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

interface PackResult {
  filename: string;
  files: { path: string }[];
}
let packed: PackResult;
let tarball = '';

before(async () => {
  // A clean clone: the sources without build output, installs or earlier tarballs. node_modules is
  // linked, not installed again: prepack needs only TypeScript from it.
  cpSync(ROOT, checkout, {
    recursive: true,
    filter: (src) => {
      const top = relative(ROOT, src).split(/[\\/]/)[0] ?? '';
      return !['node_modules', 'dist', '.git'].includes(top) && !/\.tgz$/.test(top) && !top.startsWith('dead_letter_queue.json');
    },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  mkdirSync(elsewhere);
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: checkout, timeout: 120_000 });
  // The JSON array starts on its own line, after whatever the prepack step printed.
  packed = (JSON.parse(stdout.slice(stdout.search(/^\[/m))) as PackResult[])[0]!;
  tarball = join(tmp, packed.filename);
  await run(npm, ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: elsewhere,
    timeout: 180_000,
  });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the tarball holds what runs and nothing else: no tests, scripts, sources or source maps', () => {
  const paths = packed.files.map((f) => f.path).sort();
  const loose = paths.filter((p) => !p.startsWith('bin/') && !p.startsWith('dist/src/'));
  assert.deepEqual(loose, ['LICENSE', 'README.md', 'dead_letter_queue.sample.json', 'package.json']);
  assert.ok(paths.includes('bin/dlq.js') && paths.includes('dist/src/cli.js'), paths.join(' '));
  const unwanted = paths.filter((p) => /(^|\/)(test|scripts)\/|\.test\.|\.map$|\.ts$|tsbuildinfo/.test(p));
  assert.deepEqual(unwanted, []);
  assert.equal(basename(tarball), `dlq-${pkg.version}.tgz`);
});

const installed = () => join(prefix, 'bin', 'dlq');
const shipped = () => join(prefix, 'lib', 'node_modules', 'dlq');
const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: process.env['PATH'], TZ: 'UTC', ...extra });

test('the installed dlq prints its version from any directory', async () => {
  const r = await runCommand(installed(), ['--version'], { cwd: '/', env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${pkg.version}\n`);
});

test('the installed dlq lists the shipped sample file', async () => {
  const sample = join(shipped(), 'dead_letter_queue.sample.json');
  const ids = (JSON.parse(readFileSync(join(ROOT, 'dead_letter_queue.sample.json'), 'utf8')) as { delivery_id: string }[])
    .map((e) => e.delivery_id)
    .sort();
  const r = await runCommand(installed(), ['list', '--file', sample, '--ids', '--sort', 'delivery_id'], { cwd: elsewhere, env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), ids);
  const table = await runCommand(installed(), ['list', '--file', sample], { cwd: elsewhere, env: env() });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^DELIVERY ID\s+FAILED AT/);
});

test('the installed dlq fetches from the local Genesys-compatible server', async () => {
  const server = new FakeGenesys({
    clients: { 'install-client': 'install-secret' },
    integrations: [{ id: 'install-webhook-id', name: 'Orders', failures: makeFailures(250, { seed: 3 }) }],
  });
  const { url } = await server.start();
  try {
    const r = await runCommand(installed(), ['fetch', '--webhook', 'Orders', '--json', '--quiet'], {
      cwd: elsewhere,
      env: env({ GENESYS_CLIENT_ID: 'install-client', GENESYS_CLIENT_SECRET: 'install-secret', GENESYS_GATEWAY: url }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { new: number }).new, 250);
    const file = JSON.parse(readFileSync(join(elsewhere, 'dead_letter_queue.json'), 'utf8')) as unknown[];
    assert.equal(file.length, 250);
  } finally {
    await server.stop();
  }
});
