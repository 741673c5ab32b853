/**
 * What one caller's update of the DLQ file can carry over to its next update: the entries as
 * written and their JSON text. A replay saves every 2 s; without this each save re-reads and
 * re-parses the whole file and re-serialises every entry, although only the few it just tried
 * changed (issue #13: on 10,000 entries that was most of the CPU a replay run spent besides HTTP).
 *
 * Trusted exactly like the sidecar index (dlq-index.ts): only while the file still has the
 * identity (device, inode, size, mtime and ctime in ns) it had right after our own write, checked
 * under the lock. Any other writer (fetch, resolve, another replay, an editor) changes that, and
 * the next update reads the file afresh.
 *
 * Only for callers that never change an entry object in place (the replay recorder replaces the
 * entries it changes), because an entry's cached text is reused for as long as the object is.
 * Files over `maxBytes` are not kept: their entries and text would double the memory of a run.
 */
import type { DlqEntry } from '../dlq-entry.js';
import { sameIdentity, type FileIdentity } from './load-dlq.js';

export const DEFAULT_REUSE_MAX_BYTES = 64 * 1024 * 1024;

export interface WrittenFile {
  target: string;
  identity: FileIdentity;
  entries: DlqEntry[];
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
}

export class UpdateReuse {
  /** Entries' JSON (UTF-8) as last serialised, by object: a replaced entry is serialised afresh. */
  readonly texts = new WeakMap<DlqEntry, Buffer>();
  /** Entries' sidecar index rows (dlq-index.ts) without their offset and length, by object. */
  readonly rowTails = new WeakMap<DlqEntry, Buffer>();
  private written: WrittenFile | undefined;

  constructor(readonly maxBytes: number = DEFAULT_REUSE_MAX_BYTES) {}

  /** The last written file when `target` still has its identity; it is forgotten either way. */
  take(target: string, identity: FileIdentity | undefined): WrittenFile | undefined {
    const written = this.written;
    this.written = undefined;
    if (!written || written.target !== target || !sameIdentity(written.identity, identity)) return undefined;
    return written;
  }

  remember(file: WrittenFile, bytes: number): void {
    this.written = bytes <= this.maxBytes ? file : undefined;
  }
}
