import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { UsageError } from '../../src/errors.js';
import { resolveIds } from '../../src/entries/resolve-ids.js';

const entries: DlqEntry[] = ['7c9e6679-aaaa', '7c9e6679-bbbb', '3b241101-cccc', 'abc', 'abcdef'].map((id) => ({
  delivery_id: id,
}));
const idsOf = (list: DlqEntry[]) => list.map((e) => e.delivery_id);

test('full ids resolve to their entries, in argument order', () => {
  assert.deepEqual(idsOf(resolveIds(entries, ['3b241101-cccc', '7c9e6679-aaaa'])), ['3b241101-cccc', '7c9e6679-aaaa']);
  // Same objects, not copies: replay updates them.
  assert.equal(resolveIds(entries, ['abc'])[0], entries[3]);
});

test('a unique prefix resolves', () => {
  assert.deepEqual(idsOf(resolveIds(entries, ['3b'])), ['3b241101-cccc']);
  assert.deepEqual(idsOf(resolveIds(entries, ['7c9e6679-b'])), ['7c9e6679-bbbb']);
  assert.deepEqual(idsOf(resolveIds(entries, ['abcd'])), ['abcdef']);
});

test('an exact id wins over being a prefix of a longer id', () => {
  assert.deepEqual(idsOf(resolveIds(entries, ['abc'])), ['abc']);
});

test('duplicates (also via different prefixes) are removed, first occurrence kept', () => {
  assert.deepEqual(idsOf(resolveIds(entries, ['3b', 'abc', '3b241101-cccc', '3b2'])), ['3b241101-cccc', 'abc']);
});

test('no ids resolve to nothing', () => {
  assert.deepEqual(resolveIds(entries, []), []);
});

test('an unknown id is a usage error naming it', () => {
  assert.throws(
    () => resolveIds(entries, ['3b', 'zzz']),
    (e: unknown) => e instanceof UsageError && e.message === "no dead letter with id 'zzz'",
  );
  assert.throws(() => resolveIds([], ['x']), /no dead letter with id 'x'/);
  assert.throws(() => resolveIds(entries, ['']), UsageError);
});

test('an ambiguous prefix is a usage error listing the candidates', () => {
  assert.throws(
    () => resolveIds(entries, ['7c9e']),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "id prefix '7c9e' is ambiguous: 2 dead letters match (7c9e6679-aaaa, 7c9e6679-bbbb)",
  );
});

test('a very ambiguous prefix names ten candidates, then how many more', () => {
  const many: DlqEntry[] = Array.from({ length: 25 }, (_, i) => ({ delivery_id: `ff${String(i).padStart(2, '0')}` }));
  assert.throws(
    () => resolveIds(many, ['ff']),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /25 dead letters match \(ff00, ff01, .*ff09 and 15 more\)$/);
      assert.ok(!e.message.includes('ff10'));
      return true;
    },
  );
});

test('many ids (the indexed path) resolve exactly like a few (the scanning path)', () => {
  // 0000-id … 012b-id, plus an exact id that is also a prefix of 00ff-id.
  const big: DlqEntry[] = Array.from({ length: 300 }, (_, i) => ({ delivery_id: `${i.toString(16).padStart(4, '0')}-id` }));
  big.push({ delivery_id: '00ff' });
  const args = ['0001-id', '0120', '00ff', '00a0', '0001', '00f0-', '0100-id', '012b', '0003', '0004-'];
  const expected = ['0001-id', '0120-id', '00ff', '00a0-id', '00f0-id', '0100-id', '012b-id', '0003-id', '0004-id'];
  assert.ok(args.length > 8, 'enough ids for the indexed path');
  assert.deepEqual(idsOf(resolveIds(big, args)), expected);
  assert.deepEqual([...new Set(args.map((a) => idsOf(resolveIds(big, [a]))[0]))], expected);
  for (const list of [['00'], [...args, '00']]) {
    assert.throws(
      () => resolveIds(big, list),
      /^UsageError: id prefix '00' is ambiguous: 257 dead letters match \(0000-id, 0001-id, .*0009-id and 247 more\)$/,
    );
  }
  assert.throws(() => resolveIds(big, [...args, 'zz']), /no dead letter with id 'zz'/);
  assert.throws(() => resolveIds(big, [...args, ' ']), /empty delivery id/);
});
