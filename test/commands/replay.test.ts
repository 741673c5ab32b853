import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { main } from '../../src/cli.js';
import { replayCommand, type ReplayDeps, type ReplayOptions } from '../../src/commands/replay.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { ExitCode } from '../../src/errors.js';
import { statusSequence, startReceiver, type Receiver } from '../support/receiver.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';
import { captureIo, type CapturedIo } from '../support/capture-io.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let receiver: Receiver;
const temps: TempDlq[] = [];
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
});
afterEach(async () => {
  receiver.setResponder(() => ({ status: 200 }));
  receiver.requests.length = 0;
  for (const t of temps.splice(0)) await t.remove();
});

async function dlq(entries: DlqEntry[]): Promise<TempDlq> {
  const t = await tempDlq(entries);
  temps.push(t);
  return t;
}

/** Fast backoff so retry tests do not sleep; a private signal source unless the test passes one. */
async function replay(t: TempDlq, options: Partial<ReplayOptions> = {}, deps: ReplayDeps = {}, io: CapturedIo = captureIo()) {
  const code = await replayCommand({ file: t.path, to: receiver.url, ...options }, io, {
    signals: new EventEmitter() as never,
    retryPolicy: { baseDelayMs: 5, maxDelayMs: 20 },
    ...deps,
  });
  return { code, out: io.out(), err: io.err() };
}

test('bodies arrive byte-identical (non-ASCII too) with the documented headers; results are saved', async () => {
  const odd = '{ "spacing" :  1,\n  "order":"kept",  "emoji":"\u{1F600}", "escaped":"\\u00e9" }';
  const t = await dlq([
    entry('d-1'),
    entry('d-2', { request_body: odd, replays: [{ at: 'x', target: 'y', http_status: 500, error: null, duration_ms: 1 }], replay_status: 'failed' }),
  ]);
  const { code, out } = await replay(t, { header: ['X-Receiver-Auth: s3cret-tok', 'X-Tenant: acme'], json: true, concurrency: '1' });
  assert.equal(code, ExitCode.ok);
  assert.equal(receiver.requests.length, 2);
  for (const original of [entry('d-1'), { delivery_id: 'd-2', request_body: odd }]) {
    const [req] = receiver.requestsFor(original.delivery_id);
    assert.ok(req, original.delivery_id);
    assert.ok(req.body.equals(Buffer.from(original.request_body as string, 'utf8')), 'body byte-identical');
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/hook');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['user-agent'], `dlq/${VERSION}`);
    assert.equal(req.headers['idempotency-key'], original.delivery_id);
    assert.equal(req.headers['x-dlq-delivery-id'], original.delivery_id);
    assert.equal(req.headers['x-receiver-auth'], 's3cret-tok');
    assert.equal(req.headers['x-tenant'], 'acme');
  }
  // X-DLQ-Attempt counts tries across runs: d-2 had one before.
  assert.equal(receiver.requestsFor('d-1')[0]?.headers['x-dlq-attempt'], '1');
  assert.equal(receiver.requestsFor('d-2')[0]?.headers['x-dlq-attempt'], '2');

  const summary = JSON.parse(out) as Record<string, unknown>;
  assert.equal(summary['total'], 2);
  assert.equal(summary['succeeded'], 2);
  assert.equal(summary['failed'], 0);
  assert.equal(summary['skipped'], 0);
  assert.equal(typeof summary['durationMs'], 'number');
  assert.deepEqual(summary['results'], [
    { delivery_id: 'd-1', status: 'succeeded', http_status: 200, attempts: 1, error: null },
    { delivery_id: 'd-2', status: 'succeeded', http_status: 200, attempts: 1, error: null },
  ]);

  const saved = await t.read();
  assert.equal(saved[0]?.replay_status, 'succeeded');
  const attempt = saved[0]?.replays?.[0];
  assert.equal(attempt?.target, receiver.url);
  assert.equal(attempt?.http_status, 200);
  assert.equal(attempt?.error, null);
  assert.equal(typeof attempt?.duration_ms, 'number');
  assert.ok(!Number.isNaN(Date.parse(attempt?.at ?? '')));
  assert.equal(saved[1]?.replays?.length, 2);
  // Fields the replay does not own are kept as they were.
  assert.equal(saved[1]?.request_body, odd);
  assert.equal(saved[1]?.webhook_name, 'Orders');
});

