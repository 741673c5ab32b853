/**
 * Everything human-facing on stderr goes through a Reporter: plain one-line messages when stderr
 * is not a terminal (cron, CI, pipes), an ora spinner on a terminal, nothing with --quiet.
 * Every line is passed through redactSecrets. With `--log-format json` each line is one JSON
 * object instead (output/log-line.ts) and there is no spinner.
 */
import type { Ora } from 'ora';
import { interactiveStderr, type Io } from '../io.js';
import { escapeText } from './escape-text.js';
import { formatLogLine, type LogLevel } from './log-line.js';
import { redactSecrets } from '../redact.js';

export interface Reporter {
  /** A normal progress/log line (suppressed by --quiet). */
  info(message: string): void;
  /** Only with --verbose. */
  debug(message: string): void;
  /** A warning line (suppressed by --quiet, like everything here; errors go through the top-level catch). */
  warn(message: string): void;
  /** Updates the spinner text on a terminal; on a pipe, prints the line only if `logLine` is true. */
  progress(message: string, logLine?: boolean): void;
  /** Stops the spinner (if any), leaving stderr clean for the final line. */
  stop(): void;
}

export interface ReporterOptions {
  quiet?: boolean;
  verbose?: boolean;
}

export function createReporter(io: Io, options: ReporterOptions = {}): Reporter {
  // One line each, whatever text from the platform or the file it quotes (escapeText).
  const write = (line: string, level: LogLevel = 'info') => void io.stderr.write(formatLogLine(io, level, line));
  if (options.quiet) {
    return { info() {}, debug() {}, warn() {}, progress() {}, stop() {} };
  }
  const interactive = interactiveStderr(io);
  let spinner: Ora | undefined;
  // ora is loaded only when a spinner is wanted: cron and pipes never pay for it.
  let loading: Promise<void> | undefined;
  let latest = '';
  let stopped = false;
  const withSpinnerPaused = (fn: () => void) => {
    if (spinner?.isSpinning) {
      spinner.clear();
      fn();
      spinner.render();
    } else fn();
  };
  return {
    info: (m) => withSpinnerPaused(() => write(m)),
    debug: (m) => {
      if (options.verbose) withSpinnerPaused(() => write(m, 'debug'));
    },
    warn: (m) => withSpinnerPaused(() => write(m, 'warn')),
    progress: (m, logLine = false) => {
      if (!interactive) {
        if (logLine) write(m);
        return;
      }
      latest = escapeText(redactSecrets(m, io.env));
      stopped = false;
      if (spinner) {
        spinner.text = latest;
        return;
      }
      loading ??= Promise.all([import('ora'), import('chalk')]).then(([{ default: ora }, { Chalk }]) => {
        if (stopped) return;
        // Interactivity (and with it colour) was decided by interactiveStderr from our Io. ora would
        // colour its frames through chalk's own guess from process.argv and process.env, so it
        // gets frames we coloured ourselves instead.
        const s = ora({ text: latest, stream: io.stderr as NodeJS.WritableStream, discardStdin: false, isEnabled: true, color: false });
        const cyan = new Chalk({ level: 1 }).cyan;
        s.spinner = { interval: s.interval, frames: s.spinner.frames.map((f) => cyan(f)) };
        spinner = s.start();
      });
    },
    stop: () => {
      stopped = true;
      spinner?.stop();
      spinner = undefined;
      loading = undefined;
    },
  };
}
