import type { Io } from '../io.js';

export interface ListOptions {
  [flag: string]: unknown;
}

export async function listCommand(_options: ListOptions, _io: Io): Promise<number> {
  throw new Error('list: not implemented yet');
}
