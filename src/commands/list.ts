/**
 * `dlq list`: filter, sort and show dead letters, offline. Reads the DLQ file without the lock and
 * never loads the Genesys SDK (nothing here imports src/genesys), so it starts fast.
 */
import { Chalk } from 'chalk';
import { effectiveEnv, type CommonOptions } from '../config.js';
import { parsePositiveInt } from '../duration.js';
import type { DlqEntry } from '../dlq-entry.js';
import { ExitCode, UsageError } from '../errors.js';
import { colorEnabled, type Io } from '../io.js';
import { renderEntryTable } from '../output/entry-table.js';
import { escapeText } from '../output/escape-text.js';
import { renderGroupTable } from '../output/group-table.js';
import { log } from '../output/log-line.js';
import { parseRedactRules, redactEntries, type RedactRule } from '../output/redact-paths.js';
import { writeChunked } from '../output/write-chunked.js';
import { buildFilter, type FilterFlags } from '../entries/filters.js';
import type { GroupField, SortField } from '../entries/fields.js';
import { parseGroupField } from '../select/parse-group-field.js';
import { parseSortField } from '../select/parse-sort-field.js';
import { pickFilter, type DlqStore } from '../store/dlq-store.js';
import { withStore } from '../store/open-store.js';

/** The commander keys of `dlq list` (values as the user typed them; validated here). */
export interface ListOptions extends CommonOptions, FilterFlags {
  sort?: string;
  reverse?: boolean;
  limit?: string;
  ndjson?: boolean;
  ids?: boolean;
  groupBy?: string;
  csv?: boolean;
  csvBodies?: boolean;
  /** false with --no-formula-guard (commander's default for a --no- flag is true). */
  formulaGuard?: boolean;
  redact?: string[];
}

/** Rows shown on a terminal when --limit is not given; pipes get everything. */
export const DEFAULT_TTY_LIMIT = 50;
const DEFAULT_WIDTH = 100;

/** csv-stringify (ten modules) loads only for --csv: every other list starts without it. */
const loadCsv = () => import('../output/csv-export.js');

export async function listCommand(options: ListOptions, io: Io): Promise<number> {
  // Every flag is checked before the file is read: a typo costs nothing and changes nothing.
  const formats = (['json', 'ndjson', 'ids', 'csv'] as const).filter((f) => options[f]);
  if (formats.length > 1) throw new UsageError(`--${formats[0]} and --${formats[1]} cannot be combined`);
  const format = formats[0] ?? 'table';
  if (format !== 'csv' && options.csvBodies) throw new UsageError('--csv-bodies needs --csv');
  if (format !== 'csv' && options.formulaGuard === false) throw new UsageError('--no-formula-guard needs --csv');

  // Validated now (before reading the file); built again below with the entries for --webhook names.
  const now = io.now();
  buildFilter(options, now);
  const groupBy = options.groupBy === undefined ? undefined : parseGroupField(options.groupBy);
  if (groupBy !== undefined) {
    if (format === 'ndjson' || format === 'ids') throw new UsageError(`--group-by cannot be combined with --${format}`);
    if (options.sort !== undefined) throw new UsageError(`--sort cannot be combined with --group-by (groups are sorted by count)`);
  }
  const sortField = parseSortField(options.sort ?? 'timestamp');
  // --limit 0 means "no limit", also on a terminal.
  let limit: number | undefined =
    options.limit === undefined ? (io.stdout.isTTY ? DEFAULT_TTY_LIMIT : undefined) : parsePositiveInt(options.limit, '--limit', { min: 0 });
  if (limit === 0) limit = undefined;

  const env = effectiveEnv(io, options.envFile);
  const rules = parseRedactRules(options.redact, env);
  const view: ListView = { options, now, format, groupBy, sortField, limit, rules };
  return withStore(options, env, io.cwd, (store) => showEntries(store, view, io));
}

interface ListView {
  options: ListOptions;
  now: Date;
  format: 'json' | 'ndjson' | 'ids' | 'csv' | 'table';
  groupBy: GroupField | undefined;
  sortField: SortField;
  limit: number | undefined;
  /** --redact / DLQ_REDACT: applied to the printed copies of whole entries. */
  rules: RedactRule[];
}

/**
 * Asks the store for the rows (or groups) and prints them. The store filters, sorts and limits (the
 * file store through its sidecar index, PostgreSQL in SQL); whole entries come batch by batch and
 * are printed as they come (so `| head` stops the reading too).
 */
