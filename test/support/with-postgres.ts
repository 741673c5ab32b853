/**
 * `node dist/test/support/with-postgres.js <command...>`: starts ONE real PostgreSQL server for
 * the whole test run, runs the command with DLQ_TEST_POSTGRES_URL pointing at it, stops the
 * server, and exits with the command's code. `npm test` wraps the test runner in it so each
 * PostgreSQL test file only creates a database (~50 ms) instead of starting a server (~1.5 s).
 *
 * When the server cannot start, it says so and runs the command anyway: every PostgreSQL test
 * file then tries to start its own server and fails with the reason (never a silent skip).
 */
import { spawn } from 'node:child_process';
import { POSTGRES_URL_ENV, postgresSkipReason, startPostgresServer, type PostgresServer } from './postgres-server.js';

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    process.stderr.write('usage: with-postgres <command> [args...]\n');
    return 2;
  }
  let server: PostgresServer | undefined;
  const env = { ...process.env };
  if (!env[POSTGRES_URL_ENV] && postgresSkipReason() === undefined) {
    try {
      const started = performance.now();
      server = await startPostgresServer();
      env[POSTGRES_URL_ENV] = server.adminUrl;
      process.stderr.write(`with-postgres: PostgreSQL test server ready in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
    } catch (error) {
      process.stderr.write(`with-postgres: could not start a PostgreSQL test server: ${(error as Error).message}\n`);
    }
  }
  const child = spawn(command, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`with-postgres: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : 143)));
  });
  await server?.stop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`with-postgres: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
