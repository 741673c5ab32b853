import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parsePositiveInt } from '../src/duration.js';
import { UsageError } from '../src/errors.js';

test('parseDuration understands units, compounds and bare seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('2w'), 1_209_600_000);
  assert.equal(parseDuration('45'), 45_000);
  assert.equal(parseDuration('1.5s'), 1500);
});

test('parseDuration rejects anything else with a UsageError naming the flag', () => {
  for (const bad of ['', 'soon', '10 minutes', '-5s', '5x', 'm5']) {
    assert.throws(() => parseDuration(bad, '--max-wait'), (e: unknown) => e instanceof UsageError && e.message.startsWith('--max-wait:'), bad);
  }
});

test('parsePositiveInt checks digits and range', () => {
  assert.equal(parsePositiveInt('12', '--limit'), 12);
  assert.throws(() => parsePositiveInt('0', '--limit'), UsageError);
  assert.throws(() => parsePositiveInt('1.5', '--limit'), UsageError);
  assert.throws(() => parsePositiveInt('40', '--concurrency', { max: 32 }), /out of range/);
});
