/**
 * The one place where argv meets the commands: commander wiring, and the single top-level catch
 * that maps errors to exit codes (see errors.ts). Commands are plain async functions taking a
 * typed options object and an Io, so tests call them without argv.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { SHELLS } from './completion/shells.js';
import { REPLAY_STATUSES } from './dlq-entry.js';
import { effectiveEnv } from './config.js';
import { ExitCode, isDlqError, OutputError, UsageError } from './errors.js';
import { resolveStoreSpec } from './store/store-url.js';
import { COLOR_MODES, processIo, type ColorMode, type Io } from './io.js';
import { formatLogLine, log, LOG_FORMATS, logFormatFrom, type LogFormat } from './output/log-line.js';
import { guardOutput, ignoreWriteErrors, settleWrites, throwIfFailed } from './output/guard-output.js';
import { escapeText } from './output/escape-text.js';
import { redactSecrets } from './redact.js';
import { version } from './version.js';
import { GROUP_FIELDS, REPLAY_ORDERS, SORT_FIELDS, SOURCE_NAMES } from './entries/fields.js';

const VERSION = version();
export { version };

/** Options every command accepts. */
function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--store <url>', 'file:<path> (default) or postgres://user@host/db (env DLQ_STORE)')
    .option('--file <path>', 'DLQ file (env DLQ_FILE, default ./dead_letter_queue.json)')
    .option('--env-file <path>', 'load variables from a dotenv-style file (real environment wins)')
    .option('--json', 'machine-readable JSON on stdout')
    .option('-q, --quiet', 'no progress or log lines on stderr')
    .option('-v, --verbose', 'more detail on stderr (never secrets or tokens)');
}

/**
 * `--replay-status`: a comma list (failed,pending), which commander's .choices() would reject as
 * one value. The values are declared as argChoices only, for --help and shell completion; the
 * command checks each item (entries/filters.ts).
 */
function replayStatusOption(description = 'only these replay statuses, a comma list'): Option {
  const option = new Option('--replay-status <status>', description);
  option.argChoices = [...REPLAY_STATUSES];
  return option;
}

/** What --since/--until take (entries/time-flag.ts): one help text for every command. */
const TIME_FORMATS = 'a date 2026-03-01 (local day), ISO 8601 2026-03-01T14:00:00Z, or an age: 90m, 24h, 7d, 2w, 1h30m';

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/**
 * The platform flags `fetch` and `doctor` share: which source, which webhook or event
 * definitions, where to connect. `--source` uses commander's choices so help and shell
 * completion can list them.
 */
function addPlatformOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--source <source>', 'history: the designed failed-delivery history; events: a real org\'s operational events (env DLQ_SOURCE, default history)').choices(
        SOURCE_NAMES,
      ),
    )
    .option('--webhook <name>', 'history source: webhook integration name, repeatable (env GENESYS_WEBHOOK_NAME, comma list)', collect)
    .option('--webhook-id <id>', 'history source: webhook integration id, repeatable (skips resolution by name)', collect)
    .option('--all-webhooks', 'history source: every integration of type webhook')
    .option(
      '--event-definition <name|id>',
      'events source: operational-event definition, repeatable (env GENESYS_EVENT_DEFINITIONS, comma list)',
      collect,
    )
    .option('--since <time>', 'events source: from this time (ISO 8601 or relative: 24h, 7d; default and limit: 10 days back)')
    .option('--until <time>', 'events source: up to this time (default now)')
    .option('--search <term>', "events source: only events matching this term (the query's searchTerm)")
    .option('--environment <env>', 'Genesys Cloud region, e.g. mypurecloud.ie (env GENESYS_ENVIRONMENT, default mypurecloud.com)')
    .option('--gateway <url>', 'send login and API requests through this host (env GENESYS_GATEWAY)');
}

/** `--source history|events` as a filter of stored entries (list, replay, resolve). */
function sourceFilterOption(): Option {
  return new Option('--source <source>', 'only entries from this source: history, or events (operational events)').choices(SOURCE_NAMES);
}

/**
 * The filters of stored entries that list, replay, resolve and prune share (entries/filters.ts),
 * in one order so every command's help reads the same.
 */
function addEntryFilters(cmd: Command, replayStatusHelp?: string): Command {
  return cmd
    .option('--since <time>', `failed at or after (${TIME_FORMATS})`)
    .option('--until <time>', `failed at or before (${TIME_FORMATS})`)
    .option('--status-code <codes>', 'comma list of status codes or classes, e.g. 503,5xx')
    .option('--webhook <name-or-id>', 'only this webhook (name or id)')
    .addOption(replayStatusOption(replayStatusHelp))
    .option('--grep <text>', 'substring of the request/response body or status message')
    .addOption(sourceFilterOption());
}

