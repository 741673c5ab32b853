import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAgent, send } from '../../src/replay/sender.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
});

const body = Buffer.from('{"msg":"naïve café ✓ 日本"}', 'utf8');

test('POSTs the exact bytes with the given headers and reports the status', async () => {
  receiver.setResponder(() => ({ status: 201 }));
  const r = await send({ url: new URL(receiver.url), headers: { 'x-a': '1' }, body, timeoutMs: 5000 });
  assert.equal(r.status, 201);
  assert.equal(r.error, null);
  const got = receiver.requests.at(-1);
  assert.equal(got?.method, 'POST');
  assert.ok(got?.body.equals(body));
  assert.equal(got?.headers['x-a'], '1');
  assert.equal(got?.headers['content-length'], String(body.length));
});

test('Retry-After is passed on', async () => {
  receiver.setResponder(() => ({ status: 429, headers: { 'retry-after': '7' } }));
  const r = await send({ url: new URL(receiver.url), headers: {}, body, timeoutMs: 5000 });
  assert.equal(r.status, 429);
  assert.equal(r.retryAfter, '7');
});

test('a hang ends at the timeout; a hang-up and a refused connection are errors, not throws', async () => {
  receiver.setResponder(() => ({ hang: true }));
  const t = await send({ url: new URL(receiver.url), headers: {}, body, timeoutMs: 200 });
  assert.deepEqual([t.status, t.error], [null, 'timed out after 200ms']);

  receiver.setResponder(() => ({ hangUp: true }));
  const h = await send({ url: new URL(receiver.url), headers: {}, body, timeoutMs: 5000 });
  assert.equal(h.status, null);
  assert.match(h.error ?? '', /ECONNRESET/);

  const closed = await startReceiver();
  const url = new URL(closed.url);
  await closed.close();
  const c = await send({ url, headers: {}, body, timeoutMs: 5000 });
  assert.deepEqual([c.status, c.error], [null, 'connection refused (ECONNREFUSED)']);
});

test('an abort ends an in-flight request as "interrupted"', async () => {
  receiver.setResponder(() => ({ hang: true }));
  const controller = new AbortController();
  const agent = createAgent(new URL(receiver.url), 2);
  const pending = send({ url: new URL(receiver.url), headers: {}, body, timeoutMs: 10_000, signal: controller.signal, agent });
  setTimeout(() => controller.abort(), 50);
  const r = await pending;
  agent.destroy();
  assert.deepEqual([r.status, r.error], [null, 'interrupted']);
});

test('a header value Node refuses (a non-Latin-1 delivery id) fails that request, it does not throw', async () => {
  const before = receiver.requests.length;
  // With a signal, as the runner always passes one: the earlier version of this test passed no
  // signal, so `signal?.removeEventListener('abort', onAbort)` never evaluated `onAbort`, which
  // was still in its temporal dead zone, and the crash every real run hit went unseen (issue #9).
  for (const signal of [undefined, new AbortController().signal]) {
    const r = await send({
      url: new URL(receiver.url),
      headers: { 'x-dlq-delivery-id': '日-2' },
      body,
      timeoutMs: 5000,
      ...(signal ? { signal } : {}),
    });
    assert.equal(r.status, null);
    assert.match(r.error ?? '', /Invalid character in header content/);
    assert.equal(r.permanent, true, 'another try cannot help');
  }
  assert.equal(receiver.requests.length, before, 'nothing was sent');
});

test('https against a plain-http server: one readable line, marked permanent (not retried)', async () => {
  const url = new URL(receiver.url.replace('http://', 'https://'));
  const controller = new AbortController();
  const r = await send({ url, headers: {}, body, timeoutMs: 5000, signal: controller.signal });
  assert.equal(r.status, null);
  assert.equal(r.permanent, true);
  assert.match(r.error ?? '', /^TLS handshake failed: wrong version number \(does the server speak plain http\?\) \(EPROTO\)$/);
  assert.ok(!/\n|\\n|openssl/i.test(r.error ?? ''), r.error ?? '');
});

test('a host name that does not resolve is permanent; a refused connection is not', async () => {
  const r = await send({ url: new URL('http://nonexistent.invalid/hook'), headers: {}, body, timeoutMs: 5000 });
  assert.deepEqual([r.status, r.error, r.permanent], [null, 'host not found (ENOTFOUND)', true]);
  const closed = await startReceiver();
  const url = new URL(closed.url);
  await closed.close();
  const c = await send({ url, headers: {}, body, timeoutMs: 5000 });
  assert.equal(c.permanent, undefined);
});

test('the URL reaches the wire as node:http reads it: path and query, credentials as Basic auth, an IPv6 literal', async (t) => {
  const { createServer } = await import('node:http');
  const seen: { url: string | undefined; host: string | undefined; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, host: req.headers.host, authorization: req.headers.authorization });
    req.resume();
    res.end();
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!listening) {
    t.skip('no IPv6 loopback here');
    return;
  }
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const url = new URL(`http://us%40er:p%3Aw@[::1]:${port}/hooks/in?x=1&y=%2F`);
  // The same URL object twice: the second request goes out from the converted options kept for it.
  for (let i = 0; i < 2; i++) {
    const r = await send({ url, headers: {}, body, timeoutMs: 5000 });
    assert.equal(r.status, 200, r.error ?? undefined);
  }
  const basic = `Basic ${Buffer.from('us@er:p:w').toString('base64')}`;
  assert.deepEqual(seen, [0, 1].map(() => ({ url: '/hooks/in?x=1&y=%2F', host: `[::1]:${port}`, authorization: basic })));
});
