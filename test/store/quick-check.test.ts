import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DlqFileError } from '../../src/errors.js';
import { quickCheckDlqFile } from '../../src/store/quick-check.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-quick-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

test('passes a missing file, an empty or blank file, and anything shaped like an array', async () => {
  await quickCheckDlqFile(join(dir, 'missing.json'));
  await quickCheckDlqFile(file('empty.json', ''));
  await quickCheckDlqFile(file('blank.json', ' \n\t\n'));
  await quickCheckDlqFile(file('long-blank.json', ' \n'.repeat(5000)));
  await quickCheckDlqFile(file('bom.json', '\ufeff[\n{"delivery_id":"a"}\n]\n'));
  await quickCheckDlqFile(file('ours.json', '[\n{"delivery_id":"a"}\n]\n'));
  await quickCheckDlqFile(file('pretty.json', '  [\n  {\n    "delivery_id": "a"\n  }\n]'));
  await quickCheckDlqFile(file('long.json', `[${'{"delivery_id":"x"},'.repeat(1000)}{"delivery_id":"y"}]`));
});

test('fails fast on a truncated file, an object, garbage or a directory, naming the file', async () => {
  for (const [name, content, problem] of [
    ['truncated.json', '[{"delivery_id":"a"},{"deliv', /does not end with "\]"/],
    ['object.json', '{"delivery_id":"a"}', /not a JSON array/],
    ['garbage.json', 'hello', /not a JSON array/],
  ] as const) {
    const p = file(name, content);
    await assert.rejects(quickCheckDlqFile(p), (e: unknown) => e instanceof DlqFileError && e.message.startsWith(p) && problem.test(e.message));
  }
  const sub = join(dir, 'adir');
  mkdirSync(sub);
  await assert.rejects(quickCheckDlqFile(sub), DlqFileError);
});