async function showEntries(store: DlqStore, view: ListView, io: Io): Promise<number> {
  const { options, now, format, groupBy, sortField, limit, rules } = view;
  const filter = pickFilter(options);
  const chalk = new Chalk({ level: colorEnabled(io, io.stdout) ? 1 : 0 });
  const width = io.stdout.columns && io.stdout.columns > 0 ? io.stdout.columns : DEFAULT_WIDTH;
  const note = (line: string) => {
    if (!options.quiet) log(io, 'info', line);
  };

  if (groupBy !== undefined) {
    const groups = await store.groupEntries({ filter, now, field: groupBy, reverse: options.reverse === true });
    const shown = limit === undefined ? groups : groups.slice(0, limit);
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    } else if (format === 'csv') {
      const { writeGroupsCsv } = await loadCsv();
      writeGroupsCsv(io.stdout, groupBy, shown, { formulaGuard: options.formulaGuard !== false, escape: io.stdout.isTTY === true });
    } else {
      io.stdout.write(
        renderGroupTable(shown, { header: groupBy, width, bars: io.stdout.isTTY === true, headerStyle: chalk.bold }),
      );
      if (groups.length === 0) note('no dead letters match');
    }
    if (shown.length < groups.length) note(`… and ${groups.length - shown.length} more groups (use --limit)`);
    return ExitCode.ok;
  }

  const page = await store.listEntries({
    filter,
    now,
    sort: sortField,
    reverse: options.reverse === true,
    limit,
    whole: format === 'json' || format === 'ndjson' || format === 'csv',
    names: format === 'table' || format === 'csv',
  });
  const sorted = page.rows;
  const matches = page.matches;
  const whole = (): AsyncIterable<DlqEntry[]> => page.batches ?? (async function* () {})();
  // Redacted copies for output; the table and --ids show no body, so nothing there to hide.
  const redact = (entries: DlqEntry[]): DlqEntry[] =>
    rules.length === 0
      ? entries
      : redactEntries(entries, rules, (line) => {
          if (options.verbose && !options.quiet) log(io, 'debug', line);
        });
  if (format === 'json' || format === 'ndjson') {
    await writeWhole(whole(), redact, format, io);
    if (sorted.length < matches) note(`… and ${matches - sorted.length} more (use --limit)`);
    return ExitCode.ok;
  }
  const rows = format === 'csv' ? redact(await collect(whole())) : sorted;
  switch (format) {
    case 'csv': {
      const nameById = page.nameById;
      const { writeEntriesCsv } = await loadCsv();
      writeEntriesCsv(io.stdout, rows, {
        bodies: options.csvBodies === true,
        formulaGuard: options.formulaGuard !== false,
        escape: io.stdout.isTTY === true,
        ...(nameById ? { nameById } : {}),
      });
      if (matches === 0) note('no dead letters match');
      break;
    }
    case 'ids': {
      // Raw for pipes (xargs needs the real id); escaped on a terminal, where a hostile id could
      // otherwise carry control sequences.
      const show = io.stdout.isTTY ? (id: string) => escapeText(id) : (id: string) => id;
      await writeChunked(io.stdout, rows, (e) => `${show(e.delivery_id)}\n`);
      break;
    }
    case 'table':
      io.stdout.write(renderEntryTable(rows, { width, chalk, ...(page.nameById ? { nameById: page.nameById } : {}) }));
      if (matches === 0) note('no dead letters match');
      break;
  }
  if (rows.length < matches) note(`… and ${matches - rows.length} more (use --limit)`);
  return ExitCode.ok;
}

async function collect(batches: AsyncIterable<DlqEntry[]>): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

/** --json / --ndjson: whole entries, written batch by batch as they are read. */
async function writeWhole(
  batches: AsyncIterable<DlqEntry[]>,
  redact: (entries: DlqEntry[]) => DlqEntry[],
  format: 'json' | 'ndjson',
  io: Io,
): Promise<void> {
  let written = 0;
  // A store whose data changes under the stream throws its own exit-6 error (file-store.ts).
  for await (const read of batches) {
    const batch = redact(read);
    if (format === 'json') {
      // One entry per line inside the array, like the DLQ file itself.
      if (written === 0) io.stdout.write('[\n');
      const offset = written;
      await writeChunked(io.stdout, batch.entries(), ([i, e]: [number, DlqEntry]) => `${offset + i === 0 ? '' : ',\n'}${JSON.stringify(e)}`);
    } else {
      await writeChunked(io.stdout, batch, (e) => `${JSON.stringify(e)}\n`);
    }
    written += batch.length;
  }
  if (format === 'json') io.stdout.write(written === 0 ? '[]\n' : '\n]\n');
}
