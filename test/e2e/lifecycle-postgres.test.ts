/**
 * resolve and prune on a PostgreSQL store, as a user runs them (issue #15): the built binary with
 * `--store postgres://…`, as a role holding only the privileges the README lists, prints exactly
 * what it prints for a DLQ file holding the same entries, writes the same archive, and never
 * prints the password in the URL.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { openStore } from '../../src/store/open-store.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres-server.js';
import { runBin, type BinResult } from '../support/run-bin.js';

const skip = postgresSkipReason();
const PASSWORD = 'e2e-Secret-pw-7Q';
let db: TestDatabase;
let dir: string;
let roleUrl: string;
let role: string;
const ENTRIES: DlqEntry[] = makeDlqEntries(300, { seed: 21, now: new Date() });

/** The least privileges README's "Security and connections" lists, for everyday use and prune. */
async function grantReadmePrivileges(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const database = new URL(adminUrl).pathname.slice(1);
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${name}`);
    await admin.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE ON dlq_entries, dlq_replays, dlq_watermarks, dlq_schema_migrations TO ${name}`);
    await admin.query(`GRANT SELECT ON dlq_tombstones TO ${name}`);
    await admin.query(`GRANT DELETE ON dlq_replays TO ${name}`);
    await admin.query(`GRANT DELETE ON dlq_entries TO ${name}`);
    await admin.query(`GRANT INSERT ON dlq_tombstones TO ${name}`);
  } finally {
    await admin.end();
  }
}

before(async () => {
  if (skip) return;
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'dlq-lifecycle-pg-'));
  for (const url of [`file:${join(dir, 'file', 'dlq.json')}`, db.url]) {
    mkdirSync(join(dir, 'file'), { recursive: true });
    const store = await openStore({ store: url }, {}, dir);
    try {
      await store.putEntries(ENTRIES, {});
    } finally {
      await store.close();
    }
  }
  mkdirSync(join(dir, 'pg'));
  role = `dlq_e2e_${process.pid}_${Date.now() % 100000}`;
  await grantReadmePrivileges(db.url, role);
  const url = new URL(db.url);
  url.username = role;
  url.password = PASSWORD;
  roleUrl = url.toString();
});

after(async () => {
  try {
    await db?.close();
    const admin = process.env['DLQ_TEST_POSTGRES_URL'];
    if (admin && role) {
      // The role outlives the dropped database on a shared server.
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`DROP ROLE IF EXISTS ${role}`).finally(() => client.end());
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `dlq <args>` on both stores, each in its own working directory (so the archives are apart). */
async function both(args: string[]): Promise<{ file: BinResult; pg: BinResult }> {
  const file = await runBin([...args, '--store', 'file:dlq.json'], { cwd: join(dir, 'file') });
  const postgres = await runBin([...args, '--store', roleUrl], { cwd: join(dir, 'pg') });
  for (const r of [file, postgres]) {
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `password printed by ${args.join(' ')}`);
  }
  return { file, pg: postgres };
}

/** stdout with what differs by design made equal: the working directory, the store's name, the time taken. */
function normal(r: BinResult, where: 'file' | 'pg'): string {
  const location = where === 'file' ? join(dir, 'file', 'dlq.json') : new URL(roleUrl.replace(PASSWORD, '***')).toString();
  return sameTimes(r.stdout.split(location).join('<store>').split(join(dir, where)).join('<cwd>').replace(/"durationMs":\d+/g, '"durationMs":0'));
}

/** Each process stamps its own resolved_at: the only field the two stores' entries differ in. */
function sameTimes(text: string): string {
  return text.replace(/"resolved_at":"[^"]*"/g, '"resolved_at":"<now>"');
}

function assertSame(r: { file: BinResult; pg: BinResult }, what: string): string {
  assert.equal(r.file.code, r.pg.code, `${what}: ${r.file.stderr} | ${r.pg.stderr}`);
  assert.equal(normal(r.pg, 'pg'), normal(r.file, 'file'), what);
  return normal(r.file, 'file');
}

test('resolve and prune --archive print the same on PostgreSQL (least-privilege role) as on the file, never the password', { skip }, async () => {
  const first = ENTRIES[0] as DlqEntry;
  const resolved = assertSame(await both(['resolve', first.delivery_id.slice(0, 8), '--note', 'customer re-sent by hand']), 'resolve by prefix');
  assert.equal(resolved, 'resolved 1 dead letter\n');
  const byFilter = assertSame(await both(['resolve', '--status-code', '404', '--webhook', 'orders', '--json']), 'resolve by filters');
  assert.ok((JSON.parse(byFilter) as { changed: number }).changed > 3, byFilter);
  assert.match(byFilter, /"file":"<store>"/);
  assertSame(await both(['list', '--replay-status', 'resolved', '--ids']), 'list resolved');
  assert.equal(assertSame(await both(['resolve', '--undo', first.delivery_id]), 'undo'), 'reopened 1 dead letter\n');

  const dry = assertSame(await both(['prune', '--older-than', '20d', '--dry-run']), 'prune --dry-run');
  assert.match(dry, /^dry run: would prune \d+ dead letters, \d+ would remain; nothing changed\n  by status code: /);
  const pruned = assertSame(await both(['prune', '--replay-status', 'succeeded,resolved', '--archive', 'archive.ndjson', '--verbose']), 'prune --archive');
  assert.match(pruned, /^pruned \d+ dead letters, \d+ remain; archived to <cwd>\/archive\.ndjson\n/);
  // The same archive byte for byte, but for the times the two resolve runs stamped.
  const archive = readFileSync(join(dir, 'file', 'archive.ndjson'), 'utf8');
  assert.ok(archive.length > 1000 && archive.includes('"replay_status":"resolved"'));
  assert.equal(sameTimes(readFileSync(join(dir, 'pg', 'archive.ndjson'), 'utf8')), sameTimes(archive));
  assertSame(await both(['prune', '--older-than', '25d', '--archive', 'archive.ndjson.gz', '--json']), 'prune --archive .gz');
  const gz = readFileSync(join(dir, 'file', 'archive.ndjson.gz'));
  assert.equal(gunzipSync(readFileSync(join(dir, 'pg', 'archive.ndjson.gz'))).toString('utf8'), gunzipSync(gz).toString('utf8'));
  assert.ok(gz.length > 100);

  // What is left is the same, and bad input is the same one line and exit code.
  assertSame(await both(['list', '--json']), 'list after prune');
  const unknown = await both(['resolve', 'no-such-id', '--verbose']);
  assert.equal(unknown.pg.code, 2);
  assert.equal(unknown.pg.stderr, unknown.file.stderr);
});
