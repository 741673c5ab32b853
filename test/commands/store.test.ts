/**
 * `dlq store copy` streams (issue #15): more entries than one batch, PostgreSQL → PostgreSQL and
 * PostgreSQL → file, idempotent reruns, merges into a destination that already holds entries,
 * counts and verification.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportError } from '../../src/cli.js';
import { storeCopyCommand } from '../../src/commands/store.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { openStore } from '../../src/store/open-store.js';
import { serializeDlq } from '../../src/store/serialize-dlq.js';
import { captureIo } from '../support/capture-io.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres-server.js';
import { entry, leftovers, tempDir } from '../support/store-helpers.js';

/** More than two scan batches (1,000 entries) and write batches (1,000 rows). */
const COUNT = 2_500;

describe('dlq store copy, streamed', { skip: postgresSkipReason() }, () => {
  let db: TestDatabase;
  let source: string;
  const entries = makeDlqEntries(COUNT, { seed: 5 });

  before(async () => {
    db = await createTestDatabase();
    source = db.url;
    const store = await openStore({ store: source }, {}, '/');
    try {
      await store.putEntries(entries, {});
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await db?.close();
  });

  const copy = async (from: string, to: string, cwd: string) => {
    const io = captureIo({ cwd });
    let code: number;
    try {
      code = await storeCopyCommand({ from, to, json: true }, io);
    } catch (error) {
      code = reportError(error, io);
    }
    assert.equal(code, 0, io.err());
    assert.match(io.err(), new RegExp(`copying ${COUNT} entries`));
    const { copied, new: added, updated, verified } = JSON.parse(io.out()) as Record<string, number>;
    return { copied, added, updated, verified };
  };
  const readAll = async (url: string) => {
    const store = await openStore({ store: url }, {}, '/');
    try {
      return (await store.readAll()).entries;
    } finally {
      await store.close();
    }
  };

  test('PostgreSQL → PostgreSQL: every entry, in order, counted and verified; a rerun only updates', async (t) => {
    const dir = tempDir(t);
    const other = await db.another();
    assert.deepEqual(await copy(source, other, dir), { copied: COUNT, added: COUNT, updated: 0, verified: COUNT });
    assert.deepEqual(await copy(source, other, dir), { copied: COUNT, added: 0, updated: COUNT, verified: COUNT });
    assert.equal(JSON.stringify(await readAll(other)), JSON.stringify(entries));
  });

  test('PostgreSQL → file: the file is exactly what serializeDlq writes; a rerun leaves the same bytes', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'backup.json');
    assert.deepEqual(await copy(source, `file:${file}`, dir), { copied: COUNT, added: COUNT, updated: 0, verified: COUNT });
    const written = readFileSync(file, 'utf8');
    assert.equal(written, serializeDlq(entries));
    assert.deepEqual(await copy(source, `file:${file}`, dir), { copied: COUNT, added: 0, updated: COUNT, verified: COUNT });
    assert.equal(readFileSync(file, 'utf8'), written);
    assert.deepEqual(leftovers(dir), []);
    assert.equal(existsSync(`${file}.idx`), false, 'no stale index beside the copy');
  });

  test('into a file that holds entries: those keep their place (replaced by the source version), new ones follow', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'mixed.json');
    const known = entries[2000] as DlqEntry;
    const mine = [entry('only-here-1'), { ...known, request_body: 'old version' }, entry('only-here-2')];
    writeFileSync(file, serializeDlq(mine));
    assert.deepEqual(await copy(source, `file:${file}`, dir), { copied: COUNT, added: COUNT - 1, updated: 1, verified: COUNT });
    const after = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
    assert.equal(after.length, COUNT + 2);
    assert.deepEqual(after.slice(0, 3), [mine[0], known, mine[2]]);
    assert.deepEqual(after.slice(3), entries.filter((e) => e.delivery_id !== known.delivery_id));
  });
});
