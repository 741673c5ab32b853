/**
 * `dlq prune` in the store: under the DLQ file's lock, pick the entries to remove, append them to
 * the archive (written and fsynced), record their ids as pruned (fsynced), and only then rewrite
 * the DLQ file without them. Each step finishes on disk before the next begins, so a crash or a
 * failure anywhere leaves a removed entry in the archive AND the file, never in neither; any
 * failure before the rewrite leaves the DLQ file byte-for-byte as it was.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { appendToArchive } from './archive-file.js';
import { noDlqFile, updateDlqFile, type LockOptions } from './dlq-file.js';

export interface PruneRequest {
  /** The entries to remove (a subset of `entries`, by identity). */
  select: (entries: readonly DlqEntry[]) => DlqEntry[];
  /** Where the removed entries go first, and how each becomes one archive line (JSON, no newline). */
  archive?: { path: string; line: (entry: DlqEntry) => string } | undefined;
}

export interface PruneResult {
  removed: DlqEntry[];
  remaining: DlqEntry[];
}

export async function pruneDlqFile(path: string, request: PruneRequest, options: LockOptions = {}): Promise<PruneResult> {
  return updateDlqFile(
    path,
    async ({ entries, exists }) => {
      if (!exists) throw noDlqFile(path);
      const removed = request.select(entries);
      if (removed.length === 0) return { entries: null, result: { removed, remaining: entries } };
      if (request.archive) await appendToArchive(request.archive.path, removed.map(request.archive.line));
      const gone = new Set(removed);
      const remaining = entries.filter((e) => !gone.has(e));
      return { entries: remaining, result: { removed, remaining }, pruned: removed };
    },
    options,
  );
}
