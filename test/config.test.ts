import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { effectiveEnv, parseEnvFile, resolveDlqPath } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import type { Io } from '../src/io.js';

test('parseEnvFile reads KEY=value, export, comments and quotes', () => {
  const parsed = parseEnvFile(
    [
      '# comment',
      'GENESYS_CLIENT_ID=abc',
      'export GENESYS_ENVIRONMENT=mypurecloud.ie',
      'GENESYS_WEBHOOK_NAME="My Webhook # not a comment"',
      "GENESYS_CLIENT_SECRET='s3cr=t'",
      'DLQ_FILE=/tmp/x.json # trailing comment',
      'MULTI="a\\nb"',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parsed, {
    GENESYS_CLIENT_ID: 'abc',
    GENESYS_ENVIRONMENT: 'mypurecloud.ie',
    GENESYS_WEBHOOK_NAME: 'My Webhook # not a comment',
    GENESYS_CLIENT_SECRET: 's3cr=t',
    DLQ_FILE: '/tmp/x.json',
    MULTI: 'a\nb',
  });
});

test('parseEnvFile names the line of a malformed entry', () => {
  assert.throws(() => parseEnvFile('A=1\nnot a pair\n', 'prod.env'), /prod\.env:2/);
});

test('the real environment wins over --env-file, which fills the gaps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-config-'));
  writeFileSync(join(dir, 'x.env'), 'GENESYS_CLIENT_ID=from-file\nGENESYS_WEBHOOK_NAME=FromFile\n');
  const io = { env: { GENESYS_CLIENT_ID: 'from-env' }, cwd: dir } as unknown as Io;
  const env = effectiveEnv(io, 'x.env');
  assert.equal(env['GENESYS_CLIENT_ID'], 'from-env');
  assert.equal(env['GENESYS_WEBHOOK_NAME'], 'FromFile');
  assert.throws(() => effectiveEnv(io, 'missing.env'), UsageError);
});

test('DLQ path: --file, then DLQ_FILE, then ./dead_letter_queue.json, relative to cwd', () => {
  assert.equal(resolveDlqPath('a.json', { DLQ_FILE: 'b.json' }, '/w'), '/w/a.json');
  assert.equal(resolveDlqPath(undefined, { DLQ_FILE: 'b.json' }, '/w'), '/w/b.json');
  assert.equal(resolveDlqPath(undefined, {}, '/w'), '/w/dead_letter_queue.json');
});
