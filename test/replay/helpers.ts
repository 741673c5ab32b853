/** Shared by the replay tests: a temporary DLQ file (output is captured with test/support/capture-io.ts). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { serializeDlq } from '../../src/store/dlq-file.js';

export interface TempDlq {
  dir: string;
  path: string;
  read(): Promise<DlqEntry[]>;
  text(): Promise<string>;
  write(entries: DlqEntry[]): Promise<void>;
  remove(): Promise<void>;
}

export async function tempDlq(entries: DlqEntry[]): Promise<TempDlq> {
  const dir = await mkdtemp(join(tmpdir(), 'dlq-replay-'));
  const path = join(dir, 'dlq.json');
  const t: TempDlq = {
    dir,
    path,
    read: async () => JSON.parse(await readFile(path, 'utf8')) as DlqEntry[],
    text: () => readFile(path, 'utf8'),
    write: (list) => writeFile(path, serializeDlq(list)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  await t.write(entries);
  return t;
}

export function entry(id: string, over: Partial<DlqEntry> = {}): DlqEntry {
  return {
    delivery_id: id,
    timestamp: '2026-03-01T10:00:00.000Z',
    status_code: 503,
    status_message: 'Service Unavailable',
    request_body: `{"id":"${id}","text":"ünïcødé – 日本語 🎉"}`,
    response_body: '{}',
    webhook_id: 'wh-1',
    webhook_name: 'Orders',
    replay_status: 'pending',
    replays: [],
    ...over,
  };
}
