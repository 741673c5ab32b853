/**
 * `dlq list --csv` and `--redact` through the built binary: the CSV read back by Python's csv
 * module (an independent RFC 4180 reader), redaction checked on the parsed output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { ExitCode } from '../../src/errors.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { runBin } from '../support/run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'dlq.json');

const now = new Date();
const hostile: DlqEntry[] = [
  {
    delivery_id: 'csv-hostile-1',
    timestamp: new Date(now.getTime() - 1000).toISOString(),
    status_code: 502,
    status_message: '=HYPERLINK("http://evil.example","click"), "quoted"\r\nsecond line',
    request_body: '{"a":"line1\\nline2","conversationId":"conv-secret-1","deep":{"list":[{"conversationId":"conv-secret-2"}]}}',
    response_body: '-1+2',
    webhook_id: 'wh-x',
    webhook_name: '@Orders, EU',
    replay_status: 'failed',
    replays: [{ at: 'x', target: 'y', http_status: 500, error: null, duration_ms: 1 }, { at: 'x', target: 'y', http_status: null, error: 'refused', duration_ms: 1 }],
  },
  // the original script's seven fields: the name comes from another entry with that id
  {
    delivery_id: 'csv-seven-fields',
    timestamp: new Date(now.getTime() - 2000).toISOString(),
    status_code: 500,
    status_message: 'Zoë 東京 🚀',
    request_body: '{"customer":{"conversationId":"conv-secret-3"}}',
    response_body: '{"conversationId":"conv-secret-4"}',
    webhook_id: 'wh-x',
  },
];
const entries: DlqEntry[] = [...makeDlqEntries(150, { seed: 7, now }), ...hostile];
writeFileSync(file, serializeDlq(entries));

const dlq = (args: string[], env: NodeJS.ProcessEnv = {}) => runBin([...args, '--file', file], { cwd: dir, env });

/** Python's csv module reads the file; its rows come back as JSON. */
function pythonCsv(path: string): string[][] | undefined {
  const script = 'import csv, json, sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f:\n    print(json.dumps(list(csv.reader(f, strict=True))))';
  const r = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
  if (r.error) return undefined;
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

test('list --csv parses with Python csv into a header and one row per entry, every cell as stored (formulas guarded)', async (t) => {
  const r = await dlq(['list', '--csv', '--csv-bodies']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.ok(r.stdout.endsWith('\r\n'));
  const out = join(dir, 'out.csv');
  writeFileSync(out, r.stdoutBytes);
  const rows = pythonCsv(out);
  if (rows === undefined) return t.skip('python3 is not installed');
  const [header, ...body] = rows;
  assert.deepEqual(header, [
    'delivery_id', 'timestamp', 'status_code', 'status_message', 'webhook_id', 'webhook_name', 'replay_status', 'replays',
    'first_seen_at', 'last_seen_at', 'request_body', 'response_body',
  ]);
  assert.equal(body.length, entries.length);
  const byId = new Map(body.map((row) => [row[0], row]));
  assert.equal(byId.size, entries.length);
  const guard = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  for (const e of entries) {
    const row = byId.get(e.delivery_id);
    assert.ok(row, e.delivery_id);
    assert.equal(row.length, 12);
    assert.equal(row[2], String(e.status_code));
    assert.equal(row[3], guard(e.status_message as string));
    assert.equal(row[7], String(e.replays?.length ?? 0));
    assert.equal(row[10], guard(e.request_body as string));
    assert.equal(row[11], guard(e.response_body as string));
  }
  const h = byId.get('csv-hostile-1') as string[];
  assert.equal(h[3], `'=HYPERLINK("http://evil.example","click"), "quoted"\r\nsecond line`);
  assert.equal(h[5], "'@Orders, EU");
  assert.equal(h[11], "'-1+2");
  assert.equal(byId.get('csv-seven-fields')?.[5], "'@Orders, EU", 'seven-field entry named from the other entry with its id');

  const raw = await dlq(['list', '--csv', '--csv-bodies', '--no-formula-guard']);
  writeFileSync(out, raw.stdoutBytes);
  const rawRows = pythonCsv(out) as string[][];
  const rawHostile = rawRows.find((row) => row[0] === 'csv-hostile-1') as string[];
  assert.equal(rawHostile[3], hostile[0]?.status_message);
  assert.equal(rawHostile[11], '-1+2');
});

test('list --csv without bodies has the ten columns; --group-by counts as CSV; bad combinations are exit 2', async () => {
  const r = await dlq(['list', '--csv', '--status-code', '502', '--limit', '0']);
  const lines = r.stdout.split('\r\n');
  assert.equal(lines[0], 'delivery_id,timestamp,status_code,status_message,webhook_id,webhook_name,replay_status,replays,first_seen_at,last_seen_at');
  const g = await dlq(['list', '--csv', '--group-by', 'replay_status']);
  assert.match(g.stdout, /^replay_status,count\r\n(pending|failed|succeeded),\d+\r\n/);
  for (const args of [['--csv', '--json'], ['--csv-bodies'], ['--no-formula-guard'], ['--csv', '--redact', 'a..b']]) {
    const bad = await dlq(['list', ...args]);
    assert.equal(bad.code, ExitCode.usage, args.join(' '));
    assert.match(bad.stderr, /^dlq: .*\n$/);
  }
});

test('--redact conversationId removes every conversation id from list --json (and ndjson, csv); the file is unchanged', async () => {
  const before = readFileSync(file);
  const secrets = ['conv-secret-1', 'conv-secret-2', 'conv-secret-3', 'conv-secret-4'];
  for (const format of [['--json'], ['--ndjson'], ['--csv', '--csv-bodies']]) {
    const r = await dlq(['list', ...format, '--redact', 'conversationId']);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    for (const s of secrets) assert.ok(!r.stdout.includes(s), `${format.join(' ')}: ${s}`);
  }
  const json = JSON.parse((await dlq(['list', '--json', '--redact', 'conversationId'])).stdout) as DlqEntry[];
  assert.equal(json.length, entries.length);
  let seen = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'conversationId') {
          seen++;
          assert.equal(inner, '[REDACTED]');
        } else walk(inner);
      }
    }
  };
  for (const e of json) {
    for (const body of [e.request_body, e.response_body]) {
      try {
        walk(JSON.parse(body as string));
      } catch {
        // not JSON (HTML error pages): left as stored
      }
    }
  }
  assert.ok(seen >= 154, `every conversationId key seen redacted (${seen})`);
  // DLQ_REDACT is the default list; --verbose says which bodies were not JSON.
  const env = await dlq(['list', '--json', '--verbose'], { DLQ_REDACT: 'conversationId,customer' });
  assert.ok(!env.stdout.includes('conv-secret-'));
  assert.match(env.stderr, /--redact: \d+ bodies are not JSON and were left as they are/);
  assert.ok(readFileSync(file).equals(before));
});

