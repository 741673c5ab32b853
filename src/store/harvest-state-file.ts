/**
 * The file store's home for the harvest state (./harvest-state.ts): `<dlq file>.state.json`, next
 * to the DLQ file, which itself stays the contract's plain JSON array (contract §5).
 *
 * Written only by updateDlqFile, under the DLQ file's lock, atomically (temp file, fsync, rename),
 * AFTER the DLQ file that holds what a moved watermark vouches for: a crash between the two leaves
 * the older watermark, and the next harvest just reads deeper. Never a watermark ahead of the data.
 *
 * Unlike the `.idx` index this is not a cache, but losing it loses nothing: the next fetch is then
 * a full pass.
 */
import { DlqFileError } from '../errors.js';
import { atomicWrite } from './atomic-write.js';
import { EMPTY_HARVEST_STATE, parseHarvestState, serializeHarvestState, type HarvestState } from './harvest-state.js';
import { describeFsError, oneLine } from './load-dlq.js';
import { errnoCode, nodeStoreFs, readFully, type StoreFs } from './store-fs.js';

/** Refuse to load a state file bigger than this (a watermark is ~100 bytes). */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

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
        'move it away to start over (the next fetch is then a full pass)',
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

