import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DlqFileError } from '../../src/errors.js';
import { readDlqFile, updateDlqFile, serializeDlq } from '../../src/store/dlq-file.js';
import { entry, leftovers, tempDir } from '../support/store-helpers.js';

/** The whole-file path (default) and the chunked path with tiny reads, which must agree. */
const PATHS = [
  { name: 'whole-file', options: {} },
  { name: 'chunked', options: { chunkedThresholdBytes: 0, chunkBytes: 7 } },
] as const;

const BAD_FILES: { name: string; text: string; problem: RegExp }[] = [
  { name: 'truncated JSON', text: '[\n{"delivery_id":"a"},\n{"delivery_id":"b","x":"]", ', problem: /truncated: the JSON array is not closed/ },
  { name: 'cut inside a string', text: '[\n{"delivery_id":"a"},\n{"delivery_id":"b', problem: /truncated/ },
  { name: '{}', text: '{}', problem: /not a JSON array \(the top level is an object\)/ },
  { name: 'a number', text: '42\n', problem: /not a JSON array/ },
  { name: 'a non-object entry', text: '[{"delivery_id":"a"}, 7]', problem: /entry 2: not an object \(found a number\)/ },
  { name: 'a null entry', text: '[null]', problem: /entry 1: not an object \(found null\)/ },
  { name: 'an array entry', text: '[{"delivery_id":"a"},[1]]', problem: /entry 2: not an object \(found an array\)/ },
  { name: 'no delivery_id', text: '[{"delivery_id":"a"},{"id":"b"}]', problem: /entry 2: no delivery_id/ },
  { name: 'numeric delivery_id', text: '[{"delivery_id":5}]', problem: /entry 1: delivery_id is not a string \(found a number\)/ },
  { name: 'empty delivery_id', text: '[{"delivery_id":""}]', problem: /entry 1: delivery_id is empty/ },
  {
    name: 'duplicate delivery_id',
    text: serializeDlq([entry('abc'), entry('x'), entry('abc')]),
    problem: /entry 3: duplicate delivery_id "abc" \(also entry 1\)/,
  },
  { name: 'invalid JSON inside an entry', text: '[{"delivery_id":"a"},\n{"delivery_id":b}]', problem: /entry 2: invalid JSON/ },
  { name: 'trailing comma', text: '[{"delivery_id":"a"},]', problem: /unexpected '\]' after ','/ },
  { name: 'data after the array', text: '[{"delivery_id":"a"}]\n[]', problem: /after the end of the array/ },
];

