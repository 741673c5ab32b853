/**
 * `dlq replay --routes <file.json>` (issue #13): one receiver per webhook.
 *
 *   {
 *     "Orders":  { "to": "https://orders.example.com/hook", "header_file": "orders.headers" },
 *     "3fa85f64-5717-4562-b3fc-2c963f66afa6": { "to": "https://b.example.com/hook", "sign_secret_env": "B_SECRET" },
 *     "*":       { "to": "https://catch-all.example.com/hook", "headers": { "X-Tenant": "acme" } }
 *   }
 *
 * A key is a webhook id (exact) or name (case-insensitive, as `--webhook` matches), or `"*"` for
 * every other webhook. An entry goes to the route of its webhook id, else of its name, else `"*"`;
 * with none, it is not sent (counted as `no route`). `header_file` paths are relative to the
 * routes file. Secrets never sit in the file itself unless the user puts them in `headers`:
 * `header_file` and `sign_secret_env` keep them out of it.
 */
import { dirname, resolve } from 'node:path';
import type { WebhookRef } from '../store/dlq-store.js';
import { UsageError } from '../errors.js';
import { mergeHeaders, parseHeaderLine, parseHeaderLines, type HeaderList } from './request-headers.js';
import { readFlagFile } from './read-flag-file.js';
import { parseSignSecret } from './signer.js';
import { parseTarget, type ReplayTarget } from './target-url.js';

/** Where one entry goes, with what. */
export interface Route {
  /** The routes-file key (`"*"` for the catch-all); undefined for the single `--to` target. */
  name: string | undefined;
  target: ReplayTarget;
  /** Complete: the run's shared headers with this route's own merged over them. */
  headers: HeaderList;
  signKey: Buffer | undefined;
}

export const CATCH_ALL = '*';
const ROUTE_FIELDS = new Set(['to', 'headers', 'header_file', 'sign_secret_env']);

/** What the run gives every route unless the route sets its own. */
export interface RouteDefaults {
  headers: HeaderList;
  signKey: Buffer | undefined;
}

/** Reads and validates the routes file. Every problem is a UsageError (exit 2) naming file and route. */
export function loadRoutes(file: string, cwd: string, env: NodeJS.ProcessEnv, defaults: RouteDefaults): Route[] {
  const path = resolve(cwd, file);
  const where = `--routes ${file}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFlagFile(file, where, cwd));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${where}: expected a JSON object mapping webhook names or ids to routes`);
  }
  const keys = Object.keys(parsed);
  if (keys.length === 0) throw new UsageError(`${where}: no routes`);
  const seen = new Map<string, string>();
  return keys.map((key) => {
    const lower = key.trim().toLowerCase();
    if (lower === '') throw new UsageError(`${where}: empty webhook name`);
    const twin = seen.get(lower);
    if (twin !== undefined) throw new UsageError(`${where}: routes '${twin}' and '${key}' name the same webhook`);
    seen.set(lower, key);
    return parseRoute(key, (parsed as Record<string, unknown>)[key], { where, dir: dirname(path), env, defaults });
  });
}

function parseRoute(
  key: string,
  value: unknown,
  context: { where: string; dir: string; env: NodeJS.ProcessEnv; defaults: RouteDefaults },
): Route {
  const where = `${context.where}: route '${key}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${where}: expected an object with "to"`);
  const spec = value as Record<string, unknown>;
  for (const field of Object.keys(spec)) {
    if (!ROUTE_FIELDS.has(field)) throw new UsageError(`${where}: unknown field '${field}' (expected to, headers, header_file, sign_secret_env)`);
  }
  if (typeof spec['to'] !== 'string') throw new UsageError(`${where}: "to" must be a URL string`);
  const target = parseTarget(spec['to'], undefined, `${where}: to`);

  let own: HeaderList = [];
  if (spec['headers'] !== undefined) {
    const headers = spec['headers'];
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      throw new UsageError(`${where}: "headers" must be an object of "Name": "value"`);
    }
    own = Object.entries(headers).map(([name, v]) => {
      if (typeof v !== 'string') throw new UsageError(`${where}: headers: the value of '${name}' must be a string`);
      return parseHeaderLine(`${name}: ${v}`, `${where}: headers`);
    });
  }
  let fromFile: HeaderList = [];
  if (spec['header_file'] !== undefined) {
    if (typeof spec['header_file'] !== 'string' || spec['header_file'] === '') throw new UsageError(`${where}: "header_file" must be a path`);
    const file = spec['header_file'];
    const text = readFlagFile(file, `${where}: header_file`, context.dir);
    fromFile = parseHeaderLines(text, (line) => `${where}: ${file}:${line}`);
  }
  let signKey = context.defaults.signKey;
  if (spec['sign_secret_env'] !== undefined) {
    const name = spec['sign_secret_env'];
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`${where}: "sign_secret_env" must be an environment variable name`);
    }
    const secret = context.env[name];
    if (secret === undefined || secret === '') throw new UsageError(`${where}: sign_secret_env ${name} is not set`);
    signKey = parseSignSecret(secret, `${where}: ${name}`);
  }
  return {
    name: key,
    target,
    // The route's own headers win over the run's (--header, --header-file, DLQ_REPLAY_HEADERS).
    headers: mergeHeaders(context.defaults.headers, fromFile, own),
    signKey,
  };
}

/**
 * The route of each entry: webhook id (exact), else name (case-insensitive), else "*". Like
 * `--webhook`, a name key also matches seven-field entries (webhook_id only) whose id another
 * entry in `known` (every webhook the store's entries name, in store order) gives that name.
 */
export function routeResolver(routes: readonly Route[], known: readonly WebhookRef[]): (entry: WebhookRef) => Route | undefined {
  const byKey = new Map<string, Route>();
  let catchAll: Route | undefined;
  for (const route of routes) {
    if (route.name === undefined || route.name === CATCH_ALL) catchAll = route;
    else byKey.set(route.name, route);
  }
  const byName = new Map<string, Route>();
  for (const route of byKey.values()) byName.set((route.name as string).trim().toLowerCase(), route);
  const byNamedId = new Map<string, Route>();
  for (const e of known) {
    if (typeof e.webhook_id !== 'string' || typeof e.webhook_name !== 'string') continue;
    const route = byName.get(e.webhook_name.toLowerCase());
    if (route && !byNamedId.has(e.webhook_id)) byNamedId.set(e.webhook_id, route);
  }
  return (entry) => {
    const id = typeof entry.webhook_id === 'string' ? entry.webhook_id : undefined;
    const name = typeof entry.webhook_name === 'string' ? entry.webhook_name.toLowerCase() : undefined;
    return (
      (id !== undefined ? byKey.get(id) : undefined) ??
      (name !== undefined ? byName.get(name) : undefined) ??
      (id !== undefined ? byNamedId.get(id) : undefined) ??
      catchAll
    );
  };
}
