/**
 * One error class per idea, each with a fixed `name`, the exit code it maps to and its context.
 * The original error (if any) is kept as `cause`. The top-level catch in cli.ts is the only
 * place that turns these into an exit code and a single stderr line.
 *
 * Exit codes (shared by every command, documented in README.md):
 *   0 ok · 2 usage · 3 authentication/authorization · 4 not found, ambiguous or not offered
 *   (a webhook, an event definition, the history path) · 5 platform failure after retries · 6 DLQ file unusable · 7 some replays failed ·
 *   74 stdout cannot be written (EX_IOERR from sysexits.h) ·
 *   75 DLQ file busy (EX_TEMPFAIL from sysexits.h: try again later)
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  /** Not found, ambiguous, or not offered by this org. */
  notFound: 4,
  /** The same code under its first name (webhooks were the only thing looked up). */
  webhook: 4,
  platform: 5,
  dlqFile: 6,
  replayFailed: 7,
  output: 74,
  busy: 75,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class DlqError extends Error {
  abstract readonly exitCode: ExitCodeValue;
}

/** Bad flags, missing configuration, unknown delivery ids: exit 2. */
export class UsageError extends DlqError {
  override readonly name = 'UsageError';
  readonly exitCode = ExitCode.usage;
}

/** Login rejected, token refused, missing scopes: exit 3. */
export class AuthError extends DlqError {
  override readonly name = 'AuthError';
  readonly exitCode = ExitCode.auth;
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}

/** The webhook name matched nothing, or more than one integration: exit 4. */
export class WebhookResolutionError extends DlqError {
  override readonly name = 'WebhookResolutionError';
  readonly exitCode = ExitCode.notFound;
  readonly candidates: readonly { id: string; name: string }[];
  constructor(message: string, candidates: readonly { id: string; name: string }[] = []) {
    super(message);
    this.candidates = candidates;
  }
}

/** No event definition has that name or id (contract §6): exit 4, naming close names. */
export class EventDefinitionResolutionError extends DlqError {
  override readonly name = 'EventDefinitionResolutionError';
  readonly exitCode = ExitCode.notFound;
  readonly wanted: string;
  constructor(message: string, wanted: string) {
    super(message);
    this.wanted = wanted;
  }
}

/**
 * The org does not offer the designed failed-delivery history (contract §3, "Reality check"): the
 * history path answered 404 or 405, as any unknown path does. Exit 4, pointing at doctor and the
 * events source.
 */
export class HistoryNotOfferedError extends DlqError {
  override readonly name = 'HistoryNotOfferedError';
  readonly exitCode = ExitCode.notFound;
  readonly status: number;
  constructor(message: string, status: number, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
  }
}

/** The platform kept failing (after retries), or answered with a non-retryable 4xx: exit 5. */
export class PlatformError extends DlqError {
  override readonly name = 'PlatformError';
  readonly exitCode = ExitCode.platform;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly correlationId: string | undefined;
  constructor(
    message: string,
    options: { status?: number; code?: string; correlationId?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.code = options.code;
    this.correlationId = options.correlationId;
  }
}

/** The DLQ file cannot be read, parsed or written: exit 6. The file is left as it was. */
export class DlqFileError extends DlqError {
  override readonly name = 'DlqFileError';
  readonly exitCode = ExitCode.dlqFile;
  readonly path: string;
  constructor(path: string, problem: string, options: { cause?: unknown } = {}) {
    super(`${path}: ${problem}`, { cause: options.cause });
    this.path = path;
  }
}

/**
 * The store (a PostgreSQL database) cannot be reached or used: exit 6, like an unusable DLQ file.
 * `location` never carries a password (see store/store-url.ts).
 */
export class StoreError extends DlqError {
  override readonly name = 'StoreError';
  readonly exitCode = ExitCode.dlqFile;
  readonly location: string;
  constructor(location: string, problem: string, options: { cause?: unknown } = {}) {
    super(`${location}: ${problem}`, { cause: options.cause });
    this.location = location;
  }
}

/** Another run holds the DLQ file's lock past --lock-timeout: exit 75. */
export class LockBusyError extends DlqError {
  override readonly name = 'LockBusyError';
  readonly exitCode = ExitCode.busy;
  readonly path: string;
  readonly since: Date | undefined;
  constructor(path: string, message: string, since?: Date) {
    super(message);
    this.path = path;
    this.since = since;
  }
}

/**
 * stdout could not be written (ENOSPC on `> /dev/full`, EIO, or EPIPE when the reader left):
 * exit 74. main() treats EPIPE as a reader that has what it wanted and stays quiet.
 */
export class OutputError extends DlqError {
  override readonly name = 'OutputError';
  readonly exitCode = ExitCode.output;
  readonly code: string | undefined;
  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

export function isDlqError(error: unknown): error is DlqError {
  return error instanceof DlqError;
}
