/**
 * The field names `--sort` and `--group-by` accept. Kept free of imports so cli.ts can build its
 * help and choices from them without loading the list machinery at start-up.
 */
export const SORT_FIELDS = [
  'timestamp',
  'status_code',
  'delivery_id',
  'webhook',
  'replay_status',
  'last_seen_at',
  'first_seen_at',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export const GROUP_FIELDS = ['status_code', 'webhook', 'day', 'replay_status'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

/** `dlq replay --order`: by failure time (issue #13). First is the default. */
export const REPLAY_ORDERS = ['oldest', 'newest'] as const;
export type ReplayOrder = (typeof REPLAY_ORDERS)[number];

/**
 * The two platform sources (`--source` of fetch, doctor, list and replay): `history` is the
 * designed failed-delivery history (contract §3), `events` the operational events a real org
 * offers (contract §6).
 */
export const SOURCE_NAMES = ['history', 'events'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];
