import type { Io } from '../io.js';

export interface FetchOptions {
  [flag: string]: unknown;
}

export async function fetchCommand(_options: FetchOptions, _io: Io): Promise<number> {
  throw new Error('fetch: not implemented yet');
}
