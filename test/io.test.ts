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

test('--color always beats everything, --color never too; FORCE_COLOR (as Node reads it) beats NO_COLOR; NO_COLOR beats auto', () => {
  const at = (tty: boolean, env: NodeJS.ProcessEnv, color?: Io['color']) => {
    const i = io(tty, env);
    if (color) i.color = color;
    return colorEnabled(i, i.stdout);
  };
  assert.equal(at(false, { NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' }, 'always'), true);
  assert.equal(at(true, { FORCE_COLOR: '1' }, 'never'), false);
  assert.equal(at(true, {}, 'auto'), true);
  assert.equal(at(true, { NO_COLOR: '1' }, 'auto'), false);
  for (const on of ['', '1', '2', '3', 'true']) assert.equal(at(false, { FORCE_COLOR: on, NO_COLOR: '1' }), true, `FORCE_COLOR=${on}`);
  for (const off of ['0', 'false', 'no']) assert.equal(at(true, { FORCE_COLOR: off }), false, `FORCE_COLOR=${off}`);
});

test('spinners follow the colour rule but need a terminal even with --color always', () => {
  const pipe = io(false);
  pipe.color = 'always';
  assert.equal(interactiveStderr(pipe), false);
  const never = io(true);
  never.color = 'never';
  assert.equal(interactiveStderr(never), false);
  const always = io(true, { NO_COLOR: '1' });
  always.color = 'always';
  assert.equal(interactiveStderr(always), true);
  assert.equal(interactiveStderr(io(true, { FORCE_COLOR: '0' })), false);
});
