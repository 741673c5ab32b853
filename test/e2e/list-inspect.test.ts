/**
 * Through the built binary, as a user or a script runs it: argv parsing, the top-level error
 * handling (one `dlq: ...` line, exit code), real stdout bytes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { BIN, ROOT, runBin } from '../support/run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-list-'));

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** runBin gives a clean environment (no colour settings or DLQ_FILE from the runner), TZ=UTC. */
async function dlq(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const r = await runBin(args, { cwd: dir, env });
  return { code: r.code, stdout: r.stdoutBytes, stderr: r.stderr };
}

const now = new Date();
const entries: DlqEntry[] = makeDlqEntries(200, { seed: 42, now });
// A body with non-ASCII and no trailing newline, to check --body byte for byte.
const special: DlqEntry = {
  delivery_id: 'e2e00000-body-4000-8000-000000000001',
  timestamp: new Date(now.getTime() - 60_000).toISOString(),
  status_code: 503,
  status_message: 'Service Unavailable',
  request_body: '{"name":"Zoë","city":"東京","emoji":"🚀"}\r\n  trailing',
  response_body: '',
  webhook_id: 'wh-e2e',
};
// Two ids sharing a prefix, for the ambiguity case.
const twinA: DlqEntry = { delivery_id: 'abcd0000-0000-4000-8000-00000000000a', timestamp: '2026-01-01T00:00:00Z', status_code: 500 };
const twinB: DlqEntry = { delivery_id: 'abcd0000-0000-4000-8000-00000000000b', timestamp: '2026-01-02T00:00:00Z', status_code: 500 };
const all = [...entries, special, twinA, twinB];
const FILE = join(dir, 'dlq.json');
writeFileSync(FILE, serializeDlq(all));

test('list --status-code 5xx --limit 3: a plain table on stdout, the rest count on stderr, exit 0', async () => {
  const r = await dlq(['list', '--file', FILE, '--status-code', '5xx', '--limit', '3']);
  assert.equal(r.code, 0);
  const lines = r.stdout.toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0] as string, /^DELIVERY ID +FAILED AT +STATUS +WEBHOOK +REPLAY +MESSAGE$/);
  // Newest first: the special entry failed a minute ago.
  assert.ok((lines[1] as string).startsWith(`${special.delivery_id}  `));
  assert.ok(!r.stdout.includes(0x1b), 'no colour on a pipe');
  const matching = all.filter((e) => typeof e.status_code === 'number' && e.status_code >= 500).length;
  assert.equal(r.stderr, `… and ${matching - 3} more (use --limit)\n`);
});

test('list --json and --ids through the binary; DLQ_FILE from the environment', async () => {
  const json = await dlq(['list', '--json', '--webhook', 'Orders'], { DLQ_FILE: FILE });
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout.toString('utf8')) as DlqEntry[];
  // Seven-field entries of the Orders webhook (no webhook_name) are included through their id.
  const ordersId = '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4';
  assert.equal(parsed.length, all.filter((e) => e.webhook_id === ordersId).length);
  assert.ok(parsed.every((e) => e.webhook_id === ordersId));
  assert.ok(parsed.some((e) => e.webhook_name === undefined));
  const ids = await dlq(['list', '--ids', '--replay-status', 'succeeded', '--file', FILE]);
  assert.deepEqual(
    ids.stdout.toString('utf8').trimEnd().split('\n').sort(),
    all.filter((e) => e.replay_status === 'succeeded').map((e) => e.delivery_id).sort(),
  );
});

