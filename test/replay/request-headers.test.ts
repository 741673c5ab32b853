import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { redactSecrets } from '../../src/redact.js';
import { buildRequestHeaders, parseHeaderFlags } from '../../src/replay/request-headers.js';

test('--header values parse into name/value pairs', () => {
  assert.deepEqual(parseHeaderFlags(['X-Tenant: acme', 'X-Empty:', 'X-Colon: a:b']), [
    ['X-Tenant', 'acme'],
    ['X-Empty', ''],
    ['X-Colon', 'a:b'],
  ]);
  assert.deepEqual(parseHeaderFlags(undefined), []);
});

test('malformed, injected or reserved headers are usage errors naming --header', () => {
  for (const bad of ['no colon', ': value', 'Bad Name: x', 'X-A: one\r\nX-B: two', 'Idempotency-Key: x', 'content-length: 3', 'Host: evil']) {
    assert.throws(() => parseHeaderFlags([bad]), (e: unknown) => e instanceof UsageError && /^--header: /.test((e as Error).message), bad);
  }
});

test('credential-looking header values are registered for redaction', () => {
  parseHeaderFlags(['Authorization: Token abcdef123456', 'X-Api-Key: k3y-value-42']);
  assert.equal(redactSecrets('a abcdef123456 b k3y-value-42'), 'a [redacted] b [redacted]');
});

test('dlq headers are set; user extras add to them and may replace content-type / user-agent only', () => {
  const h = buildRequestHeaders({
    deliveryId: 'd1',
    attempt: 3,
    userAgent: 'dlq/1.2.3',
    extra: [
      ['X-Tenant', 'acme'],
      ['Content-Type', 'application/cloudevents+json'],
    ],
  });
  assert.deepEqual(h, {
    'user-agent': 'dlq/1.2.3',
    'X-Tenant': 'acme',
    'Content-Type': 'application/cloudevents+json',
    'idempotency-key': 'd1',
    'x-dlq-delivery-id': 'd1',
    'x-dlq-attempt': '3',
  });
});