/** Collects a repeatable option into an array. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('dlq')
    .description(
      'Harvest failed Genesys Cloud webhook deliveries into a local dead-letter queue file; list, inspect and replay them.',
    )
    .version(VERSION, '-V, --version')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // One line per usage error, in the same form as every other error (text or JSON, see log-line.ts).
      outputError: (s, write) =>
        write(formatLogLine(io, 'error', `${s.replace(/^error: /, '').trimEnd()} (see --help)`, { exitCode: ExitCode.usage })),
    })
    .exitOverride()
    // --color is the program's own option, so it works before or after any command (commander
    // reads program options anywhere unless positional options are enabled) and every command,
    // present or future, has it; each command's --help lists it under "Global Options".
    .configureHelp({ showGlobalOptions: true })
    .addOption(
      new Option('--color <when>', 'colours and spinners: auto (only on a terminal; NO_COLOR, FORCE_COLOR apply), always, never').choices(
        COLOR_MODES,
      ),
    )
    .option('--no-color', 'same as --color never')
    // Like --color, a program option: every command has it, before or after the command name.
    .addOption(
      new Option('--log-format <format>', 'stderr log lines: text, or json (one object per line) for log shippers (env DLQ_LOG_FORMAT)').choices(
        LOG_FORMATS,
      ),
    )
    .hook('preAction', (_program, command) => {
      const color = program.opts()['color'] as ColorMode | false | undefined;
      if (color !== undefined) io.color = color === false ? 'never' : color;
      io.command = command.name();
      const fromEnv = io.env['DLQ_LOG_FORMAT'];
      const flag = program.opts()['logFormat'] as LogFormat | undefined;
      if (flag !== undefined) io.logFormat = flag;
      else if (fromEnv !== undefined && fromEnv !== '') {
        if (!(LOG_FORMATS as readonly string[]).includes(fromEnv)) {
          throw new UsageError(`DLQ_LOG_FORMAT: '${fromEnv}' is not one of ${LOG_FORMATS.join(', ')}`);
        }
        io.logFormat = fromEnv as LogFormat;
      }
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok · 2 usage · 3 auth · 4 not found/ambiguous/not offered · 5 platform failure ·\n' +
        '            6 DLQ file unusable · 7 some replays failed · 74 stdout not writable · 75 DLQ file busy ·\n' +
        '            130/143 interrupted (SIGINT/SIGTERM; what was done is saved)\n',
    );

  const fetch = addCommonOptions(
    addPlatformOptions(
      program
        .command('fetch')
        .description("harvest a webhook's failed deliveries (history) or a real org's operational events into the DLQ file"),
    )
      .option('--max-items <n>', 'stop after this many failed deliveries (env MAX_DLQ_ITEMS, default no cap)')
      .option('--max-wait <duration>', 'total time allowed waiting on rate limits', '10m')
      .option('--concurrency <n>', 'history pages fetched at once once the total is known', '4')
      .option('--full', 'read every page, even where an earlier complete harvest allows stopping early')
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s')
      .option('--metrics-file <path>', 'write Prometheus text-format metrics here after the run, also on failure (node_exporter textfile collector)'),
  );
  fetch.addHelpText(
    'after',
    examples([
      'dlq fetch --webhook "MyCriticalWebhook"',
      'dlq fetch --webhook Orders --webhook Billing   # several webhooks, one login',
      'dlq fetch --all-webhooks --json',
      'dlq fetch --webhook-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 --file /var/lib/dlq/dlq.json',
      'dlq fetch --env-file /etc/dlq.env --quiet      # cron: nightly runs read only what is new',
      'dlq fetch --env-file /etc/dlq.env --full       # weekly: read every page again',
      'dlq fetch --webhook Orders --gateway http://127.0.0.1:8080 --json',
      'dlq fetch --source events --event-definition "Data Action Failed" --since 24h',
    ]),
  );
  fetch.action(async (opts: Record<string, unknown>) => {
    const { fetchCommand } = await import('./commands/fetch.js');
    setExit(await fetchCommand(opts as never, io));
  });

  const doctor = addCommonOptions(
    addPlatformOptions(
      program
        .command('doctor')
        .description('check an org before fetching: login, token, rate limit, and what each source (history, events) would touch'),
    ),
  );
  doctor.addHelpText(
    'after',
    examples([
      'dlq doctor --webhook "MyCriticalWebhook"',
      'dlq doctor --source events --event-definition "Data Action Failed" --verbose',
      'dlq doctor --env-file /etc/dlq.env --json',
    ]),
  );
  doctor.action(async (opts: Record<string, unknown>) => {
    const { doctorCommand } = await import('./commands/doctor.js');
    setExit(await doctorCommand(opts as never, io));
  });

  const list = addCommonOptions(
    addEntryFilters(
      program
        .command('list')
        .description('list dead letters (offline)'),
    )
      .addOption(new Option('--sort <field>', 'sort field').choices(SORT_FIELDS))
      .option('--reverse', 'reverse the sort order')
      .option('--limit <n>', 'at most n rows (default 50 on a terminal, otherwise no limit)')
      .option('--ndjson', 'one JSON entry per line')
      .option('--ids', 'delivery ids only, one per line')
      .option('--csv', 'RFC 4180 CSV with a header row')
      .option('--csv-bodies', 'with --csv: also request_body and response_body')
      .option('--no-formula-guard', "with --csv: do not prefix cells starting with = + - @ with '")
      .option('--redact <json-path>', 'hide this JSON body path in the output: a.b, items.*.card, or a bare key at any depth (repeatable; env DLQ_REDACT)', collect)
      .addOption(
        new Option('--group-by <field>', 'counts per group').choices(GROUP_FIELDS),
      ),
  );
  list.addHelpText(
    'after',
    examples([
      'dlq list',
      'dlq list --since 24h --status-code 5xx',
      'dlq list --webhook Orders --replay-status failed --json',
      'dlq list --group-by status_code',
      'dlq list --since 7d --csv --redact customer.email > failures.csv',
      'dlq list --grep "order-1234" --ids | xargs dlq replay --to https://receiver.example.com/hook',
    ]),
  );
  list.action(async (opts: Record<string, unknown>) => {
    const { listCommand } = await import('./commands/list.js');
    setExit(await listCommand(opts as never, io));
  });

  const inspect = addCommonOptions(
    program
      .command('inspect')
      .description('show one dead letter in full (offline)')
      .argument('<id>', 'delivery id or a unique prefix of one')
      .option('--body', 'print only the request body, byte-for-byte as stored')
      .option('--redact <json-path>', 'hide this JSON body path in the output (repeatable; env DLQ_REDACT)', collect),
  );
  inspect.addHelpText(
    'after',
    examples(['dlq inspect 7c9e6679', 'dlq inspect 7c9e6679 --json', 'dlq inspect 7c9e6679 --body | jq .']),
  );
  inspect.action(async (id: string, opts: Record<string, unknown>) => {
    const { inspectCommand } = await import('./commands/inspect.js');
    setExit(await inspectCommand({ ...opts, id } as never, io));
  });

  const replay = addCommonOptions(
    addEntryFilters(
      program
        .command('replay')
        .description('POST stored payloads to a recovered endpoint and record the outcome')
        .argument('[ids...]', 'delivery ids or unique prefixes (default: every entry not yet succeeded)')
        .option('--to <url>', 'target URL, http or https (env DLQ_REPLAY_URL)')
        .option('--routes <file.json>', 'a target per webhook name or id ("*" for the rest); not with --to'),
      'only these replay statuses, a comma list (succeeded needs --force)',
    )
      .option('--force', 'also replay entries that already succeeded')
      .option('--max-replays <n>', 'skip entries that already failed this many replays')
      .addOption(new Option('--order <order>', 'send order by failure time').choices(REPLAY_ORDERS).default('oldest'))
      .option('--limit <n>', 'replay at most n of the selected entries, in --order (a canary)')
      .option('--header <header>', "extra request header 'Name: value' (repeatable; visible in ps)", collect)
      .option('--header-file <path>', "extra headers, one 'Name: value' a line (env DLQ_REPLAY_HEADERS)")
      .option('--timeout <duration>', 'per-request timeout', '30s')
      .option('--retries <n>', 'retries for 408, 429, 5xx, timeouts and connection errors', '3')
      .option('--concurrency <n>', 'requests in flight at once', '4')
      .option('--rate <n>', 'at most n requests per second (default unlimited)')
      .option('--max-consecutive-failures <n>', 'stop after n deliveries in a row find the receiver down (0 = never)', '20')
      .option('--sign-secret-file <path>', 'add Standard Webhooks signature headers, secret from this file (env DLQ_SIGN_SECRET)')
      .option('--sign-secret <secret>', 'the signing secret itself (visible to other users: prefer the file or env)')
      .option('--dry-run', 'send nothing, change nothing; show what would be sent')
      .option('--lease <duration>', 'PostgreSQL store: claim lease; a run silent this long loses its entries to others', '60s')
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s')
      .option('--metrics-file <path>', 'write Prometheus text-format metrics here after the run, also on failure (node_exporter textfile collector)'),
  );
  replay.addHelpText(
    'after',
    examples([
      'dlq replay --to https://receiver.example.com/webhooks/genesys',
      'dlq replay --to https://receiver.example.com/hook --status-code 5xx --since 24h --dry-run',
      'dlq replay 7c9e6679 3b241101 --to https://receiver.example.com/hook --force',
      'dlq replay --webhook Orders --limit 25 --concurrency 1      # a canary: the 25 oldest',
      'dlq replay --header-file /run/secrets/receiver.headers --max-replays 5 --json',
      'dlq replay --header "Authorization: Bearer $RECEIVER_TOKEN"   # double quotes: the shell expands it',
      'dlq replay --routes routes.json --dry-run',
    ]),
  );
  replay.action(async (ids: string[], opts: Record<string, unknown>) => {
    const { replayCommand } = await import('./commands/replay.js');
    setExit(await replayCommand({ ...opts, ids } as never, io));
  });

  const resolve = addCommonOptions(
    addEntryFilters(
      program
        .command('resolve')
        .description('mark dead letters as handled by a person: replay never sends them')
        .argument('[ids...]', 'delivery ids or unique prefixes')
        .option('--note <text>', 'why (stored as resolved_note)')
        .option('--undo', 'put them back to what their replay history says'),
    )
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s'),
  );
  resolve.addHelpText(
    'after',
    examples([
      'dlq resolve 7c9e6679 --note "customer re-sent the order by hand"',
      'dlq resolve --status-code 404 --webhook Orders --note "endpoint retired"',
      'dlq resolve --undo 7c9e6679',
    ]),
  );
  resolve.action(async (ids: string[], opts: Record<string, unknown>) => {
    const { resolveCommand } = await import('./commands/resolve.js');
    setExit(await resolveCommand({ ...opts, ids } as never, io));
  });

  const prune = addCommonOptions(
    addEntryFilters(
      program
        .command('prune')
        .description('remove dead letters from the store, optionally archiving them first')
        .option('--older-than <duration>', 'failed more than this long ago (e.g. 30d, 12h)'),
    )
      .option('--all', 'every entry (required when no filter is given)')
      .option('--archive <path>', 'append the removed entries here first, as NDJSON (gzip when it ends in .gz)')
      .option('--redact <json-path>', 'hide this JSON body path in the archive (repeatable; env DLQ_REDACT)', collect)
      .option('--dry-run', 'change nothing; show counts by status code and webhook')
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s')
      .option('--metrics-file <path>', 'write Prometheus text-format metrics here after the run, also on failure (node_exporter textfile collector)'),
  );
  prune.addHelpText(
    'after',
    examples([
      'dlq prune --replay-status succeeded --archive /srv/dlq/archive.ndjson.gz',
      'dlq prune --older-than 30d --dry-run',
      'dlq prune --replay-status resolved --older-than 7d --archive old.ndjson --redact customer.email',
      'dlq prune --all --archive everything.ndjson --json',
    ]),
  );
  prune.action(async (opts: Record<string, unknown>) => {
    const { pruneCommand } = await import('./commands/prune.js');
    setExit(await pruneCommand(opts as never, io));
  });

  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      examples([
        "echo 'source <(dlq completion bash)' >> ~/.bashrc",
        "echo 'source <(dlq completion zsh)' >> ~/.zshrc      # after compinit",
        'dlq completion fish > ~/.config/fish/completions/dlq.fish',
      ]),
    )
    .action(async (shell: string) => {
      const [{ completionCommand }, { describeCommand }] = await Promise.all([
        import('./commands/completion.js'),
        import('./completion/command-tree.js'),
      ]);
      // Built from the program as it is when the script is asked for: every command and flag.
      setExit(await completionCommand({ shell, program: describeCommand(program), version: VERSION }, io));
    });

  const store = program.command('store').description('manage stores: migrate a PostgreSQL schema, copy between stores');
  const migrate = addCommonOptions(
    store.command('migrate').description('apply the store schema migrations now (they also run on every connect)'),
  );
  migrate.addHelpText('after', examples(['dlq store migrate --store postgres://dlq@db.example.com/dlq']));
  migrate.action(async (opts: Record<string, unknown>) => {
    const { storeMigrateCommand } = await import('./commands/store.js');
    setExit(await storeMigrateCommand(opts as never, io));
  });
  const copy = store
    .command('copy')
    .description('copy every entry from one store to another (merge by delivery id), then verify')
    .argument('<from>', 'source store: file:<path> or postgres://…')
    .argument('<to>', 'destination store: file:<path> or postgres://…')
    .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s')
    .option('--env-file <path>', 'load variables from a dotenv-style file (real environment wins)')
    .option('--json', 'machine-readable JSON on stdout')
    .option('-q, --quiet', 'no progress or log lines on stderr')
    .option('-v, --verbose', 'more detail on stderr (never secrets or tokens)');
  copy.addHelpText(
    'after',
    examples(['dlq store copy file:dead_letter_queue.json postgres://dlq@db.example.com/dlq', 'dlq store copy postgres://dlq@db/dlq file:backup.json']),
  );
  copy.action(async (from: string, to: string, opts: Record<string, unknown>) => {
    const { storeCopyCommand } = await import('./commands/store.js');
    setExit(await storeCopyCommand({ ...opts, from, to } as never, io));
  });

  // Commands not yet ported to the store interface work on the JSON file only: pointing them at
  // PostgreSQL is a usage error rather than a silent fallback to the file.
  program.hook('preAction', (_root, action) => {
    if (STORE_AWARE.has(action.name())) return;
    const opts = action.opts() as { store?: string; file?: string; envFile?: string };
    if (resolveStoreSpec(opts, effectiveEnv(io, opts.envFile), io.cwd).kind === 'postgres') {
      throw new UsageError(`dlq ${action.name()} works on the JSON file store only so far (use --file, or unset DLQ_STORE)`);
    }
  });

  return program;
}

/** Commands that reach storage through the store interface (src/store/dlq-store.ts). */
const STORE_AWARE = new Set(['list', 'inspect', 'fetch', 'replay', 'resolve', 'prune', 'migrate', 'copy']);

