/**
 * The runner's circuit breaker (issue #13) and its waits, against the loopback receiver: what
 * counts, what resets, that in-flight deliveries finish, and that it is per route.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, afterEach, before, test } from 'node:test';
import type { DlqEntry, ReplayAttempt } from '../../src/dlq-entry.js';
import { RateLimiter } from '../../src/replay/rate-limiter.js';
import { runReplays, type RunnerConfig, type RunnerDeps } from '../../src/replay/replay-runner.js';
import { ResultRecorder } from '../../src/store/result-recorder.js';
import { DEFAULT_RETRY_POLICY } from '../../src/replay/retry-policy.js';
import type { Route } from '../../src/replay/routes.js';
import { parseTarget } from '../../src/replay/target-url.js';
import { abortableSleep } from '../../src/sleep.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { entry, tempDlq, type TempDlq } from './helpers.js';

let a: Receiver;
let b: Receiver;
const temps: TempDlq[] = [];
before(async () => {
  a = await startReceiver();
  b = await startReceiver();
});
after(async () => {
  await a.close();
  await b.close();
});
afterEach(async () => {
  for (const r of [a, b]) {
    r.setResponder(() => ({ status: 200 }));
    r.requests.length = 0;
  }
  for (const t of temps.splice(0)) await t.remove();
});

const route = (r: Receiver, name?: string): Route => ({ name, target: parseTarget(r.url, undefined), headers: [], signKey: undefined });

async function run(
  entries: DlqEntry[],
  options: { routeFor: (e: DlqEntry) => Route; concurrency?: number; limit: number; retries?: number; signal?: AbortSignal; rate?: number },
  extra: Partial<RunnerDeps> = {},
) {
  const t = await tempDlq(entries);
  temps.push(t);
  const recorder = new ResultRecorder(t.path, { lockTimeoutMs: 5000 });
  const tripped: string[] = [];
  const outcome = await runReplays(
    entries,
    {
      routeFor: options.routeFor,
      timeoutMs: 5000,
      policy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5, maxDelayMs: 10, retries: options.retries ?? 0 },
      concurrency: options.concurrency ?? 1,
      userAgent: 'dlq/test',
      runId: 'run-1',
      maxConsecutiveFailures: options.limit,
    },
    {
      recorder,
      limiter: new RateLimiter(options.rate),
      sleep: abortableSleep,
      now: () => new Date(),
      signal: options.signal ?? new AbortController().signal,
      onTrip: (_r, reason) => tripped.push(reason),
      ...extra,
    },
  );
  await recorder.flush();
  return { ...outcome, tripped, saved: await t.read() };
}

const ids = (n: number, p = 'e') => Array.from({ length: n }, (_, i) => entry(`${p}-${String(i).padStart(2, '0')}`));
/** Answers the i-th request with statuses[i] (then 200). */
const byIndex = (statuses: number[]) => (req: { index: number }) => ({ status: statuses[req.index] ?? 200 });

test('a 4xx neither counts nor resets; a 2xx resets; n receiver failures in a row open the breaker', async () => {
  a.setResponder(byIndex([503, 503, 422, 200, 503, 503, 404, 500, 200]));
  const only = route(a);
  const r = await run(ids(12), { routeFor: () => only, limit: 3 });
  // 503 503 [422] 200 | 503 503 [404] 500 -> the third receiver failure since the 2xx.
  assert.equal(a.requests.length, 8);
  assert.deepEqual(r.tripped, ['receiver looks down: 3 deliveries in a row failed (HTTP 500)']);
  assert.equal(r.trips[0]?.notAttempted, 4);
  assert.equal(r.results.length, 8);
  assert.deepEqual(r.saved.slice(8).map((e) => [e.replays, e.replay_status]), Array(4).fill([[], 'pending']));
});

test('failures count once per delivery, after its retries; 0 turns the breaker off', async () => {
  a.setResponder(() => ({ status: 502 }));
  const only = route(a);
  const r = await run(ids(5), { routeFor: () => only, limit: 2, retries: 2 });
  assert.equal(a.requests.length, 6, 'two deliveries, three tries each');
  assert.equal(r.trips[0]?.notAttempted, 3);
  a.requests.length = 0;
  const off = await run(ids(5), { routeFor: () => only, limit: 0 });
  assert.equal(a.requests.length, 5);
  assert.deepEqual(off.trips, []);
});

test('deliveries already in flight when it opens finish and are recorded; none start after', async () => {
  // The first two fail at once; the next three are slow successes already under way.
  a.setResponder((req) => (req.index < 2 ? { status: 503 } : { status: 200, delayMs: 300 }));
  const only = route(a);
  const r = await run(ids(20), { routeFor: () => only, limit: 2, concurrency: 5 });
  // The worker freed by the first failure may start one more before the second failure lands.
  const sent = a.requests.length;
  assert.ok(sent >= 5 && sent <= 7, `${sent} sent`);
  assert.equal(r.results.length, sent, 'every delivery under way finished');
  assert.equal(r.results.filter((x) => x.status === 'succeeded').length, sent - 2);
  assert.equal(r.trips[0]?.notAttempted, 20 - sent);
  assert.equal(r.saved.filter((e) => (e.replays ?? []).length > 0).length, sent);
});

