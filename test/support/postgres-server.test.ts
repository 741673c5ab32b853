/** The test server itself: a real PostgreSQL that answers SQL and enforces password logins. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './postgres-server.js';

const skip = postgresSkipReason();
let db: TestDatabase;
before(async () => {
  if (!skip) db = await createTestDatabase();
});
after(async () => {
  await db?.close();
});

test('a real PostgreSQL server answers on loopback with password authentication', { skip }, async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; db: string }>('SELECT version() AS v, current_database() AS db');
    assert.match(rows[0]?.v ?? '', /^PostgreSQL \d+/);
    assert.match(rows[0]?.db ?? '', /^dlq_test_/);
  } finally {
    await client.end();
  }
  const wrong = new URL(db.url);
  wrong.password = 'not-the-password';
  const bad = new pg.Client({ connectionString: wrong.toString() });
  await assert.rejects(bad.connect(), /password authentication failed/);
  await bad.end().catch(() => undefined);
});
