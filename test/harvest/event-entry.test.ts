import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationalEvent } from '../../src/genesys/client.js';
import { entryFromEvent, eventDeliveryId, eventStatusCode } from '../../src/harvest/event-entry.js';

const definition = { id: 'def-1', name: 'Data Action Failed' };
const seenAt = '2026-11-23T10:00:00.000Z';
const event: OperationalEvent = {
  eventDefinition: { id: 'def-1', selfUri: '/api/v2/usage/events/definitions/def-1' },
  entityId: 'action-7',
  entityName: 'Salesforce - Get Contact',
  errorCode: 'http.status.503',
  conversation: { id: 'conv-1', selfUri: '/api/v2/conversations/conv-1' },
  dateCreated: '2026-11-22T08:00:00.000Z',
  entityVersion: '3',
};

test('an event becomes an entry as documented: ids, time, status, message, null bodies, the event kept whole', () => {
  const entry = entryFromEvent(event, definition, seenAt);
  assert.match(entry.delivery_id, /^opev-[0-9a-f]{32}$/);
  assert.deepEqual(
    { ...entry, delivery_id: 'x' },
    {
      delivery_id: 'x',
      timestamp: '2026-11-22T08:00:00.000Z',
      status_code: 503,
      status_message: 'http.status.503 (Salesforce - Get Contact)',
      request_body: null,
      response_body: null,
      webhook_id: 'action-7',
      webhook_name: 'Salesforce - Get Contact',
      first_seen_at: seenAt,
      last_seen_at: seenAt,
      replay_status: 'pending',
      replays: [],
      source: 'operational-event',
      event_definition: { id: 'def-1', name: 'Data Action Failed' },
      event,
    },
  );
  assert.equal(entry.event, event, 'the event exactly as received');
});

test('the delivery id is the same on every run and ignores links; another identifying field changes it', () => {
  const id = eventDeliveryId(event);
  assert.equal(eventDeliveryId(structuredClone(event)), id);
  // Key order and links do not matter.
  const reordered: OperationalEvent = {
    dateCreated: event.dateCreated,
    entityVersion: '3',
    conversation: { id: 'conv-1' },
    errorCode: 'http.status.503',
    entityName: event.entityName,
    entityId: 'action-7',
    eventDefinition: { id: 'def-1', selfUri: 'https://elsewhere/def-1' },
  };
  assert.equal(eventDeliveryId(reordered), id);
  assert.notEqual(eventDeliveryId({ ...event, dateCreated: '2026-11-22T08:00:00.001Z' }), id);
  assert.notEqual(eventDeliveryId({ ...event, eventDefinition: { id: 'def-2' } }), id);
  assert.notEqual(eventDeliveryId({ ...event, conversation: { id: 'conv-2' } }), id);
  // Pinned: a change of the hashing would duplicate every stored event on the next run.
  assert.equal(eventDeliveryId({}), eventDeliveryId({ dateModified: '2026-01-01T00:00:00Z' }));
  assert.equal(
    eventDeliveryId({ dateCreated: '2026-11-22T08:00:00.000Z', eventDefinition: { id: 'def-1' }, entityId: 'action-7' }),
    'opev-ac7e50e08fdb7a38e4bccd1ad6935c4a',
  );
});

test('status_code: the HTTP status in errorCode or currentValue, else null', () => {
  assert.equal(eventStatusCode({ errorCode: 'http.status.503' }), 503);
  assert.equal(eventStatusCode({ errorCode: 'HTTP_429' }), 429);
  assert.equal(eventStatusCode({ errorCode: '502' }), 502);
  assert.equal(eventStatusCode({ errorCode: 'ACTION.REMOTE_ENDPOINT', currentValue: '504' }), 504);
  assert.equal(eventStatusCode({ currentValue: ' 404 ' }), 404);
  assert.equal(eventStatusCode({ errorCode: 'ACTION.TIMEOUT' }), null);
  assert.equal(eventStatusCode({ errorCode: 'code1503' }), null, 'digits glued to a word are no status');
  assert.equal(eventStatusCode({ currentValue: '5030' }), null);
  assert.equal(eventStatusCode({ currentValue: '42' }), null);
  assert.equal(eventStatusCode({}), null);
});

test('missing fields: no webhook fields, the definition names the message, the fetch dates it', () => {
  const entry = entryFromEvent({}, definition, seenAt);
  assert.equal(entry.timestamp, seenAt);
  assert.equal(entry.status_code, null);
  assert.equal(entry.status_message, 'Data Action Failed');
  assert.equal('webhook_id' in entry, false);
  assert.equal('webhook_name' in entry, false);
  assert.equal(entryFromEvent({ errorCode: 'ACTION.TIMEOUT' }, definition, seenAt).status_message, 'ACTION.TIMEOUT');
  assert.equal(entryFromEvent({ entityName: 'Flow X' }, definition, seenAt).status_message, 'Data Action Failed (Flow X)');
});
