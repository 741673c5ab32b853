import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { parseRateLimitHeaders, RateLimitPacer, RateLimitWaitExceeded } from '../../src/harvest/rate-limit-pacer.js';

const headers = (count: number, allowed: number, reset: number) => ({
  'inin-ratelimit-count': String(count),
  'inin-ratelimit-allowed': String(allowed),
  'inin-ratelimit-reset': String(reset),
});

test('parseRateLimitHeaders reads the three inin-ratelimit-* headers', () => {
  assert.deepEqual(parseRateLimitHeaders(headers(12, 300, 45)), { count: 12, allowed: 300, resetMs: 45_000 });
  assert.equal(parseRateLimitHeaders({ 'inin-ratelimit-count': '1' }), undefined);
  assert.equal(parseRateLimitHeaders(headers(1, 0, 3)), undefined);
  assert.equal(parseRateLimitHeaders({ ...headers(1, 10, 3), 'inin-ratelimit-reset': 'soon' }), undefined);
});

/** A pacer on a fake clock whose sleeps advance the clock instead of waiting. */
function fakeClockPacer(maxWaitMs = 60_000) {
  let now = 1_000_000;
  const waits: { ms: number; reason: string }[] = [];
  const pacer = new RateLimitPacer({
    maxWaitMs,
    resetMarginMs: 0,
    now: () => now,
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    onWait: (ms, reason) => waits.push({ ms, reason }),
  });
  return { pacer, waits, advance: (ms: number) => (now += ms), at: () => now };
}

test('without rate-limit headers requests are never held', async () => {
  const { pacer, waits } = fakeClockPacer();
  for (let i = 0; i < 100; i += 1) await pacer.acquire();
  assert.equal(waits.length, 0);
});

test('holds every request once the budget of the window is spent, until the window resets', async () => {
  const { pacer, waits, advance } = fakeClockPacer();
  const seq = await pacer.acquire();
  pacer.observe(seq, headers(8, 10, 5)); // 2 left in a window that resets in 5 s
  await pacer.acquire();
  await pacer.acquire();
  // The next one must wait ~5 s: simulate the timer by advancing the clock when the hold starts.
  const pending = pacer.acquire();
  assert.equal(waits.length, 1);
  assert.equal(waits[0]?.reason, 'rate-limit-budget');
  assert.equal(waits[0]?.ms, 5000);
  advance(5000);
  await pending;
  assert.equal(pacer.totalWaitMs, 5000);
});

test('requests sent after the observed one count against the budget', async () => {
  const { pacer, waits, advance } = fakeClockPacer();
  const first = await pacer.acquire();
  await pacer.acquire(); // in flight, not yet reflected in the server's count
  pacer.observe(first, headers(9, 10, 5)); // 1 left, but one request is already out
  const pending = pacer.acquire();
  assert.equal(waits.length, 1, 'the third request waits for the window');
  advance(5000);
  await pending;
});

test('older responses do not overwrite newer budget information', async () => {
  const { pacer, waits } = fakeClockPacer();
  const a = await pacer.acquire();
  const b = await pacer.acquire();
  pacer.observe(b, headers(2, 10, 5));
  pacer.observe(a, headers(10, 10, 5)); // stale: must be ignored
  await pacer.acquire();
  assert.equal(waits.length, 0);
});

test('pause() holds every worker for at least the Retry-After time, overlapping pauses count once', async () => {
  const { pacer, waits, advance } = fakeClockPacer();
  pacer.pause(3000);
  pacer.pause(1000); // inside the first pause: nothing added
  assert.equal(pacer.totalWaitMs, 3000);
  assert.equal(waits.length, 1);
  const pending = pacer.acquire();
  advance(3000);
  await pending;
  pacer.pause(2000);
  assert.equal(pacer.totalWaitMs, 5000);
});

test('waiting past maxWaitMs throws RateLimitWaitExceeded', () => {
  const { pacer } = fakeClockPacer(4000);
  pacer.pause(3000);
  assert.throws(() => pacer.pause(5000), RateLimitWaitExceeded);
});

test('real timers: a pause is never cut short', async () => {
  const pacer = new RateLimitPacer({ maxWaitMs: 10_000 });
  const t0 = Date.now();
  pacer.pause(120);
  await pacer.acquire();
  assert.ok(Date.now() - t0 >= 120, `waited ${Date.now() - t0} ms`);
});

test('the window end is the tightest estimate seen in that window (reset is rounded up to whole seconds)', async () => {
  const { pacer, waits, advance } = fakeClockPacer();
  const a = await pacer.acquire();
  pacer.observe(a, headers(1, 3, 10)); // true end somewhere in (now+9s, now+10s]
  advance(700);
  const b = await pacer.acquire();
  pacer.observe(b, headers(2, 3, 10)); // now+10s is later than the first estimate: keep the first
  await pacer.acquire();
  const pending = pacer.acquire();
  assert.equal(waits[0]?.ms, 10_000 - 700);
  advance(10_000);
  await pending;
});

test('a new window (the count dropped) replaces the old estimate', async () => {
  const { pacer, advance } = fakeClockPacer();
  const a = await pacer.acquire();
  pacer.observe(a, headers(9, 10, 1));
  advance(1500); // the window has reset
  const b = await pacer.acquire();
  pacer.observe(b, headers(1, 10, 10));
  for (let i = 0; i < 8; i += 1) await pacer.acquire();
  assert.equal(pacer.totalWaitMs, 0);
});

test('32 workers waiting out one pause put one abort listener on the run signal, not 32 (no MaxListenersExceededWarning)', async () => {
  const controller = new AbortController();
  const pacer = new RateLimitPacer({ maxWaitMs: 10_000, signal: controller.signal });
  pacer.pause(300);
  const waiting = Array.from({ length: 32 }, () => pacer.acquire());
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort(new Error('stop'));
  const settled = await Promise.allSettled(waiting);
  assert.ok(settled.every((s) => s.status === 'rejected'), 'every wait ended with the stop');
});
