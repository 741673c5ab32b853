/**
 * Child process for the store's multi-process tests (kill -9 loop, concurrent writers, SIGSTOP).
 * Usage: node store-worker.js '<json config>'. Prints one line per event on stdout:
 * `locked` when inside an update, `committed <n>` after each successful write.
 * Exits with the DlqError's exit code on failure (75 busy, 6 file error).
 */
import { isDlqError } from '../../src/errors.js';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { updateDlqFile } from '../../src/store/dlq-file.js';

interface Config {
  file: string;
  /** Prefix of the ids this worker adds (unique per worker run). */
  prefix: string;
  /** Number of updates; 0 = forever (until killed). */
  rounds: number;
  /** New entries per update. */
  perRound: number;
  /** Bytes of request_body per new entry (to make writes take a while). */
  bodyBytes?: number;
  /** Also rewrite existing entries: flip replay_status and bump a shared counter entry. */
  touchExisting?: boolean;
  /** Milliseconds to wait inside the update callback (lock held) before returning. */
  holdMs?: number;
  staleMs?: number;
  lockTimeoutMs?: number;
  chunkedThresholdBytes?: number;
  writeChunkBytes?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const body = 'b'.repeat(config.bodyBytes ?? 100);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  for (let round = 0; config.rounds === 0 || round < config.rounds; round++) {
    const added = await updateDlqFile(
      config.file,
      async ({ entries }) => {
        process.stdout.write('locked\n');
        if (config.holdMs) await sleep(config.holdMs);
        const next: DlqEntry[] = entries.map((entry) => {
          if (!config.touchExisting) return entry;
          if (entry.delivery_id === 'counter') return { ...entry, count: (entry['count'] as number) + 1 };
          if (entry.delivery_id.startsWith(`${config.prefix}-`) && entry.replay_status === 'pending') {
            return { ...entry, replay_status: 'succeeded' };
          }
          return entry;
        });
        if (config.touchExisting && !next.some((e) => e.delivery_id === 'counter')) {
          next.unshift({ delivery_id: 'counter', count: 1 });
        }
        for (let j = 0; j < config.perRound; j++) {
          next.push({
            delivery_id: `${config.prefix}-${round}-${j}`,
            timestamp: new Date().toISOString(),
            status_code: 503,
            request_body: `{"round":${round},"j":${j},"note":"é ] , { \\" ${body}"}`,
            replay_status: 'pending',
            worker_extra: { pid: process.pid },
          });
        }
        return { entries: next, result: config.perRound };
      },
      {
        ...(config.staleMs !== undefined ? { staleMs: config.staleMs } : {}),
        lockTimeoutMs: config.lockTimeoutMs ?? 30_000,
        ...(config.chunkedThresholdBytes !== undefined ? { chunkedThresholdBytes: config.chunkedThresholdBytes } : {}),
        ...(config.writeChunkBytes !== undefined ? { writeChunkBytes: config.writeChunkBytes } : {}),
      },
    );
    process.stdout.write(`committed ${added}\n`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(isDlqError(error) ? error.exitCode : 1);
  },
);
