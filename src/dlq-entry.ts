/**
 * One dead letter as stored in the DLQ file (see ../shared/genesys-dlq-contract.md §5).
 * Files written by the original seven-field script carry only the first seven fields, so
 * everything after them is optional. Unknown fields are preserved on rewrite.
 */
export type ReplayStatus = 'pending' | 'succeeded' | 'failed' | 'resolved';
export const REPLAY_STATUSES: readonly ReplayStatus[] = ['pending', 'succeeded', 'failed', 'resolved'];

export interface ReplayAttempt {
  at: string;
  target: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  [extra: string]: unknown;
}

export interface DlqEntry {
  delivery_id: string;
  timestamp?: string;
  /** null for an operational event that carries no HTTP status. */
  status_code?: number | null;
  status_message?: string;
  /** null for operational events: they carry no payload and are never replayed. */
  request_body?: string | null;
  response_body?: string | null;
  webhook_id?: string;
  webhook_name?: string;
  first_seen_at?: string;
  last_seen_at?: string;
  replay_status?: ReplayStatus;
  replays?: ReplayAttempt[];
  /** Absent or `history` for history items, `operational-event` for events (contract §5, §6). */
  source?: string;
  /** For events: the definition it belongs to. */
  event_definition?: { id: string; name: string };
  /** For events: the event exactly as received. */
  event?: Record<string, unknown>;
  /** Set by `dlq resolve` (contract §5: `resolved` = handled by a person, never replayed). */
  resolved_at?: string;
  resolved_note?: string;
  [extra: string]: unknown;
}

/** The `source` of entries harvested from operational events (contract §5). */
export const EVENT_ENTRY_SOURCE = 'operational-event';

/** True for entries harvested from operational events. */
export function isEventEntry(entry: DlqEntry): boolean {
  return entry.source === EVENT_ENTRY_SOURCE;
}

/** `replay_status` of an entry; entries from the seven-field script have never been replayed. */
export function replayStatusOf(entry: DlqEntry): ReplayStatus {
  const status = entry.replay_status;
  return status === 'succeeded' || status === 'failed' || status === 'resolved' ? status : 'pending';
}

/**
 * What the replay history alone says: `pending` without tries, else `succeeded` when the newest
 * try got a 2xx and `failed` otherwise (the rule replay itself follows). `dlq resolve --undo`
 * puts an entry back to this.
 */
export function replayStatusFromHistory(entry: DlqEntry): Exclude<ReplayStatus, 'resolved'> {
  const replays = Array.isArray(entry.replays) ? entry.replays : [];
  const last = replays[replays.length - 1];
  if (last === undefined) return 'pending';
  return isSuccessStatus(last.http_status) ? 'succeeded' : 'failed';
}

/** A 2xx: the try succeeded (the one rule for replay, its retries and every store's replay_status). */
export function isSuccessStatus(status: number | null | undefined): boolean {
  return typeof status === 'number' && status >= 200 && status < 300;
}
