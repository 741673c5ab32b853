import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GenesysApiError } from '../../src/genesys/api-error.js';
import { DEFAULT_RETRY_POLICY, isRateLimited, isTransient, rateLimitDelayMs } from '../../src/harvest/retry-policy.js';

const http = (status: number, headers: Record<string, string> = {}) =>
  new GenesysApiError('history page 1', 'http', 'x', { status, headers });

test('5xx, 408, network errors, timeouts and unparseable pages are transient', () => {
  for (const s of [500, 502, 503, 504, 408]) assert.equal(isTransient(http(s)), true, String(s));
  assert.equal(isTransient(new GenesysApiError('op', 'network', 'ECONNRESET')), true);
  assert.equal(isTransient(new GenesysApiError('op', 'timeout', 'timed out')), true);
  assert.equal(isTransient(new GenesysApiError('op', 'invalid-response', 'not JSON', { status: 200 })), true);
});

test('other 4xx, 429 and foreign errors are not transient', () => {
  for (const s of [400, 401, 403, 404, 409, 422, 429]) assert.equal(isTransient(http(s)), false, String(s));
  assert.equal(isTransient(new Error('boom')), false);
});

test('429 is rate limited', () => {
  assert.equal(isRateLimited(http(429)), true);
  assert.equal(isRateLimited(http(503)), false);
});

test('a 429 waits exactly what Retry-After says', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  assert.equal(rateLimitDelayMs(http(429, { 'retry-after': '7' }), 1, DEFAULT_RETRY_POLICY, now), 7000);
  assert.equal(
    rateLimitDelayMs(http(429, { 'retry-after': 'Mon, 23 Nov 2026 10:00:09 GMT' }), 3, DEFAULT_RETRY_POLICY, now),
    9000,
  );
});

test('a 429 without Retry-After backs off exponentially, capped', () => {
  const now = new Date();
  const p = { ...DEFAULT_RETRY_POLICY, rateLimitBackoffMs: 1000, factor: 2, rateLimitBackoffMaxMs: 5000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => rateLimitDelayMs(http(429), n, p, now)),
    [1000, 2000, 4000, 5000, 5000],
  );
});
