/**
 * Records every module a process loads, for tests that check what a command does NOT load (the
 * Genesys SDK, for offline commands). Use as `node --import <dist>/test/support/module-trace/register.js`
 * with DLQ_MODULE_TRACE=<log file>: ES modules are logged as they resolve (a loader hook, see
 * hooks.ts), CommonJS ones (the SDK is require()d) from the require cache when the process exits.
 * One line per module: its URL or path; Node's own internal modules (process.moduleLoadList, e.g.
 * `internal:internal/deps/undici/undici`, Node's fetch) as `internal:<name>`.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env['DLQ_MODULE_TRACE'];
if (log) {
  register(new URL('./hooks.js', import.meta.url), { data: { log } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    // process.moduleLoadList: Node's (undocumented, long-standing) list of its internal modules loaded.
    const builtins = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList ?? [];
    const internal = builtins.filter((m) => m.startsWith('NativeModule ')).map((m) => `internal:${m.slice('NativeModule '.length)}`);
    const loaded = [...Object.keys(require.cache), ...internal];
    if (loaded.length) appendFileSync(log, `${loaded.join('\n')}\n`);
  });
}
