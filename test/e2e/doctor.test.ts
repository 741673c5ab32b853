/**
 * `dlq doctor` and the region check with the built binary: stdout, stderr, exit codes, and never
 * the secret or the Basic header (issue #10, "Done when").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DATA_ACTION_FAILED, FLOW_ERROR, FakeGenesys, makeEvents, makeFailures, type FakeGenesysOptions } from '../support/fake-genesys/index.js';
import { runBin, type BinResult } from '../support/run-bin.js';

const CLIENT_ID = 'e2e-doctor-client';
const SECRET = 'e2e-doctor-secret-never-printed';
const BASIC = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-doctor-'));

function org(options: FakeGenesysOptions): FakeGenesys {
  return new FakeGenesys({
    clients: { [CLIENT_ID]: SECRET },
    integrations: [{ id: 'wh-1', name: 'MyCriticalWebhook', failures: makeFailures(12, { seed: 3 }) }],
    eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR],
    events: makeEvents(20, { definition: DATA_ACTION_FAILED, newest: new Date(), stepMs: 60_000 }),
    ...options,
  });
}
const healthy = org({});
const historyLess = org({ historyAvailable: false, searchAvailable: false });
const noEventsRole = org({ permissions: ['integrations:integration:view'] });
const urls = new Map<FakeGenesys, string>();

before(async () => {
  for (const s of [healthy, historyLess, noEventsRole]) urls.set(s, (await s.start()).url);
});
after(async () => {
  for (const s of urls.keys()) await s.stop();
});

function run(server: FakeGenesys, args: string[], secret = SECRET): Promise<BinResult> {
  return runBin(['doctor', ...args], {
    cwd: dir,
    env: { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: secret, GENESYS_GATEWAY: urls.get(server) },
  });
}

function clean(r: BinResult, secret = SECRET): void {
  for (const text of [r.stdout, r.stderr]) {
    assert.ok(!text.includes(secret), 'no secret');
    assert.ok(!text.includes(BASIC) && !/Basic\s+[A-Za-z0-9+/=]{8,}/.test(text), 'no Basic header');
  }
}

test('a healthy org: doctor --json exits 0 with one JSON object', async () => {
  const r = await run(healthy, ['--webhook', 'MyCriticalWebhook', '--json', '--verbose']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; source: string; checks: { status: string }[] };
  assert.deepEqual([report.ok, report.exitCode, report.source], [true, 0, 'history']);
  assert.ok(report.checks.every((c) => c.status === 'ok'), r.stdout);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  clean(r);
});

test('an org without history: doctor exits 4 and points to the events source; the events source checks out', async () => {
  const r = await run(historyLess, ['--webhook', 'MyCriticalWebhook']);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /^fail  history source \(designed\) · failed-delivery history: this org offers no failed-delivery history \(POST \/api\/v2\/integrations\/\{id\}\/history answered 404\); use the events source: --source events$/m);
  assert.match(r.stdout, /^=> dlq fetch --source history would exit 4; the events source \(operational events\) is readable/m);
  clean(r);
  const events = await run(historyLess, ['--source', 'events', '--event-definition', 'Data Action Failed']);
  assert.equal(events.code, 0, events.stdout + events.stderr);
  assert.match(events.stdout, /^=> dlq fetch --source events should work against this org$/m);
});

test('a wrong secret: exit 3; neither secret nor Basic header anywhere, even with --verbose', async () => {
  const r = await run(healthy, ['--webhook', 'MyCriticalWebhook', '--verbose'], 'wrong-secret-e2e');
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^fail  login: login rejected: HTTP 401/m);
  assert.match(r.stderr, /^ {6}POST \/oauth\/token -> HTTP 401 \(\d+ ms\)$/m);
  clean(r, 'wrong-secret-e2e');
  clean(r);
});

test('a role without usage:events:view: doctor --source events exits 3 naming the permission', async () => {
  const r = await run(noEventsRole, ['--source', 'events', '--event-definition', 'Data Action Failed']);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /events source \(real-org operational events\) · definitions: .*usage:events:view$/m);
  clean(r);
});

test('regions from the SDK: the accepted forms pass, an unknown one is exit 2 listing the valid ones, --gateway skips the check', async () => {
  // A corrupt DLQ file makes fetch stop (exit 6) right after its configuration and before any
  // network: exit 6 means the region was accepted, exit 2 that it was not.
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, '[{"delivery_id":');
  const env = { GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET };
  for (const form of ['mypurecloud.ie', 'api.mypurecloud.ie', 'https://api.mypurecloud.ie', 'mxc1.pure.cloud', 'edee1.eusc-pure.cloud']) {
    const r = await runBin(['fetch', '--webhook', 'X', '--environment', form, '--file', corrupt], { cwd: dir, env });
    assert.equal(r.code, 6, `${form}: ${r.stderr}`);
  }
  const bad = await runBin(['fetch', '--webhook', 'X', '--environment', 'mypurecloud.fr', '--file', corrupt], { cwd: dir, env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^dlq: --environment: 'mypurecloud\.fr' is not a Genesys Cloud region; valid: mypurecloud\.com, mypurecloud\.ie, .*mxc1\.pure\.cloud.* \(or reach the platform through --gateway\)\n$/);
  assert.equal((bad.stderr.match(/, /g) ?? []).length, 17, '18 regions listed');
  const fromEnv = await runBin(['doctor', '--webhook', 'X'], { cwd: dir, env: { ...env, GENESYS_ENVIRONMENT: 'eu.example.org' } });
  assert.equal(fromEnv.code, 2);
  assert.match(fromEnv.stderr, /^dlq: GENESYS_ENVIRONMENT: 'eu\.example\.org' is not a Genesys Cloud region; valid: /);
  // Through a gateway the region is not checked: doctor reaches the local server and passes.
  const gw = await runBin(['doctor', '--webhook', 'MyCriticalWebhook', '--environment', 'eu.example.org', '--gateway', urls.get(healthy) as string], { cwd: dir, env });
  assert.equal(gw.code, 0, gw.stdout + gw.stderr);
});
