/**
 * Turns the `--event-definition` values (names or ids) into definitions, against the org's listing
 * (`GET /api/v2/usage/events/definitions`, contract §6). Ids match exactly; names match exactly
 * but case-insensitively. An unknown value is exit 4 naming close names.
 */
import { EventDefinitionResolutionError } from '../errors.js';
import type { EventDefinition, GenesysClient } from '../genesys/client.js';
import type { EventDefinitionRef } from './event-entry.js';
import type { RequestRunner } from './request-runner.js';
import { closeMatches } from './resolve-webhook.js';

/** Every definition the org lists (entries without an id are useless to a query and are dropped). */
export async function listEventDefinitions(
  client: Pick<GenesysClient, 'eventDefinitions'>,
  runner: RequestRunner,
): Promise<EventDefinitionRef[]> {
  const res = await runner.run('event definitions', () => client.eventDefinitions());
  return definitionsOf(res.body);
}

/** The usable definitions of an EventDefinitionListing body. */
export function definitionsOf(body: { entities?: unknown }): EventDefinitionRef[] {
  const entities: unknown[] = Array.isArray(body.entities) ? body.entities : [];
  return entities
    .filter((d): d is EventDefinition & { id: string } => typeof d === 'object' && d !== null && typeof (d as EventDefinition).id === 'string')
    .map((d) => ({ id: d.id, name: typeof d.name === 'string' && d.name !== '' ? d.name : d.id }));
}

/** The definitions `wanted` names, in the order given, each once. */
export function matchEventDefinitions(wanted: readonly string[], available: readonly EventDefinitionRef[]): EventDefinitionRef[] {
  const chosen = new Map<string, EventDefinitionRef>();
  for (const value of wanted) {
    const lower = value.toLowerCase();
    const byId = available.filter((d) => d.id === value);
    const matches = byId.length > 0 ? byId : available.filter((d) => d.name.toLowerCase() === lower);
    if (matches.length === 0) {
      const close = closeMatches(value, available.map((d) => d.name));
      const hint =
        close.length > 0
          ? `; close names: ${close.map((n) => `'${n}'`).join(', ')}`
          : available.length > 0
            ? '; dlq doctor --source events --verbose lists them'
            : '; the org lists none';
      throw new EventDefinitionResolutionError(`events source: no operational-event definition named '${value}'${hint}`, value);
    }
    for (const d of matches) chosen.set(d.id, d);
  }
  return [...chosen.values()];
}
