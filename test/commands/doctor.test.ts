/**
 * `dlq doctor` through the real SDK against the local Genesys-compatible server: one line per
 * check, the exit code fetch would give, and nothing secret with --verbose.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { doctorCommand, type DoctorOptions } from '../../src/commands/doctor.js';
import { ExitCode } from '../../src/errors.js';
import { captureIo } from '../support/capture-io.js';
import { DATA_ACTION_FAILED, FLOW_ERROR, FakeGenesys, makeEvents, makeFailures, type FakeGenesysOptions } from '../support/fake-genesys/index.js';

const CLIENT_ID = 'doctor-client';
const SECRET = 'doctor-secret-never-shown';
const FAST = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, rateLimitBackoffMs: 20 };
const ORDERS = { id: 'wh-orders-1', name: 'Orders', failures: makeFailures(7, { seed: 5 }) };
const servers: FakeGenesys[] = [];
after(async () => Promise.all(servers.map((s) => s.stop())));

async function server(options: FakeGenesysOptions = {}): Promise<{ server: FakeGenesys; url: string }> {
  const s = new FakeGenesys({
    clients: { [CLIENT_ID]: SECRET },
    integrations: [ORDERS],
    eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR],
    events: makeEvents(5, { definition: DATA_ACTION_FAILED, newest: new Date(), stepMs: 60_000 }),
    ...options,
  });
  servers.push(s);
  return { server: s, url: (await s.start()).url };
}

async function doctor(url: string, options: DoctorOptions, env: NodeJS.ProcessEnv = {}) {
  const io = captureIo({ env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, ...env } });
  let code: number;
  try {
    code = await doctorCommand({ gateway: url, ...options }, io, { retryPolicy: FAST });
  } catch (error) {
    code = reportError(error, io);
  }
  const lines = io.out().trimEnd().split('\n');
  return { code, out: io.out(), err: io.err(), lines };
}

test('a healthy org, history source: every check ok, one line each, exit 0', async () => {
  const { url } = await server();
  const r = await doctor(url, { webhook: 'Orders' });
  assert.equal(r.code, ExitCode.ok, r.out + r.err);
  assert.deepEqual(
    r.lines.map((l) => l.replace(/: .*/, '')),
    [
      'ok    login',
      'ok    token',
      'ok    history source (designed) · webhook search',
      'ok    history source (designed) · integrations listing',
      'ok    history source (designed) · webhook',
      'ok    history source (designed) · failed-delivery history',
      'ok    events source (real-org operational events) · definitions',
      'ok    rate limit',
      '=> dlq fetch --source history should work against this org',
    ],
  );
  assert.match(r.out, /webhook: 'Orders' is integration wh-orders-1 \(via the search\)/);
  assert.match(r.out, /failed-delivery history: the failed-delivery history answers \(7 failed deliveries\)/);
  assert.match(r.out, /token: access token valid for 24 h/);
  assert.match(r.out, /rate limit: 300 requests per window, \d+ left/);
  assert.equal(r.err, '');
});

test('--json prints one object; the history-less org: exit 4, the history line fails and names the events source', async () => {
  const { url } = await server({ historyAvailable: false, searchAvailable: false });
  const r = await doctor(url, { webhook: 'Orders', json: true });
  assert.equal(r.code, ExitCode.notFound);
  const report = JSON.parse(r.out) as { source: string; ok: boolean; exitCode: number; checks: { check: string; status: string; message: string; exitCode?: number }[] };
  assert.deepEqual([report.source, report.ok, report.exitCode], ['history', false, 4]);
  const byName = new Map(report.checks.map((c) => [c.check, c]));
  assert.equal(byName.get('history.search')?.status, 'warn');
  assert.match(byName.get('history.search')?.message ?? '', /not offered \(HTTP 404\): names resolve through the integrations listing/);
  assert.deepEqual([byName.get('history.path')?.status, byName.get('history.path')?.exitCode], ['fail', 4]);
  assert.equal(
    byName.get('history.path')?.message,
    'this org offers no failed-delivery history (POST /api/v2/integrations/{id}/history answered 404); use the events source: --source events',
  );
  assert.equal(byName.get('events.definitions')?.status, 'ok');
  const text = await doctor(url, { webhook: 'Orders' });
  assert.equal(text.code, 4);
  assert.match(text.lines.at(-1) ?? '', /^=> dlq fetch --source history would exit 4; the events source \(operational events\) is readable: dlq fetch --source events/);
  // The same org is fine for the events source.
  const events = await doctor(url, { source: 'events', eventDefinition: ['data action failed'], json: true });
  assert.equal(events.code, ExitCode.ok, events.out);
  const checks = (JSON.parse(events.out) as { checks: { check: string }[] }).checks.map((c) => c.check);
  assert.deepEqual(checks, ['login', 'token', 'events.definitions', 'events.chosen', 'rate-limit'], 'no history checks when no webhook is named');
});

