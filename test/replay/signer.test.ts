import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { UsageError } from '../../src/errors.js';
import { redactSecrets } from '../../src/redact.js';
import { parseSignSecret, signatureHeaders } from '../../src/replay/signer.js';

const body = Buffer.from('{"text":"héllo – 世界 🎉"}', 'utf8');

test('whsec_ secrets: signatures verify with the standardwebhooks library', () => {
  const secret = `whsec_${Buffer.from('a very secret key of 32 bytes!!!').toString('base64')}`;
  const ts = Math.floor(Date.now() / 1000);
  const headers = signatureHeaders(parseSignSecret(secret), 'delivery-1', ts, body);
  assert.equal(headers['webhook-id'], 'delivery-1');
  assert.equal(headers['webhook-timestamp'], String(ts));
  assert.match(headers['webhook-signature'] as string, /^v1,[A-Za-z0-9+/]+=*$/);
  assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body.toString('utf8')));
  // A different body must not verify.
  assert.throws(() => new Webhook(secret).verify(Buffer.from('{"text":"x"}'), headers));
});

test('a secret without the prefix is the raw key (verifies with format: raw)', () => {
  const secret = 'plain-shared-secret';
  const ts = Math.floor(Date.now() / 1000);
  const headers = signatureHeaders(parseSignSecret(secret), 'd2', ts, body);
  assert.doesNotThrow(() => new Webhook(secret, { format: 'raw' }).verify(body, headers));
});

test('bad whsec_ secrets are usage errors that do not echo the secret', () => {
  assert.throws(() => parseSignSecret('whsec_not base64!'), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.doesNotMatch((e as Error).message, /not base64!/);
    return true;
  });
  assert.throws(() => parseSignSecret('whsec_'), UsageError);
  assert.throws(() => parseSignSecret(''), UsageError);
});

test('the secret is registered for redaction', () => {
  parseSignSecret('s3cr3t-value-xyz');
  assert.equal(redactSecrets('oops s3cr3t-value-xyz leaked'), 'oops [redacted] leaked');
});
