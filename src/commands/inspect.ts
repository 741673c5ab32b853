import type { Io } from '../io.js';

export interface InspectOptions {
  [flag: string]: unknown;
}

export async function inspectCommand(_options: InspectOptions, _io: Io): Promise<number> {
  throw new Error('inspect: not implemented yet');
}
