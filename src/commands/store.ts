/**
 * `dlq store migrate` and `dlq store copy <from> <to>` (issue #15).
 *
 * copy merges by delivery_id: entries missing at the destination are added, entries there are
 * replaced by the source's version, others at the destination are kept. Running it twice changes
 * nothing the second time. At the end it reads the destination back and checks that every source
 * entry is there exactly as in the source (exit 6 otherwise).
 */
import { effectiveEnv, type CommonOptions } from '../config.js';
import type { DlqEntry } from '../dlq-entry.js';
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
      const { entries, exists } = await from.readAll();
      if (!exists) throw new DlqFileError(from.location, 'no DLQ file (nothing to copy)');
      reporter.info(`copying ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} from ${from.location} to ${to.location}`);
      const counts = await to.putEntries(entries, { lockTimeoutMs });
      const verified = await verify(entries, (await to.readAll()).entries);
      if (verified.missing + verified.different > 0) {
        throw new StoreError(
          to.location,
          `copy verification failed: ${verified.missing} entries missing and ${verified.different} different after the copy`,
        );
      }
      const summary: CopySummary = {
        from: from.location,
        to: to.location,
        copied: entries.length,
        new: counts.added,
        updated: counts.updated,
        verified: verified.same,
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

/** Every source entry must be at the destination, as the same JSON. */
async function verify(source: readonly DlqEntry[], destination: readonly DlqEntry[]): Promise<{ same: number; missing: number; different: number }> {
  const there = new Map(destination.map((e) => [e.delivery_id, e]));
  let same = 0;
  let missing = 0;
  let different = 0;
  for (const entry of source) {
    const copy = there.get(entry.delivery_id);
    if (copy === undefined) missing++;
    else if (JSON.stringify(copy) !== JSON.stringify(entry)) different++;
    else same++;
  }
  return { same, missing, different };
}
