/**
 * Issue #13 through the built binary: oldest-first canaries, the circuit breaker, routes per
 * webhook with secrets from files, and no MaxListenersExceededWarning at high concurrency.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { replayStatusOf } from '../../src/dlq-entry.js';
import { ExitCode } from '../../src/errors.js';
import { entry, tempDlq, type TempDlq } from '../replay/helpers.js';
import { runBin } from '../support/run-bin.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

let orders: Receiver;
let payments: Receiver;
const temps: TempDlq[] = [];
before(async () => {
  orders = await startReceiver();
  payments = await startReceiver();
});
after(async () => {
  await orders.close();
  await payments.close();
});
afterEach(async () => {
  for (const r of [orders, payments]) {
    r.setResponder(() => ({ status: 200 }));
    r.requests.length = 0;
  }
  for (const t of temps.splice(0)) await t.remove();
});

async function dlq(entries: DlqEntry[]): Promise<TempDlq> {
  const t = await tempDlq(entries);
  temps.push(t);
  return t;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `n` entries of `hook`, failure times shuffled (file order is not time order). */
function shuffled(prefix: string, hook: string, n: number, seed: number): DlqEntry[] {
  const list = Array.from({ length: n }, (_, i) =>
    entry(`${prefix}-${String(i).padStart(3, '0')}`, {
      webhook_name: hook,
      webhook_id: `wh-${hook}`,
      timestamp: new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString(),
    }),
  );
  let s = seed;
  for (let i = list.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [list[i], list[j]] = [list[j] as DlqEntry, list[i] as DlqEntry];
  }
  return list;
}

const sentIds = (r: Receiver) => r.requests.map((q) => String(q.headers['x-dlq-delivery-id']));

test('--webhook Orders --concurrency 1 --limit 25 sends that webhook’s 25 oldest, in timestamp order', async () => {
  const t = await dlq([...shuffled('o', 'Orders', 60, 7), ...shuffled('p', 'Payments', 30, 3)]);
  const r = await runBin(['replay', '--file', t.path, '--to', orders.url, '--webhook', 'Orders', '--concurrency', '1', '--limit', '25', '--json'], {
    cwd: t.dir,
  });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const expected = Array.from({ length: 25 }, (_, i) => `o-${String(i).padStart(3, '0')}`);
  assert.deepEqual(sentIds(orders), expected);
  const summary = JSON.parse(r.stdout) as { total: number; succeeded: number; beyondLimit: number };
  assert.deepEqual([summary.total, summary.succeeded, summary.beyondLimit], [25, 25, 35]);
  assert.match(r.stderr, /sending the oldest 25 \(--limit\); 35 more left for a later run/);

  // --order newest: the other end.
  orders.requests.length = 0;
  const newest = await runBin(['replay', '--file', t.path, '--to', orders.url, '--webhook', 'Orders', '--concurrency', '1', '--limit', '3', '--order', 'newest', '--quiet'], { cwd: t.dir });
  assert.equal(newest.code, ExitCode.ok, newest.stderr);
  assert.deepEqual(sentIds(orders), ['o-059', 'o-058', 'o-057']);

  const bad = await runBin(['replay', '--file', t.path, '--to', orders.url, '--order', 'random'], { cwd: t.dir });
  assert.equal(bad.code, ExitCode.usage);
  assert.match(bad.stderr, /^dlq: option '--order <order>' argument 'random' is invalid\. Allowed choices are oldest, newest\./);
});

test('a closed port with --retries 0 --max-consecutive-failures 5 --concurrency 1: exit 7 after exactly 5 tries, the rest untouched', async () => {
  const entries = Array.from({ length: 40 }, (_, i) =>
    entry(`down-${String(i).padStart(2, '0')}`, { timestamp: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString() }),
  );
  const t = await dlq(entries);
  const before = await t.text();
  const port = await closedPort();
  const args = ['replay', '--file', t.path, '--to', `http://127.0.0.1:${port}/hook`, '--retries', '0', '--max-consecutive-failures', '5', '--concurrency', '1'];
  const r = await runBin([...args, '--json'], { cwd: t.dir });
  assert.equal(r.code, ExitCode.replayFailed, r.stderr);
  assert.match(r.stderr, /^receiver looks down: 5 deliveries in a row failed \(connection refused\); 35 entries not attempted$/m);
  const summary = JSON.parse(r.stdout) as { total: number; failed: number; stoppedEarly: { reason: string; notAttempted: number }; results: unknown[] };
  assert.deepEqual(summary.stoppedEarly, { reason: 'receiver looks down: 5 deliveries in a row failed (connection refused)', notAttempted: 35 });
  assert.deepEqual([summary.total, summary.failed, summary.results.length], [40, 5, 5]);

  const saved = await t.read();
  const tried = saved.filter((e) => (e.replays ?? []).length > 0);
  assert.deepEqual(
    tried.map((e) => [e.delivery_id, e.replays?.length, e.replay_status]),
    ['down-00', 'down-01', 'down-02', 'down-03', 'down-04'].map((id) => [id, 1, 'failed']),
  );
  // The 35 never attempted are exactly as they were: same bytes, entry for entry.
  const original = JSON.parse(before) as DlqEntry[];
  for (const e of saved.slice(5)) assert.deepEqual(e, original.find((o) => o.delivery_id === e.delivery_id));
  assert.ok(saved.slice(5).every((e) => replayStatusOf(e) === 'pending'));

  // 0 turns the breaker off: every entry gets its try.
  const off = await runBin([...args.slice(0, -4), '--max-consecutive-failures', '0', '--concurrency', '8', '--quiet', '--json'], { cwd: t.dir });
  assert.equal(off.code, ExitCode.replayFailed);
  assert.equal((JSON.parse(off.stdout) as { failed: number; stoppedEarly?: unknown }).failed, 40);
  assert.equal((JSON.parse(off.stdout) as { stoppedEarly?: unknown }).stoppedEarly, undefined);
});