test('5xx then success: retried, every try recorded, exit 0', async () => {
  const t = await dlq([entry('r-1')]);
  receiver.setResponder(statusSequence([503, 502, 200]));
  const { code, out } = await replay(t, { retries: '3' });
  assert.equal(code, ExitCode.ok);
  assert.deepEqual(receiver.requests.map((r) => r.headers['x-dlq-attempt']), ['1', '2', '3']);
  const [saved] = await t.read();
  assert.deepEqual(saved?.replays?.map((r) => r.http_status), [503, 502, 200]);
  assert.equal(saved?.replay_status, 'succeeded');
  assert.match(out, /^replayed 1 of 1 to http:\/\/127\.0\.0\.1:\d+\/hook: 1 succeeded, 0 failed/);
});

test('retries run out: failed, exit 7, one log line per failure on stderr', async () => {
  const t = await dlq([entry('x-1'), entry('x-2')]);
  receiver.setResponder((req) => (req.headers['x-dlq-delivery-id'] === 'x-1' ? { status: 500 } : { status: 200 }));
  const { code, out, err } = await replay(t, { retries: '2' });
  assert.equal(code, ExitCode.replayFailed);
  assert.equal(receiver.requestsFor('x-1').length, 3);
  assert.match(err, /failed x-1: HTTP 500 Internal Server Error \(gave up after 2 retries\) \(3 tries\)/);
  assert.match(out, /1 succeeded, 1 failed/);
  const saved = await t.read();
  assert.equal(saved[0]?.replay_status, 'failed');
  assert.equal(saved[0]?.replays?.length, 3);
  assert.equal(saved[1]?.replay_status, 'succeeded');
});

test('a permanent 4xx is sent exactly once', async () => {
  const t = await dlq([entry('p-1')]);
  receiver.setResponder(() => ({ status: 422 }));
  const { code, out } = await replay(t, { json: true });
  assert.equal(code, ExitCode.replayFailed);
  assert.equal(receiver.requests.length, 1);
  const summary = JSON.parse(out) as { results: unknown[] };
  assert.deepEqual(summary.results, [
    { delivery_id: 'p-1', status: 'failed', http_status: 422, attempts: 1, error: 'HTTP 422 Unprocessable Entity' },
  ]);
  assert.deepEqual((await t.read())[0]?.replays?.map((r) => r.http_status), [422]);
});

test('timeouts and dropped connections are retried', async () => {
  const t = await dlq([entry('n-1')]);
  let n = 0;
  receiver.setResponder(() => (++n === 1 ? { hang: true } : n === 2 ? { hangUp: true } : { status: 204 }));
  const { code } = await replay(t, { timeout: '300ms' });
  assert.equal(code, ExitCode.ok);
  const [saved] = await t.read();
  assert.deepEqual(
    saved?.replays?.map((r) => [r.http_status, r.error]),
    [
      [null, 'timed out after 300ms'],
      [null, 'connection reset (ECONNRESET)'],
      [204, null],
    ],
  );
});

test('429 waits its Retry-After before the next try', async () => {
  const t = await dlq([entry('rl-1')]);
  receiver.setResponder(statusSequence([429, 200], { headers: { 'retry-after': '1' } }));
  const { code } = await replay(t);
  assert.equal(code, ExitCode.ok);
  const [first, second] = receiver.requests;
  assert.ok(first && second);
  // Generous margin: the point is that it waited about a second, not the 5 ms backoff.
  assert.ok(second.receivedAt - first.receivedAt >= 900, `waited ${second.receivedAt - first.receivedAt} ms`);
});

