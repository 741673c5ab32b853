/**
 * Cron's `dlq fetch` and CI's `dlq replay` on the same file at the same time, as two real
 * processes: the file ends with every harvested entry AND every replay outcome (no lost update).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { serializeDlq } from '../../src/store/dlq-file.js';
import { makeDlqEntries } from '../support/dlq-fixture.js';
import { FakeGenesys, makeFailures } from '../support/fake-genesys/index.js';
import { startReceiver } from '../support/receiver.js';
import { runBin } from '../support/run-bin.js';

test('fetch and replay at once: the union of entries, and every replay result kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-concurrent-'));
  const file = join(dir, 'dlq.json');
  const pending = makeDlqEntries(300, { seed: 3, now: new Date() }).map((e) => ({ ...e, replay_status: 'pending' as const, replays: [] }));
  writeFileSync(file, serializeDlq(pending));
  const failures = makeFailures(1200, { seed: 9 });
  const server = new FakeGenesys({ clients: { c: 's' }, integrations: [{ id: 'w9', name: 'W9', failures }], latencyMs: 120 });
  const { url } = await server.start();
  const receiver = await startReceiver(() => ({ status: 200, delayMs: 15 }));
  const env = { GENESYS_CLIENT_ID: 'c', GENESYS_CLIENT_SECRET: 's', GENESYS_GATEWAY: url };
  const run = async (args: string[]) => {
    const r = await runBin([...args, '--file', file], { cwd: dir, env });
    return { code: r.code, out: r.stdout + r.stderr };
  };
  try {
    const [fetched, replayed] = await Promise.all([
      run(['fetch', '--webhook', 'W9', '--concurrency', '1', '--json']),
      run(['replay', '--to', receiver.url, '--concurrency', '2', '--json']),
    ]);
    assert.equal(fetched.code, 0, fetched.out);
    assert.equal(replayed.code, 0, replayed.out);
    const final = JSON.parse(readFileSync(file, 'utf8')) as DlqEntry[];
    assert.equal(final.length, 1500);
    const byId = new Map(final.map((e) => [e.delivery_id, e]));
    for (const f of failures) assert.ok(byId.has(f.id!), `harvested ${f.id} kept`);
    for (const p of pending) {
      const e = byId.get(p.delivery_id);
      assert.equal(e?.replay_status, 'succeeded', `replay result of ${p.delivery_id} kept`);
      assert.equal(e?.replays?.length, 1);
    }
    assert.equal(receiver.requests.length, 300);
  } finally {
    await receiver.close();
    await server.stop();
  }
});
