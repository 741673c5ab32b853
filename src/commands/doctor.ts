/**
 * `dlq doctor`: a preflight against a real org before the first `dlq fetch` (issue #10 §5). Same
 * configuration flags and environment as fetch. One line per check (ok, warn, fail) on stdout, or
 * one JSON object with --json; the exit code is 0 when the configured source would work, else the
 * code fetch would give (2, 3, 4 or 5). --verbose adds each request's method, path and status on
 * stderr: never a header, a token or the secret.
 */
import { effectiveEnv } from '../config.js';
import { ExitCode } from '../errors.js';
import { GenesysClient, type RequestTrace } from '../genesys/client.js';
import { runChecks, type CheckResult } from '../doctor/checks.js';
import { RateLimitPacer } from '../harvest/rate-limit-pacer.js';
import { RequestRunner } from '../harvest/request-runner.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../harvest/retry-policy.js';
import type { Io } from '../io.js';
import { escapeText } from '../output/escape-text.js';
import { redactSecrets } from '../redact.js';
import { createReporter } from '../output/reporter.js';
// The platform configuration is fetch's own: doctor checks exactly what fetch would use.
import { mostSevere, resolvePlatformConfig, type PlatformOptions } from './fetch.js';

export type DoctorOptions = PlatformOptions;

export interface DoctorDeps {
  retryPolicy?: Partial<RetryPolicy>;
}

/** A preflight should answer in seconds: fewer retries than fetch, and at most a minute of rate-limit waits. */
const DOCTOR_RETRIES = 2;
const DOCTOR_MAX_WAIT_MS = 60_000;

export async function doctorCommand(options: DoctorOptions, io: Io, deps: DoctorDeps = {}): Promise<number> {
  const now = io.now();
  const env = effectiveEnv(io, options.envFile);
  const config = resolvePlatformConfig(options, env, now);
  const reporter = createReporter({ ...io, env }, { quiet: options.quiet, verbose: options.verbose });
  // Lines quote the platform (messages, names): one line each, no terminal control, no secret.
  const line = (text: string) => escapeText(redactSecrets(text, env));

  const pacer = new RateLimitPacer({
    maxWaitMs: DOCTOR_MAX_WAIT_MS,
    onWait: (ms) => reporter.info(`rate limited: waiting ${Math.ceil(ms / 1000)}s`),
  });
  const runner = new RequestRunner(pacer, { ...DEFAULT_RETRY_POLICY, retries: DOCTOR_RETRIES, ...deps.retryPolicy }, {
    onRetry: ({ error, attempt }) => reporter.info(`retrying after attempt ${attempt} failed: ${error}`),
  });
  const traces: RequestTrace[] = [];
  const client = await GenesysClient.create(
    { clientId: config.clientId, clientSecret: config.clientSecret, environment: config.environment, gateway: config.gateway },
    { onRequest: (trace) => traces.push(trace), onReauthenticated: () => reporter.info('access token refused (401): logged in again') },
  );

  const results = await runChecks(
    {
      source: config.source,
      loginHost: client.loginHost(),
      clientId: config.clientId,
      webhooks: config.webhooks,
      allWebhooks: config.allWebhooks,
      eventDefinitions: config.eventDefinitions,
    },
    {
      client,
      runner,
      now: () => Date.now(),
      takeRequests: () => traces.splice(0),
      onResult: (result) => {
        if (options.json) return;
        io.stdout.write(`${result.status.padEnd(4)}  ${line(`${result.label}: ${result.message}`)}\n`);
        for (const r of result.requests) {
          reporter.debug(`      ${r.method} ${r.path} -> ${r.status === undefined ? 'no response' : `HTTP ${r.status}`} (${r.ms} ms)`);
        }
        const names = result.details?.['definitions'];
        if (Array.isArray(names) && names.length > 0) reporter.debug(`      definitions: ${names.map((n) => `'${String(n)}'`).join(', ')}`);
      },
    },
  );

  // As for a fetch of several webhooks: the most severe of the failures.
  const exitCode = mostSevere(results.flatMap((r) => (r.status === 'fail' && r.exitCode !== undefined ? [r.exitCode] : [])));
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({
        source: config.source,
        loginHost: client.loginHost(),
        ok: exitCode === ExitCode.ok,
        exitCode,
        checks: results.map((r) => jsonCheck(r, options.verbose === true)),
      })}\n`,
    );
  } else {
    io.stdout.write(`${line(verdict(config.source, exitCode, results))}\n`);
  }
  return exitCode;
}

function jsonCheck(r: CheckResult, verbose: boolean): Record<string, unknown> {
  return {
    check: r.check,
    label: r.label,
    status: r.status,
    message: r.message,
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.details ? { details: r.details } : {}),
    ...(verbose ? { requests: r.requests } : {}),
  };
}

/** The last line: would `dlq fetch` work, and if the history source would not, is the events source there? */
function verdict(source: string, exitCode: number, results: readonly CheckResult[]): string {
  if (exitCode === ExitCode.ok) return `=> dlq fetch --source ${source} should work against this org`;
  const eventsReadable = results.some((r) => r.check === 'events.definitions' && r.status === 'ok');
  const alternative =
    source === 'history' && eventsReadable
      ? '; the events source (operational events) is readable: dlq fetch --source events --event-definition <name> (dlq doctor --source events --verbose lists them)'
      : '';
  return `=> dlq fetch --source ${source} would exit ${exitCode}${alternative}`;
}
