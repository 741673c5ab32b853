import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { AbortFanout } from '../src/abort-fanout.js';

test('any number of links keep exactly one listener on the parent; an abort reaches every live link', async () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  const links = Array.from({ length: 300 }, () => fanout.link());
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
  const released = links[0];
  released?.release();
  parent.abort('SIGTERM');
  assert.equal(released?.signal.aborted, false, 'a released link is forgotten');
  assert.ok(links.slice(1).every((l) => l.signal.aborted && l.signal.reason === 'SIGTERM'));
  // After the abort, new links start aborted.
  assert.equal(fanout.link().signal.aborted, true);
});

test('run() releases its link when fn settles; a link can be aborted alone; close() removes the listener', async () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  let inner: AbortSignal | undefined;
  assert.equal(await fanout.run(async (s) => ((inner = s), 42)), 42);
  await assert.rejects(fanout.run(() => Promise.reject(new Error('x'))));
  parent.abort();
  assert.equal(inner?.aborted, false, 'released after run');

  const other = new AbortController();
  const f2 = new AbortFanout(other.signal);
  const a = f2.link();
  const b = f2.link();
  a.abort('breaker');
  assert.deepEqual([a.signal.aborted, b.signal.aborted, other.signal.aborted], [true, false, false]);
  f2.close();
  assert.equal(getEventListeners(other.signal, 'abort').length, 0);
});

test('watch(): each watcher hears the parent abort once, in order; one that settled or removed its listener hears nothing', { timeout: 10_000 }, async () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  const heard: string[] = [];
  let finishEarly: () => void = () => undefined;
  const early = fanout.watch((w) => new Promise<void>((resolve) => {
    w.addEventListener('abort', () => heard.push('early'));
    finishEarly = resolve;
  }));
  finishEarly();
  await early;
  const removed = fanout.watch((w) => new Promise<boolean>((resolve) => {
    const listener = () => heard.push('removed');
    w.addEventListener('abort', listener);
    w.removeEventListener('abort', listener);
    parent.signal.addEventListener('abort', () => resolve(w.aborted));
  }));
  const live = Array.from({ length: 50 }, (_, i) => fanout.watch((w) => new Promise<boolean>((resolve) => {
    w.addEventListener('abort', () => {
      heard.push(`live${i}`);
      resolve(w.aborted);
    }, { once: true });
  })));
  assert.equal(getEventListeners(parent.signal, 'abort').length, 2, 'the fan-out and the "removed" case: one each');
  parent.abort();
  assert.deepEqual(await Promise.all(live), live.map(() => true));
  assert.equal(await removed, true, 'aborted, though it no longer listened');
  assert.deepEqual(heard, live.map((_, i) => `live${i}`));
  // After the abort, a new watcher starts aborted and adds no listener.
  assert.equal(await fanout.watch(async (w) => w.aborted), true);
});
