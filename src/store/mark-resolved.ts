/**
 * `dlq resolve` as a pure change to the entries: the file store applies it under the file's lock;
 * the PostgreSQL store applies the same rule in SQL (postgres/resolve-sql.ts), and this function
 * to entries kept as raw JSON text.
 *
 * - resolve: `replay_status: "resolved"` (contract §5: handled by a person, never replayed),
 *   `resolved_at` (ISO time) and, with --note, `resolved_note`. Entries already resolved keep
 *   their original time and note (counted as unchanged).
 * - undo: back to what the replay history says (see replayStatusFromHistory); `resolved_at` and
 *   `resolved_note` are removed. Entries that are not resolved are left alone.
 * Everything else in an entry, unknown fields included, is kept.
 */
import { replayStatusFromHistory, replayStatusOf, type DlqEntry } from '../dlq-entry.js';

export interface ResolveChange {
  undo: boolean;
  /** ISO time written to resolved_at. */
  at: string;
  note?: string | undefined;
}

export interface ResolveOutcome {
  /** The new entries, or null when nothing changed (the file is then not rewritten). */
  entries: DlqEntry[] | null;
  changed: string[];
  unchanged: string[];
}

export function markResolved(all: readonly DlqEntry[], targets: readonly DlqEntry[], change: ResolveChange): ResolveOutcome {
  const replaced = new Map<DlqEntry, DlqEntry>();
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const entry of targets) {
    const resolved = replayStatusOf(entry) === 'resolved';
    if (change.undo === !resolved) {
      unchanged.push(entry.delivery_id);
      continue;
    }
    let next: DlqEntry;
    if (change.undo) {
      const { resolved_at: _at, resolved_note: _note, ...rest } = entry;
      next = { ...rest, replay_status: replayStatusFromHistory(entry) };
    } else {
      next = { ...entry, replay_status: 'resolved', resolved_at: change.at };
      if (change.note !== undefined) next.resolved_note = change.note;
    }
    replaced.set(entry, next);
    changed.push(entry.delivery_id);
  }
  return { entries: replaced.size === 0 ? null : all.map((e) => replaced.get(e) ?? e), changed, unchanged };
}
