/**
 * How an operational event (contract §6) becomes a DLQ entry (contract §5). Documented in
 * README.md ("Entries from operational events") and kept stable: the delivery id must come out the
 * same on every run, or a rerun would duplicate every event.
 *
 * - delivery_id: `opev-` + the first 32 hex digits of a SHA-256 over the event's identifying
 *   fields (EVENT_ID_FIELDS, in that order); links (`selfUri`) and `dateModified` are left out.
 * - timestamp: dateCreated (the fetch's time when missing, as for history items).
 * - status_code: the HTTP status errorCode or currentValue carries (`http.status.503`, `503`), else null.
 * - status_message: errorCode, with entityName when present.
 * - request_body / response_body: null (an event has no payload: never replayed).
 * - webhook_id / webhook_name: entityId / entityName (left out when the event has none).
 * - source "operational-event", event_definition {id, name}, event exactly as received.
 */
import { createHash } from 'node:crypto';
import { EVENT_ENTRY_SOURCE, type DlqEntry } from '../dlq-entry.js';
import type { OperationalEvent } from '../genesys/client.js';

export const EVENT_ID_PREFIX = 'opev-';

/** The fields that identify an event, in hashing order (a missing field hashes as null). */
export const EVENT_ID_FIELDS = [
  'eventDefinition.id',
  'dateCreated',
  'entityId',
  'entityToken',
  'entityName',
  'entityVersion',
  'entityModifiedBy',
  'parentEntityId',
  'conversation.id',
  'errorCode',
  'previousValue',
  'currentValue',
  'phoneNumber',
  'externalContactId',
] as const;

export interface EventDefinitionRef {
  id: string;
  name: string;
}

function field(event: OperationalEvent, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value === undefined ? null : value;
}

/** The stable delivery id of an event. */
export function eventDeliveryId(event: OperationalEvent): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(EVENT_ID_FIELDS.map((path) => field(event, path))))
    .digest('hex');
  return `${EVENT_ID_PREFIX}${digest.slice(0, 32)}`;
}

/**
 * The HTTP status an event carries: an errorCode ending in a status after a separator or alone
 * (`http.status.503`, `HTTP_503`, `503`), or a currentValue that is one; null otherwise.
 */
export function eventStatusCode(event: OperationalEvent): number | null {
  const fromCode = typeof event.errorCode === 'string' ? /(?:^|[.:_\s-])([1-5]\d\d)$/.exec(event.errorCode.trim()) : null;
  if (fromCode) return Number(fromCode[1]);
  const fromValue = typeof event.currentValue === 'string' ? /^([1-5]\d\d)$/.exec(event.currentValue.trim()) : null;
  return fromValue ? Number(fromValue[1]) : null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A new DLQ entry for `event` of `definition`, first seen at `seenAt`. */
export function entryFromEvent(event: OperationalEvent, definition: EventDefinitionRef, seenAt: string): DlqEntry {
  const errorCode = text(event.errorCode);
  const entityName = text(event.entityName);
  const entityId = text(event.entityId);
  // errorCode, with entityName when present; an event with neither is named by its definition.
  const message = errorCode !== undefined ? (entityName !== undefined ? `${errorCode} (${entityName})` : errorCode) : entityName !== undefined ? `${definition.name} (${entityName})` : definition.name;
  const entry: DlqEntry = {
    delivery_id: eventDeliveryId(event),
    timestamp: text(event.dateCreated) ?? seenAt,
    status_code: eventStatusCode(event),
    status_message: message,
    request_body: null,
    response_body: null,
  };
  if (entityId !== undefined) entry.webhook_id = entityId;
  if (entityName !== undefined) entry.webhook_name = entityName;
  entry.first_seen_at = seenAt;
  entry.last_seen_at = seenAt;
  entry.replay_status = 'pending';
  entry.replays = [];
  entry.source = EVENT_ENTRY_SOURCE;
  entry.event_definition = { id: definition.id, name: definition.name };
  entry.event = event as Record<string, unknown>;
  return entry;
}
