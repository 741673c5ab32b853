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
import { writeChunked } from '../output/write-chunked.js';
import { buildFilter, type FilterFlags } from '../select/filters.js';
import { parseGroupField, type GroupField } from '../select/group-entries.js';
import { parseSortField, type SortField } from '../select/sort-entries.js';
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
}

/** Rows shown on a terminal when --limit is not given; pipes get everything. */
export const DEFAULT_TTY_LIMIT = 50;
const DEFAULT_WIDTH = 100;

export async function listCommand(options: ListOptions, io: Io): Promise<number> {
  // Every flag is checked before the file is read: a typo costs nothing and changes nothing.
  const formats = (['json', 'ndjson', 'ids'] as const).filter((f) => options[f]);
  if (formats.length > 1) throw new UsageError(`--${formats[0]} and --${formats[1]} cannot be combined`);
  const format = formats[0] ?? 'table';

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

  const view: ListView = { options, now, format, groupBy, sortField, limit };
  return withStore(options, effectiveEnv(io, options.envFile), io.cwd, (store) => showEntries(store, view, io));
}

interface ListView {
  options: ListOptions;
  now: Date;
  format: 'json' | 'ndjson' | 'ids' | 'table';
  groupBy: GroupField | undefined;
  sortField: SortField;
  limit: number | undefined;
}

/** Asks the store for the rows (or groups) and prints them. */
async function showEntries(store: DlqStore, view: ListView, io: Io): Promise<number> {
  const { options, now, format, groupBy, sortField, limit } = view;
  const filter = pickFilter(options);
  const chalk = new Chalk({ level: colorEnabled(io, io.stdout) ? 1 : 0 });
  const width = io.stdout.columns && io.stdout.columns > 0 ? io.stdout.columns : DEFAULT_WIDTH;
  const note = (line: string) => {
    if (!options.quiet) io.stderr.write(`${line}\n`);
  };

  if (groupBy !== undefined) {
    const groups = await store.groupEntries({ filter, now, field: groupBy, reverse: options.reverse === true });
    const shown = limit === undefined ? groups : groups.slice(0, limit);
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    } else {
      io.stdout.write(
        renderGroupTable(shown, { header: groupBy, width, bars: io.stdout.isTTY === true, headerStyle: chalk.bold }),
      );
      if (groups.length === 0) note('no dead letters match');
    }
    if (shown.length < groups.length) note(`… and ${groups.length - shown.length} more groups (use --limit)`);
    return ExitCode.ok;
  }

  // Rows past the limit are never sorted into place or formatted.
  const page = await store.listEntries({
    filter,
    now,
    sort: sortField,
    reverse: options.reverse === true,
    limit,
    whole: format === 'json' || format === 'ndjson',
    names: format === 'table',
  });
  const rows = page.rows;
  switch (format) {
    case 'json':
      if (rows.length === 0) io.stdout.write('[]\n');
      else {
        // One entry per line inside the array, like the DLQ file itself.
        io.stdout.write('[\n');
        writeChunked(io.stdout, rows.entries(), ([i, e]: [number, DlqEntry]) => `${i === 0 ? '' : ',\n'}${JSON.stringify(e)}`);
        io.stdout.write('\n]\n');
      }
      break;
    case 'ndjson':
      writeChunked(io.stdout, rows, (e) => `${JSON.stringify(e)}\n`);
      break;
    case 'ids': {
      // Raw for pipes (xargs needs the real id); escaped on a terminal, where a hostile id could
      // otherwise carry control sequences.
      const show = io.stdout.isTTY ? (id: string) => escapeText(id) : (id: string) => id;
      writeChunked(io.stdout, rows, (e) => `${show(e.delivery_id)}\n`);
      break;
    }
    case 'table':
      io.stdout.write(renderEntryTable(rows, { width, chalk, ...(page.nameById ? { nameById: page.nameById } : {}) }));
      if (page.matches === 0) note('no dead letters match');
      break;
  }
  if (rows.length < page.matches) note(`… and ${page.matches - rows.length} more (use --limit)`);
  return ExitCode.ok;
}