test('--concurrency caps requests in flight', async () => {
  const t = await dlq(Array.from({ length: 12 }, (_, i) => entry(`c-${i}`)));
  receiver.setResponder(() => ({ status: 200, delayMs: 100 }));
  const before = receiver.maxInFlight;
  assert.ok(before <= 1);
  const { code } = await replay(t, { concurrency: '3' });
  assert.equal(code, ExitCode.ok);
  assert.equal(receiver.requests.length, 12);
  assert.ok(receiver.maxInFlight <= 3, `max in flight ${receiver.maxInFlight}`);
  assert.ok(receiver.maxInFlight >= 2, `max in flight ${receiver.maxInFlight} (expected parallel requests)`);
});

test('--rate spaces request starts', async () => {
  const t = await dlq(Array.from({ length: 6 }, (_, i) => entry(`rate-${i}`)));
  const { code } = await replay(t, { rate: '10', concurrency: '6' });
  assert.equal(code, ExitCode.ok);
  const times = receiver.requests.map((r) => r.receivedAt);
  const span = Math.max(...times) - Math.min(...times);
  // 6 starts at 10/s span 500 ms; unlimited would be a few ms. Generous lower bound only.
  assert.ok(span >= 400, `span ${span} ms`);
});

test('--dry-run sends nothing and leaves the file byte-identical', async () => {
  const t = await dlq([
    entry('dr-1', { status_code: 503 }),
    entry('dr-2', { status_code: 500, webhook_name: 'Payments' }),
    entry('dr-3', { status_code: 503 }),
    entry('dr-4', { replay_status: 'succeeded' }),
  ]);
  const before = await t.text();
  const text = await replay(t, { dryRun: true });
  assert.equal(text.code, ExitCode.ok);
  assert.match(text.out, /^dry run: would replay 3 dead letters to http:\/\/127\.0\.0\.1:\d+\/hook \(1 skipped: 1 already succeeded\)/);
  assert.match(text.out, /by status code: 503 ×2, 500 ×1/);
  assert.match(text.out, /by webhook: +Orders ×2, Payments ×1/);
  assert.match(text.out, /first ids: +dr-1, dr-2, dr-3\n/);
  const json = await replay(t, { dryRun: true, json: true });
  const summary = JSON.parse(json.out) as Record<string, unknown>;
  assert.equal(summary['total'], 3);
  assert.equal(summary['skipped'], 1);
  assert.deepEqual(summary['firstIds'], ['dr-1', 'dr-2', 'dr-3']);
  assert.equal(receiver.requests.length, 0);
  assert.equal(await t.text(), before);
});

test('--sign-secret adds Standard Webhooks headers that verify; the secret is never printed', async () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const t = await dlq([entry('s-1'), entry('s-2')]);
  const { code, out, err } = await replay(t, { signSecret: secret, verbose: true, json: true });
  assert.equal(code, ExitCode.ok);
  const wh = new Webhook(secret);
  for (const req of receiver.requests) {
    assert.equal(req.headers['webhook-id'], req.headers['x-dlq-delivery-id']);
    assert.doesNotThrow(() => wh.verify(req.body, req.headers as Record<string, string>));
  }
  assert.equal(receiver.requests.length, 2);
  assert.ok(!out.includes(secret) && !err.includes(secret));
  assert.ok(!(await t.text()).includes(secret.slice(6)));

  // From the environment too.
  receiver.requests.length = 0;
  const t2 = await dlq([entry('s-3')]);
  const env = await replay(t2, {}, {}, captureIo({ env: { DLQ_SIGN_SECRET: secret } }));
  assert.equal(env.code, ExitCode.ok);
  assert.doesNotThrow(() => wh.verify(receiver.requests[0]?.body as Buffer, receiver.requests[0]?.headers as Record<string, string>));
});

