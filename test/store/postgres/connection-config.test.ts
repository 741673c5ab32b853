/**
 * PG* variables given in an --env-file reach the PostgreSQL client exactly like the real
 * environment's (issue #15): checked on the configuration, then against the real server.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { reportError } from '../../../src/cli.js';
import { listCommand } from '../../../src/commands/list.js';
import { storeCopyCommand } from '../../../src/commands/store.js';
import { clientConfig } from '../../../src/store/postgres/connection-config.js';
import { captureIo } from '../../support/capture-io.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../support/postgres-server.js';
import { entry, tempDir } from '../../support/store-helpers.js';

describe('clientConfig', () => {
  test('the environment fills what the URL leaves out; the URL wins', () => {
    const env = { PGHOST: 'envhost', PGPORT: '6543', PGUSER: 'envuser', PGPASSWORD: 'envpw', PGDATABASE: 'envdb', PGSSLMODE: 'no-verify' };
    const filled = clientConfig('postgres:///', env);
    assert.deepEqual(
      { host: filled.host, port: filled.port, user: filled.user, password: filled.password, database: filled.database, ssl: { ...(filled.ssl as object) } },
      { host: 'envhost', port: 6543, user: 'envuser', password: 'envpw', database: 'envdb', ssl: { rejectUnauthorized: false } },
    );
    const given = clientConfig('postgres://u:p@h:5000/d?sslmode=disable', env);
    assert.deepEqual(
      { host: given.host, port: given.port, user: given.user, password: given.password, database: given.database, ssl: given.ssl },
      { host: 'h', port: 5000, user: 'u', password: 'p', database: 'd', ssl: false },
    );
  });

  test('no PGSSLMODE anywhere: no TLS, and the database defaults to the user name', () => {
    const config = clientConfig('postgres://someone@h', {});
    assert.equal(config.ssl, false);
    assert.equal(config.database, 'someone');
  });
});

describe('--env-file reaches the PostgreSQL connection', { skip: postgresSkipReason() }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.close();
  });

  test('a URL without user, password or port connects with the values of an --env-file', async (t) => {
    const dir = tempDir(t);
    const full = new URL(db.url);
    const bare = `postgres://${full.hostname}${full.pathname}`;
    writeFileSync(
      `${dir}/pg.env`,
      `PGUSER=${decodeURIComponent(full.username)}\nPGPASSWORD=${decodeURIComponent(full.password)}\nPGPORT=${full.port}\nPGSSLMODE=disable\n`,
    );
    const run = async (command: (io: ReturnType<typeof captureIo>) => Promise<number>) => {
      const io = captureIo({ cwd: dir });
      let code: number;
      try {
        code = await command(io);
      } catch (error) {
        code = reportError(error, io);
      }
      return { code, out: io.out(), err: io.err() };
    };
    // Without the file the connection lacks user, password and port: the store is unusable (exit 6).
    const without = await run((io) => listCommand({ store: bare }, io));
    assert.equal(without.code, 6, without.err);
    // With it: store copy (two stores opened from one command) and list both reach the database.
    writeFileSync(`${dir}/dlq.json`, JSON.stringify([entry('env-1'), entry('env-2')]));
    const copy = await run((io) => storeCopyCommand({ from: 'file:dlq.json', to: bare, envFile: 'pg.env' }, io));
    assert.equal(copy.code, 0, copy.err);
    assert.match(copy.out, /^copied 2 entries .*: 2 new, 0 updated; verified 2\n$/);
    const list = await run((io) => listCommand({ store: bare, envFile: 'pg.env', ids: true }, io));
    assert.equal(list.code, 0, list.err);
    assert.equal(list.out, 'env-1\nenv-2\n');
    for (const r of [without, copy, list]) assert.ok(!r.err.includes(decodeURIComponent(full.password)), 'password printed');
  });
});
