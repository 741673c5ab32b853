/**
 * The node-postgres client configuration for a store URL and the command's effective environment
 * (config.ts effectiveEnv: the real environment, with `--env-file` filling unset names).
 *
 * node-postgres falls back to `process.env.PG*` by itself for whatever the URL leaves out, which
 * would skip values given in an `--env-file`. So the URL is parsed here (by the client's own
 * parser, pg-connection-string) and every libpq variable the client knows is filled in explicitly
 * from `env`; the URL wins over the environment, as in libpq
 * (https://www.postgresql.org/docs/current/libpq-envars.html).
 */
import type pg from 'pg';
import { parse, toClientConfig } from 'pg-connection-string';
import { registerSecret } from '../../redact.js';

/** URL field → environment variable (the ones node-postgres reads itself, see its connection-parameters.js). */
const FROM_ENV = [
  ['host', 'PGHOST'],
  ['port', 'PGPORT'],
  ['user', 'PGUSER'],
  ['password', 'PGPASSWORD'],
  ['database', 'PGDATABASE'],
  ['options', 'PGOPTIONS'],
  ['client_encoding', 'PGCLIENTENCODING'],
] as const;

export function clientConfig(url: string, env: NodeJS.ProcessEnv): pg.PoolConfig {
  const parsed = parse(url);
  for (const [field, name] of FROM_ENV) {
    const value = parsed[field];
    const fromEnv = env[name];
    if ((value === undefined || value === null || value === '') && fromEnv !== undefined && fromEnv !== '') parsed[field] = fromEnv;
  }
  if (typeof parsed.password === 'string' && parsed.password !== '') registerSecret(parsed.password);
  // No sslmode (nor ssl) in the URL: PGSSLMODE, mapped exactly as node-postgres maps it.
  if (parsed.ssl === undefined && parsed['sslmode'] === undefined) {
    // Set even when unset (false, node-postgres' default), so the client does not read process.env itself.
    parsed.ssl = sslFromMode(env['PGSSLMODE']) ?? false;
  }
  const config = toClientConfig(parsed) as pg.PoolConfig;
  // Without a database name, libpq (and node-postgres) use the user name.
  if (config.database === undefined && config.user !== undefined) config.database = config.user;
  return config;
}

function sslFromMode(mode: string | undefined): boolean | { rejectUnauthorized: false } | undefined {
  switch (mode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return true;
    case 'no-verify':
      return { rejectUnauthorized: false };
    default:
      return undefined;
  }
}
