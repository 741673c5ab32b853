/**
 * The `pg` client module, loaded without its Cloudflare Workers probe, which cost every PostgreSQL
 * command 60-130 ms of start-up on Node 20 (measured: `require('pg')` 110 ms → 45 ms).
 *
 * pg/lib/stream.js decides when it loads whether it runs in a Cloudflare Worker
 * (https://github.com/brianc/node-postgres/blob/master/packages/pg/lib/stream.js, isCloudflareRuntime):
 * where there is no global `navigator` (Node 20) it reads the global `Response` and builds one. The
 * first read of `Response` makes Node set up its whole fetch implementation (undici), which no
 * dlq command reading a store otherwise needs. While pg loads, `Response` reads as undefined, so
 * the probe answers "not Cloudflare" at once, which is the truth here; the global's own lazy
 * definition is put back right after, untouched. Node 21+ has `navigator` and never reaches
 * that probe, so there this changes nothing.
 */
import { createRequire } from 'node:module';
import type Pg from 'pg';

function loadPg(): typeof Pg {
  const require = createRequire(import.meta.url);
  const response = Object.getOwnPropertyDescriptor(globalThis, 'Response');
  if (response?.configurable !== true) return require('pg') as typeof Pg;
  Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true, enumerable: false });
  try {
    return require('pg') as typeof Pg;
  } finally {
    Object.defineProperty(globalThis, 'Response', response);
  }
}

export const pg = loadPg();
