import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main, reportError } from '../src/cli.js';
import { PlatformError, UsageError } from '../src/errors.js';
import { captureIo } from './support/capture-io.js';

test('every error is one redacted, escaped line with its exit code', () => {
  const io = captureIo({ env: { GENESYS_CLIENT_SECRET: 'sekrit-value' } });
  const code = reportError(new PlatformError('history page 2: HTTP 400: bad\nrequest \u001b[31m sekrit-value'), io);
  assert.equal(code, 5);
  assert.equal(io.err(), 'dlq: history page 2: HTTP 400: bad\\nrequest \\x1b[31m [redacted]\n');
});

test('an unexpected error is exit 1 and still one line', () => {
  const io = captureIo();
  assert.equal(reportError(new Error('boom\nat x'), io), 1);
  assert.equal(io.err(), 'dlq: unexpected error: boom\\nat x\n');
});

test('usage errors from argv are exit 2 with one line; --help and --version exit 0', async () => {
  const bad = captureIo();
  assert.equal(await main(['node', 'dlq', 'list', '--nope'], bad), 2);
  assert.equal(bad.err(), "dlq: unknown option '--nope' (see --help)\n");
  const help = captureIo();
  assert.equal(await main(['node', 'dlq', '--help'], help), 0);
  assert.match(help.out(), /Usage: dlq/);
  const version = captureIo();
  assert.equal(await main(['node', 'dlq', '--version'], version), 0);
  assert.match(version.out(), /^\d+\.\d+\.\d+\n$/);
  assert.equal(reportError(new UsageError('x'), captureIo()), 2);
});
