/**
 * Tombstones: the delivery ids `dlq prune` removed, so the next `dlq fetch` does not bring them
 * back (a pruned delivery that the platform still lists is not new). Kept next to the DLQ file as
 * `<file>.pruned`, one JSON object per line (`{"delivery_id", "webhook_id", "pruned_at"}`),
 * appended and fsynced under the DLQ file's lock BEFORE the DLQ file is rewritten without them:
 * a crash in between leaves an id both in the file and tombstoned (harmless: fetch only skips
 * tombstoned ids that are not in the file), never removed and forgotten.
 *
 * The list only grows; at ~90 bytes a line, 100,000 pruned ids are ~9 MB, read only by fetch.
 * A line that does not parse (a crash mid-append) is skipped.
 */
import { promises as fsp } from 'node:fs';
import type { DlqEntry } from '../dlq-entry.js';
import { DlqFileError } from '../errors.js';
import { appendDurably } from './append-durably.js';
import { describeFsError } from './load-dlq.js';
import { errnoCode, type StoreFs } from './store-fs.js';

export function prunedPathFor(target: string): string {
  return `${target}.pruned`;
}

/** Appends (durably) one line per entry. */
export async function recordPrunedIds(
  target: string,
  entries: readonly DlqEntry[],
  options: { at: string; mode: number; fs?: StoreFs },
): Promise<void> {
  if (entries.length === 0) return;
  const lines = entries.map((e) =>
    JSON.stringify({ delivery_id: e.delivery_id, ...(typeof e.webhook_id === 'string' ? { webhook_id: e.webhook_id } : {}), pruned_at: options.at }),
  );
  await appendDurably(prunedPathFor(target), Buffer.from(`${lines.join('\n')}\n`, 'utf8'), {
    mode: options.mode,
    lines: true,
    what: 'pruned-id list',
    ...(options.fs ? { fs: options.fs } : {}),
  });
}

/** Every tombstoned delivery id (empty when nothing was ever pruned). */
export async function readPrunedIds(target: string): Promise<Set<string>> {
  const path = prunedPathFor(target);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return new Set();
    throw new DlqFileError(path, `cannot read the pruned-id list: ${describeFsError(error)}`, { cause: error });
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const id: unknown = (JSON.parse(line) as { delivery_id?: unknown }).delivery_id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // a line cut short by a crash: its entry was never removed from the DLQ file
    }
  }
  return ids;
}
