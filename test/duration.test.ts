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

test('durations above Node\'s timer limit (2^31-1 ms, about 24.8 days) are usage errors naming the flag', () => {
  assert.equal(parseDuration('24d20h31m23s', '--timeout'), 2_147_483_000);
  for (const tooLong of ['25d', '4w', '2147484s', '1000h']) {
    assert.throws(
      () => parseDuration(tooLong, '--timeout'),
      (e: unknown) => e instanceof UsageError && e.message === `--timeout: '${tooLong}' is too long (at most 24d20h31m23s, the longest timer Node supports)`,
      tooLong,
    );
  }
  // Ages are not timers: a caller can lift the limit.
  assert.equal(parseDuration('52w', '--since', { maxMs: Number.MAX_SAFE_INTEGER }), 52 * 604_800_000);
});