test('inspect --redact (formatted, --json, --body) and prune --archive --redact', async () => {
  for (const args of [[], ['--json'], ['--body']]) {
    const r = await dlq(['inspect', 'csv-hostile-1', '--redact', 'conversationId', ...args]);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    assert.ok(!r.stdout.includes('conv-secret'), args.join(' '));
    assert.match(r.stdout, /REDACTED/);
  }
  const body = await dlq(['inspect', 'csv-hostile-1', '--redact', 'deep.list.*.conversationId', '--body']);
  assert.deepEqual(JSON.parse(body.stdout), { a: 'line1\nline2', conversationId: 'conv-secret-1', deep: { list: [{ conversationId: '[REDACTED]' }] } });

  const archive = join(dir, 'archive.ndjson');
  const pruned = await dlq(['prune', '--webhook', 'wh-x', '--archive', archive, '--redact', 'conversationId']);
  assert.equal(pruned.code, ExitCode.ok, pruned.stderr);
  const lines = readFileSync(archive, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.ok(!lines.join('\n').includes('conv-secret'));
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as DlqEntry).delivery_id).sort(), ['csv-hostile-1', 'csv-seven-fields']);
  // Everything but the redacted values is whole: same fields, same replay history.
  const archived = JSON.parse(lines.find((l) => l.includes('csv-hostile-1')) as string) as DlqEntry;
  assert.deepEqual({ ...archived, request_body: undefined }, { ...hostile[0], request_body: undefined });
  writeFileSync(file, serializeDlq(entries));
});
