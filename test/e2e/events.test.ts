/**
 * The built binary against a server shaped like a real org: operational events (contract §6) and
 * no failed-delivery history. Issue #10's "Done when", end to end: stdout, stderr, exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DATA_ACTION_FAILED, FLOW_ERROR, FakeGenesys, makeEvents } from '../support/fake-genesys/index.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { runBin } from '../support/run-bin.js';

const CLIENT_ID = 'e2e-events-client';
const SECRET = 'e2e-events-secret-never-printed';
const DAY = 86_400_000;
const now = Date.now();
const DATA_ACTION_EVENTS = makeEvents(450, { definition: DATA_ACTION_FAILED, newest: new Date(now - 120_000), stepMs: Math.floor((9.5 * DAY) / 450), seed: 21 });
const server = new FakeGenesys({
  clients: { [CLIENT_ID]: SECRET },
  // A real org: no search path, no history path; the webhook still resolves through the listing.
  searchAvailable: false,
  historyAvailable: false,
  integrations: [{ id: 'wh-real-org', name: 'MyCriticalWebhook', failures: [] }],
  eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR],
  events: [
    ...DATA_ACTION_EVENTS,
    ...makeEvents(120, { definition: FLOW_ERROR, newest: new Date(now - 60_000), stepMs: 3_600_000, seed: 22 }),
    ...makeEvents(30, { definition: DATA_ACTION_FAILED, newest: new Date(now - 11 * DAY), stepMs: 3_600_000, seed: 23 }),
  ],
});
let url = '';
let receiver: Receiver;
const dir = mkdtempSync(join(tmpdir(), 'dlq-e2e-events-'));
const file = join(dir, 'dead_letter_queue.json');
const env = () => ({ GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, GENESYS_GATEWAY: url });
const noSecret = (...texts: string[]) => {
  for (const t of texts) {
    assert.ok(!t.includes(SECRET), 'the secret appears nowhere');
    assert.ok(!t.includes(Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')), 'the Basic header appears nowhere');
  }
};

before(async () => {
  url = (await server.start()).url;
  receiver = await startReceiver();
});
after(async () => {
  await server.stop();
  await receiver.close();
});

test('fetch --source events stores exactly the 450 retained "Data Action Failed" events, each kept whole', async () => {
  const r = await runBin(['fetch', '--source', 'events', '--event-definition', 'data action failed'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fetched 450 operational events of 'Data Action Failed' \(\S+\/\S+\): 450 new, 0 updated, 0 duplicates; 3 pages \(full\), /);
  noSecret(r.stdout, r.stderr);
  const entries = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
  assert.equal(entries.length, 450);
  const sent = new Map(DATA_ACTION_EVENTS.map((e) => [e.dateCreated, e]));
  for (const entry of entries) {
    assert.deepEqual(entry.event, sent.get(entry.event?.['dateCreated'] as string), 'the event exactly as the server sent it');
    assert.equal(entry.source, 'operational-event');
  }
});

test('a rerun reports 0 new; list --source events shows them; replay sends nothing and exits 0', async () => {
  const again = await runBin(['fetch', '--source', 'events', '--event-definition', 'data action failed', '--json'], { cwd: dir, env: env() });
  assert.equal(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout) as { new: number; updated: number; source: string; mode: string };
  // Incremental (issue #11): only the hour before the watermark is read again.
  assert.deepEqual([summary.source, summary.new, summary.mode], ['events', 0, 'incremental']);
  assert.ok(summary.updated < 450, `read again: ${summary.updated}`);

  const listed = await runBin(['list', '--source', 'events', '--ids'], { cwd: dir });
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout.trim().split('\n').length, 450);
  const none = await runBin(['list', '--source', 'history', '--json'], { cwd: dir });
  assert.equal(none.stdout, '[]\n');
  const badSource = await runBin(['list', '--source', 'both'], { cwd: dir });
  assert.equal(badSource.code, 2);
  assert.match(badSource.stderr, /^dlq: option '--source <source>' argument 'both' is invalid\. Allowed choices are history, events\./);

  const before = readFileSync(file);
  const replayed = await runBin(['replay', '--to', receiver.url, '--json'], { cwd: dir });
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.equal(receiver.requests.length, 0, 'nothing sent');
  const result = JSON.parse(replayed.stdout) as { total: number; skipped: number; results: { status: string; reason: string }[] };
  assert.deepEqual([result.total, result.skipped, result.results.length], [0, 450, 450]);
  assert.ok(result.results.every((x) => x.status === 'skipped' && x.reason === 'no payload'));
  assert.match(replayed.stderr, /skipping 450 without a payload/);
  assert.ok(readFileSync(file).equals(before), 'the file is untouched');
  const text = await runBin(['replay', '--to', receiver.url], { cwd: dir });
  assert.equal(text.code, 0);
  assert.equal(text.stdout, 'nothing to replay (450 skipped)\n');
});

test('fetch --webhook on an org without history: exit 4 naming --source events, nothing written', async () => {
  const other = join(dir, 'history.json');
  const r = await runBin(['fetch', '--webhook', 'MyCriticalWebhook', '--file', other], { cwd: dir, env: env() });
  assert.equal(r.code, 4);
  assert.equal(
    r.stderr,
    "dlq: 'MyCriticalWebhook': this org offers no failed-delivery history (POST /api/v2/integrations/{id}/history answered 404); run dlq doctor, or use --source events\n",
  );
  assert.equal(r.stdout, '');
  assert.throws(() => readFileSync(other), /ENOENT/);
});

test('prune --source events selects exactly the operational events', async () => {
  const r = await runBin(['prune', '--source', 'events', '--dry-run', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual([summary['pruned'], summary['remaining']], [450, 0]);
});