describe('readDlqFile', () => {
  it('reports a missing file as empty and not existing', async (t) => {
    const dir = tempDir(t);
    assert.deepEqual(await readDlqFile(join(dir, 'none.json')), { entries: [], exists: false });
  });

  it('reads a 0-byte or whitespace-only file as an empty DLQ that exists', async (t) => {
    const dir = tempDir(t);
    for (const [i, text] of ['', '  \n\t\r\n'].entries()) {
      const file = join(dir, `empty-${i}.json`);
      writeFileSync(file, text);
      for (const { options } of PATHS) assert.deepEqual(await readDlqFile(file, options), { entries: [], exists: true });
    }
  });

  it('loads files of the original seven-field script as they are (pretty-printed)', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dead_letter_queue.json');
    const original = [
      {
        delivery_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
        timestamp: '2024-05-01T10:00:00Z',
        status_code: 503,
        status_message: 'Service Unavailable',
        request_body: '{"eventBody": {"id": "abc", "note": "caf\u00e9 ] , {"}}',
        response_body: '{}',
        webhook_id: 'wh-1',
      },
      {
        delivery_id: '9b2e',
        timestamp: '2024-05-01T10:01:00Z',
        status_code: 500,
        status_message: 'Unknown error',
        request_body: '{}',
        response_body: '{}',
        webhook_id: 'wh-1',
      },
    ];
    // Python's json.dump(indent=4) layout, with ensure_ascii escapes.
    writeFileSync(file, JSON.stringify(original, null, 4).replace('é', '\\u00e9'));
    for (const { name, options } of PATHS) {
      assert.deepEqual(await readDlqFile(file, options), { entries: original, exists: true }, name);
    }
  });

  it('preserves unknown fields through an update', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const odd = { ...entry('a'), custom: { nested: [1, 'two', null] }, 'weird key ]': 'x' };
    writeFileSync(file, JSON.stringify([odd]));
    await updateDlqFile(file, ({ entries }) => ({ entries: [...entries, entry('b')], result: null }));
    assert.deepEqual((await readDlqFile(file)).entries, [odd, entry('b')]);
  });

  for (const bad of BAD_FILES) {
    it(`rejects ${bad.name} with exit 6, one line naming the file, and leaves it untouched`, async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'dlq.json');
      writeFileSync(file, bad.text, { mode: 0o640 });
      const before = readFileSync(file);
      const messages: string[] = [];
      for (const { name, options } of PATHS) {
        await assert.rejects(readDlqFile(file, options), (error: unknown) => {
          assert.ok(error instanceof DlqFileError, name);
          assert.equal(error.exitCode, 6);
          assert.ok(error.message.startsWith(`${file}: `), error.message);
          assert.match(error.message, bad.problem, name);
          assert.ok(!error.message.includes('\n'), 'one line');
          messages.push(error.message);
          return true;
        });
      }
      assert.equal(messages[0], messages[1], 'both read paths give the same message');
      let called = false;
      await assert.rejects(
        updateDlqFile(file, () => {
          called = true;
          return { entries: [], result: null };
        }),
        DlqFileError,
      );
      assert.equal(called, false, 'update is never called on a bad file');
      assert.deepEqual(readFileSync(file), before, 'file byte-identical');
      assert.deepEqual(leftovers(dir), [], 'no lock or temp file left');
    });
  }

  it('refuses bytes that are not UTF-8, naming the entry, on every read path and layout; the file is untouched (issue #9)', async (t) => {
    const dir = tempDir(t);
    // 0xff never occurs in UTF-8; 0xc3 0x28 is a broken two-byte sequence.
    const good = Buffer.from(serializeDlq([entry('a'), entry('b', { request_body: 'PLACEHOLDER' }), entry('c')]), 'utf8');
    const at = good.indexOf('PLACEHOLDER');
    for (const [name, bad] of [
      ['0xff', Buffer.from([0xff])],
      ['broken sequence', Buffer.from([0xc3, 0x28])],
    ] as const) {
      const dlqLayout = Buffer.concat([good.subarray(0, at), bad, good.subarray(at + 'PLACEHOLDER'.length)]);
      // Another tool's layout too (one line, spaces): the scanner path.
      const compact = Buffer.from(dlqLayout.toString('latin1').replace(/\n/g, ' '), 'latin1');
      for (const [layout, bytes] of [['dlq layout', dlqLayout], ['compact', compact]] as const) {
        const file = join(dir, 'bad-utf8.json');
        writeFileSync(file, bytes);
        for (const { name: path, options } of PATHS) {
          await assert.rejects(
            readDlqFile(file, options),
            (error: unknown) =>
              error instanceof DlqFileError &&
              error.message === `${file}: entry 2 (delivery_id "b"): not valid UTF-8; dlq refuses bytes it could not keep exactly (fix or remove the entry)`,
            `${name}, ${layout}, ${path}`,
          );
        }
        await assert.rejects(updateDlqFile(file, ({ entries }) => ({ entries, result: null })), DlqFileError);
        assert.deepEqual(readFileSync(file), bytes, 'file byte-identical');
      }
    }
  });

  it('rejects a directory and keeps JSON.parse snippets on one line', async (t) => {
    const dir = tempDir(t);
    const sub = join(dir, 'dlq.json');
    mkdirSync(sub);
    await assert.rejects(readDlqFile(sub), /dlq\.json: not a regular file/);
    const file = join(dir, 'multi.json');
    writeFileSync(file, '[\n{"delivery_id":"a",\n"x":\n}\n]');
    await assert.rejects(readDlqFile(file), (error: unknown) => {
      assert.ok(error instanceof DlqFileError);
      assert.match(error.message, /entry 1: invalid JSON/);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  });

  it('loads thousands of entries identically on both paths with odd chunk sizes', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'dlq.json');
    const entries = Array.from({ length: 3000 }, (_, i) => entry(`id-${i}`, { n: i, s: 'é漢😀'.repeat(i % 5) }));
    writeFileSync(file, serializeDlq(entries));
    for (const chunkBytes of [509, 4096, 65536]) {
      const got = await readDlqFile(file, { chunkedThresholdBytes: 0, chunkBytes });
      assert.deepEqual(got.entries, entries, `chunk ${chunkBytes}`);
    }
    assert.deepEqual((await readDlqFile(file)).entries, entries);
  });
});