test('selection: default skips succeeded; --force resends them; ids and prefixes; filters', async () => {
  const t = await dlq([
    entry('aa-1', { replay_status: 'succeeded' }),
    entry('ab-2', { status_code: 500 }),
    entry('bb-3', { status_code: 404 }),
  ]);
  let r = await replay(t, { json: true, dryRun: true });
  assert.deepEqual((JSON.parse(r.out) as { firstIds: string[] }).firstIds, ['ab-2', 'bb-3']);
  r = await replay(t, { json: true, dryRun: true, force: true });
  assert.deepEqual((JSON.parse(r.out) as { firstIds: string[] }).firstIds, ['aa-1', 'ab-2', 'bb-3']);
  r = await replay(t, { json: true, dryRun: true, statusCode: '5xx' });
  assert.deepEqual((JSON.parse(r.out) as { firstIds: string[] }).firstIds, ['ab-2']);

  r = await replay(t, { ids: ['bb', 'aa-1'], json: true });
  assert.equal(r.code, ExitCode.ok);
  const summary = JSON.parse(r.out) as { total: number; skipped: number };
  assert.deepEqual([summary.total, summary.skipped], [1, 1]);
  assert.deepEqual(receiver.requests.map((q) => q.headers['x-dlq-delivery-id']), ['bb-3']);

  r = await replay(t, { ids: ['aa-1'], force: true });
  assert.equal(r.code, ExitCode.ok);
  assert.deepEqual(receiver.requests.map((q) => q.headers['x-dlq-delivery-id']), ['bb-3', 'aa-1']);
});

test('--max-replays stops resending entries that keep failing (counted per run)', async () => {
  const t = await dlq([entry('m-1'), entry('m-2')]);
  receiver.setResponder((req) => ({ status: req.headers['x-dlq-delivery-id'] === 'm-1' ? 503 : 400 }));
  for (let run = 0; run < 2; run++) assert.equal((await replay(t, { retries: '1', maxReplays: '2' })).code, ExitCode.replayFailed);
  // m-1: 2 runs × 2 tries; m-2: 2 runs × 1 try.
  assert.equal(receiver.requestsFor('m-1').length, 4);
  assert.equal(receiver.requestsFor('m-2').length, 2);
  const third = await replay(t, { retries: '1', maxReplays: '2' });
  assert.equal(third.code, ExitCode.ok);
  assert.match(third.out, /^nothing to replay \(2 skipped\)/);
  assert.equal(receiver.requests.length, 6);
  // A higher limit lets them through again.
  assert.equal((await replay(t, { retries: '0', maxReplays: '3' })).code, ExitCode.replayFailed);
  assert.equal(receiver.requests.length, 8);
});

test('nothing selected: exit 0 and the file is not rewritten', async () => {
  const t = await dlq([entry('ok-1', { replay_status: 'succeeded' })]);
  const before = await t.text();
  const r = await replay(t);
  assert.equal(r.code, ExitCode.ok);
  assert.equal(r.out, 'nothing to replay (1 skipped)\n');
  assert.equal(await t.text(), before);
  assert.equal(receiver.requests.length, 0);
});

test('SIGTERM mid-run: in-flight requests end, results so far are saved, exit 143', async () => {
  const t = await dlq(Array.from({ length: 6 }, (_, i) => entry(`t-${i}`)));
  receiver.setResponder((req) => (req.index < 2 ? { status: 200 } : { hang: true }));
  const signals = new EventEmitter();
  const io = captureIo();
  const running = replayCommand({ file: t.path, to: receiver.url, concurrency: '1', json: true }, io, {
    signals: signals as never,
    flushIntervalMs: 60_000,
  });
  while (receiver.requests.length < 3) await new Promise((r) => setTimeout(r, 10));
  signals.emit('SIGTERM');
  assert.equal(await running, 143);
  assert.equal(receiver.requests.length, 3);
  const saved = await t.read();
  assert.deepEqual(saved.map((e) => e.replay_status), ['succeeded', 'succeeded', 'failed', 'pending', 'pending', 'pending']);
  assert.equal(saved[2]?.replays?.[0]?.error, 'interrupted');
  const summary = JSON.parse(io.out()) as { interrupted: string; total: number; results: unknown[] };
  assert.equal(summary.interrupted, 'SIGTERM');
  assert.equal(summary.total, 6);
  assert.equal(summary.results.length, 3);
  assert.equal(signals.listenerCount('SIGTERM'), 0, 'handlers removed after the run');
});

