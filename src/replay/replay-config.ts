/**
 * Validates every `dlq replay` flag before anything is read or sent: a bad value is a UsageError
 * (exit 2) whose one line names the flag.
 */
import type { CommonOptions } from '../config.js';
import { parseDuration, parsePositiveInt } from '../duration.js';
import { UsageError } from '../errors.js';
import { parseHeaderFlags, type HeaderList } from './request-headers.js';
import { parseSignSecret } from './signer.js';
import { parseTarget, type ReplayTarget } from './target-url.js';
import type { FilterFlags } from '../select/filters.js';

/** The `dlq list` filters replay accepts (all but --replay-status: replay selects by state itself). */
type ReplayFilterFlags = Omit<FilterFlags, 'replayStatus'>;

export interface ReplayOptions extends CommonOptions, ReplayFilterFlags {
  /** Delivery ids or unique prefixes (the positional arguments). */
  ids?: string[];
  to?: string;
  force?: boolean;
  maxReplays?: string;
  header?: string[];
  timeout?: string;
  retries?: string;
  concurrency?: string;
  rate?: string;
  signSecret?: string;
  dryRun?: boolean;
  lockTimeout?: string;
  /** Claim lease on a shared store (PostgreSQL): entries of a run silent this long are taken over. */
  lease?: string;
}

export interface ReplayConfig {
  target: ReplayTarget;
  headers: HeaderList;
  timeoutMs: number;
  retries: number;
  concurrency: number;
  /** Requests per second; undefined = unlimited. */
  rate: number | undefined;
  maxReplays: number | undefined;
  signKey: Buffer | undefined;
  lockTimeoutMs: number;
  leaseMs: number;
}

export const DEFAULT_TIMEOUT = '30s';
export const DEFAULT_RETRIES = '3';
export const DEFAULT_CONCURRENCY = '4';
export const DEFAULT_LOCK_TIMEOUT = '30s';
export const DEFAULT_LEASE = '60s';

export function parseReplayConfig(options: ReplayOptions, env: NodeJS.ProcessEnv): ReplayConfig {
  const target = parseTarget(options.to, env['DLQ_REPLAY_URL']);
  const headers = parseHeaderFlags(options.header);
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
  const fromFlag = options.signSecret !== undefined;
  const secret = fromFlag ? options.signSecret : env['DLQ_SIGN_SECRET'] || undefined;
  const signKey = secret === undefined ? undefined : parseSignSecret(secret, fromFlag ? '--sign-secret' : 'DLQ_SIGN_SECRET');
  return { target, headers, timeoutMs, retries, concurrency, rate, maxReplays, signKey, lockTimeoutMs, leaseMs };
}

function parseRate(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new UsageError(`--rate: '${text}' is not a number of requests per second`);
  const n = Number(trimmed);
  if (n <= 0 || n > 10_000) throw new UsageError(`--rate: ${trimmed} is out of range (more than 0, at most 10000)`);
  return n;
}
