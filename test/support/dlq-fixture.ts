/**
 * Deterministic, realistic DLQ entries for tests and the speed check: Genesys-style event
 * payloads, a spread of failure codes, every contract field, a mix of replay states (some with
 * replay history) and some seven-field-only entries as the original script wrote them.
 */
import type { DlqEntry, ReplayAttempt } from '../../src/dlq-entry.js';
import { seededRandom } from './fake-genesys/failures.js';

export interface FixtureWebhook {
  id: string;
  name: string;
}

export interface FixtureOptions {
  seed: number;
  webhooks?: readonly FixtureWebhook[];
  /** The newest possible failure time; entries spread over the 30 days before it. */
  now?: Date;
}

export const DEFAULT_WEBHOOKS: readonly FixtureWebhook[] = [
  { id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', name: 'MyCriticalWebhook' },
  { id: '9b2d6a1e-0c44-4e8f-a3a7-51c1f0d2b9e4', name: 'Orders' },
  { id: 'c56a4180-65aa-42ec-a945-5fd21dec0538', name: 'Billing Events' },
];

const FAILURES: readonly [code: number, message: string, weight: number][] = [
  [503, 'Service Unavailable', 30],
  [500, 'Internal Server Error', 15],
  [502, 'Bad Gateway', 10],
  [504, 'Gateway Timeout', 10],
  [429, 'Too Many Requests', 10],
  [404, 'Not Found', 8],
  [400, 'Bad Request', 7],
  [401, 'Unauthorized', 5],
  [408, 'Request Timeout', 5],
];
const TOTAL_WEIGHT = FAILURES.reduce((s, f) => s + f[2], 0);

const TOPICS = [
  'v2.detail.events.conversation.{id}.customer.start',
  'v2.detail.events.conversation.{id}.customer.end',
  'v2.detail.events.conversation.{id}.acw',
  'v2.routing.queues.{id}.conversations',
];

export function makeDlqEntries(count: number, options: FixtureOptions): DlqEntry[] {
  const rand = seededRandom(options.seed);
  const webhooks = options.webhooks ?? DEFAULT_WEBHOOKS;
  const nowMs = (options.now ?? new Date('2026-03-10T12:00:00.000Z')).getTime();
  const span = 30 * 86_400_000;
  const int = (n: number) => Math.floor(rand() * n);
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]}${hex(3)}-${hex(12)}`;
  const iso = (ms: number) => new Date(ms).toISOString();

  const entries: DlqEntry[] = [];
  for (let i = 0; i < count; i++) {
    let pick = int(TOTAL_WEIGHT);
    let failure = FAILURES[0] as (typeof FAILURES)[number];
    for (const f of FAILURES) {
      if (pick < f[2]) {
        failure = f;
        break;
      }
      pick -= f[2];
    }
    const [code, message] = failure;
    const webhook = webhooks[int(webhooks.length)] as FixtureWebhook;
    const failedMs = nowMs - int(span);
    const conversationId = uuid();
    const requestBody = JSON.stringify({
      topicName: (TOPICS[int(TOPICS.length)] as string).replace('{id}', conversationId),
      version: '2',
      eventBody: {
        eventTime: failedMs,
        conversationId,
        participantId: uuid(),
        sessionId: uuid(),
        mediaType: ['VOICE', 'CHAT', 'EMAIL', 'MESSAGE'][int(4)],
        direction: rand() < 0.7 ? 'INBOUND' : 'OUTBOUND',
        ani: `tel:+1${String(2000000000 + int(7999999999)).slice(0, 10)}`,
        dnis: 'tel:+18005550100',
        queueId: uuid(),
        divisionId: uuid(),
        attributes: { orderId: `order-${int(100000)}`, customerTier: ['gold', 'silver', 'bronze'][int(3)] },
      },
      metadata: { CorrelationId: uuid() },
    });
    const responseBody =
      code >= 500 && rand() < 0.4
        ? `<html><head><title>${code} ${message}</title></head><body><center><h1>${code} ${message}</h1></center><hr><center>nginx</center></body></html>`
        : rand() < 0.2
          ? ''
          : JSON.stringify({ error: message.toLowerCase().replace(/ /g, '_'), status: code, requestId: hex(16) });
    const entry: DlqEntry = {
      delivery_id: uuid(),
      timestamp: iso(failedMs),
      status_code: code,
      status_message: message,
      request_body: requestBody,
      response_body: responseBody,
      webhook_id: webhook.id,
    };
    // One in ten as the original seven-field script wrote them.
    if (rand() >= 0.1) {
      const firstSeen = failedMs + int(3_600_000);
      entry.webhook_name = webhook.name;
      entry.first_seen_at = iso(firstSeen);
      entry.last_seen_at = iso(Math.min(nowMs, firstSeen + int(3 * 86_400_000)));
      const state = rand();
      if (state < 0.7) {
        entry.replay_status = 'pending';
        entry.replays = [];
      } else {
        const succeeded = state >= 0.85;
        const attempts = 1 + int(3);
        const replays: ReplayAttempt[] = [];
        let at = firstSeen + 600_000;
        for (let a = 0; a < attempts; a++) {
          const last = a === attempts - 1;
          const ok = succeeded && last;
          const refused = !ok && rand() < 0.3;
          replays.push({
            at: iso(at),
            target: 'https://receiver.example.com/webhooks/genesys',
            http_status: ok ? 200 : refused ? null : [500, 502, 503][int(3)] as number,
            error: ok ? null : refused ? 'connect ECONNREFUSED 10.0.0.12:443' : null,
            duration_ms: 20 + int(900),
          });
          at += 60_000 + int(3_600_000);
        }
        entry.replay_status = succeeded ? 'succeeded' : 'failed';
        entry.replays = replays;
      }
    }
    entries.push(entry);
  }
  return entries;
}
