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
 *   npm run bench -- --replay     # only the replay throughput case (issue #13)
 *   npm run bench -- --postgres   # only the PostgreSQL store with 1,000,000 entries (issue #15)
 *   npm run bench -- --postgres-reads   # of those, only `list` and `inspect` (no fetch, no replay)
 *   npm run bench -- --postgres-lifecycle   # resolve and prune on 1,000,000 entries in PostgreSQL
 *
 * DLQ_BENCH_POSTGRES_URL=postgres://…/db runs the PostgreSQL cases against that database instead
 * of a throwaway server, loading the 1,000,000 fixture entries only when it holds none (so a
 * second run skips the minutes of loading); the role must be allowed to CREATE DATABASE for the
 * fetch and replay cases' own databases.
 *
 * The PostgreSQL cases run against a throwaway server started like the tests' own
 * (test/support/postgres-server.ts: loopback, fsync off): fetch-merge of 1,000 new failures into
 * 1,000,000 entries (and into an empty database: the difference is the merge), `list --status-code
 * 503 --limit 20`, `inspect <8-char prefix>`, `replay --dry-run` (counted in SQL), a real `replay
 * --limit 2000` (time to the first request), `store copy` of the 1,000,000 entries to another database
 * and to a file, and 4 `dlq replay` processes sending 10,000 entries to a loopback receiver
 * (duplicates and misses counted from what the receiver got). `list` and
 * `inspect` run REPEATS times each, alternating: the row shows the median wall time, its range,
 * and the largest peak RSS; the machine's load average is printed with the results.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeDlq } from '../src/store/dlq-file.js';
import { openStore } from '../src/store/open-store.js';
import { entry as replayEntry } from '../test/replay/helpers.js';
import { startPostgresServer } from '../test/support/postgres-server.js';
import { makeDlqEntries } from '../test/support/dlq-fixture.js';
import { FakeGenesys, makeFailures, type FakeGenesysOptions } from '../test/support/fake-genesys/index.js';
import { startReceiver } from '../test/support/receiver.js';
import { BIN } from '../test/support/run-bin.js';

const NAIVE = join(dirname(fileURLToPath(import.meta.url)), 'naive-harvester.js');
const BARE_REPLAYER = join(dirname(fileURLToPath(import.meta.url)), 'bare-replayer.js');
const CLIENT_ID = 'bench-client';
const SECRET = 'bench-secret';
const WEBHOOK = { id: 'b3nch000-0000-4000-8000-000000000001', name: 'BenchWebhook' };
const LIMIT = { allowed: 50, windowMs: 10_000 };
const LATENCY_MS = 20;
const quick = process.argv.includes('--quick');
const onlyReplay = process.argv.includes('--replay');
const onlyPostgresReads = process.argv.includes('--postgres-reads');
const onlyPostgres = process.argv.includes('--postgres') || onlyPostgresReads;
const onlyIncremental = process.argv.includes('--incremental-only');
const onlyPostgresLifecycle = process.argv.includes('--postgres-lifecycle');
const dir = mkdtempSync(join(tmpdir(), 'dlq-bench-'));
let loadBefore = '';

interface Measured {
  wallMs: number;
  requests: number;
  historyRequests: number;
  rateLimited: number;
  peakRssMb: number | undefined;
  items: number;
}

interface Run {
  wallMs: number;
  peakRssMb: number | undefined;
  /** user + system CPU time (with /usr/bin/time only). */
  cpuMs: number | undefined;
  stdout: string;
}

