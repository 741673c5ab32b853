import type { Io } from '../io.js';

export interface ReplayOptions {
  [flag: string]: unknown;
}

export async function replayCommand(_options: ReplayOptions, _io: Io): Promise<number> {
  throw new Error('replay: not implemented yet');
}
