import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { redactSecrets } from '../../src/redact.js';
import { parseReplayConfig, type ReplayOptions } from '../../src/replay/replay-config.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-replay-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const parse = (options: ReplayOptions, env: NodeJS.ProcessEnv = {}) => parseReplayConfig({ to: 'http://127.0.0.1:1/h', ...options }, env, dir);
const usage = (options: ReplayOptions, message: string | RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(
    () => parse(options, env),
    (e: unknown) => e instanceof UsageError && (typeof message === 'string' ? e.message === message : message.test(e.message)),
    String(message),
  );

test('defaults: oldest first, no limit, breaker at 20', () => {
  const c = parse({});
  assert.deepEqual([c.order, c.limit, c.maxConsecutiveFailures, c.routed, c.warnings], ['oldest', undefined, 20, false, []]);
  assert.equal(parse({ limit: '0' }).limit, undefined, '--limit 0 = no limit, as for list');
  assert.equal(parse({ limit: '25', order: 'newest', maxConsecutiveFailures: '0' }).maxConsecutiveFailures, 0);
  usage({ order: 'random' }, "--order: 'random' is not one of oldest, newest");
  usage({ limit: '-1' }, "--limit: '-1' is not a whole number");
  usage({ maxConsecutiveFailures: 'x' }, "--max-consecutive-failures: 'x' is not a whole number");
  usage({ routes: 'r.json' }, '--routes: cannot be combined with --to (give each webhook its target in the routes file)');
});

test('--header-file: comments, blank lines, CRLF; errors name file:line and never the line', async () => {
  await writeFile(join(dir, 'ok.headers'), '# auth for the receiver\r\n\r\n  Authorization: Bearer tok-from-file-123\r\nX-Tenant: acme\n');
  const c = parse({ headerFile: 'ok.headers' });
  assert.deepEqual(c.routes[0]?.headers, [
    ['Authorization', 'Bearer tok-from-file-123'],
    ['X-Tenant', 'acme'],
  ]);
  assert.equal(redactSecrets('tok-from-file-123'), '[redacted]');
  await writeFile(join(dir, 'bad.headers'), 'X-A: 1\n\n# c\nBearer-only-secret-token\n');
  usage({ headerFile: 'bad.headers' }, "bad.headers:4: expected 'Name: value'");
  await writeFile(join(dir, 'reserved.headers'), 'X-A: 1\nIdempotency-Key: x\n');
  usage({ headerFile: 'reserved.headers' }, "reserved.headers:2: 'Idempotency-Key' is set by dlq and cannot be overridden");
  usage({ headerFile: 'missing.headers' }, '--header-file: cannot read missing.headers (ENOENT)');
});

test('DLQ_REPLAY_HEADERS < --header-file < --header, per name (any case)', async () => {
  await writeFile(join(dir, 'mid.headers'), 'x-b: file\nX-C: file\n');
  const c = parse(
    { headerFile: 'mid.headers', header: ['X-C: flag'] },
    { DLQ_REPLAY_HEADERS: 'X-A: env\nX-B: env\n\n# comment\nX-C: env' },
  );
  assert.deepEqual(c.routes[0]?.headers, [
    ['X-A', 'env'],
    ['x-b', 'file'],
    ['X-C', 'flag'],
  ]);
  usage({}, 'DLQ_REPLAY_HEADERS line 2: expected \'Name: value\'', { DLQ_REPLAY_HEADERS: 'X-A: 1\nnot a header' });
});

test('signing secret: --sign-secret-file (trailing newline dropped), DLQ_SIGN_SECRET, --sign-secret with a warning', async () => {
  await writeFile(join(dir, 'sign.secret'), 'file-secret-value\n');
  assert.deepEqual(parse({ signSecretFile: 'sign.secret' }).routes[0]?.signKey, Buffer.from('file-secret-value'));
  assert.deepEqual(parse({}, { DLQ_SIGN_SECRET: 'env-secret-value' }).routes[0]?.signKey, Buffer.from('env-secret-value'));
  const flag = parse({ signSecret: 'flag-secret-value' }, { DLQ_SIGN_SECRET: 'env-secret-value' });
  assert.deepEqual(flag.routes[0]?.signKey, Buffer.from('flag-secret-value'));
  assert.deepEqual(flag.warnings, ['--sign-secret: flag values are visible to other users (ps, CI logs); use --sign-secret-file or DLQ_SIGN_SECRET']);
  usage({ signSecret: 'a-secret', signSecretFile: 'sign.secret' }, '--sign-secret-file: cannot be combined with --sign-secret');
  await writeFile(join(dir, 'empty.secret'), '\n');
  usage({ signSecretFile: 'empty.secret' }, '--sign-secret-file: empty secret');
  usage({ signSecretFile: 'nope.secret' }, '--sign-secret-file: cannot read nope.secret (ENOENT)');
});
