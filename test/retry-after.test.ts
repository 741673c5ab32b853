import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter } from '../src/retry-after.js';

const now = new Date('2026-11-23T10:00:00.000Z');

test('delay-seconds become milliseconds', () => {
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('1.5', now), 1500);
});

test('an HTTP-date becomes the time until then', () => {
  assert.equal(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now), 30_000);
  // RFC 850 form
  assert.equal(parseRetryAfter('Monday, 23-Nov-26 10:01:00 GMT', now), 60_000);
});

test('a date in the past means retry now', () => {
  assert.equal(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now), 0);
});

test('absent or garbage values are undefined (caller backs off exponentially)', () => {
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter('', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('2026', now), 2_026_000); // digits are always seconds
});

test('the first value of a repeated header is used', () => {
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
});
