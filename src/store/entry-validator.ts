/**
 * Checks DLQ entries one at a time (so the chunked reader and the writer share it): each must be
 * an object with a non-empty string `delivery_id`, unique in the file. Everything else is left as
 * it is: unknown fields are preserved, and the original seven-field files pass. Entries are
 * numbered from 1 in messages ("entry 1" is the first element of the array).
 */
import type { DlqEntry } from '../dlq-entry.js';

export class EntryProblem extends Error {
  override readonly name = 'EntryProblem';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Quotes an id for a one-line message: JSON escaping removes newlines, long ids are cut. */
export function quoteId(id: string): string {
  const quoted = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  return quoted;
}

export class EntryValidator {
  private readonly seen = new Map<string, number>();

  /** Throws EntryProblem for the entry at 0-based `index`; returns it typed otherwise. */
  check(value: unknown, index: number): DlqEntry {
    const n = index + 1;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new EntryProblem(`entry ${n}: not an object (found ${kindOf(value)})`);
    }
    const id = (value as { delivery_id?: unknown }).delivery_id;
    if (typeof id !== 'string') {
      throw new EntryProblem(
        id === undefined ? `entry ${n}: no delivery_id` : `entry ${n}: delivery_id is not a string (found ${kindOf(id)})`,
      );
    }
    if (id === '') throw new EntryProblem(`entry ${n}: delivery_id is empty`);
    const first = this.seen.get(id);
    if (first !== undefined) throw new EntryProblem(`entry ${n}: duplicate delivery_id ${quoteId(id)} (also entry ${first + 1})`);
    this.seen.set(id, index);
    return value as DlqEntry;
  }
}
