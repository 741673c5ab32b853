import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelayMs, classifyAttempt, decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/replay/retry-policy.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, random: () => 0.5, ...over });

test('2xx succeeds; 408, 429, 5xx and no response are retryable; other statuses are permanent', () => {
  for (const s of [200, 201, 204, 299]) assert.equal(classifyAttempt(s), 'success', String(s));
  for (const s of [408, 429, 500, 502, 503, 504, 599, null]) assert.equal(classifyAttempt(s), 'retryable', String(s));
  for (const s of [100, 301, 302, 400, 401, 403, 404, 409, 410, 422]) assert.equal(classifyAttempt(s), 'permanent', String(s));
});

test('backoff doubles per retry, is capped, and jitter stays within [half, full]', () => {
  const p = policy({ baseDelayMs: 100, maxDelayMs: 1000 });
  assert.equal(backoffDelayMs(1, { ...p, random: () => 0 }), 50);
  assert.equal(backoffDelayMs(1, { ...p, random: () => 0.999999 }), 100);
  assert.equal(backoffDelayMs(2, { ...p, random: () => 0 }), 100);
  assert.equal(backoffDelayMs(3, { ...p, random: () => 0 }), 200);
  assert.equal(backoffDelayMs(10, { ...p, random: () => 0 }), 500);
  assert.equal(backoffDelayMs(10, { ...p, random: () => 0.999999 }), 1000);
});

test('no retry after success or a permanent failure', () => {
  assert.deepEqual(decideRetry({ status: 200 }, 1, policy(), now), { retry: false, reason: null });
  assert.deepEqual(decideRetry({ status: 404 }, 1, policy(), now), { retry: false, reason: null });
});

test('retries stop after policy.retries', () => {
  const p = policy({ retries: 2 });
  assert.equal(decideRetry({ status: 503 }, 1, p, now).retry, true);
  assert.equal(decideRetry({ status: 503 }, 2, p, now).retry, true);
  assert.deepEqual(decideRetry({ status: 503 }, 3, p, now), { retry: false, reason: 'gave up after 2 retries' });
  assert.deepEqual(decideRetry({ status: null }, 1, policy({ retries: 0 }), now), { retry: false, reason: null });
});

test('Retry-After (seconds or HTTP date) replaces the backoff; too long ends the retries', () => {
  assert.deepEqual(decideRetry({ status: 429, retryAfter: '1' }, 1, policy(), now), { retry: true, delayMs: 1000 });
  assert.deepEqual(decideRetry({ status: 503, retryAfter: 'Mon, 23 Nov 2026 10:00:05 GMT' }, 1, policy(), now), {
    retry: true,
    delayMs: 5000,
  });
  const long = decideRetry({ status: 429, retryAfter: '3600' }, 1, policy({ maxRetryAfterMs: 60_000 }), now);
  assert.deepEqual(long, { retry: false, reason: 'Retry-After of 3600s exceeds the 60s limit' });
  // Unusable header: exponential backoff.
  assert.deepEqual(decideRetry({ status: 429, retryAfter: 'soon' }, 1, policy({ baseDelayMs: 100 }), now), {
    retry: true,
    delayMs: 75,
  });
});