test('--routes: each webhook’s entries reach only its receiver, with the Authorization of its header_file; tokens never leak', async () => {
  const ordersToken = 'orders-tok-7f3a9c21e8';
  const paymentsToken = 'payments-tok-b44e01d2c9';
  const tenantValue = 'tenant-value-5521';
  const t = await dlq([...shuffled('o', 'Orders', 6, 1), ...shuffled('p', 'Payments', 4, 2), entry('x-1', { webhook_name: 'Other', webhook_id: 'wh-Other' })]);
  await writeFile(join(t.dir, 'orders.headers'), `# receiver credentials\n\nAuthorization: Bearer ${ordersToken}\nX-Tenant: ${tenantValue}\n`);
  await writeFile(join(t.dir, 'payments.headers'), `Authorization: Bearer ${paymentsToken}\n`);
  const routes = {
    Orders: { to: orders.url, header_file: 'orders.headers' },
    'wh-Payments': { to: `${payments.url}?token=${paymentsToken}`, header_file: 'payments.headers' },
  };
  await writeFile(join(t.dir, 'routes.json'), JSON.stringify(routes));

  const dry = await runBin(['replay', '--file', t.path, '--routes', 'routes.json', '--dry-run'], { cwd: t.dir });
  assert.equal(dry.code, ExitCode.ok, dry.stderr);
  assert.match(dry.stdout, /^dry run: would replay 10 dead letters to 2 routes \(1 skipped: 1 no route\)/);
  assert.match(dry.stdout, new RegExp(`by route: +Orders → ${orders.url} ×6, wh-Payments → ${payments.url} ×4`));
  assert.equal(orders.requests.length + payments.requests.length, 0);

  const r = await runBin(['replay', '--file', t.path, '--routes', 'routes.json', '--verbose', '--json', '--concurrency', '3'], { cwd: t.dir });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.deepEqual(sentIds(orders).sort(), ['o-000', 'o-001', 'o-002', 'o-003', 'o-004', 'o-005']);
  assert.deepEqual(sentIds(payments).sort(), ['p-000', 'p-001', 'p-002', 'p-003']);
  for (const q of orders.requests) {
    assert.equal(q.headers['authorization'], `Bearer ${ordersToken}`);
    assert.equal(q.headers['x-tenant'], tenantValue);
  }
  for (const q of payments.requests) assert.equal(q.headers['authorization'], `Bearer ${paymentsToken}`);
  assert.match(r.stderr, /skipping 1 with no route in routes\.json/);
  const summary = JSON.parse(r.stdout) as { target: null; skipped: number; results: { delivery_id: string; route: string }[] };
  assert.equal(summary.target, null);
  assert.equal(summary.skipped, 1);
  assert.equal(summary.results.find((x) => x.delivery_id === 'p-000')?.route, 'wh-Payments');

  const file = await t.text();
  for (const secret of [ordersToken, paymentsToken, tenantValue]) {
    assert.ok(!r.stdout.includes(secret), `stdout leaks ${secret}`);
    assert.ok(!r.stderr.includes(secret), `stderr leaks ${secret}`);
    assert.ok(!dry.stdout.includes(secret) && !dry.stderr.includes(secret), `dry run leaks ${secret}`);
    assert.ok(!file.includes(secret), `the DLQ file leaks ${secret}`);
  }
  // Stored targets are redacted as with --to: no query string.
  const saved = await t.read();
  assert.equal(saved.find((e) => e.delivery_id === 'p-001')?.replays?.[0]?.target, payments.url);
  assert.deepEqual(saved.find((e) => e.delivery_id === 'x-1')?.replays, [], 'no route: not tried');

  // --to and --routes together: usage, the file untouched.
  const fileBefore = await t.text();
  const both = await runBin(['replay', '--file', t.path, '--routes', 'routes.json', '--to', orders.url], { cwd: t.dir });
  assert.equal(both.code, ExitCode.usage);
  assert.equal(both.stderr, 'dlq: --routes: cannot be combined with --to (give each webhook its target in the routes file)\n');
  assert.equal(await t.text(), fileBefore);
});

