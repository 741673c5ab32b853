import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter, type LimiterClock } from '../../src/replay/rate-limiter.js';

/** A fake clock: sleeping advances time, so slots are checked exactly without waiting. */
function fakeClock(): LimiterClock & { t: number; sleeps: number[] } {
  const c = {
    t: 1000,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

test('unlimited: never waits', async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(undefined, clock);
  for (let i = 0; i < 10; i++) await limiter.acquire();
  assert.deepEqual(clock.sleeps, []);
});

test('n per second: starts are spaced 1000/n ms apart, the first at once', async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(4, clock);
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    await limiter.acquire();
    starts.push(clock.t);
  }
  assert.deepEqual(starts, [1000, 1250, 1500, 1750, 2000]);
});

test('concurrent callers get distinct, ordered slots', async () => {
  const clock: LimiterClock = { now: () => 0, sleep: async () => {} };
  const requested: number[] = [];
  const limiter = new RateLimiter(10, { now: clock.now, sleep: async (ms) => void requested.push(ms) });
  await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
  assert.deepEqual(requested, [100, 200]);
});

test('after an idle pause there is no burst credit', async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(2, clock);
  await limiter.acquire();
  clock.t += 10_000;
  await limiter.acquire();
  await limiter.acquire();
  assert.deepEqual(clock.sleeps, [500]);
});
