/**
 * Operational events for the local Genesys-compatible server, shaped after the SDK's
 * OperationalEvent model (contract §6): no id, no payload.
 */
import { seededRandom, uuidFrom } from './failures.js';

export interface FakeOperationalEvent {
  eventDefinition?: { id?: string; selfUri?: string };
  entityId?: string;
  entityToken?: string;
  entityName?: string;
  previousValue?: string;
  currentValue?: string;
  errorCode?: string;
  parentEntityId?: string;
  conversation?: { id?: string; selfUri?: string };
  dateCreated?: string;
  dateModified?: string;
  entityModifiedBy?: string;
  entityVersion?: string;
  phoneNumber?: string;
  externalContactId?: string;
  [k: string]: unknown;
}

export interface FakeEventDefinition {
  id: string;
  name: string;
  description?: string;
}

/** Two definitions a real org lists (ids made up, names as in the Operational Console). */
export const DATA_ACTION_FAILED: FakeEventDefinition = {
  id: '9bd3c6f1-2d1e-4c55-9a0e-2f1b7c2a4e01',
  name: 'Data Action Failed',
  description: 'A data action failed to execute',
};
export const FLOW_ERROR: FakeEventDefinition = {
  id: '4f6e0d2a-8b3c-4a1d-b7e5-6c9f0a1b2c02',
  name: 'Architect Flow Error',
  description: 'A flow encountered an error',
};

const ERRORS: [string | undefined, string | undefined][] = [
  ['http.status.503', undefined],
  ['http.status.500', undefined],
  ['ACTION.REMOTE_ENDPOINT', '502'],
  ['ACTION.TIMEOUT', undefined],
  [undefined, '429'],
  ['INVALID_RESPONSE_BODY', undefined],
];
const ACTIONS = ['Salesforce - Get Contact', 'Zendesk - Create Ticket', 'Orders API lookup', 'Ünïcode Action «test»'];

/**
 * `count` events of `definition`, newest first: the newest at `newest`, each `stepMs` older than
 * the one before. Deterministic for a seed.
 */
export function makeEvents(
  count: number,
  options: { definition: FakeEventDefinition; newest: Date; stepMs: number; seed?: number },
): FakeOperationalEvent[] {
  const random = seededRandom(options.seed ?? 7);
  const out: FakeOperationalEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = new Date(options.newest.getTime() - i * options.stepMs).toISOString();
    const [errorCode, currentValue] = ERRORS[Math.floor(random() * ERRORS.length)] as [string | undefined, string | undefined];
    const actionId = uuidFrom(random);
    const conversationId = uuidFrom(random);
    out.push({
      eventDefinition: { id: options.definition.id, selfUri: `/api/v2/usage/events/definitions/${options.definition.id}` },
      entityId: actionId,
      entityName: ACTIONS[Math.floor(random() * ACTIONS.length)] as string,
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(currentValue !== undefined ? { currentValue } : {}),
      conversation: { id: conversationId, selfUri: `/api/v2/conversations/${conversationId}` },
      dateCreated: at,
      entityVersion: String(1 + Math.floor(random() * 9)),
    });
  }
  return out;
}
