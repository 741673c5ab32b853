import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { UsageError } from '../../src/errors.js';
import { parseRedactRules, redactEntries, redactEntry, REDACTED } from '../../src/output/redact-paths.js';

const body = {
  conversationId: 'c-top',
  customer: { email: 'a@example.com', name: 'Ann', conversationId: 'c-nested' },
  items: [
    { card: '4111', sku: 'x' },
    { card: '5500', sku: 'y', deep: [{ conversationId: 'c-in-array' }] },
  ],
};
const e = (over: Partial<DlqEntry> = {}): DlqEntry => ({ delivery_id: 'd', request_body: JSON.stringify(body), response_body: '<html>down</html>', ...over });
const rules = (...paths: string[]) => parseRedactRules(paths, {});
const req = (entry: DlqEntry) => JSON.parse(entry.request_body as string) as typeof body;

test('a bare key matches at any depth, arrays included', () => {
  const out = req(redactEntry(e(), rules('conversationId')).entry);
  assert.equal(out.conversationId, REDACTED);
  assert.equal(out.customer.conversationId, REDACTED);
  assert.deepEqual(out.items[1]?.deep, [{ conversationId: REDACTED }]);
  assert.equal(out.customer.email, 'a@example.com');
});

test('dot paths start at the root; * is any key or index; a whole object can be hidden', () => {
  const out = req(redactEntry(e(), rules('customer.email', 'items.*.card')).entry);
  assert.equal(out.customer.email, REDACTED);
  assert.equal(out.customer.name, 'Ann');
  assert.deepEqual(out.items.map((i) => [i.card, i.sku]), [[REDACTED, 'x'], [REDACTED, 'y']]);
  assert.equal(out.conversationId, 'c-top');
  assert.equal((req(redactEntry(e(), rules('customer')).entry) as unknown as { customer: unknown }).customer, REDACTED);
  assert.equal(req(redactEntry(e(), rules('items.1.card')).entry).items[0]?.card, '4111');
  // a dotted path does not float: email is not at the root
  assert.equal(redactEntry(e(), rules('email.x')).entry.request_body, JSON.stringify(body));
});

test('the stored entry never changes; an unmatched body stays byte-for-byte; non-JSON bodies are reported and kept', () => {
  const spaced = '{ "keep" : "spacing" }';
  const original = e({ response_body: spaced });
  const frozen = JSON.stringify(original);
  const r = redactEntry(original, rules('conversationId'));
  assert.equal(JSON.stringify(original), frozen);
  assert.notEqual(r.entry, original);
  assert.equal(r.entry.response_body, spaced);
  const html = redactEntry(e(), rules('conversationId'));
  assert.deepEqual(html.notJson, ['response_body']);
  assert.equal(html.entry.response_body, '<html>down</html>');
  const notes: string[] = [];
  redactEntries([e(), e({ response_body: '' })], rules('x'), (line) => notes.push(line));
  assert.deepEqual(notes, ['--redact: 1 body is not JSON and was left as it is (first: d response_body)']);
});

test('an operational event object is redacted too; __proto__ keys stay plain keys', () => {
  const r = redactEntry({ delivery_id: 'ev', event: { conversationId: 'c', nested: { conversationId: 'd' } } }, rules('conversationId'));
  assert.deepEqual(r.entry['event'], { conversationId: REDACTED, nested: { conversationId: REDACTED } });
  const proto = redactEntry({ delivery_id: 'p', request_body: '{"__proto__":{"x":1},"y":2}' }, rules('y'));
  assert.equal(proto.entry.request_body, '{"__proto__":{"x":1},"y":"[REDACTED]"}');
});

test('DLQ_REDACT is a default list that flags add to; malformed paths are usage errors naming the source', () => {
  assert.deepEqual(parseRedactRules(['b.c'], { DLQ_REDACT: 'a, b.c ,' }).map((r) => r.text), ['a', 'b.c']);
  assert.throws(() => parseRedactRules(['a..b'], {}), (err: unknown) => err instanceof UsageError && /^--redact: 'a\.\.b' is not a path/.test(err.message));
  assert.throws(() => parseRedactRules([], { DLQ_REDACT: '.x' }), /^UsageError: DLQ_REDACT: '\.x'/);
});