test('the breaker is per route: a receiver that is down stops its own webhook only', async () => {
  a.setResponder(() => ({ status: 503 }));
  const down = route(a, 'Orders');
  const up = route(b, 'Payments');
  const entries = [...ids(10, 'o'), ...ids(10, 'p')].sort((x, y) => (x.delivery_id.slice(2) < y.delivery_id.slice(2) ? -1 : 1));
  const r = await run(entries, { routeFor: (e) => (e.delivery_id.startsWith('o') ? down : up), limit: 3 });
  assert.equal(a.requests.length, 3);
  assert.equal(b.requests.length, 10);
  assert.deepEqual(r.trips.map((t) => [t.route.name, t.notAttempted]), [['Orders', 7]]);
});

test('workers waiting for a rate-limit slot stop waiting when the breaker opens', async () => {
  a.setResponder(() => ({ status: 503 }));
  const only = route(a);
  const started = performance.now();
  // At 2/s, 30 entries would take 15 s; the breaker opens after the second.
  const r = await run(ids(30), { routeFor: () => only, limit: 2, concurrency: 30, rate: 2 });
  assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
  assert.equal(a.requests.length, 2);
  assert.equal(r.trips[0]?.notAttempted, 28);
});

test('however many requests, retry pauses and rate waits are in flight, the run’s signal has one listener', async () => {
  a.setResponder((req) => ({ status: req.index % 2 === 0 ? 503 : 200, delayMs: 30 }));
  const only = route(a);
  const controller = new AbortController();
  const stop = new AbortController();
  let most = 0;
  const sample = () => Math.max(getEventListeners(controller.signal, 'abort').length, getEventListeners(stop.signal, 'abort').length);
  const sampler = setInterval(() => (most = Math.max(most, sample())), 2);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    await run(ids(400), { routeFor: () => only, limit: 0, concurrency: 256, retries: 2, rate: 5000, signal: controller.signal }, { stop: stop.signal });
  } finally {
    clearInterval(sampler);
    process.off('warning', onWarning);
  }
  // Well past the 10 listeners at which Node warns (a loaded machine keeps fewer in flight).
  assert.ok(a.maxInFlight > 20, `only ${a.maxInFlight} in flight`);
  assert.equal(most, 1);
  assert.deepEqual(warnings.map((w) => w.name), []);
});

/** Records in memory only; `saved` is what a flush would write. */
class MemoryRecorder extends ResultRecorder {
  readonly tries: [string, ReplayAttempt][] = [];
  constructor() {
    super('/nonexistent/never-written.json', {});
  }
  override record(id: string, attempt: ReplayAttempt): void {
    this.tries.push([id, attempt]);
    super.record(id, attempt);
  }
}

function config(): RunnerConfig {
  const only = route(a);
  return {
    routeFor: () => only,
    timeoutMs: 5000,
    policy: { ...DEFAULT_RETRY_POLICY, retries: 0 },
    concurrency: 3,
    userAgent: 'dlq/test',
    runId: 'run-1',
    maxConsecutiveFailures: 0,
  };
}

test('an unexpected error inside one delivery fails that delivery only; the run waits for the others', async () => {
  a.setResponder(() => ({ status: 200, delayMs: 150 }));
  const recorder = new MemoryRecorder();
  let calls = 0;
  // A dependency that blows up once, mid-run, as a bug would.
  const limiter = new (class extends RateLimiter {
    override async acquire(signal?: AbortSignal): Promise<void> {
      if (++calls === 2) throw new Error('boom');
      return super.acquire(signal);
    }
  })(undefined);
  const deps: RunnerDeps = { recorder, limiter, sleep: abortableSleep, now: () => new Date(), signal: new AbortController().signal };
  const { results } = await runReplays([entry('a'), entry('b'), entry('c'), entry('d')], config(), deps);
  assert.deepEqual(
    results.map((r) => [r.delivery_id, r.status, r.error]),
    [
      ['a', 'succeeded', null],
      ['b', 'failed', 'internal error: boom'],
      ['c', 'succeeded', null],
      ['d', 'succeeded', null],
    ],
  );
  // Every delivery that was sent is recorded by the time runReplays returns (none still in flight).
  assert.equal(a.inFlight, 0);
  assert.deepEqual(recorder.unsavedIds().sort(), ['a', 'b', 'c', 'd']);
  assert.equal(recorder.tries.find(([id]) => id === 'b')?.[1].error, 'internal error: boom');
});

test('a stop starts no new delivery and no new try, but lets the in-flight requests finish', async () => {
  a.setResponder(() => ({ status: 503, delayMs: 150 }));
  const recorder = new MemoryRecorder();
  const stop = new AbortController();
  const deps: RunnerDeps = {
    recorder,
    limiter: new RateLimiter(undefined),
    sleep: abortableSleep,
    now: () => new Date(),
    signal: new AbortController().signal,
    stop: stop.signal,
  };
  const entries = Array.from({ length: 10 }, (_, i) => entry(`s-${i}`));
  const running = runReplays(entries, { ...config(), concurrency: 2, policy: { ...DEFAULT_RETRY_POLICY, retries: 5, baseDelayMs: 10_000 } }, deps);
  while (a.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  const { results } = await running;
  assert.equal(a.requests.length, 2, 'nothing started after the stop');
  // The two in flight finished with their real answer (not "interrupted"), and did not wait out a backoff.
  assert.deepEqual(results.map((r) => [r.delivery_id, r.http_status]), [['s-0', 503], ['s-1', 503]]);
  assert.deepEqual(recorder.tries.map(([, t]) => t.error), [null, null]);
});
