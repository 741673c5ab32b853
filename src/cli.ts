/**
 * The one place where argv meets the commands: commander wiring, and the single top-level catch
 * that maps errors to exit codes (see errors.ts). Commands are plain async functions taking a
 * typed options object and an Io, so tests call them without argv.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, isDlqError } from './errors.js';
import { processIo, type Io } from './io.js';
import { ignoreBrokenPipe } from './output/ignore-broken-pipe.js';
import { escapeText } from './output/escape-text.js';
import { redactSecrets } from './output/redact.js';
import { GROUP_FIELDS, SORT_FIELDS } from './select/fields.js';

const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function version(): string {
  return VERSION;
}

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

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
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
      // One line per usage error, in the same `dlq: ...` form as every other error.
      outputError: (s, write) => write(`dlq: ${s.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok · 2 usage · 3 auth · 4 webhook not found/ambiguous · 5 platform failure ·\n' +
        '            6 DLQ file unusable · 7 some replays failed · 75 DLQ file busy ·\n' +
        '            130/143 interrupted (SIGINT/SIGTERM; what was done is saved)\n',
    );

  const fetch = addCommonOptions(
    program
      .command('fetch')
      .description('harvest every failed delivery of a webhook into the DLQ file')
      .option('--webhook <name>', 'webhook integration name (env GENESYS_WEBHOOK_NAME)')
      .option('--webhook-id <id>', 'webhook integration id (skips resolution by name)')
      .option('--environment <env>', 'Genesys Cloud environment (env GENESYS_ENVIRONMENT, default mypurecloud.com)')
      .option('--gateway <url>', 'send login and API requests through this host (env GENESYS_GATEWAY)')
      .option('--max-items <n>', 'stop after this many failed deliveries (env MAX_DLQ_ITEMS, default no cap)')
      .option('--max-wait <duration>', 'total time allowed waiting on rate limits', '10m')
      .option('--concurrency <n>', 'history pages fetched at once once the total is known', '4')
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s'),
  );
  fetch.addHelpText(
    'after',
    examples([
      'dlq fetch --webhook "MyCriticalWebhook"',
      'dlq fetch --webhook-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 --file /var/lib/dlq/dlq.json',
      'dlq fetch --env-file /etc/dlq.env --quiet      # cron',
      'dlq fetch --webhook Orders --gateway http://127.0.0.1:8080 --json',
    ]),
  );
  fetch.action(async (opts: Record<string, unknown>) => {
    const { fetchCommand } = await import('./commands/fetch.js');
    setExit(await fetchCommand(opts as never, io));
  });

  const list = addCommonOptions(
    program
      .command('list')
      .description('list dead letters (offline)')
      .option('--since <time>', 'failed at or after (ISO 8601, or relative: 90m, 24h, 7d)')
      .option('--until <time>', 'failed at or before (ISO 8601, or relative)')
      .option('--status-code <codes>', 'comma list of status codes or classes, e.g. 503,5xx')
      .option('--webhook <name-or-id>', 'only this webhook (name or id)')
      .option('--replay-status <status>', 'pending | succeeded | failed')
      .option('--grep <text>', 'substring of the request/response body or status message')
      .option('--sort <field>', `sort field (${SORT_FIELDS.join(', ')})`)
      .option('--reverse', 'reverse the sort order')
      .option('--limit <n>', 'at most n rows (default 50 on a terminal, otherwise no limit)')
      .option('--ndjson', 'one JSON entry per line')
      .option('--ids', 'delivery ids only, one per line')
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
      .option('--body', 'print only the request body, byte-for-byte as stored'),
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
    program
      .command('replay')
      .description('POST stored payloads to a recovered endpoint and record the outcome')
      .argument('[ids...]', 'delivery ids or unique prefixes (default: every entry not yet succeeded)')
      .option('--to <url>', 'target URL, http or https (env DLQ_REPLAY_URL)')
      .option('--since <time>', 'failed at or after (ISO 8601, or relative: 90m, 24h, 7d)')
      .option('--until <time>', 'failed at or before')
      .option('--status-code <codes>', 'comma list of status codes or classes, e.g. 503,5xx')
      .option('--webhook <name-or-id>', 'only this webhook (name or id)')
      .option('--grep <text>', 'substring of the request/response body or status message')
      .option('--force', 'also replay entries that already succeeded')
      .option('--max-replays <n>', 'skip entries that already failed this many replays')
      .option('--header <header>', "extra request header 'Name: value' (repeatable)", collect)
      .option('--timeout <duration>', 'per-request timeout', '30s')
      .option('--retries <n>', 'retries for 408, 429, 5xx, timeouts and connection errors', '3')
      .option('--concurrency <n>', 'requests in flight at once', '4')
      .option('--rate <n>', 'at most n requests per second (default unlimited)')
      .option('--sign-secret <secret>', 'add Standard Webhooks signature headers (env DLQ_SIGN_SECRET)')
      .option('--dry-run', 'send nothing, change nothing; show what would be sent')
      .option('--lock-timeout <duration>', 'how long to wait for a busy DLQ file', '30s'),
  );
  replay.addHelpText(
    'after',
    examples([
      'dlq replay --to https://receiver.example.com/webhooks/genesys',
      'dlq replay --to https://receiver.example.com/hook --status-code 5xx --since 24h --dry-run',
      'dlq replay 7c9e6679 3b241101 --to https://receiver.example.com/hook --force',
      "dlq replay --header 'Authorization: Bearer $RECEIVER_TOKEN' --max-replays 5 --json",
    ]),
  );
  replay.action(async (ids: string[], opts: Record<string, unknown>) => {
    const { replayCommand } = await import('./commands/replay.js');
    setExit(await replayCommand({ ...opts, ids } as never, io));
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

  return program;
}

/**
 * Runs the CLI and returns the exit code. Never throws: every error becomes one line on stderr
 * (secrets redacted) and its documented exit code.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // `dlq list --ids | head -1` closes the pipe early: that is not an error for any command.
  ignoreBrokenPipe(io.stdout);
  ignoreBrokenPipe(io.stderr);
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

export function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; commander has already printed.
    if (error.exitCode === 0) return ExitCode.ok;
    // Commander already printed its one-line message; every argv problem is a usage error.
    return ExitCode.usage;
  }
  // Messages can quote the platform or the file (server messages, names, ids): escaping keeps
  // them to one line and keeps control sequences off the terminal.
  const line = (text: string) => escapeText(redactSecrets(text, io.env));
  if (isDlqError(error)) {
    io.stderr.write(`dlq: ${line(error.message)}\n`);
    return error.exitCode;
  }
  // An unexpected failure: still one line, still redacted; the stack only with DLQ_DEBUG.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`dlq: unexpected error: ${line(message)}\n`);
  if (io.env['DLQ_DEBUG'] && error instanceof Error && error.stack) {
    io.stderr.write(`${escapeText(redactSecrets(error.stack, io.env), { multiline: true })}\n`);
  }
  return ExitCode.failure;
}
