/**
 * The line-layout fast path must accept exactly what JSON.parse accepts for dlq's own layout,
 * at every chunk size, and hand anything else back (undefined) to the general scanner.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EntryProblem, EntryValidator } from '../../src/store/entry-validator.js';
import { loadByLines } from '../../src/store/load-by-lines.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { readFully } from '../../src/store/store-fs.js';
import type { DlqEntry } from '../../src/dlq-entry.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-lines-'));
let n = 0;

async function load(text: string, chunkBytes: number): Promise<DlqEntry[] | undefined> {
  const path = join(dir, `f${n++}.json`);
  writeFileSync(path, text);
  const handle = await open(path, 'r');
  try {
    return await loadByLines(handle, chunkBytes, new EntryValidator(), readFully);
  } finally {
    await handle.close();
  }
}

const tricky: DlqEntry[] = [
  { delivery_id: 'a', request_body: '{"x":"],\\n[","y":"\u00e9\u6771\u4eac\ud83d\ude80"}', status_message: 'comma, then newline\\n' },
  { delivery_id: 'b', request_body: 'line1\nline2\r\n', response_body: '"quoted" \\ backslash', extra: { nested: [1, { d: ',\n' }] } },
  { delivery_id: 'c', status_code: 503, replays: [{ at: 'x', target: 'https://r/h', http_status: null, error: 'ECONNRESET', duration_ms: 3 }] },
  { delivery_id: 'd' },
];

test('dlq layout: same entries as JSON.parse at every chunk size, multi-byte characters included', async () => {
  const text = serializeDlq(tricky);
  for (let chunk = 1; chunk <= text.length + 2; chunk += 1) {
    assert.deepEqual(await load(text, chunk), JSON.parse(text), `chunk ${chunk}`);
  }
});

test('an empty file in our layout, and a trailing blank line, load', async () => {
  assert.deepEqual(await load('[\n]\n', 3), []);
  assert.deepEqual(await load(`${serializeDlq(tricky)}\n\n`, 16), JSON.parse(serializeDlq(tricky)));
});

test('other layouts are handed back to the scanner', async () => {
  for (const text of [JSON.stringify(tricky), JSON.stringify(tricky, null, 2), '[]\n', '']) {
    assert.equal(await load(text, 64), undefined, text.slice(0, 30));
  }
});

test('invalid JSON is never accepted, even when the damage sits at a chunk boundary', async () => {
  const good = serializeDlq(tricky);
  const broken = [
    good.replace('},\n{"delivery_id":"b"', '}\n{"delivery_id":"b"'), // missing comma
    good.replace(/\n\]\n$/, ',\n]\n'), // trailing comma
    good.replace(/\n\]\n$/, '\n'), // truncated: no closing bracket
    good.slice(0, good.length - 20), // cut mid-entry
    good.replace('{"delivery_id":"c"', '{"delivery_id":"c",'), // syntax error inside an entry
  ];
  for (const text of broken) {
    assert.throws(() => JSON.parse(text));
    for (let chunk = 1; chunk <= text.length + 2; chunk += 7) {
      assert.equal(await load(text, chunk), undefined, `chunk ${chunk}: ${text.slice(0, 40)}`);
    }
  }
});

test('entry problems are reported with the validator wording', async () => {
  const dup = serializeDlq([{ delivery_id: 'x' }, { delivery_id: 'y' }, { delivery_id: 'x' }]);
  await assert.rejects(load(dup, 8), (e: unknown) => e instanceof EntryProblem && /entry 3: duplicate delivery_id "x" \(also entry 1\)/.test(e.message));
  const noId = '[\n{"delivery_id":"x"},\n{"id":1}\n]\n';
  await assert.rejects(load(noId, 5), (e: unknown) => e instanceof EntryProblem && /entry 2: no delivery_id/.test(e.message));
});

test('fuzz: after random one-byte damage it never returns something JSON.parse would not', async () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const base = serializeDlq([
    { delivery_id: 'p', n: 1 },
    { delivery_id: 'q', s: 'a,b]\\n' },
    { delivery_id: 'r', o: { k: [1, 2] } },
  ]);
  const alphabet = [',', ']', '[', '{', '}', '\n', ' ', '"', ':', '1'];
  for (let round = 0; round < 400; round += 1) {
    const at = Math.floor(rand() * base.length);
    const op = rand();
    const ch = alphabet[Math.floor(rand() * alphabet.length)] as string;
    const text = op < 0.33 ? base.slice(0, at) + base.slice(at + 1) : op < 0.66 ? base.slice(0, at) + ch + base.slice(at) : base.slice(0, at) + ch + base.slice(at + 1);
    let expected: unknown;
    try {
      expected = JSON.parse(text);
    } catch {
      expected = undefined;
    }
    const chunk = 1 + Math.floor(rand() * 40);
    let got: unknown;
    try {
      got = await load(text, chunk);
    } catch (error) {
      assert.ok(error instanceof EntryProblem, String(error));
      assert.ok(Array.isArray(expected), 'an entry problem only for valid JSON');
      continue;
    }
    if (got !== undefined) assert.deepEqual(got, expected, JSON.stringify(text));
  }
});
