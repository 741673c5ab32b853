/**
 * The PostgreSQL schema's migrations against a real server: applied in order, once, by several
 * processes at once; an older database upgraded in place; and the check every command makes on
 * connecting costs one query once the schema is up to date.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { currentVersion, LATEST_VERSION, migrate, MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { openStore } from '../../../src/store/open-store.js';
import { makeDlqEntries } from '../../support/dlq-fixture.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../support/postgres-server.js';

const skip = postgresSkipReason();

/** A connected client that counts the statements it sends. */
async function connect(url: string): Promise<{ client: pg.Client; statements: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const statements: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    statements.push(String(args[0]));
    return query(...args);
  };
  return { client, statements };
}

describe('PostgreSQL migrations', { skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.close();
  });

  test('a fresh database gets every migration in order; up to date, the check is one query', async () => {
    const { client, statements } = await connect(db.url);
    try {
      assert.equal(await currentVersion(client), 0, 'no dlq_schema_migrations table yet');
      assert.deepEqual(await migrate(client), MIGRATIONS.map((m) => m.version));
      assert.equal(await currentVersion(client), LATEST_VERSION);
      statements.length = 0;
      assert.deepEqual(await migrate(client), []);
      assert.equal(statements.length, 1, `up to date: ${statements.join(' | ')}`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM dlq_schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally {
      await client.end();
    }
  });

  test('several processes migrating one fresh database at once apply each migration exactly once', async () => {
    const url = await db.another();
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(url)));
    try {
      const applied = await Promise.all(clients.map(({ client }) => migrate(client)));
      assert.deepEqual(applied.flat().sort((a, b) => a - b), MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(clients.map(({ client }) => client.end()));
    }
  });

  test('a database at version 1 with entries is upgraded in place by the next command', async () => {
    const url = await db.another();
    const { client } = await connect(url);
    try {
      // What dlq left before any later migration existed.
      await client.query('CREATE TABLE dlq_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      await client.query((MIGRATIONS[0] as { sql: string }).sql);
      await client.query(`INSERT INTO dlq_schema_migrations (version, name) VALUES (1, 'entries, replays, watermarks')`);
    } finally {
      await client.end();
    }
    const entries = makeDlqEntries(50, { seed: 4 });
    const store = await openStore({ store: url }, {}, process.cwd());
    try {
      const migrated = await store.migrate();
      assert.equal(migrated?.version, LATEST_VERSION);
      assert.deepEqual(migrated?.applied, MIGRATIONS.slice(1).map((m) => m.version), 'applied on open');
      await store.putEntries(entries, {});
      const page = await store.listEntries({ filter: { statusCode: '503' }, now: new Date(), sort: 'timestamp', reverse: false, limit: 2, whole: false, names: true });
      assert.equal(page.matches, entries.filter((e) => e.status_code === 503).length);
    } finally {
      await store.close();
    }
    const check = await connect(url);
    try {
      const { rows } = await check.client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'dlq_entries' ORDER BY indexname`);
      const names = rows.map((r) => r.indexname);
      assert.ok(names.includes('dlq_entries_status_num') && names.includes('dlq_entries_webhook_names'), names.join(', '));
    } finally {
      await check.client.end();
    }
  });
});
