import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectCommand, type InspectOptions } from '../../src/commands/inspect.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { DlqFileError, ExitCode, UsageError } from '../../src/errors.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { captureIo as capture } from '../support/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-inspect-'));

function captureIo(opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const io = capture({ ...opts, ...(opts.tty ? { columns: 120 } : {}), cwd: dir, now: new Date('2026-03-10T12:00:00.000Z') });
  return { io, out: io.out, err: io.err };
}

const FULL: DlqEntry = {
  delivery_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  timestamp: '2026-03-10T11:00:00.000Z',
  status_code: 503,
  status_message: 'Service Unavailable',
  request_body: '{"topicName":"v2.detail.events.conversation.x.customer.start","eventBody":{"orderId":"order-1234","n":[1,2]}}',
  response_body: '<html>upstream\r\ndown</html>',
  webhook_id: 'wh-1',
  webhook_name: 'Orders',
  first_seen_at: '2026-03-10T11:05:00.000Z',
  last_seen_at: '2026-03-10T11:50:00.000Z',
  replay_status: 'failed',
  replays: [
    { at: '2026-03-10T11:10:00.000Z', target: 'https://bob:hunter2@receiver.example.com/hook', http_status: null, error: 'connect ECONNREFUSED 127.0.0.1:9', duration_ms: 3 },
    { at: '2026-03-10T11:20:00.000Z', target: 'https://receiver.example.com/hook', http_status: 502, error: null, duration_ms: 140.6 },
  ],
  tenant: { region: 'eu', tags: ['a', 'b'] },
  note_from_ops: 'checked by \u001b[1mme\u001b[0m',
};
const SEVEN: DlqEntry = {
  delivery_id: '7c9e1111-0000-4000-8000-000000000000',
  timestamp: '2026-03-01T08:00:00Z',
  status_code: 500,
  status_message: 'Internal Server Error',
  request_body: 'plain text payload, not JSON\twith a tab\nand a second line',
  response_body: '',
  webhook_id: 'wh-2',
};
// Hostile payloads: ANSI, OSC title, C1 CSI, bidi override, CR, DEL, and non-ASCII + no trailing newline.
const HOSTILE: DlqEntry = {
  delivery_id: '3b241101-e2bb-4255-8caf-4136c566a962',
  timestamp: '2026-03-05T10:00:00Z',
  status_code: 400,
  status_message: 'bad \u001b[2J\u001b]0;owned\u0007 request',
  request_body: 'héllo 🌍 \u001b[31mred\u001b[0m \u009b31m c1 \u202eevil\u202c\rover\u007f',
  response_body: '{"msg":"\\u001b[5mblink \\u202e"}',
  webhook_id: 'wh-1',
  webhook_name: 'Orders\u001b[8m',
};
const FILE = join(dir, 'dlq.json');
writeFileSync(FILE, serializeDlq([FULL, SEVEN, HOSTILE]));

async function run(options: Omit<InspectOptions, 'file'> & { file?: string }, ioOpts: Parameters<typeof captureIo>[0] = {}) {
  const c = captureIo(ioOpts);
  const code = await inspectCommand({ file: FILE, ...options }, c.io);
  return { code, out: c.out(), err: c.err() };
}

