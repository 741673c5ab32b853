/**
 * Command-line options of the runnable local Genesys-compatible server (./cli.ts), parsed into
 * the server's options. Pure, so it is tested without starting anything.
 */
import { parseArgs } from 'node:util';
import { parseDuration, parsePositiveInt } from '../../../src/duration.js';
import { DATA_ACTION_FAILED, FLOW_ERROR, makeEvents } from './events.js';
import { makeFailures } from './failures.js';
import type { FakeGenesysOptions } from './index.js';

export const DEFAULT_CLIENT_ID = 'dlq-test-client';
export const DEFAULT_CLIENT_SECRET = 'dlq-test-secret';
/** A fixed id so repeated demo runs append to the same DLQ entries' webhook. */
export const DEFAULT_WEBHOOK_ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

export const USAGE = `usage: node dist/test/support/fake-genesys/cli.js [options]

A local Genesys-compatible server on 127.0.0.1 with sample failed deliveries.

  --port <n>             port to listen on (default 0 = a free one)
  --failures <n>         failed deliveries of the webhook (default 250)
  --webhook <name>       webhook integration name (default MyCriticalWebhook)
  --webhook-id <id>      its id (default ${DEFAULT_WEBHOOK_ID})
  --latency <ms>         delay added to every API response (default 0)
  --rate <n>/<window>    rate limit per OAuth client, e.g. 50/10s or 300/1m (default none)
  --growth <n>           new failures prepended before each history request (default 0)
  --no-search            the webhook search path answers 404 (clients fall back to the listing)
  --no-history           the history path answers 404 like any unknown path (as a real org does)
  --events <n>           operational events of 'Data Action Failed' over the last 10 days (default 0)
  --client-id <id>       accepted OAuth client id (default ${DEFAULT_CLIENT_ID})
  --client-secret <s>    its secret (default ${DEFAULT_CLIENT_SECRET})
  --seed <n>             seed of the generated failures (default 1)
  -h, --help             this help`;

export interface FakeGenesysCliConfig {
  port: number;
  clientId: string;
  clientSecret: string;
  webhookName: string;
  webhookId: string;
  options: FakeGenesysOptions;
}

/** Throws an Error with a one-line message on bad input; returns undefined for --help. */
export function parseFakeGenesysArgs(argv: string[]): FakeGenesysCliConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      failures: { type: 'string' },
      webhook: { type: 'string' },
      'webhook-id': { type: 'string' },
      latency: { type: 'string' },
      rate: { type: 'string' },
      growth: { type: 'string' },
      'no-search': { type: 'boolean' },
      'no-history': { type: 'boolean' },
      events: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const port = int(values.port ?? '0', '--port', 0, 65535);
  const count = int(values.failures ?? '250', '--failures', 0, 10_000_000);
  const latencyMs = int(values.latency ?? '0', '--latency', 0, 600_000);
  const growth = int(values.growth ?? '0', '--growth', 0, 10_000);
  const seed = int(values.seed ?? '1', '--seed', 0, 2 ** 31);
  const events = int(values.events ?? '0', '--events', 0, 1_000_000);
  const webhookName = values.webhook ?? 'MyCriticalWebhook';
  const webhookId = values['webhook-id'] ?? DEFAULT_WEBHOOK_ID;
  const clientId = values['client-id'] ?? DEFAULT_CLIENT_ID;
  const clientSecret = values['client-secret'] ?? DEFAULT_CLIENT_SECRET;
  if (!webhookName.trim()) throw new Error('--webhook: the name is empty');
  return {
    port,
    clientId,
    clientSecret,
    webhookName,
    webhookId,
    options: {
      clients: { [clientId]: clientSecret },
      integrations: [
        { id: webhookId, name: webhookName, failures: makeFailures(count, { seed, integrationName: webhookName }) },
        // A near-namesake, so clients show that they compare names exactly.
        { id: '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', name: `${webhookName} (staging)`, failures: makeFailures(Math.min(count, 20), { seed: seed + 1 }) },
      ],
      searchAvailable: !values['no-search'],
      historyAvailable: !values['no-history'],
      eventDefinitions: [DATA_ACTION_FAILED, FLOW_ERROR],
      events:
        events > 0
          ? makeEvents(events, { definition: DATA_ACTION_FAILED, newest: new Date(Date.now() - 60_000), stepMs: Math.floor((9.5 * 86_400_000) / events), seed })
          : [],
      latencyMs,
      rateLimit: values.rate === undefined ? null : parseRate(values.rate),
      pageGrowth: growth > 0 ? { integrationId: webhookId, perHistoryRequest: growth } : null,
    },
  };
}

/** `50/10s` → 50 requests per 10 000 ms; a bare window number is seconds (`300/60`). */
export function parseRate(text: string): { allowed: number; windowMs: number } {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!m) throw new Error(`--rate: '${text}' is not <requests>/<window> (example: 50/10s)`);
  const allowed = int(m[1] as string, '--rate', 1, 1_000_000);
  const windowMs = parseDuration(m[2] as string, '--rate');
  if (windowMs < 1) throw new Error(`--rate: the window of '${text}' is empty`);
  return { allowed, windowMs };
}

function int(text: string, flag: string, min: number, max: number): number {
  return parsePositiveInt(text, flag, { min, max });
}
