/**
 * The file store's home for the harvest state (./harvest-state.ts): `<dlq file>.state.json`, next
 * to the DLQ file, which itself stays the contract's plain JSON array (contract §5).
 *
 * Written only by updateDlqFile, under the DLQ file's lock, atomically (temp file, fsync, rename).
 * Order against the DLQ file (see writeOrder in dlq-file.ts): new tombstones are written BEFORE the
 * DLQ file that no longer holds their entries, a moved watermark AFTER the DLQ file that holds what
 * it vouches for. A crash between the two leaves a tombstone for an entry still in the file
 * (harmless: prune again) or an older watermark (the next harvest just reads deeper): never a
 * watermark ahead of the data, never a pruned entry without its tombstone.
 *
 * Unlike the `.idx` index this is not a cache: keep it with the DLQ file in backups. Without it the
 * next fetch is a full pass, and entries pruned since could come back.
 */
import { DlqFileError } from '../errors.js';
import { atomicWrite } from './atomic-write.js';
import { EMPTY_HARVEST_STATE, parseHarvestState, serializeHarvestState, type HarvestState } from './harvest-state.js';
import { describeFsError, oneLine } from './load-dlq.js';
import { errnoCode, nodeStoreFs, readFully, type StoreFs } from './store-fs.js';

/** Refuse to load a state file bigger than this (a million tombstones are well under it). */
const MAX_STATE_BYTES = 512 * 1024 * 1024;

export function statePathFor(target: string): string {
  return `${target}.state.json`;
}

/** The state stored for the DLQ file at `target` (already resolved); the empty state when there is none. */
export async function readHarvestStateFile(target: string, fs: StoreFs = nodeStoreFs): Promise<HarvestState> {
  const path = statePathFor(target);
  let text: string;
  try {
    const handle = await fs.open(path, 'r');
    try {
      const size = Number((await handle.stat({ bigint: true })).size);
      if (size > MAX_STATE_BYTES) throw new DlqFileError(path, `harvest state of ${size} bytes is too big`);
      const buffer = Buffer.allocUnsafe(size);
      const n = await readFully(handle, buffer, 0);
      text = buffer.toString('utf8', 0, n);
    } finally {
      await handle.close().catch(() => undefined);
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return EMPTY_HARVEST_STATE;
    if (error instanceof DlqFileError) throw error;
    throw new DlqFileError(path, `cannot read the harvest state: ${describeFsError(error)}`, { cause: error });
  }
  try {
    return parseHarvestState(JSON.parse(text));
  } catch (error) {
    throw new DlqFileError(
      path,
      `harvest state unusable (${oneLine(error instanceof Error ? error.message : String(error))}); ` +
        'move it away to start over (the next fetch is then a full pass, and pruned entries can come back)',
      { cause: error },
    );
  }
}

export async function writeHarvestStateFile(
  target: string,
  state: HarvestState,
  options: { mode: number; uid?: number | undefined; gid?: number | undefined; fs?: StoreFs; verifyLock: () => Promise<void> },
): Promise<void> {
  await atomicWrite(statePathFor(target), [Buffer.from(serializeHarvestState(state), 'utf8')], {
    mode: options.mode,
    uid: options.uid,
    gid: options.gid,
    ...(options.fs ? { fs: options.fs } : {}),
    beforeRename: options.verifyLock,
  });
}