const stripSgr = (s: string) => s.replace(/\u001b\[\d+m/g, '');

test('a full id shows every field, in contract order, then unknown fields', async () => {
  const r = await run({ id: FULL.delivery_id });
  assert.equal(r.code, ExitCode.ok);
  assert.equal(r.err, '');
  const labels = r.out
    .split('\n')
    .filter((l) => /^[a-z_]+ {2,}\S/.test(l))
    .map((l) => l.split(' ')[0]);
  assert.deepEqual(labels, [
    'delivery_id',
    'timestamp',
    'status_code',
    'status_message',
    'webhook_id',
    'webhook_name',
    'first_seen_at',
    'last_seen_at',
    'replay_status',
    'tenant',
    'note_from_ops',
  ]);
  assert.match(r.out, /^tenant +\{"region":"eu","tags":\["a","b"\]\}$/m);
  assert.match(r.out, /^status_code +503$/m);
  assert.match(r.out, /^timestamp +2026-03-10T11:00:00\.000Z {2}\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d local\)$/m);
  // Unknown fields are escaped like everything else.
  assert.match(r.out, /^note_from_ops +checked by \\x1b\[1mme\\x1b\[0m$/m);
});

test('a unique prefix resolves; an exact id beats a longer one sharing the prefix', async () => {
  const r = await run({ id: '3b24' });
  assert.match(r.out, /^delivery_id +3b241101-e2bb-4255-8caf-4136c566a962$/m);
  const r2 = await run({ id: '7c9e6' });
  assert.match(r2.out, /^delivery_id +7c9e6679-/m);
});

test('an ambiguous prefix is exit 2 listing the candidates', async () => {
  await assert.rejects(
    run({ id: '7c9e' }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.exitCode === ExitCode.usage &&
      e.message.includes(FULL.delivery_id) &&
      e.message.includes(SEVEN.delivery_id) &&
      /ambiguous/.test(e.message),
  );
});

test('an unknown id is exit 2 naming it', async () => {
  await assert.rejects(
    run({ id: 'ffff' }),
    (e: unknown) => e instanceof UsageError && e.message === "no dead letter with id 'ffff'",
  );
});

test('a JSON request body is re-indented; a non-JSON body is shown as stored', async () => {
  const r = await run({ id: FULL.delivery_id });
  const pretty = JSON.stringify(JSON.parse(FULL.request_body as string), null, 2);
  assert.ok(r.out.includes(`request_body (JSON, re-indented)\n${pretty}\n`));
  // CR escaped (it would rewrite the line); the rest verbatim.
  assert.ok(r.out.includes('response_body (as stored)\n<html>upstream\\r\ndown</html>\n'));
  const seven = await run({ id: '7c9e1' });
  // Tabs and newlines of a text body are kept so it stays readable.
  assert.ok(seven.out.includes('request_body (as stored)\nplain text payload, not JSON\twith a tab\nand a second line\n'));
  assert.match(seven.out, /^response_body \(empty\)$/m);
});

test('the seven-field entry shows its fields and no replay section', async () => {
  const r = await run({ id: SEVEN.delivery_id });
  assert.ok(!r.out.includes('replays'));
  assert.ok(!r.out.includes('replay_status'));
  assert.match(r.out, /^webhook_id +wh-2$/m);
});

test('the replay history is a small table; a password in a target URL is hidden', async () => {
  const r = await run({ id: FULL.delivery_id });
  const section = r.out.slice(r.out.indexOf('replays (2)'));
  const lines = section.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[1] as string, /^ {2}AT\s+HTTP\s+DURATION\s+TARGET\s+ERROR$/);
  assert.match(lines[2] as string, /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+-\s+3 ms\s+https:\/\/bob:\*\*\*@receiver\.example\.com\/hook\s+connect ECONNREFUSED 127\.0\.0\.1:9$/);
  assert.match(lines[3] as string, /^ {2}\S+ \S+\s+502\s+141 ms\s+https:\/\/receiver\.example\.com\/hook$/);
  assert.ok(!r.out.includes('hunter2'));
});

test('non-printable characters in any shown text are escaped, even with colour on', async () => {
  for (const tty of [false, true]) {
    const r = await run({ id: HOSTILE.delivery_id }, { tty });
    const visible = stripSgr(r.out);
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(visible), `tty=${tty}: raw control left`);
    assert.match(visible, /^status_message +bad \\x1b\[2J\\x1b\]0;owned\\x07 request$/m);
    assert.match(visible, /^webhook_name +Orders\\x1b\[8m$/m);
    assert.ok(visible.includes('héllo 🌍 \\x1b[31mred\\x1b[0m \\x9b31m c1 \\u202eevil\\u202c\\rover\\x7f'));
    // A JSON body: re-indenting turns ESC back into JSON's \u001b; U+202E, which JSON leaves raw, is escaped.
    assert.ok(visible.includes('"msg": "\\u001b[5mblink \\u202e"'));
  }
});

test('colour only on a terminal without NO_COLOR', async () => {
  assert.ok((await run({ id: '3b24' }, { tty: true })).out.includes('\u001b[33m400\u001b[39m'));
  assert.ok(!(await run({ id: '3b24' }, { tty: true, env: { NO_COLOR: '1' } })).out.includes('\u001b[3'));
});

test('--json prints the entry exactly as stored', async () => {
  for (const e of [FULL, SEVEN, HOSTILE]) {
    const r = await run({ id: e.delivery_id, json: true });
    assert.deepEqual(JSON.parse(r.out), e);
    // Same keys in the same order: the stored object, not a re-shaped one.
    assert.deepEqual(Object.keys(JSON.parse(r.out) as object), Object.keys(e));
    assert.ok(r.out.endsWith('}\n'));
  }
});

test('--body prints only the request body, unescaped, with no newline added', async () => {
  for (const e of [FULL, SEVEN, HOSTILE]) {
    const r = await run({ id: e.delivery_id, body: true });
    assert.equal(r.out, e.request_body);
    assert.equal(r.err, '');
  }
});

test('--body on an entry without a request body prints nothing and says so on stderr', async () => {
  const file = join(dir, 'nobody.json');
  writeFileSync(file, serializeDlq([{ delivery_id: 'x1' }]));
  const r = await run({ id: 'x1', body: true, file });
  assert.equal(r.out, '');
  assert.equal(r.err, 'warning: x1 has no request body\n');
});

test('--body and --json together are a usage error', async () => {
  await assert.rejects(run({ id: 'x', body: true, json: true }), UsageError);
});

test('a missing DLQ file is exit 6; an invalid one is exit 6 and left untouched', async () => {
  const missing = join(dir, 'missing.json');
  await assert.rejects(
    run({ id: 'x', file: missing }),
    (e: unknown) => e instanceof DlqFileError && e.message === `${missing}: no DLQ file (run dlq fetch first)`,
  );
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '[{"delivery_id":"a"}, nope]');
  const before = readFileSync(bad);
  await assert.rejects(run({ id: 'a', file: bad }), (e: unknown) => e instanceof DlqFileError && e.exitCode === ExitCode.dlqFile);
  assert.deepEqual(readFileSync(bad), before);
});

test('an operational event: the definition, the event field by field, and no payload instead of "null"', async () => {
  const event: DlqEntry = {
    delivery_id: 'opev-ac7e50e08fdb7a38e4bccd1ad6935c4a',
    timestamp: '2026-03-10T08:00:00.000Z',
    status_code: null,
    status_message: 'ACTION.TIMEOUT (Salesforce \u001b[31m lookup)',
    request_body: null,
    response_body: null,
    webhook_id: 'action-7',
    replay_status: 'pending',
    replays: [],
    source: 'operational-event',
    event_definition: { id: 'def-1', name: 'Data Action Failed' },
    event: { eventDefinition: { id: 'def-1', selfUri: '/api/v2/usage/events/definitions/def-1' }, errorCode: 'ACTION.TIMEOUT', entityName: 'Salesforce \u001b[31m lookup', dateCreated: '2026-03-10T08:00:00.000Z' },
  };
  const file = join(dir, 'events.json');
  writeFileSync(file, serializeDlq([event]));
  const { code, out } = await run({ file, id: 'opev' });
  assert.equal(code, ExitCode.ok);
  assert.match(out, /^source {12}operational-event$/m);
  assert.match(out, /^event_definition {2}Data Action Failed \(def-1\)$/m);
  assert.match(
    out,
    /\nevent \(operational event, as received\)\n {2}eventDefinition {2}\{"id":"def-1","selfUri":"\/api\/v2\/usage\/events\/definitions\/def-1"\}\n {2}errorCode {8}ACTION\.TIMEOUT\n {2}entityName {7}Salesforce \\x1b\[31m lookup\n {2}dateCreated {6}2026-03-10T08:00:00\.000Z {2}\(2026-03-10 \d\d:00:00 local\)\n/,
  );
  assert.match(out, /^request_body \(none: operational events carry no payload; never replayed\)$/m);
  assert.doesNotMatch(out, /\u001b/);
  const body = await run({ file, id: 'opev', body: true });
  assert.deepEqual([body.code, body.out], [ExitCode.ok, '']);
  assert.equal(body.err, 'warning: opev-ac7e50e08fdb7a38e4bccd1ad6935c4a has no request body (an operational event: events carry no payload)\n');
  const json = await run({ file, id: 'opev', json: true });
  assert.deepEqual(JSON.parse(json.out), event);
});
