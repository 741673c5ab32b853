import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorEnabled, interactiveStderr, type Io } from '../src/io.js';
import { captureIo } from './support/capture-io.js';

const io = (tty: boolean, env: NodeJS.ProcessEnv = {}, columns = 80): Io => captureIo({ tty, env, columns });

test('colours only on a terminal, never with NO_COLOR or TERM=dumb', () => {
  assert.equal(colorEnabled(io(true), io(true).stdout), true);
  assert.equal(colorEnabled(io(false), io(false).stdout), false);
  const noColor = io(true, { NO_COLOR: '1' });
  assert.equal(colorEnabled(noColor, noColor.stdout), false);
  const dumb = io(true, { TERM: 'dumb' });
  assert.equal(colorEnabled(dumb, dumb.stdout), false);
});

test('spinners only on an interactive stderr: not with NO_COLOR, CI, TERM=dumb or zero columns', () => {
  assert.equal(interactiveStderr(io(true)), true);
  assert.equal(interactiveStderr(io(false)), false);
  assert.equal(interactiveStderr(io(true, { NO_COLOR: 'yes' })), false);
  assert.equal(interactiveStderr(io(true, { CI: 'true' })), false);
  assert.equal(interactiveStderr(io(true, { CI: 'false' })), true);
  assert.equal(interactiveStderr(io(true, { TERM: 'dumb' })), false);
  assert.equal(interactiveStderr(io(true, {}, 0)), false);
});
