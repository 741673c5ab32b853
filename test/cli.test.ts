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

test('every duration flag above Node\'s timer limit is exit 2 naming the flag; --since ages are not limited (issue #9)', async () => {
  const env = { GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' };
  const cases: string[][] = [
    ['replay', '--to', 'http://127.0.0.1:9/hook', '--timeout', '25d'],
    ['replay', '--to', 'http://127.0.0.1:9/hook', '--lock-timeout', '25d'],
    ['fetch', '--webhook', 'W', '--max-wait', '25d'],
    ['fetch', '--webhook', 'W', '--lock-timeout', '25d'],
    ['resolve', 'x', '--lock-timeout', '25d'],
    ['prune', '--older-than', '30d', '--lock-timeout', '25d'],
  ];
  for (const args of cases) {
    const io = captureIo({ env });
    const flag = args[args.length - 2] as string;
    assert.equal(await main(['node', 'dlq', ...args, '--file', '/nonexistent/dlq.json'], io), 2, args.join(' '));
    assert.equal(io.err(), `dlq: ${flag}: '25d' is too long (at most 24d20h31m23s, the longest timer Node supports)\n`);
  }
  // An age is not a timer: a year back is fine (the file is what fails here, exit 6).
  for (const args of [['list', '--since', '52w'], ['prune', '--older-than', '52w']]) {
    const age = captureIo();
    assert.equal(await main(['node', 'dlq', ...args, '--file', '/nonexistent/dlq.json'], age), 6, `${args.join(' ')}: ${age.err()}`);
  }
});

test('help shows every form --since/--until take, on every command that has them (issue #9)', async () => {
  for (const command of ['list', 'replay', 'resolve', 'prune']) {
    const io = captureIo({ columns: 200 });
    assert.equal(await main(['node', 'dlq', command, '--help'], io), 0);
    const help = io.out().replace(/\s+/g, ' ');
    for (const flag of ['--since', '--until']) {
      assert.match(help, new RegExp(`${flag} <time> failed at or (after|before) \\(a date 2026-03-01 \\(local day\\), ISO 8601 2026-03-01T14:00:00Z, or an age: 90m, 24h, 7d, 2w, 1h30m\\)`), `${command} ${flag}`);
    }
    assert.match(help, /--replay-status <status> only these replay statuses, a comma list/, command);
  }
});
