/**
 * Writes a realistic DLQ file for manual checks and the speed measurements in README.md:
 *   node dist/scripts/make-dlq-fixture.js <count> <out-path> [seed] [--no-index]
 * It goes through the store (updateDlqFile), so the file gets its sidecar index like one written
 * by `dlq fetch`; --no-index writes the bare file instead (for timing the full-read path).
 */
import { writeFileSync } from 'node:fs';
import { serializeDlq, updateDlqFile } from '../src/store/dlq-file.js';
import { makeDlqEntries } from '../test/support/dlq-fixture.js';

const args = process.argv.slice(2);
const noIndex = args.includes('--no-index');
const [countText, out, seedText = '1'] = args.filter((a) => a !== '--no-index');
if (!countText || !out || !/^\d+$/.test(countText) || !/^\d+$/.test(seedText)) {
  process.stderr.write('usage: node dist/scripts/make-dlq-fixture.js <count> <out-path> [seed] [--no-index]\n');
  process.exit(2);
}
const entries = makeDlqEntries(Number(countText), { seed: Number(seedText), now: new Date() });
if (noIndex) writeFileSync(out, serializeDlq(entries), { mode: 0o600 });
else await updateDlqFile(out, () => ({ entries, result: undefined }));
process.stderr.write(`wrote ${entries.length} entries to ${out}\n`);
