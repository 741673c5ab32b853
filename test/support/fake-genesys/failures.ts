/** Deterministic, realistic failed deliveries for the local Genesys-compatible server. */
export interface HistoryItem {
  id?: string;
  timestamp?: string;
  statusCode?: number;
  statusMessage?: string;
  requestBody?: string;
  responseBody?: string;
  [k: string]: unknown;
}

/** mulberry32: a tiny seeded PRNG so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uuidFrom(random: () => number): string {
  // Four 32-bit draws rather than 32 nibble draws: the bench generates tens of thousands.
  let hex = '';
  for (let k = 0; k < 4; k += 1) hex += Math.floor(random() * 4294967296).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const OUTCOMES: [number, string, string][] = [
  [500, 'Internal Server Error', '{"error":"NullPointerException at OrderSync.handle(OrderSync.java:88)"}'],
  [502, 'Bad Gateway', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
  [503, 'Service Unavailable', '{"error":"upstream unavailable","retryable":true}'],
  [503, 'Service Unavailable', ''],
  [504, 'Gateway Timeout', '{"error":"timeout after 10000ms"}'],
  [404, 'Not Found', '{"message":"No route for POST /hooks/genesys"}'],
  [408, 'Request Timeout', '{}'],
  [429, 'Too Many Requests', '{"error":"rate limited"}'],
  [400, 'Bad Request', '{"error":"schema validation failed: eventBody.id is required"}'],
];
const TOPICS = ['v2.routing.queues.4b1d2c3e.conversations', 'v2.users.a7c1.presence', 'v2.detail.events.conversation.acw', 'v2.flows.outcomes'];
const NAMES = ['Ana Gómez', 'Björn Ødegård', 'Chloé Martin', '山田太郎', 'Zoë Smith', 'Renée Dubois', 'John Doe', 'Priya Sharma'];

export function makeFailures(
  count: number,
  options: { seed?: number; startTime?: Date; idPrefix?: string; integrationName?: string } = {},
): HistoryItem[] {
  const random = seededRandom(options.seed ?? 1);
  let t = (options.startTime ?? new Date('2026-11-22T15:00:00.000Z')).getTime();
  const items: HistoryItem[] = [];
  for (let i = 0; i < count; i += 1) {
    t -= 1000 + Math.floor(random() * 60_000);
    const [statusCode, statusMessage, responseBody] = OUTCOMES[Math.floor(random() * OUTCOMES.length)] as [number, string, string];
    const uuid = uuidFrom(random);
    const id = options.idPrefix ? `${options.idPrefix}-${uuid.slice(options.idPrefix.length + 1)}` : uuid;
    const payload = {
      eventId: uuidFrom(random),
      topicName: TOPICS[Math.floor(random() * TOPICS.length)],
      version: '2',
      eventBody: {
        id: `conv-${100000 + Math.floor(random() * 900000)}`,
        participants: [{ purpose: 'customer', name: NAMES[Math.floor(random() * NAMES.length)] }],
        ...(options.integrationName ? { webhook: options.integrationName } : {}),
      },
      metadata: { CorrelationId: uuidFrom(random) },
    };
    items.push({
      id,
      timestamp: new Date(t).toISOString(),
      statusCode,
      statusMessage,
      requestBody: JSON.stringify(payload),
      responseBody,
    });
  }
  return items;
}