/**
 * Runs the CLI and returns the exit code. Never throws: every error becomes one line on stderr
 * (secrets redacted) and its documented exit code.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // Write failures on stdout/stderr (a closed pipe, a full disk) are caught here, not thrown
  // from some later tick with a stack trace: see output/guard-output.ts.
  const stdout = guardOutput(io.stdout);
  ignoreWriteErrors(io.stderr);
  let json = false;
  // Known before commander parses, so its own usage errors come out in the chosen format too.
  const logFormat = logFormatFrom(argv, io.env);
  if (logFormat !== undefined) io = { ...io, logFormat };
  const runIo: Io = { ...io, stdout: stdout.stream };
  const program = buildProgram(runIo, (code) => {
    exitCode = code;
  });
  program.hook('preAction', (_program, command) => {
    json = command.opts()['json'] === true;
  });
  try {
    await program.parseAsync(argv);
    await settleWrites();
    throwIfFailed(stdout.stream);
    return exitCode;
  } catch (error) {
    // `dlq list --ids | head -1`: the reader has what it wanted; not an error for any command.
    if (error instanceof OutputError && error.code === 'EPIPE') return exitCode;
    // --json promises one JSON value on stdout: a run that fails after its flags were accepted
    // (DLQ file unusable or busy, login refused, …) still prints one, with `error`, unless the
    // command already printed its own (fetch's partial summary, replay's results).
    if (json && !stdout.wrote() && isDlqError(error) && error.exitCode !== ExitCode.usage && !(error instanceof OutputError)) {
      io.stdout.write(`${JSON.stringify({ error: redactSecrets(error.message, io.env), exitCode: error.exitCode })}\n`);
    }
    return reportError(error, { ...io, ...(runIo.command !== undefined ? { command: runIo.command } : {}) });
  }
}

export function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; commander has already printed.
    if (error.exitCode === 0) return ExitCode.ok;
    // Commander already printed its one-line message; every argv problem is a usage error.
    return ExitCode.usage;
  }
  // Messages can quote the platform or the file (server messages, names, ids): formatLogLine
  // escapes them to one line, keeps control sequences off the terminal and redacts secrets.
  if (isDlqError(error)) {
    log(io, 'error', error.message, { exitCode: error.exitCode, error: error.name });
    return error.exitCode;
  }
  // An unexpected failure: still one line, still redacted; the stack only with DLQ_DEBUG.
  const message = error instanceof Error ? error.message : String(error);
  const stack = io.env['DLQ_DEBUG'] && error instanceof Error && error.stack ? error.stack : undefined;
  log(io, 'error', `unexpected error: ${message}`, { exitCode: ExitCode.failure, ...(io.logFormat === 'json' && stack ? { stack } : {}) });
  if (io.logFormat !== 'json' && stack) io.stderr.write(`${escapeText(redactSecrets(stack, io.env), { multiline: true })}\n`);
  return ExitCode.failure;
}
