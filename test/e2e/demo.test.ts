/**
 * `npm run demo` as a newcomer runs it (issue #9, item 4): the target it announces is the one
 * replay uses and shows (--to), stderr notes follow the output they describe, and it leaves no
 * temporary directory behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/run-bin.js';

test('the demo: one announced target, used with --to; "… and N more" after its table; no /tmp/dlq-demo-* left', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dlq-demo-test-'));
  try {
    const log = join(tmp, 'demo.log');
    // stdout and stderr into one file, as a terminal shows them: order preserved.
    const fd = openSync(log, 'w');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/scripts/demo.js')], {
        env: { PATH: process.env['PATH'], TZ: 'UTC', TMPDIR: tmp },
        stdio: ['ignore', fd, fd],
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    closeSync(fd);
    const out = readFileSync(log, 'utf8');
    assert.equal(code, 0, out);
    const target = /receiver at (http:\/\/127\.0\.0\.1:\d+\/webhooks\/genesys)/.exec(out)?.[1];
    assert.ok(target, out.slice(0, 300));
    const replays = out.split('\n').filter((l) => l.startsWith('$ dlq replay'));
    assert.equal(replays.length, 2);
    for (const line of replays) assert.ok(line.includes(`--to ${target}`), line);

    const lines = out.split('\n');
    const step = lines.indexOf('$ dlq list --limit 8');
    assert.ok(step >= 0);
    assert.match(lines[step + 1] ?? '', /^DELIVERY ID +FAILED AT/);
    assert.match(lines[step + 10] ?? '', /^… and \d+ more \(use --limit\)$/, lines.slice(step, step + 12).join('\n'));

    assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('dlq-demo-')), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
