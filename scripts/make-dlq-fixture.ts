/**
 * Writes a realistic DLQ file for manual checks and the speed measurements in README.md:
 *   node dist/scripts/make-dlq-fixture.js <count> <out-path> [seed]
 */
import { writeFileSync } from 'node:fs';
import { serializeDlq } from '../src/store/dlq-file.js';
import { makeDlqEntries } from '../test/support/dlq-fixture.js';

const [countText, out, seedText = '1'] = process.argv.slice(2);
if (!countText || !out || !/^\d+$/.test(countText) || !/^\d+$/.test(seedText)) {
  process.stderr.write('usage: node dist/scripts/make-dlq-fixture.js <count> <out-path> [seed]\n');
  process.exit(2);
}
const entries = makeDlqEntries(Number(countText), { seed: Number(seedText), now: new Date() });
writeFileSync(out, serializeDlq(entries), { mode: 0o600 });
process.stderr.write(`wrote ${entries.length} entries to ${out}\n`);
