/**
 * Validates every `dlq replay` flag before anything is read or sent: a bad value is a UsageError
 * (exit 2) whose one line names the flag.
 */
import type { CommonOptions } from '../config.js';
import { parseDuration, parsePositiveInt } from '../duration.js';
import { UsageError } from '../errors.js';
import { REPLAY_ORDERS, type ReplayOrder } from '../entries/fields.js';
import type { FilterFlags } from '../entries/filters.js';
import { mergeHeaders, parseHeaderFlags, parseHeaderLines, type HeaderList } from './request-headers.js';
import { loadRoutes, type Route } from './routes.js';
import { readFlagFile } from './read-flag-file.js';
import { parseSignSecret } from './signer.js';
import { parseTarget } from './target-url.js';

export interface ReplayOptions extends CommonOptions, FilterFlags {
  /** Delivery ids or unique prefixes (the positional arguments). */
  ids?: string[];
  to?: string;
  /** Per-webhook targets (exclusive with --to). */
  routes?: string;
  force?: boolean;
  maxReplays?: string;
  /** 'oldest' (default) | 'newest'. */
  order?: string;
  limit?: string;
  header?: string[];
  headerFile?: string;
  timeout?: string;
  retries?: string;
  concurrency?: string;
  rate?: string;
  maxConsecutiveFailures?: string;
  signSecret?: string;
  signSecretFile?: string;
  dryRun?: boolean;
  lockTimeout?: string;
  /** Claim lease on a shared store (PostgreSQL): entries of a run silent this long are taken over. */
  lease?: string;
  /** Prometheus text file written after the run (commands/run-metrics.ts). */
  metricsFile?: string;
}

export interface ReplayConfig {
  /** One route without a name for --to / DLQ_REPLAY_URL; the routes file's routes for --routes. */
  routes: Route[];
  /** true with --routes. */
  routed: boolean;
  order: ReplayOrder;
  /** undefined = no limit. */
  limit: number | undefined;
  timeoutMs: number;
  retries: number;
  concurrency: number;
  /** Requests per second; undefined = unlimited. */
  rate: number | undefined;
  maxReplays: number | undefined;
  /** Circuit breaker: stop a route after this many receiver failures in a row; 0 = off. */
  maxConsecutiveFailures: number;
  lockTimeoutMs: number;
  leaseMs: number;
  /** For stderr (the command prints them once, before anything is sent). */
  warnings: string[];
}

export const DEFAULT_TIMEOUT = '30s';
export const DEFAULT_RETRIES = '3';
export const DEFAULT_CONCURRENCY = '4';
export const DEFAULT_LOCK_TIMEOUT = '30s';
export const DEFAULT_LEASE = '60s';
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = '20';

export function parseReplayConfig(options: ReplayOptions, env: NodeJS.ProcessEnv, cwd: string): ReplayConfig {
  if (options.to !== undefined && options.routes !== undefined) {
    throw new UsageError('--routes: cannot be combined with --to (give each webhook its target in the routes file)');
  }
  const warnings: string[] = [];
  const order = (options.order ?? 'oldest') as ReplayOrder;
  if (!REPLAY_ORDERS.includes(order)) throw new UsageError(`--order: '${options.order}' is not one of ${REPLAY_ORDERS.join(', ')}`);
  // --limit 0 means no limit, as for `dlq list`.
  const limit = options.limit === undefined ? undefined : parsePositiveInt(options.limit, '--limit', { min: 0 }) || undefined;
  const maxConsecutiveFailures = parsePositiveInt(
    options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
    '--max-consecutive-failures',
    { min: 0 },
  );
  // Later sources win per header name: DLQ_REPLAY_HEADERS < --header-file < --header.
  const envHeaders = env['DLQ_REPLAY_HEADERS']
    ? parseHeaderLines(env['DLQ_REPLAY_HEADERS'], (line) => `DLQ_REPLAY_HEADERS line ${line}`)
    : [];
  const fileHeaders =
    options.headerFile === undefined
      ? []
      : parseHeaderLines(readFlagFile(options.headerFile, '--header-file', cwd), (line) => `${options.headerFile}:${line}`);
  const headers = mergeHeaders(envHeaders, fileHeaders, parseHeaderFlags(options.header));
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs <= 0) throw new UsageError(`--timeout: must be more than 0`);
  const retries = parsePositiveInt(options.retries ?? DEFAULT_RETRIES, '--retries', { min: 0, max: 20 });
  const concurrency = parsePositiveInt(options.concurrency ?? DEFAULT_CONCURRENCY, '--concurrency', { min: 1, max: 256 });
  const rate = options.rate === undefined ? undefined : parseRate(options.rate);
  const maxReplays =
    options.maxReplays === undefined ? undefined : parsePositiveInt(options.maxReplays, '--max-replays', { min: 1 });
  const lockTimeoutMs = parseDuration(options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, '--lock-timeout');
  const leaseMs = parseDuration(options.lease ?? DEFAULT_LEASE, '--lease');
  if (leaseMs < 1000) throw new UsageError(`--lease: at least 1s`);
  const signKey = parseSigning(options, env, cwd, warnings);
  const routed = options.routes !== undefined;
  const routes = routed
    ? loadRoutes(options.routes as string, cwd, env, { headers, signKey })
    : [{ name: undefined, target: parseTarget(options.to, env['DLQ_REPLAY_URL']), headers, signKey }];
  return {
    routes,
    routed,
    order,
    limit,
    timeoutMs,
    retries,
    concurrency,
    rate,
    maxReplays,
    maxConsecutiveFailures,
    lockTimeoutMs,
    leaseMs,
    warnings,
  };
}

/** --sign-secret-file, else --sign-secret (with a warning), else DLQ_SIGN_SECRET. */
function parseSigning(options: ReplayOptions, env: NodeJS.ProcessEnv, cwd: string, warnings: string[]): Buffer | undefined {
  if (options.signSecret !== undefined && options.signSecretFile !== undefined) {
    throw new UsageError('--sign-secret-file: cannot be combined with --sign-secret');
  }
  if (options.signSecretFile !== undefined) {
    // The whole file is the secret; the newline editors and `echo` add is not part of it.
    const secret = readFlagFile(options.signSecretFile, '--sign-secret-file', cwd).replace(/\r?\n$/, '');
    return parseSignSecret(secret, '--sign-secret-file');
  }
  if (options.signSecret !== undefined) {
    warnings.push('--sign-secret: flag values are visible to other users (ps, CI logs); use --sign-secret-file or DLQ_SIGN_SECRET');
    return parseSignSecret(options.signSecret, '--sign-secret');
  }
  const secret = env['DLQ_SIGN_SECRET'];
  return secret ? parseSignSecret(secret, 'DLQ_SIGN_SECRET') : undefined;
}

function parseRate(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new UsageError(`--rate: '${text}' is not a number of requests per second`);
  const n = Number(trimmed);
  if (n <= 0 || n > 10_000) throw new UsageError(`--rate: ${trimmed} is out of range (more than 0, at most 10000)`);
  return n;
}
