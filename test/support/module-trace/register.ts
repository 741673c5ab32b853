/**
 * Records every module a process loads, for tests that check what a command does NOT load (the
 * Genesys SDK, for offline commands). Use as `node --import <dist>/test/support/module-trace/register.js`
 * with DLQ_MODULE_TRACE=<log file>: ES modules are logged as they resolve (a loader hook, see
 * hooks.ts), CommonJS ones (the SDK is require()d) from the require cache when the process exits.
 * One line per module: its URL or path.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env['DLQ_MODULE_TRACE'];
if (log) {
  register(new URL('./hooks.js', import.meta.url), { data: { log } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const loaded = Object.keys(require.cache);
    if (loaded.length) appendFileSync(log, `${loaded.join('\n')}\n`);
  });
}
