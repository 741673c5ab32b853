import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine, logFormatFrom } from '../../src/output/log-line.js';
import { createReporter } from '../../src/output/reporter.js';
import { registerSecret } from '../../src/redact.js';
import { captureIo } from '../support/capture-io.js';

const now = new Date('2026-03-01T12:00:00.000Z');

test('text: the message on one line, escaped, with the level prefixes; json: {time, level, msg, command, …fields}', () => {
  const io = captureIo({ now });
  assert.equal(formatLogLine(io, 'warn', 'bad\nname\u001b[31m'), 'warning: bad\\nname\\x1b[31m\n');
  assert.equal(formatLogLine(io, 'error', 'no'), 'dlq: no\n');
  const json = { ...io, logFormat: 'json' as const, command: 'prune' };
  const line = formatLogLine(json, 'error', 'line\nbreak \u202e \u0085', { exitCode: 6, skipped: undefined });
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
  assert.ok(!/[\u202e\u0085]/.test(line), 'bidi overrides and C1 controls are escaped too');
  assert.deepEqual(JSON.parse(line), { time: now.toISOString(), level: 'error', msg: 'line\nbreak \u202e \u0085', command: 'prune', exitCode: 6 });
});

test('secrets never appear: environment secrets, registered tokens and bearer headers, in the message and in fields', () => {
  registerSecret('tok-registered-123456');
  const io = { ...captureIo({ now, env: { GENESYS_CLIENT_SECRET: 's3cr3t-value' } }), logFormat: 'json' as const };
  const line = formatLogLine(io, 'info', 'login with s3cr3t-value and tok-registered-123456', { header: 'Authorization: Bearer abc.def.ghi-123' });
  assert.ok(!line.includes('s3cr3t-value') && !line.includes('tok-registered-123456') && !line.includes('abc.def.ghi-123'), line);
});

test('the reporter writes JSON lines and never starts a spinner in JSON mode, even on a terminal', async () => {
  const io = captureIo({ now, tty: true, columns: 80 });
  const reporter = createReporter({ ...io, logFormat: 'json' }, { verbose: true });
  reporter.progress('page 1');
  reporter.info('hello');
  reporter.debug('details');
  reporter.warn('careful');
  await new Promise((r) => setTimeout(r, 50));
  reporter.stop();
  const lines = io.err().trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'hello'], ['debug', 'details'], ['warn', 'careful']]);
});

test('the format comes from --log-format (either spelling, before or after the command), else DLQ_LOG_FORMAT, else text', () => {
  assert.equal(logFormatFrom(['node', 'dlq', 'list'], {}), 'text');
  assert.equal(logFormatFrom(['node', 'dlq', 'list', '--log-format', 'json'], {}), 'json');
  assert.equal(logFormatFrom(['node', 'dlq', '--log-format=json', 'list'], { DLQ_LOG_FORMAT: 'text' }), 'json');
  assert.equal(logFormatFrom(['node', 'dlq', 'list'], { DLQ_LOG_FORMAT: 'json' }), 'json');
  assert.equal(logFormatFrom(['node', 'dlq', 'list', '--', '--log-format', 'json'], {}), 'text');
  assert.equal(logFormatFrom(['node', 'dlq', 'list'], { DLQ_LOG_FORMAT: 'xml' }), undefined);
});
