/**
 * `npm run bench`: harvest speed and merge cost, measured side by side in one run against the
 * project's local Genesys-compatible server (loopback, 20 ms latency, a rate limit).
 *
 * For each case it runs, as separate processes:
 *   (a) a naive harvester (scripts/naive-harvester.ts: pages of 20, one at a time, 200 ms pause),
 *   (b) `dlq fetch` (the built binary),
 * and prints (c) the floor the rate limit imposes: with N requests at the API's maximum page size
 * (200) and a fixed window of `allowed` requests per `window`, (ceil(N / allowed) - 1) windows.
 * The merge case times `dlq fetch` of 20,000 new failures into an empty file and into a file of
 * 100,000 entries; the difference is what the merge adds.
 *
 * Peak memory is the child's maximum RSS from /usr/bin/time (Debian package `time`) when present,
 * else sampled from /proc. Machines are noisy: compare the ratios, which come from one run.
 *
 *   npm run bench                 # all cases
 *   npm run bench -- --quick      # skip the naive harvester on the 20,000 case (it needs > 3 minutes)
 *   npm run bench -- --incremental-only   # only the nightly-run case (issue #11)
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeDlq } from '../src/store/dlq-file.js';
import { makeDlqEntries } from '../test/support/dlq-fixture.js';
import { FakeGenesys, makeFailures, type FakeGenesysOptions } from '../test/support/fake-genesys/index.js';
import { BIN } from '../test/support/run-bin.js';

const NAIVE = join(dirname(fileURLToPath(import.meta.url)), 'naive-harvester.js');
const CLIENT_ID = 'bench-client';
const SECRET = 'bench-secret';
const WEBHOOK = { id: 'b3nch000-0000-4000-8000-000000000001', name: 'BenchWebhook' };
const LIMIT = { allowed: 50, windowMs: 10_000 };
const LATENCY_MS = 20;
const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'dlq-bench-'));

interface Measured {
  wallMs: number;
  requests: number;
  historyRequests: number;
  rateLimited: number;
  peakRssMb: number | undefined;
  items: number;
}

/** Runs one child against a server made from `serverOptions` for this run, or against a running one. */
async function measure(
  serverOptions: FakeGenesysOptions | { running: FakeGenesys; url: string },
  argv: string[],
  env: NodeJS.ProcessEnv,
  items: (stdout: string) => number,
): Promise<Measured> {
  const own = !('running' in serverOptions);
  const server = own ? new FakeGenesys({ clients: { [CLIENT_ID]: SECRET }, ...serverOptions }) : serverOptions.running;
  const url = own ? (await server.start()).url : (serverOptions as { url: string }).url;
  server.resetStats();
  const timeFile = join(dir, 'time.out');
  rmSync(timeFile, { force: true });
  const useTime = existsSync('/usr/bin/time');
  const args = argv.map((a) => a.replace('{URL}', url));
  const [cmd, cmdArgs] = useTime
    ? ['/usr/bin/time', ['-o', timeFile, '-f', '%M', process.execPath, ...args]]
    : [process.execPath, args];
  const t0 = performance.now();
  const child = spawn(cmd as string, cmdArgs as string[], {
    env: { PATH: process.env['PATH'], ...env, GENESYS_GATEWAY: url },
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sampledKb = 0;
  const sampler = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) sampledKb = Math.max(sampledKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 20);
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - t0;
  if (sampler) clearInterval(sampler);
  if (own) await server.stop();
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  const kb = useTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : sampledKb;
  const s = server.stats.requests;
  return {
    wallMs,
    requests: s.search + s.history + s.integrations + s.other,
    historyRequests: s.history,
    rateLimited: server.stats.rateLimited,
    peakRssMb: kb > 0 ? kb / 1024 : undefined,
    items: items(stdout),
  };
}

const dlqEnv = (file: string) => ({ GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, DLQ_FILE: file });
const dlqArgs = [BIN, 'fetch', '--webhook', WEBHOOK.name, '--json', '--quiet'];
const fetchedOf = (stdout: string) => (JSON.parse(stdout) as { fetched: number }).fetched;

function floorMs(failures: number): number {
  const requests = Math.ceil(failures / 200) + 1; // history pages + the name search
  return (Math.ceil(requests / LIMIT.allowed) - 1) * LIMIT.windowMs;
}

const rows: string[][] = [];
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (m: Measured) => (m.peakRssMb === undefined ? 'n/a' : `${Math.round(m.peakRssMb)} MB`);
function row(label: string, who: string, m: Measured | undefined, extra = ''): void {
  rows.push(m ? [label, who, fmt(m.wallMs), String(m.requests), String(m.rateLimited), mb(m), String(m.items), extra] : [label, who, '', '', '', '', '', extra]);
}

async function harvestCase(failures: number, runNaive: boolean): Promise<void> {
  const label = `${failures.toLocaleString('en-US')} failures, ${LATENCY_MS} ms, ${LIMIT.allowed}/${LIMIT.windowMs / 1000}s`;
  const server: FakeGenesysOptions = {
    integrations: [{ ...WEBHOOK, failures: makeFailures(failures, { seed: failures }) }],
    latencyMs: LATENCY_MS,
    rateLimit: LIMIT,
  };
  process.stderr.write(`bench: ${label}\n`);
  let naive: Measured | undefined;
  if (runNaive) {
    naive = await measure(server, [NAIVE, '{URL}', CLIENT_ID, SECRET, WEBHOOK.id, join(dir, 'naive.json')], {}, (o) => (JSON.parse(o) as { items: number }).items);
  }
  const file = join(dir, `harvest-${failures}.json`);
  rmSync(file, { force: true });
  const dlq = await measure(server, dlqArgs, dlqEnv(file), fetchedOf);
  const floor = floorMs(failures);
  row(label, '(a) naive: pages of 20, sequential', naive, naive ? `${(naive.wallMs / dlq.wallMs).toFixed(1)}× slower than dlq` : 'skipped (--quick)');
  row('', '(b) dlq fetch', dlq, floor > 0 ? `${(dlq.wallMs / floor).toFixed(3)}× the floor` : '');
  rows.push(['', '(c) rate-limit floor', fmt(floor), String(Math.ceil(failures / 200) + 1), '0', '', '', '(ceil(N/allowed)-1) windows']);
}

async function mergeCase(): Promise<void> {
  const label = '20,000 new into 100,000 entries, 20 ms, no limit';
  process.stderr.write(`bench: ${label}\n`);
  const server: FakeGenesysOptions = { integrations: [{ ...WEBHOOK, failures: makeFailures(20_000, { seed: 77 }) }], latencyMs: LATENCY_MS };
  const empty = join(dir, 'merge-empty.json');
  const big = join(dir, 'merge-100k.json');
  rmSync(empty, { force: true });
  writeFileSync(big, serializeDlq(makeDlqEntries(100_000, { seed: 5, now: new Date() })), { mode: 0o600 });
  const intoEmpty = await measure(server, dlqArgs, dlqEnv(empty), fetchedOf);
  const intoBig = await measure(server, dlqArgs, dlqEnv(big), fetchedOf);
  row(label, '(b) dlq fetch into an empty file', intoEmpty);
  row('', '(b) dlq fetch into 100,000 entries', intoBig, `merge adds ${fmt(intoBig.wallMs - intoEmpty.wallMs)}`);
}

/**
 * Issue #11's nightly run: 20,000 failures harvested completely, then 150 new ones. The plain
 * (incremental) run must make at most 3 history requests, add exactly the 150, and leave the
 * same entries as a full pass over a copy of the same file (first/last_seen_at aside).
 */
async function incrementalCase(): Promise<void> {
  const label = '20,000 stored + 150 new, 20 ms, 50/10s';
  process.stderr.write(`bench: ${label}\n`);
  const server = new FakeGenesys({
    clients: { [CLIENT_ID]: SECRET },
    integrations: [{ ...WEBHOOK, failures: makeFailures(20_000, { seed: 20_000 }) }],
    latencyMs: LATENCY_MS,
    rateLimit: LIMIT,
  });
  const { url } = await server.start();
  const running = { running: server, url };
  const file = join(dir, 'nightly.json');
  const copy = join(dir, 'nightly-full.json');
  rmSync(file, { force: true });
  const newOf = (o: string) => (JSON.parse(o) as { new: number }).new;
  const first = await measure(running, dlqArgs, dlqEnv(file), newOf);
  copyFileSync(file, copy);
  copyFileSync(`${file}.state.json`, `${copy}.state.json`);
  server.addFailures(WEBHOOK.id, makeFailures(150, { seed: 150, startTime: new Date('2026-11-23T12:00:00Z') }));
  const nightly = await measure(running, dlqArgs, dlqEnv(file), newOf);
  const full = await measure(running, [...dlqArgs, '--full'], dlqEnv(copy), newOf);
  await server.stop();
  const strip = (path: string) =>
    (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[]).map(({ first_seen_at: _f, last_seen_at: _l, ...rest }) => JSON.stringify(rest));
  const same = JSON.stringify(strip(file)) === JSON.stringify(strip(copy));
  row(label, '(b) dlq fetch, first (full) run', first, `${first.historyRequests} history requests`);
  row('', '(b) dlq fetch, next run (incremental)', nightly, `${nightly.historyRequests} history requests, ${nightly.items} added`);
  row('', '(b) dlq fetch --full on a copy', full, `${full.historyRequests} history requests; same file: ${same ? 'yes' : 'NO'}`);
  if (nightly.historyRequests > 3 || nightly.items !== 150 || !same) process.exitCode = 1;
}

async function main(): Promise<void> {
  await incrementalCase();
  if (process.argv.includes('--incremental-only')) return printRows();
  await harvestCase(3_000, true);
  await harvestCase(20_000, !quick);
  await mergeCase();
  printRows();
}

function printRows(): void {
  const header = ['case', 'run', 'wall', 'requests', '429s', 'peak RSS', 'items', 'ratio / note'];
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
  process.stdout.write(`\nnode ${process.version}, ${new Date().toISOString()}\n\n${lines.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
