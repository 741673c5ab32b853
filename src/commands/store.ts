/**
 * `dlq store migrate` and `dlq store copy <from> <to>` (issue #15).
 *
 * copy merges by delivery_id: entries missing at the destination are added, entries there are
 * replaced by the source's version, others at the destination are kept. Running it twice changes
 * nothing the second time. It streams: the source is read in batches (keyset pages on PostgreSQL)
 * and written in batches (one INSERT … ON CONFLICT transaction per batch on PostgreSQL; one atomic
 * rewrite fed batch by batch for a file). The destination reads back what it wrote and checks it
 * (each batch's rows on PostgreSQL, the file's bytes for a file): exit 6 when anything differs.
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import { DlqFileError, ExitCode, StoreError } from '../errors.js';
import type { Io } from '../io.js';
import { createReporter } from '../output/reporter.js';
import { parseDuration } from '../duration.js';
import { openStoreSpec, withStore } from '../store/open-store.js';
import { parseStoreUrl } from '../store/store-url.js';

export interface StoreMigrateOptions extends CommonOptions {}

export async function storeMigrateCommand(options: StoreMigrateOptions, io: Io): Promise<number> {
  const env = effectiveEnv(io, options.envFile);
  return withStore(options, env, io.cwd, async (store) => {
    const schema = await store.migrate();
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ store: store.location, ...(schema ?? { version: null, applied: [] }) })}\n`);
    } else if (schema === undefined) {
      io.stdout.write(`${store.location}: a file store has no schema to migrate\n`);
    } else {
      const applied = schema.applied.length === 0 ? 'already up to date' : `applied ${schema.applied.join(', ')}`;
      io.stdout.write(`${store.location}: schema version ${schema.version} (${applied})\n`);
    }
    return ExitCode.ok;
  });
}

export interface StoreCopyOptions extends Omit<CommonOptions, 'store' | 'file'> {
  from: string;
  to: string;
  lockTimeout?: string;
}

export interface CopySummary {
  from: string;
  to: string;
  copied: number;
  new: number;
  updated: number;
  verified: number;
}

export async function storeCopyCommand(options: StoreCopyOptions, io: Io): Promise<number> {
  // PG* variables of --env-file reach both stores' connections.
  const env = effectiveEnv(io, options.envFile);
  const lockTimeoutMs = parseDuration(options.lockTimeout ?? '30s', '--lock-timeout');
  const fromSpec = parseStoreUrl(options.from, '<from>', io.cwd);
  const toSpec = parseStoreUrl(options.to, '<to>', io.cwd);
  const reporter = createReporter(io, { quiet: options.quiet, verbose: options.verbose });
  const from = await openStoreSpec(fromSpec, env);
  try {
    const to = await openStoreSpec(toSpec, env);
    try {
      // Streamed, a batch at a time on both sides: a million entries never sit in memory at once
      // (the file store holds its file whole, as it always does).
      const scan = await from.scan();
      if (scan === undefined) throw new DlqFileError(from.location, 'no DLQ file (nothing to copy)');
      reporter.info(`copying ${scan.count} ${scan.count === 1 ? 'entry' : 'entries'} from ${from.location} to ${to.location}`);
      const counts = await to.putStream(() => scan.batches(), { lockTimeoutMs });
      if (counts.missing + counts.different > 0) {
        throw new StoreError(
          to.location,
          `copy verification failed: ${counts.missing} entries missing and ${counts.different} different after the copy`,
        );
      }
      const summary: CopySummary = {
        from: from.location,
        to: to.location,
        copied: counts.copied,
        new: counts.added,
        updated: counts.updated,
        verified: counts.verified,
      };
      io.stdout.write(
        options.json
          ? `${JSON.stringify(summary)}\n`
          : `copied ${summary.copied} entries from ${summary.from} to ${summary.to}: ${summary.new} new, ${summary.updated} updated; verified ${summary.verified}\n`,
      );
      return ExitCode.ok;
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}
