/**
 * Opens the store a command was pointed at (see store-url.ts). The PostgreSQL backend (and the
 * `pg` client) is loaded only when asked for, so file users pay nothing for it at start-up.
 */
import type { DlqStore } from './dlq-store.js';
import { FileStore } from './file-store.js';
import { resolveStoreSpec, type StoreFlags, type StoreSpec } from './store-url.js';

export type { StoreFlags };

/** `env`: the command's effective environment (--env-file included); PostgreSQL reads its PG* variables. */
export async function openStoreSpec(spec: StoreSpec, env: NodeJS.ProcessEnv): Promise<DlqStore> {
  if (spec.kind === 'file') return new FileStore(spec.path);
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.open(spec.url, spec.location, env);
}

export function openStore(flags: StoreFlags, env: NodeJS.ProcessEnv, cwd: string): Promise<DlqStore> {
  return openStoreSpec(resolveStoreSpec(flags, env, cwd), env);
}

/** Runs `use` on the store and always closes it (a PostgreSQL pool would otherwise keep the process alive). */
export async function withStore<T>(flags: StoreFlags, env: NodeJS.ProcessEnv, cwd: string, use: (store: DlqStore) => Promise<T>): Promise<T> {
  const store = await openStore(flags, env, cwd);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