test('inspect --body writes the stored body byte for byte, no newline added', async () => {
  const r = await dlq(['inspect', 'e2e00000', '--body', '--file', FILE]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.deepEqual(r.stdout, Buffer.from(special.request_body as string, 'utf8'));
});

test('inspect by prefix shows the entry; --json is the stored entry', async () => {
  const target = entries[17] as DlqEntry;
  const r = await dlq(['inspect', target.delivery_id.slice(0, 12), '--file', FILE]);
  assert.equal(r.code, 0);
  assert.match(r.stdout.toString('utf8'), new RegExp(`^delivery_id +${target.delivery_id}$`, 'm'));
  const j = await dlq(['inspect', target.delivery_id, '--json', '--file', FILE]);
  assert.deepEqual(JSON.parse(j.stdout.toString('utf8')), target);
});

test('an ambiguous prefix: exit 2, one line naming the candidates', async () => {
  const r = await dlq(['inspect', 'abcd0000', '--file', FILE]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout.length, 0);
  assert.equal(r.stderr.split('\n').length, 2, 'exactly one line');
  assert.match(r.stderr, /^dlq: id prefix 'abcd0000' is ambiguous: 2 dead letters match/);
  assert.ok(r.stderr.includes(twinA.delivery_id) && r.stderr.includes(twinB.delivery_id));
});

test('an unknown id and a bad flag: exit 2 with one dlq: line', async () => {
  const unknown = await dlq(['inspect', 'zzzz', '--file', FILE]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "dlq: no dead letter with id 'zzzz'\n");
  const bad = await dlq(['list', '--status-code', 'teapot', '--file', FILE]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^dlq: --status-code: 'teapot' is not a status code or class.*\n$/);
  const both = await dlq(['list', '--json', '--ndjson', '--file', FILE]);
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'dlq: --json and --ndjson cannot be combined\n');
});

test('a corrupt DLQ file: exit 6, one line, the file byte-identical afterwards', async () => {
  const corrupt = join(dir, 'corrupt.json');
  const bytes = Buffer.from(serializeDlq(all.slice(0, 5)).slice(0, -20), 'utf8');
  writeFileSync(corrupt, bytes);
  for (const args of [['list'], ['inspect', 'abcd'], ['list', '--json']]) {
    const r = await dlq([...args, '--file', corrupt]);
    assert.equal(r.code, 6, args.join(' '));
    // --json still gets one JSON value on stdout, carrying the error (issue #9).
    if (args.includes('--json')) {
      assert.deepEqual(JSON.parse(r.stdout.toString('utf8')), { error: r.stderr.slice('dlq: '.length, -1), exitCode: 6 });
    } else assert.equal(r.stdout.length, 0);
    assert.ok(r.stderr.startsWith(`dlq: ${corrupt}: `), r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, 'exactly one line');
    assert.deepEqual(readFileSync(corrupt), bytes);
  }
});

test('a missing DLQ file: exit 6 telling to fetch first', async () => {
  const r = await dlq(['list']);
  assert.equal(r.code, 6);
  assert.equal(r.stderr, `dlq: ${join(dir, 'dead_letter_queue.json')}: no DLQ file (run dlq fetch first)\n`);
});

test('list and inspect never load the Genesys SDK', async () => {
  // Detector check first: importing the SDK wrapper does show up in the CommonJS cache.
  const probe = (body: string) =>
    new Promise<string>((resolvePromise, reject) => {
      const script = `
        import { createRequire } from 'node:module';
        ${body}
        const cache = createRequire(import.meta.url).cache;
        process.stdout.write(String(Object.keys(cache).some((k) => k.includes('purecloud-platform-client-v2'))));`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.on('error', reject);
      child.on('close', () => resolvePromise(out));
    });
  assert.equal(await probe(`await import('purecloud-platform-client-v2');`), 'true');
  const io = `{ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, now: () => new Date(), cwd: '/' }`;
  const cli = `./dist/src/cli.js`;
  assert.equal(
    await probe(`const { main } = await import('${cli}');
      await main(['node', 'dlq', 'list', '--file', ${JSON.stringify(FILE)}], ${io});
      await main(['node', 'dlq', 'inspect', 'e2e0', '--file', ${JSON.stringify(FILE)}], ${io});`),
    'false',
  );
});

test('a reader that stops early (| head -1) ends the run quietly, exit 0', async () => {
  const big = join(dir, 'big.json');
  writeFileSync(big, serializeDlq(makeDlqEntries(3000, { seed: 5, now })));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'list', '--ndjson', '--file', big], {
      env: { PATH: process.env['PATH'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.once('data', () => child.stdout.destroy());
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
});