/** Runs `node <args>` as a child process: wall time, peak RSS, stdout. A non-zero exit throws. */
async function runMeasured(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const timeFile = join(dir, 'time.out');
  rmSync(timeFile, { force: true });
  const useTime = existsSync('/usr/bin/time');
  const [cmd, cmdArgs] = useTime
    ? ['/usr/bin/time', ['-o', timeFile, '-f', '%M %U %S', process.execPath, ...args]]
    : [process.execPath, args];
  const t0 = performance.now();
  const child = spawn(cmd as string, cmdArgs as string[], {
    env: { PATH: process.env['PATH'], ...env },
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
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  // "maxRSS-KB user-s sys-s" (the last line: earlier ones may be the child's own messages).
  const [kb = sampledKb, user, sys] = useTime
    ? (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number)
    : [sampledKb];
  const cpuMs = user !== undefined && sys !== undefined ? (user + sys) * 1000 : undefined;
  return { wallMs, peakRssMb: kb > 0 ? kb / 1024 : undefined, cpuMs, stdout };
}

/** Runs `dlq` (or the naive harvester) against a server made from `serverOptions` for this run, or against a running one. */
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
  let run: Run;
  try {
    run = await runMeasured(
      argv.map((a) => a.replace('{URL}', url)),
      { ...env, GENESYS_GATEWAY: url },
    );
  } finally {
    if (own) await server.stop();
  }
  const s = server.stats.requests;
  return {
    wallMs: run.wallMs,
    requests: s.search + s.history + s.integrations + s.other,
    historyRequests: s.history,
    rateLimited: server.stats.rateLimited,
    peakRssMb: run.peakRssMb,
    items: items(run.stdout),
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

/**
 * Issue #13: 10,000 deliveries to a loopback receiver answering after 20 ms, --concurrency 64.
 * The ideal is 64 / 20 ms = 3,200/s. The replay's own durationMs runs from its first request to
 * the end of its final save, so the state saves every 2 s are inside it; the process wall adds
 * Node's start-up and reading the 10,000-entry file.
 */
async function replayCase(): Promise<void> {
  const count = 10_000;
  const concurrency = 64;
  const rounds = 3;
  const ideal = concurrency / (LATENCY_MS / 1000);
  const label = `${count.toLocaleString('en-US')} replays, ${LATENCY_MS} ms receiver, --concurrency ${concurrency}`;
  process.stderr.write(`bench: ${label}, ${rounds} rounds\n`);
  const file = join(dir, 'replay.json');
  // Every entry pending with a payload, so all 10,000 are sent.
  const entries = makeDlqEntries(count, { seed: 13, now: new Date() }).map((e) => ({
    ...e,
    request_body: typeof e.request_body === 'string' ? e.request_body : '{}',
    replay_status: 'pending' as const,
    replays: [],
  }));
  const receiver = await startCountingReceiver(LATENCY_MS);
  const dlqRuns: { run: Run; durationMs: number; succeeded: number; received: number; distinct: number }[] = [];
  const bareRuns: { run: Run; durationMs: number }[] = [];
  try {
    // Alternating, so a change in the machine's load hits both alike (the ratio is per round).
    for (let round = 0; round < rounds; round++) {
      // A fresh file each round, written through the store as `dlq fetch` writes it (with its
      // sidecar index), not by hand.
      rmSync(file, { force: true });
      rmSync(`${file}.idx`, { force: true });
      const store = await openStore({ file }, {}, dir);
      try {
        await store.putEntries(entries, {});
      } finally {
        await store.close();
      }
      receiver.reset();
      const run = await runMeasured([BIN, 'replay', '--to', receiver.url, '--concurrency', String(concurrency), '--json', '--quiet'], { DLQ_FILE: file });
      const summary = JSON.parse(run.stdout) as { succeeded: number; durationMs: number };
      dlqRuns.push({ run, durationMs: summary.durationMs, succeeded: summary.succeeded, received: receiver.requests, distinct: receiver.distinct() });
      const bare = await runMeasured([BARE_REPLAYER, receiver.url, String(count), String(concurrency)], {});
      bareRuns.push({ run: bare, durationMs: (JSON.parse(bare.stdout) as { durationMs: number }).durationMs });
    }
  } finally {
    await receiver.close();
  }
  const pct = (rate: number) => `${Math.round((rate / ideal) * 100)}%`;
  const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
  const dlqRates = dlqRuns.map((r) => perSecondOf(r.succeeded, r.durationMs));
  const bareRates = bareRuns.map((r) => perSecondOf(count, r.durationMs));
  const ratios = dlqRates.map((r, i) => r / (bareRates[i] as number));
  const mid = <T>(values: T[], key: (v: T) => number): T => [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)] as T;
  const dlqMid = mid(dlqRuns, (r) => r.durationMs);
  const bareMid = mid(bareRuns, (r) => r.durationMs);
  const medianRate = perSecondOf(dlqMid.succeeded, dlqMid.durationMs);
  const medianBare = perSecondOf(count, bareMid.durationMs);
  const peak = (runs: { run: Run }[]) => {
    const values = runs.map((r) => r.run.peakRssMb).filter((v): v is number => v !== undefined);
    return values.length === 0 ? 'n/a' : `${Math.round(Math.max(...values))} MB`;
  };
  const cpu = (runs: { run: Run }[]) => {
    const values = runs.map((r) => r.run.cpuMs).filter((v): v is number => v !== undefined);
    return values.length === 0 ? '' : `; CPU ${values.map((v) => Math.round((v * 1000) / count)).join(' / ')} µs a delivery`;
  };
  rows.push([
    label,
    `(d) dlq replay: the run (saves included), median of ${rounds}`,
    fmt(dlqMid.durationMs),
    dlqRuns.map((r) => r.received).join(' / '),
    '0',
    peak(dlqRuns),
    dlqRuns.map((r) => r.succeeded).join(' / '),
    `${rate(medianRate)} = ${pct(medianRate)} of the ideal ${ideal.toLocaleString('en-US')}/s (rounds: ${dlqRates.map(pct).join(' / ')}); ` +
      `${ratios.map((r) => r.toFixed(2)).join(' / ')}× the bare client; ${dlqRuns.map((r) => r.received - r.distinct).join(' / ')} ids received twice`,
  ]);
  rows.push(['', '(d) the whole process (start-up, file read)', fmt(dlqMid.run.wallMs), '', '', '', '', `${rate(perSecondOf(dlqMid.succeeded, dlqMid.run.wallMs))}${cpu(dlqRuns)}`]);
  rows.push([
    '',
    `(e) bare client: POSTs only, same receiver, median of ${rounds}`,
    fmt(bareMid.durationMs),
    String(count),
    '0',
    peak(bareRuns),
    String(count),
    `${rate(medianBare)} = ${pct(medianBare)} (rounds: ${bareRates.map(pct).join(' / ')}): what the machine allowed then${cpu(bareRuns)}`,
  ]);
  if (dlqRuns.some((r) => r.succeeded !== count || r.received !== r.distinct)) process.exitCode = 1;
}

/**
 * The replay case's receiver: answers every POST with 200 after `latencyMs` and only counts
 * (requests, and distinct X-DLQ-Delivery-Id values). The test receiver (test/support/receiver.ts)
 * keeps every request's headers and body for assertions, which on this 2-core machine costs CPU
 * that both clients then compete with; a bench stand-in for the endpoint needs none of it.
 */
async function startCountingReceiver(latencyMs: number): Promise<{ url: string; requests: number; distinct(): number; reset(): void; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const ids = new Set<string>();
  const state = {
    url: '',
    requests: 0,
    distinct: () => ids.size,
    reset: () => {
      state.requests = 0;
      ids.clear();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((req, res) => {
    state.requests++;
    const id = req.headers['x-dlq-delivery-id'];
    if (typeof id === 'string') ids.add(id);
    req.resume();
    req.on('end', () => setTimeout(() => res.end('{"ok":true}'), latencyMs));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return state;
}

const perSecondOf = (n: number, ms: number) => n / (ms / 1000);

/** Loads `count` fixture entries into the store at `url`, in batches (bounded memory). */
async function loadStore(url: string, count: number, make: (n: number, batch: number) => import('../src/dlq-entry.js').DlqEntry[]): Promise<void> {
  const store = await openStore({ store: url }, {}, dir);
  try {
    const BATCH = 10_000;
    for (let done = 0, batch = 0; done < count; done += BATCH, batch++) {
      await store.putEntries(make(Math.min(BATCH, count - done), batch), {});
      if (batch % 10 === 0) process.stderr.write(`bench: loaded ${(done + BATCH).toLocaleString('en-US')} entries\n`);
    }
  } finally {
    await store.close();
  }
  // What autovacuum does to a table this size soon after: statistics and the visibility map
  // (without it, counting the rows a filter matches visits the heap). Not measured.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('VACUUM ANALYZE dlq_entries');
  await client.query('VACUUM ANALYZE dlq_replays');
  await client.end();
}

/** Runs of one command: how many, and the median of their wall times. */
const REPEATS = 5;

/** `runs` of one command as one row: median wall, the range, and the largest peak RSS. */
function repeatedRow(label: string, who: string, runs: Measured[], note = ''): void {
  const walls = runs.map((m) => m.wallMs).sort((a, b) => a - b);
  const median = walls[Math.floor((walls.length - 1) / 2)] as number;
  const rss = runs.map((m) => m.peakRssMb ?? 0);
  const peak = Math.max(...rss);
  const range = `median of ${runs.length} (${fmt(walls[0] as number)}–${fmt(walls[walls.length - 1] as number)})`;
  rows.push([label, who, fmt(median), String(runs[0]?.requests ?? 0), '0', peak > 0 ? `${Math.round(peak)} MB` : 'n/a', String(runs[0]?.items ?? ''), note ? `${range}; ${note}` : range]);
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A database made for one case, on the throwaway server or next to DLQ_BENCH_POSTGRES_URL's. */
async function makeDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function postgresCases(): Promise<void> {
  const given = process.env['DLQ_BENCH_POSTGRES_URL'];
  const server = given ? undefined : await startPostgresServer();
  try {
    const adminUrl = given ?? (server as { adminUrl: string }).adminUrl;
    const big = given ?? (await makeDatabase(adminUrl, 'bench_1m'));
    const label = '1,000,000 entries in PostgreSQL';
    const now = new Date();
    /** The entry count, and the 8-character prefix `inspect` looks up (the first id). */
    const firstPage = async () => {
      const store = await openStore({ store: big }, {}, dir);
      try {
        return await store.listEntries({ filter: {}, now, sort: 'delivery_id', reverse: false, limit: 1, whole: false, names: false });
      } finally {
        await store.close();
      }
    };
    const present = (await firstPage()).matches;
    if (present === 0) {
      process.stderr.write(`bench: ${label}: loading (a few minutes)\n`);
      await loadStore(big, 1_000_000, (n, batch) => makeDlqEntries(n, { seed: 1000 + batch, now }));
    } else {
      process.stderr.write(`bench: ${label}: the database already holds ${present.toLocaleString('en-US')} entries\n`);
    }
    const pgEnv = (url: string) => ({ GENESYS_CLIENT_ID: CLIENT_ID, GENESYS_CLIENT_SECRET: SECRET, DLQ_STORE: url });
    const noServer: FakeGenesysOptions = { integrations: [] };
    if (!onlyPostgresReads) {
      const empty = await makeDatabase(adminUrl, 'bench_empty');
      const fetchServer: FakeGenesysOptions = { integrations: [{ ...WEBHOOK, failures: makeFailures(1_000, { seed: 99 }) }], latencyMs: LATENCY_MS };
      // The empty database first: its schema is created by that run, as a first run would.
      const intoEmpty = await measure(fetchServer, dlqArgs, pgEnv(empty), fetchedOf);
      const intoBig = await measure(fetchServer, dlqArgs, pgEnv(big), fetchedOf);
      row(label, 'dlq fetch of 1,000 new into an empty database', intoEmpty);
      row('', 'dlq fetch of 1,000 new into 1,000,000 entries', intoBig, `merge adds ${fmt(intoBig.wallMs - intoEmpty.wallMs)}`);
    }
    const lines = (stdout: string) => stdout.split('\n').filter((l) => l !== '').length;
    const prefix = ((await firstPage()).rows[0]?.delivery_id ?? '').slice(0, 8);
    const lists: Measured[] = [];
    const inspects: Measured[] = [];
    const starts: Measured[] = [];
    for (let i = 0; i < REPEATS; i++) {
      lists.push(await measure(noServer, [BIN, 'list', '--status-code', '503', '--limit', '20'], pgEnv(big), (out) => lines(out) - 1));
      inspects.push(await measure(noServer, [BIN, 'inspect', prefix, '--json'], pgEnv(big), (out) => (out.length > 0 ? 1 : 0)));
      starts.push(await measure(noServer, [BIN, '--version'], {}, lines));
    }
    repeatedRow(onlyPostgresReads ? label : '', 'dlq list --status-code 503 --limit 20', lists);
    repeatedRow('', 'dlq inspect <8-char prefix>', inspects);
    repeatedRow('', 'dlq --version (Node start-up alone, for scale)', starts);
    if (onlyPostgresReads) return;

    // Replay over 1,000,000 entries: the selection is counted in SQL and claimed a few at a time.
    const totalOf = (out: string) => (JSON.parse(out) as { total: number }).total;
    const dries: Measured[] = [];
    for (let i = 0; i < 3; i++) dries.push(await measure(noServer, [BIN, 'replay', '--to', 'http://127.0.0.1:9/hook', '--dry-run', '--json'], pgEnv(big), totalOf));
    repeatedRow('', 'dlq replay --dry-run (every entry a candidate)', dries);
    const dryNewest = await measure(noServer, [BIN, 'replay', '--to', 'http://127.0.0.1:9/hook', '--dry-run', '--json', '--status-code', '5xx', '--order', 'newest', '--limit', '1000'], pgEnv(big), totalOf);
    row('', 'dlq replay --dry-run --status-code 5xx --order newest --limit 1000', dryNewest);
    const startReceiver2 = await startReceiver(() => ({ status: 200 }));
    try {
      const t0 = performance.now();
      const started = await measure(noServer, [BIN, 'replay', '--to', startReceiver2.url, '--limit', '2000', '--concurrency', '8', '--json', '--quiet'], pgEnv(big), (out) => (JSON.parse(out) as { succeeded: number }).succeeded);
      const first = startReceiver2.requests[0];
      row('', 'dlq replay --limit 2000 (a real run over 1,000,000)', started, first ? `first request ${fmt(first.receivedAt - t0)} after start` : 'no request');
    } finally {
      await startReceiver2.close();
    }

    // store copy streams both ways: PostgreSQL → PostgreSQL and PostgreSQL → file.
    const copiedOf = (out: string) => (JSON.parse(out) as { copied: number; verified: number }).verified;
    const copyDb = await makeDatabase(adminUrl, 'bench_copy');
    const toPg = await measure(noServer, [BIN, 'store', 'copy', big, copyDb, '--json', '--quiet'], {}, copiedOf);
    row('', 'dlq store copy postgres → postgres (empty)', toPg);
    const copyFile = join(dir, 'copy.json');
    const toFile = await measure(noServer, [BIN, 'store', 'copy', big, `file:${copyFile}`, '--json', '--quiet'], {}, copiedOf);
    row('', 'dlq store copy postgres → file (new file)', toFile);
    rmSync(copyFile, { force: true });

    const replayDb = await makeDatabase(adminUrl, 'bench_replay');
    await loadStore(replayDb, 10_000, (n, batch) => Array.from({ length: n }, (_, i) => replayEntry(`r-${batch}-${String(i).padStart(5, '0')}`)));
    const receiver = await startReceiver(() => ({ status: 200 }));
    try {
      const t0 = performance.now();
      const runs = await Promise.all(
        [0, 1, 2, 3].map(() => measure(noServer, [BIN, 'replay', '--to', receiver.url, '--concurrency', '8', '--json', '--quiet'], pgEnv(replayDb), (out) => (JSON.parse(out) as { succeeded: number }).succeeded)),
      );
      const wall = performance.now() - t0;
      const sent = receiver.requests.map((r) => String(r.headers['idempotency-key']));
      const unique = new Set(sent).size;
      runs.forEach((m, i) =>
        row(i === 0 ? '10,000 entries, 4 replay processes' : '', `dlq replay #${i + 1}`, m, i === 0 ? `all 4: ${fmt(wall)}, ${sent.length - unique} duplicates, ${10_000 - unique} misses` : ''),
      );
    } finally {
      await receiver.close();
    }
  } finally {
    await server?.stop();
  }
}

/**
 * resolve and prune on 1,000,000 entries in PostgreSQL (issue #15): neither reads the table into
 * memory (resolve is UPDATEs; prune streams the rows to the archive a batch at a time), so peak
 * RSS stays flat however many entries they touch.
 */
async function postgresLifecycleCases(): Promise<void> {
  const server = await startPostgresServer();
  try {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bench_lifecycle');
    await admin.end();
    const u = new URL(server.adminUrl);
    u.pathname = '/bench_lifecycle';
    const url = u.toString();
    const label = '1,000,000 entries in PostgreSQL';
    process.stderr.write(`bench: ${label}: loading (a few minutes)\n`);
    const now = new Date();
    await loadStore(url, 1_000_000, (n, batch) => makeDlqEntries(n, { seed: 1000 + batch, now }));
    const env = { DLQ_STORE: url };
    const noServer: FakeGenesysOptions = { integrations: [] };
    const json = (key: string) => (out: string) => (JSON.parse(out) as Record<string, number>)[key] ?? 0;
    const cases: [string, string[], (out: string) => number][] = [
      ['dlq resolve --status-code 404', ['resolve', '--status-code', '404', '--json'], json('changed')],
      ['dlq resolve --undo --status-code 404', ['resolve', '--undo', '--status-code', '404', '--json'], json('changed')],
      ['dlq prune --older-than 15d --dry-run', ['prune', '--older-than', '15d', '--dry-run', '--json'], json('pruned')],
      ['dlq prune --older-than 15d --archive a.ndjson.gz', ['prune', '--older-than', '15d', '--archive', 'a.ndjson.gz', '--json'], json('pruned')],
      ['dlq prune --all --archive b.ndjson', ['prune', '--all', '--archive', 'b.ndjson', '--json'], json('pruned')],
    ];
    for (const [i, [what, args, items]] of cases.entries()) {
      const m = await measure(noServer, [BIN, ...args], env, items);
      row(i === 0 ? label : '', what, m);
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  loadBefore = loadAverage();
  if (onlyPostgresLifecycle) {
    await postgresLifecycleCases();
  } else if (onlyPostgres) {
    await postgresCases();
  } else if (onlyReplay) {
    await replayCase();
  } else if (onlyIncremental) {
    await incrementalCase();
  } else {
    await incrementalCase();
    await harvestCase(3_000, true);
    await harvestCase(20_000, !quick);
    await mergeCase();
    await replayCase();
  }
  const loadAfter = loadAverage();
  const header = ['case', 'run', 'wall', 'requests', '429s', 'peak RSS', 'items', 'ratio / note'];
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
  process.stdout.write(`\nnode ${process.version}, ${new Date().toISOString()}, load average ${loadBefore} at the start, ${loadAfter} at the end\n\n${lines.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
