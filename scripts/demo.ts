/**
 * `npm run demo`: a full tour with no credentials. Starts the project's local Genesys-compatible
 * server (with a rate limit and a few injected faults) and a local receiver, then runs the real
 * CLI against them: fetch, list, group-by, inspect, replay --dry-run, replay.
 * Everything happens on loopback, in a temporary directory removed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGenesys, makeFailures } from '../test/support/fake-genesys/index.js';
import { startReceiver } from '../test/support/receiver.js';
import { BIN } from '../test/support/run-bin.js';

const CLIENT_ID = 'demo-client';
const CLIENT_SECRET = 'demo-secret';

async function main(): Promise<void> {
  const failures = makeFailures(650, { seed: 2026 });
  const genesys = new FakeGenesys({
    clients: { [CLIENT_ID]: CLIENT_SECRET },
    integrations: [
      { id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', name: 'MyCriticalWebhook', failures },
      { id: '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', name: 'MyCriticalWebhook (staging)', failures: makeFailures(20, { seed: 7 }) },
    ],
    latencyMs: 30,
    rateLimit: { allowed: 300, windowMs: 60_000 },
    faults: [
      { route: 'history', kind: 'status', status: 429, retryAfter: '1', page: 2 },
      { route: 'history', kind: 'status', status: 503, page: 3 },
    ],
  });
  const { url } = await genesys.start();
  // The receiver has "recovered" except for one delivery it rejects for good.
  let rejectOne = '';
  const receiver = await startReceiver((req) =>
    String(req.headers['x-dlq-delivery-id']) === rejectOne ? { status: 422, body: '{"error":"unknown order"}' } : { status: 200 },
  );
  const target = `${new URL(receiver.url).origin}/webhooks/genesys`;
  const dir = mkdtempSync(join(tmpdir(), 'dlq-demo-'));
  try {
    await tour(url, target, dir, () => receiver.requests.length, (id) => (rejectOne = id));
  } finally {
    await receiver.close();
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function tour(url: string, target: string, dir: string, received: () => number, rejectForGood: (id: string) => void): Promise<void> {
  const env = {
    ...process.env,
    GENESYS_CLIENT_ID: CLIENT_ID,
    GENESYS_CLIENT_SECRET: CLIENT_SECRET,
    GENESYS_GATEWAY: url,
    DLQ_FILE: join(dir, 'dead_letter_queue.json'),
  };
  const bold = (text: string) => (process.stderr.isTTY && !process.env['NO_COLOR'] ? `\x1b[1m${text}\x1b[0m` : text);
  // The servers live in this process, so the CLI runs as an async child (spawnSync would block
  // them). Its stdout and stderr are the terminal's own, so they stay in the order written
  // ("… and 642 more" after the table); only a step whose output the tour needs is captured.
  const run = (args: string[], capture = false): Promise<string> =>
    new Promise((resolve, reject) => {
      process.stderr.write(`\n${bold(`$ dlq ${args.map((a) => (/[\s"'$()]/.test(a) ? `'${a}'` : a)).join(' ')}`)}\n`);
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        out += chunk;
        process.stdout.write(chunk);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        process.stderr.write(`(exit ${code})\n`);
        resolve(out);
      });
    });

  process.stderr.write(`demo: local Genesys-compatible server at ${url}, receiver at ${target}, files in ${dir} (removed at the end)\n`);
  await run(['fetch', '--webhook', 'MyCriticalWebhook']);
  await run(['fetch', '--webhook', 'MyCriticalWebhook', '--json', '--quiet']);
  await run(['list', '--limit', '8']);
  await run(['list', '--group-by', 'status_code']);
  const ids = (await run(['list', '--status-code', '5xx', '--limit', '3', '--ids'], true)).trim().split('\n');
  const first = ids[0] ?? '';
  await run(['inspect', first.slice(0, 8)]);
  await run(['replay', '--to', target, '--dry-run', '--status-code', '5xx']);
  const rejected = ids[1] ?? '';
  rejectForGood(rejected);
  process.stderr.write(`\ndemo: the receiver now rejects ${rejected} for good (HTTP 422), so this replay ends with exit 7, as a CI job would see it\n`);
  await run(['replay', '--to', target, '--status-code', '5xx', '--since', '30d']);
  await run(['list', '--group-by', 'replay_status']);
  process.stderr.write(`\ndemo: the receiver got ${received()} requests; removing ${dir}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