test('secrets off the command line: --header-file, DLQ_REPLAY_HEADERS, --sign-secret-file; --sign-secret warns once', async () => {
  const t = await dlq([entry('s-1'), entry('s-2')]);
  await writeFile(join(t.dir, 'h.headers'), 'Authorization: Bearer file-token-abc123\nX-From: file\n');
  await writeFile(join(t.dir, 'sign.secret'), 'whsec_c2lnbmluZy1zZWNyZXQtMTIz\n');
  const r = await runBin(['replay', '--file', t.path, '--to', orders.url, '--header-file', 'h.headers', '--sign-secret-file', 'sign.secret', '--verbose'], {
    cwd: t.dir,
    env: { DLQ_REPLAY_HEADERS: 'X-From: env\nX-Env-Only: env-value-9876' },
  });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const q = orders.requests[0];
  assert.equal(q?.headers['authorization'], 'Bearer file-token-abc123');
  assert.equal(q?.headers['x-from'], 'file', '--header-file wins over DLQ_REPLAY_HEADERS');
  assert.equal(q?.headers['x-env-only'], 'env-value-9876');
  assert.match(String(q?.headers['webhook-signature']), /^v1,/);
  for (const s of ['file-token-abc123', 'env-value-9876', 'c2lnbmluZy1zZWNyZXQtMTIz']) {
    assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s) && !(await t.text()).includes(s), s);
  }
  assert.doesNotMatch(r.stderr, /warning/);

  const flag = await runBin(['replay', '--file', t.path, '--to', orders.url, '--force', '--sign-secret', 'flag-secret-value'], { cwd: t.dir });
  assert.equal(flag.code, ExitCode.ok, flag.stderr);
  const warnings = flag.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  assert.deepEqual(warnings, [
    'warning: --sign-secret: flag values are visible to other users (ps, CI logs); use --sign-secret-file or DLQ_SIGN_SECRET',
  ]);

  await writeFile(join(t.dir, 'bad.headers'), '# ok\nX-Good: 1\nAuthorization Bearer oops-token-value\n');
  const before = await t.text();
  const bad = await runBin(['replay', '--file', t.path, '--to', orders.url, '--header-file', 'bad.headers'], { cwd: t.dir });
  assert.equal(bad.code, ExitCode.usage);
  assert.equal(bad.stderr, "dlq: bad.headers:3: expected 'Name: value'\n");
  assert.equal(await t.text(), before);
});

test('no MaxListenersExceededWarning at --concurrency 256 (retries, rate waits and requests in flight at once)', async () => {
  const t = await dlq(Array.from({ length: 600 }, (_, i) => entry(`m-${String(i).padStart(3, '0')}`)));
  // Every delivery is answered slowly and first with a 503, so requests, retry pauses and rate
  // waits all pile up on the run's signal at once.
  const seen = new Set<string>();
  orders.setResponder((req) => {
    const id = String(req.headers['x-dlq-delivery-id']);
    const first = !seen.has(id);
    seen.add(id);
    return { status: first ? 503 : 200, delayMs: 40 };
  });
  const r = await runBin(['replay', '--file', t.path, '--to', orders.url, '--concurrency', '256', '--rate', '3000', '--quiet'], { cwd: t.dir });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.ok(orders.maxInFlight > 10, `only ${orders.maxInFlight} in flight`);
  assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning|memory leak/);
  assert.equal(r.stderr, '');
});

test('--source narrows replay like list: history entries only, or the events (never sendable: nothing to replay)', async () => {
  const t = await dlq([
    entry('h-1', { timestamp: '2026-03-01T10:00:00Z' }),
    entry('h-2', { timestamp: '2026-03-01T09:00:00Z', source: 'history' }),
    entry('ev-1', { source: 'operational-event', request_body: null as never, response_body: null as never, status_code: null as never }),
  ]);
  const history = await runBin(['replay', '--file', t.path, '--to', orders.url, '--source', 'history', '--concurrency', '1', '--json'], { cwd: t.dir });
  assert.equal(history.code, ExitCode.ok, history.stderr);
  assert.deepEqual(sentIds(orders), ['h-2', 'h-1']);
  const events = await runBin(['replay', '--file', t.path, '--to', orders.url, '--source', 'events', '--force'], { cwd: t.dir });
  assert.equal(events.code, ExitCode.ok, events.stderr);
  assert.match(events.stdout, /^nothing to replay/);
  assert.equal(orders.requests.length, 2);
});
