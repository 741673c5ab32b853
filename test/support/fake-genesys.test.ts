/**
 * The local Genesys-compatible server itself: shapes, errors and headers as in
 * ../shared/genesys-dlq-contract.md. (fetch's tests drive it through the real SDK.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeGenesys, makeFailures } from './fake-genesys/index.js';

const failures = makeFailures(450, { seed: 3 });
const server = new FakeGenesys({
  clients: { c1: 's1' },
  integrations: [
    { id: 'w1', name: 'Orders', failures, successes: makeFailures(10, { seed: 4, idPrefix: 'ok' }) },
    { id: 'w2', name: 'Orders v2', failures: [] },
    { id: 'd1', name: 'Orders lookup', integrationType: 'purecloud-data-actions', failures: [] },
  ],
});
let base = '';
let token = '';

before(async () => {
  base = (await server.start()).url;
  token = await login('c1', 's1');
});
after(() => server.stop());

async function login(id: string, secret: string): Promise<string> {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  return body.access_token ?? `status ${res.status}`;
}

function api(path: string, body?: unknown, bearer = token) {
  return fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

test('client credentials: a token for a known client, 401 invalid_client otherwise', async () => {
  assert.match(token, /^[A-Za-z0-9_-]{20,}$/);
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('c1:wrong').toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: 'invalid_client', description: 'client not found', error_description: 'client not found' });
});

test('API calls need a valid bearer token; revoked tokens answer 401', async () => {
  assert.equal((await api('/api/v2/integrations', undefined, 'nope')).status, 401);
  const t = await login('c1', 's1');
  assert.equal((await api('/api/v2/integrations', undefined, t)).status, 200);
  server.revokeTokens();
  const res = await api('/api/v2/integrations', undefined, t);
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { code: string }).code, 'bad.credentials');
  token = await login('c1', 's1');
});

test('webhook search matches names partially and only webhooks', async () => {
  const res = await api('/api/v2/integrations/webhooks/search', { name: 'orders', size: 10, page: 1 });
  const body = (await res.json()) as { entities: { name: string }[]; total: number };
  assert.deepEqual(body.entities.map((e) => e.name).sort(), ['Orders', 'Orders v2']);
  assert.equal(body.total, 2);
  assert.equal((await api('/api/v2/integrations/webhooks/search', { name: 'x', size: 500, page: 1 })).status, 400);
});

test('the integrations listing pages with pageSize up to 100 and carries integrationType', async () => {
  const res = await api('/api/v2/integrations?pageSize=2&pageNumber=2');
  const body = (await res.json()) as { entities: { id: string; integrationType: { id: string } }[]; total: number; pageCount: number };
  assert.deepEqual(body.entities.map((e) => [e.id, e.integrationType.id]), [['d1', 'purecloud-data-actions']]);
  assert.equal(body.total, 3);
  assert.equal(body.pageCount, 2);
  assert.equal((await api('/api/v2/integrations?pageSize=101&pageNumber=1')).status, 400);
});

test('history pages by offset; status failed leaves successes out; unknown id is 404', async () => {
  const page3 = (await (await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 3 })).json()) as { entities: { id: string }[]; total: number; pageNumber: number };
  assert.equal(page3.total, 450);
  assert.equal(page3.pageNumber, 3);
  assert.deepEqual(page3.entities.map((e) => e.id), failures.slice(400).map((f) => f.id));
  const all = (await (await api('/api/v2/integrations/w1/history', { size: 200, page: 1 })).json()) as { total: number };
  assert.equal(all.total, 460);
  const empty = (await (await api('/api/v2/integrations/w2/history', { status: 'failed', size: 200, page: 1 })).json()) as { entities: unknown[]; total: number };
  assert.deepEqual([empty.entities.length, empty.total], [0, 0]);
  const missing = await api('/api/v2/integrations/nope/history', { status: 'failed', size: 200, page: 1 });
  assert.equal(missing.status, 404);
  const err = (await missing.json()) as Record<string, unknown>;
  assert.equal(err['code'], 'not.found');
  assert.equal(err['status'], 404);
  assert.equal(typeof err['contextId'], 'string');
});

test('every API response carries the inin-ratelimit-* and correlation headers', async () => {
  const res = await api('/api/v2/integrations');
  for (const h of ['inin-ratelimit-count', 'inin-ratelimit-allowed', 'inin-ratelimit-reset', 'inin-correlation-id']) {
    assert.ok(res.headers.get(h) !== null, h);
  }
});

test('the rate limit counts per client in a fixed window and answers 429 with Retry-After', async () => {
  const limited = new FakeGenesys({ clients: { c: 's' }, rateLimit: { allowed: 3, windowMs: 2000 }, integrations: [] });
  const { url } = await limited.start();
  try {
    const t = ((await (await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('c:s').toString('base64')}` }, body: 'grant_type=client_credentials' })).json()) as { access_token: string }).access_token;
    const call = () => fetch(`${url}/api/v2/integrations`, { headers: { authorization: `Bearer ${t}` } });
    const counts: string[] = [];
    for (let i = 0; i < 3; i += 1) counts.push((await call()).headers.get('inin-ratelimit-count') ?? '');
    assert.deepEqual(counts, ['1', '2', '3']);
    const res = await call();
    assert.equal(res.status, 429);
    assert.equal(((await res.json()) as { code: string }).code, 'too.many.requests');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(res.headers.get('inin-ratelimit-allowed'), '3');
    assert.equal(limited.stats.rateLimited, 1);
  } finally {
    await limited.stop();
  }
});

test('faults hit the matching requests, honouring skip and times', async () => {
  server.injectFault({ route: 'history', kind: 'status', status: 503, page: 2, skip: 1, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 2 })).status);
  assert.deepEqual(statuses, [200, 503, 503, 200]);
  server.injectFault({ route: 'history', kind: 'invalid-json' });
  const text = await (await api('/api/v2/integrations/w1/history', { status: 'failed', size: 200, page: 1 })).text();
  assert.throws(() => JSON.parse(text));
  server.injectFault({ route: 'search', kind: 'drop' });
  await assert.rejects(api('/api/v2/integrations/webhooks/search', { name: 'x', size: 1, page: 1 }));
});

test('page growth prepends new failures before each history answer, shifting offsets', async () => {
  const growing = new FakeGenesys({ clients: { c: 's' }, integrations: [{ id: 'g', name: 'G', failures: makeFailures(10, { seed: 9 }) }], pageGrowth: { integrationId: 'g', perHistoryRequest: 2 } });
  const { url } = await growing.start();
  try {
    const t = ((await (await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('c:s').toString('base64')}` }, body: 'grant_type=client_credentials' })).json()) as { access_token: string }).access_token;
    const page = async (p: number) => (await (await fetch(`${url}/api/v2/integrations/g/history`, { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ status: 'failed', size: 5, page: p }) })).json()) as { entities: { id: string }[]; total: number };
    const first = await page(1);
    const second = await page(2);
    assert.equal(first.total, 12);
    assert.equal(second.total, 14);
    assert.equal(second.entities[0]!.id, first.entities[3]!.id, 'two new items shifted the rest by two');
  } finally {
    await growing.stop();
  }
});
