/**
 * The harvest state (watermarks): its pure rules, and how updateDlqFile saves it next to the DLQ
 * file, after the entries, so a watermark never gets ahead of them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DlqFileError } from '../../src/errors.js';
import { readHarvestState, readRecordedIds, updateDlqFile } from '../../src/store/dlq-file.js';
import { pruneDlqFile } from '../../src/store/prune-dlq.js';
import { statePathFor } from '../../src/store/harvest-state-file.js';
import {
  EMPTY_HARVEST_STATE,
  eventDefinitionKey,
  parseHarvestState,
  sourceKeyOf,
  watermarkOf,
  webhookKey,
  withWatermark,
} from '../../src/store/harvest-state.js';
import { nodeStoreFs, type StoreFs } from '../../src/store/store-fs.js';
import { entry, tempDir } from '../support/store-helpers.js';

const AT = '2026-11-23T10:00:00.000Z';
const KEY = webhookKey('wh-1');

test('a watermark only moves forward', () => {
  const a = withWatermark(EMPTY_HARVEST_STATE, KEY, '2026-11-20T00:00:00Z', AT);
  assert.equal(watermarkOf(a, KEY)?.newest, '2026-11-20T00:00:00Z');
  const b = withWatermark(a, KEY, '2026-11-19T00:00:00Z', '2026-11-23T11:00:00.000Z');
  assert.equal(watermarkOf(b, KEY)?.newest, '2026-11-20T00:00:00Z', 'an older newest does not move it back');
  assert.equal(watermarkOf(b, KEY)?.harvestedAt, '2026-11-23T11:00:00.000Z');
  assert.equal(watermarkOf(withWatermark(b, KEY, '2026-11-21T00:00:00Z', AT), KEY)?.newest, '2026-11-21T00:00:00Z');
  assert.equal(watermarkOf(b, webhookKey('other')), undefined);
  assert.equal(watermarkOf(EMPTY_HARVEST_STATE, 'constructor'), undefined, 'no prototype keys');
});

test('source keys: webhook entries by webhook id, operational events by definition', () => {
  assert.equal(sourceKeyOf(entry('a')), 'webhook:wh-1');
  assert.equal(sourceKeyOf(entry('e', { source: 'operational-event', event_definition: { id: 'def-1', name: 'x' } })), eventDefinitionKey('def-1'));
  assert.equal(sourceKeyOf({ delivery_id: 'x' }), undefined);
});

test('parseHarvestState refuses what it cannot trust', () => {
  assert.deepEqual(parseHarvestState({ version: 1 }), EMPTY_HARVEST_STATE);
  for (const bad of [[], null, { version: 2 }, { version: 1, watermarks: [] }, { version: 1, watermarks: { k: { newest: 'soon', harvestedAt: AT } } }]) {
    assert.throws(() => parseHarvestState(bad), Error, JSON.stringify(bad));
  }
});

/** A file system whose rename of the DLQ file itself fails (a crash between the two writes). */
function failingDlqRename(target: string): StoreFs {
  return {
    ...nodeStoreFs,
    rename: async (from, to) => {
      if (to === target) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return nodeStoreFs.rename(from, to);
    },
  };
}

test('updateDlqFile: a watermark is saved after the entries, so a failed write leaves none', async (t) => {
  const file = join(tempDir(t), 'dlq.json');
  writeFileSync(file, '[]\n');
  await assert.rejects(
    updateDlqFile(file, ({ state }) => ({ entries: [entry('a')], state: withWatermark(state, KEY, AT, AT), result: 0 }), { fs: failingDlqRename(file) }),
    DlqFileError,
  );
  assert.equal(existsSync(statePathFor(file)), false, 'no watermark for entries that were not written');
  await updateDlqFile(file, ({ state }) => ({ entries: [entry('a')], state: withWatermark(state, KEY, AT, AT), result: 0 }));
  assert.equal(watermarkOf(await readHarvestState(file), KEY)?.newest, AT);
});

test('updateDlqFile: a state change alone (entries null) is saved; the DLQ file stays a JSON array', async (t) => {
  const file = join(tempDir(t), 'dlq.json');
  await updateDlqFile(file, () => ({ entries: [entry('a')], result: 0 }));
  const before = readFileSync(file, 'utf8');
  await updateDlqFile(file, ({ state }) => ({ entries: null, state: withWatermark(state, KEY, AT, AT), result: 0 }));
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.ok(Array.isArray(JSON.parse(before)));
  const stored = JSON.parse(readFileSync(statePathFor(file), 'utf8')) as { version: number };
  assert.equal(stored.version, 1);
  assert.deepEqual([...(await readRecordedIds(file, KEY))], ['a'], 'the ids stored for the source');
  assert.deepEqual([...(await readRecordedIds(file, webhookKey('other')))], []);
  await pruneDlqFile(file, { select: (entries) => [...entries] });
  assert.deepEqual([...(await readRecordedIds(file, KEY))], ['a'], 'pruned ids count as recorded');
});