test('bad flags: exit 2, one stderr line naming the flag, file untouched, nothing sent', async () => {
  const t = await dlq([entry('u-1')]);
  const before = await t.text();
  const cases: [string[], RegExp][] = [
    [[], /^dlq: --to: no replay target/],
    [['--to', 'ftp://x/y'], /^dlq: --to: only http and https/],
    [['--to', '::nope'], /^dlq: --to: not a valid URL/],
    [['--timeout', 'soon'], /^dlq: --timeout: /],
    [['--timeout', '0'], /^dlq: --timeout: /],
    [['--retries', '-1'], /^dlq: --retries: /],
    [['--concurrency', '0'], /^dlq: --concurrency: /],
    [['--rate', '0'], /^dlq: --rate: /],
    [['--rate', 'fast'], /^dlq: --rate: /],
    [['--max-replays', 'x'], /^dlq: --max-replays: /],
    [['--header', 'nocolon'], /^dlq: --header: /],
    [['--lock-timeout', 'x'], /^dlq: --lock-timeout: /],
    [['--since', 'yesterday'], /^dlq: --since: /],
    [['--status-code', '6xx'], /^dlq: --status-code: /],
    [['--sign-secret', 'whsec_!!'], /^dlq: --sign-secret: /],
    [['nope-id'], /^dlq: no dead letter with id 'nope-id'/],
  ];
  for (const [args, re] of cases) {
    const io = captureIo();
    const withTarget = args[0] === '--to' || args.length === 0 ? args : ['--to', receiver.url, ...args];
    const code = await main(['node', 'dlq', 'replay', '--file', t.path, ...withTarget], io);
    assert.equal(code, ExitCode.usage, args.join(' '));
    assert.match(io.err(), re, args.join(' '));
    assert.equal(io.err().trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}: ${io.err()}`);
    assert.equal(io.out(), '');
  }
  assert.equal(await t.text(), before);
  assert.equal(receiver.requests.length, 0);
});

test('DLQ_REPLAY_URL from the environment; userinfo and query are used but never stored or printed', async () => {
  const t = await dlq([entry('e-1')]);
  const url = receiver.url.replace('http://', 'http://user:pa55word@') + '?token=qtok123';
  const io = captureIo({ env: { DLQ_REPLAY_URL: url } });
  const code = await main(['node', 'dlq', 'replay', '--file', t.path], io);
  assert.equal(code, ExitCode.ok);
  const [req] = receiver.requests;
  assert.equal(req?.url, '/hook?token=qtok123');
  assert.equal(req?.headers.authorization, `Basic ${Buffer.from('user:pa55word').toString('base64')}`);
  const text = await t.text();
  for (const s of ['pa55word', 'qtok123']) {
    assert.ok(!text.includes(s) && !io.out().includes(s) && !io.err().includes(s), s);
  }
});

test('ids Node cannot send as a header fail only their own delivery, with a recorded try; the others are saved (issue #9)', async () => {
  const odd = ['evt-東京-1', 'esc-\u001b[31m', 'crlf-\r\nX-Injected: 1', 'lf-\nx'];
  const t = await dlq([entry('ok-1'), entry(odd[0] as string), entry('ok-2'), ...odd.slice(1).map((id) => entry(id))]);
  const { code, out, err } = await replay(t, { json: true });
  assert.equal(code, ExitCode.replayFailed);
  assert.deepEqual(receiver.requests.map((r) => r.headers['x-dlq-delivery-id']).sort(), ['ok-1', 'ok-2']);
  const saved = new Map((await t.read()).map((e) => [e.delivery_id, e]));
  for (const id of ['ok-1', 'ok-2']) assert.equal(saved.get(id)?.replay_status, 'succeeded', id);
  for (const id of odd) {
    const e = saved.get(id);
    assert.equal(e?.replay_status, 'failed', id);
    assert.equal(e?.replays?.length, 1, `one recorded try for ${JSON.stringify(id)}`);
    assert.equal(e?.replays?.[0]?.http_status, null);
    assert.match(e?.replays?.[0]?.error ?? '', /^the delivery id cannot be sent as an HTTP header value/);
  }
  const summary = JSON.parse(out) as { succeeded: number; failed: number; results: { delivery_id: string; error: string | null }[] };
  assert.deepEqual([summary.succeeded, summary.failed], [2, 4]);
  assert.ok(!err.includes('unexpected error'), err);
  // The failure lines quote the ids escaped: one line each, no terminal control.
  assert.ok(!err.includes('\u001b') && !err.includes('\r'), err);

  // A rerun sends nothing for what succeeded; the unsendable ones get one more recorded try.
  receiver.requests.length = 0;
  const again = await replay(t);
  assert.equal(again.code, ExitCode.replayFailed);
  assert.equal(receiver.requests.length, 0);
  assert.equal((await t.read()).find((e) => e.delivery_id === odd[0])?.replays?.length, 2);
});

test('--header values Node cannot send are exit 2 before anything is sent (issue #9)', async () => {
  const t = await dlq([entry('h-1')]);
  const before = await t.text();
  for (const header of ['X-Name: 東京', 'X-A: a\u0001b', 'X-Latin: café', 'X-Esc: \u001b[2J']) {
    const io = captureIo();
    const code = await main(['node', 'dlq', 'replay', '--file', t.path, '--to', receiver.url, '--header', header], io);
    assert.equal(code, ExitCode.usage, header);
    assert.match(io.err(), /^dlq: --header: the value of 'X-[A-Za-z]+' contains U\+[0-9A-F]{4}; header values must be printable ASCII/, header);
    assert.equal(io.err().trimEnd().split('\n').length, 1);
  }
  assert.equal(receiver.requests.length, 0);
  assert.equal(await t.text(), before);
});

test('request_body stored as an object or a number: the reason says so, nothing is sent; null is no payload (skipped)', async () => {
  const t = await dlq([entry('o-1', { request_body: { a: 1 } as never }), entry('n-1', { request_body: 42 as never }), entry('u-1', { request_body: null })]);
  const { code, out } = await replay(t, { json: true });
  assert.equal(code, ExitCode.replayFailed);
  assert.equal(receiver.requests.length, 0);
  // Sent oldest first (equal timestamps: by id), so look each result up by its id.
  const results = (JSON.parse(out) as { results: { delivery_id: string; status: string; error: string; reason?: string }[] }).results;
  const result = (id: string) => results.find((r) => r.delivery_id === id);
  assert.match(result('o-1')?.error ?? '', /^request_body is an object, not a string/);
  assert.match(result('n-1')?.error ?? '', /^request_body is a number, not a string/);
  assert.deepEqual(result('u-1'), { delivery_id: 'u-1', status: 'skipped', reason: 'no payload', http_status: null, attempts: 0, error: null });
});

test('entries without a payload (operational events) are never sent, not even by id with --force; only those: exit 0', async () => {
  const event = (id: string): DlqEntry => ({
    ...entry(id),
    request_body: null,
    response_body: null,
    status_code: null,
    source: 'operational-event',
    event_definition: { id: 'def-1', name: 'Data Action Failed' },
    event: { errorCode: 'ACTION.TIMEOUT' },
  });
  const noBody = entry('nb-1');
  delete noBody.request_body;
  const t = await dlq([event('ev-1'), event('ev-2'), noBody]);
  const before = await t.text();
  const { code, out, err } = await replay(t, { json: true });
  assert.equal(code, ExitCode.ok, err);
  assert.equal(receiver.requests.length, 0);
  const summary = JSON.parse(out) as { total: number; skipped: number; results: { delivery_id: string; status: string; reason: string }[] };
  assert.deepEqual([summary.total, summary.skipped], [0, 3]);
  assert.deepEqual(summary.results.map((r) => [r.delivery_id, r.status, r.reason]), [['ev-1', 'skipped', 'no payload'], ['ev-2', 'skipped', 'no payload'], ['nb-1', 'skipped', 'no payload']]);
  assert.match(err, /skipping 3 without a payload \(operational events carry none/);
  const forced = await replay(t, { ids: ['ev-1'], force: true });
  assert.equal(forced.code, ExitCode.ok, forced.err);
  assert.equal(forced.out, 'nothing to replay (1 skipped)\n');
  assert.equal(receiver.requests.length, 0);
  assert.equal(await t.text(), before, 'nothing recorded: nothing was tried');
});

test('replay --file that does not exist is exit 6 like list and inspect (dry run too); nothing is created', async () => {
  const t = await dlq([]);
  const missing = `${t.dir}/nope.json`;
  for (const extra of [[], ['--dry-run']]) {
    const io = captureIo();
    const code = await main(['node', 'dlq', 'replay', '--file', missing, '--to', receiver.url, ...extra], io);
    assert.equal(code, ExitCode.dlqFile);
    assert.equal(io.err(), `dlq: ${missing}: no DLQ file (run dlq fetch first)\n`);
  }
  assert.deepEqual(readdirSync(t.dir), ['dlq.json']);
});

test('--to https:// against a plain-http receiver: one readable recorded error, sent once, not retried (issue #9)', async () => {
  const t = await dlq([entry('tls-1')]);
  const { code, err } = await replay(t, { to: receiver.url.replace('http://', 'https://'), retries: '3' });
  assert.equal(code, ExitCode.replayFailed);
  const [saved] = await t.read();
  assert.equal(saved?.replays?.length, 1, 'one try: another cannot help');
  assert.equal(saved?.replays?.[0]?.error, 'TLS handshake failed: wrong version number (does the server speak plain http?) (EPROTO)');
  assert.match(err, /failed tls-1: TLS handshake failed: wrong version number \(does the server speak plain http\?\) \(EPROTO\) \(1 try\)/);
  assert.doesNotMatch(err, /\\n|openssl|ssl3_get_record/i);
});

test('a stored body that is not UTF-8: replay and inspect --body refuse the file (exit 6 naming the entry), nothing sent, file untouched', async () => {
  const t = await dlq([entry('u8-1'), entry('u8-2', { request_body: 'PLACEHOLDER' })]);
  const good = readFileSync(t.path);
  const at = good.indexOf('PLACEHOLDER');
  const bad = Buffer.concat([good.subarray(0, at), Buffer.from([0xff, 0xfe]), good.subarray(at + 'PLACEHOLDER'.length)]);
  writeFileSync(t.path, bad);
  for (const args of [['replay', '--to', receiver.url], ['inspect', 'u8-2', '--body']]) {
    const io = captureIo();
    const code = await main(['node', 'dlq', ...args, '--file', t.path], io);
    assert.equal(code, ExitCode.dlqFile, args.join(' '));
    assert.equal(io.err(), `dlq: ${t.path}: entry 2 (delivery_id "u8-2"): not valid UTF-8; dlq refuses bytes it could not keep exactly (fix or remove the entry)\n`);
    assert.equal(io.out(), '');
  }
  assert.equal(receiver.requests.length, 0);
  assert.ok(readFileSync(t.path).equals(bad));
});