test('a wrong secret: exit 3 at login, nothing else checked', async () => {
  const { url, server: s } = await server();
  const r = await doctor(url, { webhook: 'Orders', verbose: true }, { GENESYS_CLIENT_SECRET: 'wrong-secret-value' });
  assert.equal(r.code, ExitCode.auth);
  assert.match(r.lines[0] ?? '', /^fail  login: login rejected: HTTP 401: client not found \(check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET\) \(at http:\/\/127\.0\.0\.1:\d+\)$/);
  assert.equal(r.lines.length, 2);
  assert.equal(r.lines[1], '=> dlq fetch --source history would exit 3');
  assert.equal(s.stats.requests.search + s.stats.requests.integrations + s.stats.requests.definitions, 0);
  assert.ok(!`${r.out}${r.err}`.includes('wrong-secret-value'));
});

test('a role without usage:events:view (403): exit 3 for the events source naming it; only a warning for history', async () => {
  const { url } = await server({ permissions: ['integrations:integration:view'] });
  const events = await doctor(url, { source: 'events', eventDefinition: ['Data Action Failed'] });
  assert.equal(events.code, ExitCode.auth);
  assert.match(events.out, /^fail {2}events source \(real-org operational events\) · definitions: event definitions: HTTP 403 missing\.permissions: .*needs a role granting the permission usage:events:view$/m);
  const history = await doctor(url, { webhook: 'Orders' });
  assert.equal(history.code, ExitCode.ok, history.out);
  assert.match(history.out, /^warn {2}events source \(real-org operational events\) · definitions: .*usage:events:view$/m);
  const noIntegrations = await server({ permissions: ['usage:events:view'] });
  const denied = await doctor(noIntegrations.url, { webhook: 'Orders' });
  assert.equal(denied.code, ExitCode.auth);
  assert.match(denied.out, /^fail {2}history source \(designed\) · webhook search: .*integrations:integration:view$/m);
});

test('the exit code fetch would give: unknown webhook or definition 4, none named 2, 5xx after retries 5', async () => {
  const { url } = await server({ faults: [{ route: 'history', kind: 'status', status: 503, times: 3 }] });
  assert.equal((await doctor(url, { webhook: 'Ordres' })).code, ExitCode.notFound);
  const unknown = await doctor(url, { source: 'events', eventDefinition: ['Data Actions Failed'] });
  assert.equal(unknown.code, ExitCode.notFound);
  assert.match(unknown.out, /chosen definitions: events source: no operational-event definition named 'Data Actions Failed'; close names: 'Data Action Failed'/);
  const none = await doctor(url, { source: 'events' });
  assert.equal(none.code, ExitCode.usage);
  assert.match(none.out, /^fail {2}events source .* chosen definitions: no event definitions named/m);
  assert.equal((await doctor(url, {})).code, ExitCode.usage, 'history source without a webhook');
  const flaky = await doctor(url, { webhook: 'Orders' });
  assert.equal(flaky.code, ExitCode.platform, flaky.out);
  assert.match(flaky.out, /^fail {2}history source \(designed\) · failed-delivery history: history page 1: HTTP 503 .*gave up after 3 attempts/m);
});

test('--verbose lists each request (method, path, status) and the definitions; never the secret, a token or the Basic header', async () => {
  const { url, server: s } = await server();
  const r = await doctor(url, { webhook: 'Orders', verbose: true });
  assert.equal(r.code, ExitCode.ok);
  assert.match(r.err, /^ {6}POST \/oauth\/token -> HTTP 200 \(\d+ ms\)$/m);
  assert.match(r.err, /^ {6}POST \/api\/v2\/integrations\/wh-orders-1\/history -> HTTP 200 \(\d+ ms\)$/m);
  assert.match(r.err, /^ {6}GET \/api\/v2\/usage\/events\/definitions -> HTTP 200 \(\d+ ms\)$/m);
  assert.match(r.err, /^ {6}definitions: 'Data Action Failed', 'Architect Flow Error'$/m);
  const all = r.out + r.err;
  assert.ok(!all.includes(SECRET));
  assert.ok(!all.includes(Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')));
  for (const header of s.stats.authorizationHeaders) assert.ok(!all.includes(header.replace(/^Bearer /, '')), 'no access token');
  const json = await doctor(url, { webhook: 'Orders', verbose: true, json: true });
  const checks = (JSON.parse(json.out) as { checks: { requests?: { method: string; path: string; status: number }[] }[] }).checks;
  assert.deepEqual(checks[0]?.requests?.map((q) => [q.method, q.path, q.status]), [['POST', '/oauth/token', 200]]);
});

test('several webhooks: one line each and the most severe failure, as fetch; --all-webhooks probes one history', async () => {
  const { url, server: s } = await server({ integrations: [ORDERS, { id: 'wh-billing', name: 'Billing', failures: [] }] });
  const r = await doctor(url, { webhook: ['Orders', 'Nope', 'Billing'] });
  assert.equal(r.code, ExitCode.notFound, r.out);
  assert.equal(r.lines.filter((l) => l.startsWith('ok    history source (designed) · webhook:')).length, 2);
  assert.match(r.out, /^fail {2}history source \(designed\) · webhook: no webhook integration named 'Nope'/m);
  assert.match(r.out, /failed-delivery history: 'Billing': the failed-delivery history answers \(0 failed deliveries\)/);
  s.resetStats();
  const all = await doctor(url, { allWebhooks: true });
  assert.equal(all.code, ExitCode.ok, all.out);
  assert.match(all.out, /^ok {4}history source \(designed\) · webhooks: --all-webhooks: 2 webhook integrations$/m);
  assert.equal(s.stats.requests.history, 1);
});
