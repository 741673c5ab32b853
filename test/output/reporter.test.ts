import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createReporter } from '../../src/output/reporter.js';
import { registerSecret } from '../../src/redact.js';
import { captureIo } from '../support/capture-io.js';

test('off a terminal: plain one-line messages; progress only when it is a log line', () => {
  const io = captureIo();
  const r = createReporter(io);
  r.info('logged in');
  r.progress('page 3 of 9');
  r.progress('rate limited: waiting 2s', true);
  r.debug('not without --verbose');
  r.warn('careful');
  r.stop();
  assert.equal(io.err(), 'logged in\nrate limited: waiting 2s\nwarning: careful\n');
  assert.equal(io.out(), '', 'nothing on stdout');
});

test('--verbose adds debug lines; --quiet prints nothing at all', () => {
  const verbose = captureIo();
  createReporter(verbose, { verbose: true }).debug('page 1: 200 items');
  assert.equal(verbose.err(), 'page 1: 200 items\n');
  const quiet = captureIo();
  const r = createReporter(quiet, { quiet: true, verbose: true });
  r.info('a');
  r.debug('b');
  r.warn('c');
  r.progress('d', true);
  assert.equal(quiet.err(), '');
});

test('secrets and tokens are redacted from every line', () => {
  registerSecret('tok_abcdefghijklmnop');
  const io = captureIo({ env: { GENESYS_CLIENT_SECRET: 'hunter2-secret' } });
  const r = createReporter(io, { verbose: true });
  r.info('secret hunter2-secret and token tok_abcdefghijklmnop');
  r.debug('Authorization: Bearer abc.def.ghi-jkl');
  assert.doesNotMatch(io.err(), /hunter2-secret|tok_abcdefghijklmnop|abc\.def\.ghi-jkl/);
  assert.match(io.err(), /\[redacted\]/);
});

test('on a terminal: an ora spinner on stderr, stopped cleanly', async () => {
  const io = captureIo({ tty: true, columns: 80 });
  const r = createReporter(io);
  r.progress('history: 200 of 3000 failed deliveries');
  await sleep(150); // ora is loaded lazily
  r.progress('history: 400 of 3000 failed deliveries');
  await sleep(150);
  r.stop();
  assert.match(io.err(), /\u001b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\u001b\[39m history: 400 of 3000/u, 'a cyan spinner frame, then the latest text');
  assert.equal(io.out(), '');
});

test('--color always on a terminal with NO_COLOR: the spinner runs and is coloured by our rule, not chalk\'s guess', async () => {
  const io = captureIo({ tty: true, columns: 80, env: { NO_COLOR: '1' } });
  io.color = 'always';
  const r = createReporter(io);
  r.progress('history: 200 of 3000 failed deliveries');
  await sleep(150);
  r.stop();
  assert.match(io.err(), /\u001b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\u001b\[39m history: 200 of 3000/u);
});

test('quoted remote text cannot add lines or drive the terminal', () => {
  const io = captureIo();
  createReporter(io).info('history page 2: HTTP 500: boom\nsecond line \u001b[2J');
  assert.equal(io.err(), 'history page 2: HTTP 500: boom\\nsecond line \\x1b[2J\n');
});
