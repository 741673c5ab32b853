/**
 * dlq's version, from package.json. Import-free apart from node:fs, so `dlq --version` can answer
 * before commander and the CLI modules load (bin/dlq.js).
 */
import { readFileSync } from 'node:fs';

const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function version(): string {
  return VERSION;
}

/** `dlq --version` / `dlq -V` and nothing else: what commander would answer with the version alone. */
export function isVersionRequest(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}
