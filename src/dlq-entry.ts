/**
 * One dead letter as stored in the DLQ file (see ../shared/genesys-dlq-contract.md §5).
 * Files written by the original seven-field script carry only the first seven fields, so
 * everything after them is optional. Unknown fields are preserved on rewrite.
 */
export type ReplayStatus = 'pending' | 'succeeded' | 'failed';
export const REPLAY_STATUSES: readonly ReplayStatus[] = ['pending', 'succeeded', 'failed'];

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
  status_code?: number;
  status_message?: string;
  request_body?: string;
  response_body?: string;
  webhook_id?: string;
  webhook_name?: string;
  first_seen_at?: string;
  last_seen_at?: string;
  replay_status?: ReplayStatus;
  replays?: ReplayAttempt[];
  [extra: string]: unknown;
}

/** `replay_status` of an entry; entries from the seven-field script have never been replayed. */
export function replayStatusOf(entry: DlqEntry): ReplayStatus {
  const status = entry.replay_status;
  return status === 'succeeded' || status === 'failed' ? status : 'pending';
}
