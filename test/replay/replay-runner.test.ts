import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ReplayAttempt } from '../../src/dlq-entry.js';
import { RateLimiter } from '../../src/replay/rate-limiter.js';
import { runReplays, type RunnerConfig, type RunnerDeps } from '../../src/replay/replay-runner.js';
import { ResultRecorder } from '../../src/replay/result-recorder.js';
import { DEFAULT_RETRY_POLICY } from '../../src/replay/retry-policy.js';
import { abortableSleep } from '../../src/sleep.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { entry } from './helpers.js';

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
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
  return {
    target: { url: new URL(receiver.url), redacted: receiver.url },
    timeoutMs: 5000,
    policy: { ...DEFAULT_RETRY_POLICY, retries: 0 },
    concurrency: 3,
    headers: [],
    userAgent: 'dlq/test',
    signKey: undefined,
    runId: 'run-1',
  };
}

test('an unexpected error inside one delivery fails that delivery only; the run waits for the others', async () => {
  receiver.requests.length = 0;
  receiver.setResponder(() => ({ status: 200, delayMs: 150 }));
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
  const results = await runReplays([entry('a'), entry('b'), entry('c'), entry('d')], config(), deps);
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
  assert.equal(receiver.inFlight, 0);
  assert.deepEqual(recorder.unsavedIds().sort(), ['a', 'b', 'c', 'd']);
  assert.equal(recorder.tries.find(([id]) => id === 'b')?.[1].error, 'internal error: boom');
});

test('a stop starts no new delivery and no new try, but lets the in-flight requests finish', async () => {
  receiver.requests.length = 0;
  receiver.setResponder(() => ({ status: 503, delayMs: 150 }));
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
  while (receiver.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  const results = await running;
  assert.equal(receiver.requests.length, 2, 'nothing started after the stop');
  // The two in flight finished with their real answer (not "interrupted"), and did not wait out a backoff.
  assert.deepEqual(results.map((r) => [r.delivery_id, r.http_status]), [['s-0', 503], ['s-1', 503]]);
  assert.deepEqual(recorder.tries.map(([, a]) => a.error), [null, null]);
});
