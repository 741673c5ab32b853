import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { UsageError } from '../../src/errors.js';
import { redactSecrets } from '../../src/redact.js';
import { loadRoutes, routeResolver } from '../../src/replay/routes.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-routes-'));
  await mkdir(join(dir, 'conf'));
  await writeFile(join(dir, 'conf', 'a.headers'), 'Authorization: Bearer route-file-token-1\nX-Shared: from-route-file\n');
});
after(() => rm(dir, { recursive: true, force: true }));

const defaults = { headers: [['X-Shared', 'global'], ['X-Global', 'g']] as const, signKey: Buffer.from('global-key') };

async function load(routes: unknown, env: NodeJS.ProcessEnv = {}) {
  await writeFile(join(dir, 'conf', 'routes.json'), typeof routes === 'string' ? routes : JSON.stringify(routes));
  return loadRoutes('conf/routes.json', dir, env, { headers: [...defaults.headers], signKey: defaults.signKey });
}

test('a route: target, its headers over the run’s (header_file relative to the routes file), its own signing secret', async () => {
  const [orders, star] = await load(
    {
      Orders: { to: 'https://user:pw@a.example.com/hook?token=q', header_file: 'a.headers', headers: { 'X-Tenant': 'acme' }, sign_secret_env: 'ORDERS_SECRET' },
      '*': { to: 'http://b.example.com/x' },
    },
    { ORDERS_SECRET: 'orders-signing-secret' },
  );
  assert.equal(orders?.name, 'Orders');
  assert.equal(orders?.target.redacted, 'https://a.example.com/hook');
  assert.equal(orders?.target.url.search, '?token=q');
  assert.deepEqual(orders?.headers, [
    ['X-Shared', 'from-route-file'],
    ['X-Global', 'g'],
    ['Authorization', 'Bearer route-file-token-1'],
    ['X-Tenant', 'acme'],
  ]);
  assert.deepEqual(orders?.signKey, Buffer.from('orders-signing-secret'));
  assert.equal(star?.name, '*');
  assert.deepEqual(star?.signKey, defaults.signKey, 'no sign_secret_env: the run’s secret');
  assert.equal(redactSecrets('x route-file-token-1 orders-signing-secret'), 'x [redacted] [redacted]');
});

test('every problem is a usage error naming the file and the route, never a value', async () => {
  const cases: [unknown, RegExp][] = [
    ['{nope', /^--routes conf\/routes\.json: not valid JSON/],
    [[], /expected a JSON object/],
    [{}, /no routes$/],
    [{ Orders: 'https://x' }, /route 'Orders': expected an object with "to"/],
    [{ Orders: { to: 'ftp://x/y' } }, /route 'Orders': to: only http and https/],
    [{ Orders: { to: 'http://x/y', header_files: 'a' } }, /route 'Orders': unknown field 'header_files'/],
    [{ Orders: { to: 'http://x/y', headers: { 'X-A': 1 } } }, /headers: the value of 'X-A' must be a string/],
    [{ Orders: { to: 'http://x/y', headers: { 'Host': 'h' } } }, /'Host' is set by dlq/],
    [{ Orders: { to: 'http://x/y', header_file: 'missing.headers' } }, /route 'Orders': header_file: cannot read missing\.headers \(ENOENT\)/],
    [{ Orders: { to: 'http://x/y', sign_secret_env: 'UNSET_VAR' } }, /route 'Orders': sign_secret_env UNSET_VAR is not set/],
    [{ Orders: { to: 'http://x/y' }, orders: { to: 'http://x/z' } }, /routes 'Orders' and 'orders' name the same webhook/],
  ];
  for (const [routes, message] of cases) {
    await assert.rejects(load(routes), (e: unknown) => e instanceof UsageError && message.test(e.message), String(message));
  }
  await writeFile(join(dir, 'conf', 'bad.headers'), 'X-Ok: 1\nAuthorization Bearer sekrit-token-zz\n');
  await assert.rejects(load({ Orders: { to: 'http://x/y', header_file: 'bad.headers' } }), (e: unknown) => {
    const m = (e as Error).message;
    return m === "--routes conf/routes.json: route 'Orders': bad.headers:2: expected 'Name: value'" && !m.includes('sekrit');
  });
  assert.throws(
    () => loadRoutes('nope.json', dir, {}, { headers: [], signKey: undefined }),
    (e: unknown) => e instanceof UsageError && /^--routes nope\.json: cannot read nope\.json \(ENOENT\)$/.test(e.message),
  );
});

test('an entry goes to its webhook id’s route, else its name’s (any case), else "*"', async () => {
  const routes = await load({ 'wh-2': { to: 'http://id/x' }, orders: { to: 'http://name/x' }, '*': { to: 'http://star/x' } });
  const e = (id: string, hook?: string, name?: string): DlqEntry => ({ delivery_id: id, ...(hook ? { webhook_id: hook } : {}), ...(name ? { webhook_name: name } : {}) });
  const file = [e('1', 'wh-1', 'Orders'), e('2', 'wh-2', 'Orders'), e('3', 'wh-1'), e('4', 'wh-9', 'Other'), e('5')];
  const of = routeResolver(routes, file);
  assert.deepEqual(file.map((x) => of(x)?.target.redacted), ['http://name/x', 'http://id/x', 'http://name/x', 'http://star/x', 'http://star/x']);
  // Without "*": no route.
  const noStar = routeResolver(routes.filter((r) => r.name !== '*'), file);
  assert.equal(noStar(e('4', 'wh-9', 'Other')), undefined);
});
