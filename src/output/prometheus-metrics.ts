/**
 * `--metrics-file`: the Prometheus text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format) for
 * node_exporter's textfile collector. Six gauge families, each with `# HELP` and `# TYPE`; label
 * values escaped as the format requires (backslash, double quote, line feed).
 *
 * One file can serve every command (fetch, replay, prune) of a cron setup: each run rewrites it
 * with the DLQ file's current state, its own last-run samples, and the other commands' last-run
 * samples carried over from the file it replaces. The last `success` of a command is carried over
 * by its `error` runs, so `time() - dlq_last_run_timestamp_seconds{command="fetch",outcome="success"}`
 * keeps growing while fetch fails.
 */
import { replayStatusOf, REPLAY_STATUSES, type DlqEntry } from '../dlq-entry.js';
import { timestampMs } from '../entries/filters.js';
import { webhookNames } from '../entries/webhook-names.js';

export type MetricsCommand = 'fetch' | 'replay' | 'prune';
export type RunOutcome = 'success' | 'error';

export interface RunRecord {
  command: MetricsCommand;
  outcome: RunOutcome;
  finishedAt: Date;
  durationMs: number;
  /** fetch: new entries added, by webhook label (absent when the run saved nothing). */
  fetchNew?: ReadonlyMap<string, number> | undefined;
  /** replay: deliveries by outcome (absent when the run ended before its summary). */
  replay?: { succeeded: number; failed: number; skipped: number } | undefined;
}

const FAMILIES = {
  dlq_entries: 'Dead letters in the DLQ file, by webhook and replay status.',
  dlq_oldest_pending_timestamp_seconds:
    'Failure time (unix seconds) of the oldest dead letter not yet delivered (replay status pending or failed), by webhook.',
  dlq_last_run_timestamp_seconds: 'When a dlq command last finished (unix seconds), by command and outcome.',
  dlq_run_duration_seconds: 'How long the last run of a dlq command took, in seconds.',
  dlq_fetch_new_entries: 'Dead letters the last dlq fetch added, by webhook.',
  dlq_replay_deliveries: 'Dead letters the last dlq replay handled, by outcome (succeeded, failed, skipped).',
} as const;
type Family = keyof typeof FAMILIES;

/** Label value escaping of the text format: `\` → `\\`, `"` → `\"`, line feed → `\n`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sample(name: Family, labels: Record<string, string>, value: number): string {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');
  return `${name}{${text}} ${formatValue(value)}`;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** What the webhook label says for an entry: its name, else the name others give its id, else the id ('' when none). */
export function metricsWebhookLabel(entry: DlqEntry, nameById: ReadonlyMap<string, string> = new Map()): string {
  if (typeof entry.webhook_name === 'string' && entry.webhook_name !== '') return entry.webhook_name;
  if (typeof entry.webhook_id === 'string' && entry.webhook_id !== '') return nameById.get(entry.webhook_id) ?? entry.webhook_id;
  return '';
}

/**
 * The whole file. `entries`: the DLQ file now (summaries will do), undefined when it could not be
 * read (its families then have no samples). `previous`: the metrics file this one replaces ('' if none).
 */
export function renderMetrics(run: RunRecord, entries: readonly DlqEntry[] | undefined, previous: string): string {
  const samples = new Map<Family, string[]>(Object.keys(FAMILIES).map((f) => [f as Family, []]));
  const add = (family: Family, line: string) => samples.get(family)?.push(line);

  if (entries !== undefined) {
    const nameById = webhookNames(entries);
    const counts = new Map<string, Map<string, number>>();
    const oldest = new Map<string, number>();
    for (const e of entries) {
      const hook = metricsWebhookLabel(e, nameById);
      const status = replayStatusOf(e);
      let byStatus = counts.get(hook);
      if (!byStatus) counts.set(hook, (byStatus = new Map(REPLAY_STATUSES.map((s) => [s, 0]))));
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status === 'pending' || status === 'failed') {
        const t = timestampMs(e);
        if (t !== undefined && t < (oldest.get(hook) ?? Infinity)) oldest.set(hook, t);
      }
    }
    for (const hook of [...counts.keys()].sort()) {
      for (const [status, n] of counts.get(hook) ?? []) add('dlq_entries', sample('dlq_entries', { webhook: hook, replay_status: status }, n));
    }
    for (const hook of [...oldest.keys()].sort()) {
      add('dlq_oldest_pending_timestamp_seconds', sample('dlq_oldest_pending_timestamp_seconds', { webhook: hook }, (oldest.get(hook) as number) / 1000));
    }
  }

  // The other commands' (and this command's other outcome's) samples, as the previous run wrote them.
  for (const line of previous.split('\n')) {
    const m = /^(dlq_[a-z_]+)\{(.*)\} \S+$/.exec(line);
    if (!m || !Object.hasOwn(FAMILIES, m[1] as string)) continue;
    const family = m[1] as Family;
    const command = /(?:^|,)command="([a-z]+)"/.exec(m[2] as string)?.[1];
    const outcome = /(?:^|,)outcome="([a-z]+)"/.exec(m[2] as string)?.[1];
    const keep =
      (family === 'dlq_last_run_timestamp_seconds' && command !== undefined && !(command === run.command && outcome === run.outcome)) ||
      (family === 'dlq_run_duration_seconds' && command !== undefined && command !== run.command) ||
      (family === 'dlq_fetch_new_entries' && run.command !== 'fetch') ||
      (family === 'dlq_replay_deliveries' && run.command !== 'replay');
    if (keep) add(family, line);
  }

  add('dlq_last_run_timestamp_seconds', sample('dlq_last_run_timestamp_seconds', { command: run.command, outcome: run.outcome }, run.finishedAt.getTime() / 1000));
  add('dlq_run_duration_seconds', sample('dlq_run_duration_seconds', { command: run.command }, run.durationMs / 1000));
  for (const [hook, n] of run.fetchNew ?? []) add('dlq_fetch_new_entries', sample('dlq_fetch_new_entries', { webhook: hook }, n));
  if (run.replay) {
    for (const outcome of ['succeeded', 'failed', 'skipped'] as const) {
      add('dlq_replay_deliveries', sample('dlq_replay_deliveries', { outcome }, run.replay[outcome]));
    }
  }

  const out: string[] = [];
  for (const [family, help] of Object.entries(FAMILIES)) {
    out.push(`# HELP ${family} ${help}`, `# TYPE ${family} gauge`, ...(samples.get(family as Family) ?? []));
  }
  return `${out.join('\n')}\n`;
}
