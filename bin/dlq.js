#!/usr/bin/env -S node --
// The `--` ends Node's own options: Node 20 otherwise looks at every argument named --env-file,
// even after the script, and exits 9 when that file is missing, before dlq can say anything
// (https://github.com/nodejs/node/issues/54232).
// Thin entry point: all logic lives in src/ (compiled to dist/ by `npm ci`'s prepare step).
// `dlq --version` alone answers before commander and the CLI load (a third of the start-up).
import { isVersionRequest, version } from '../dist/src/version.js';

if (isVersionRequest(process.argv.slice(2))) {
  process.stdout.write(`${version()}\n`);
} else {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main(process.argv);
}
