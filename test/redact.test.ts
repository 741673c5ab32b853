import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets, registerSecret } from '../src/redact.js';

test('authorization headers of any scheme are redacted', () => {
  assert.equal(redactSecrets('Authorization: Basic ZGxxOnNlY3JldA=='), 'Authorization: Basic [redacted]');
  assert.equal(redactSecrets('{"authorization":"Bearer eyJhbGciOi.xyz"}'), '{"authorization":"Bearer [redacted]"}');
  assert.equal(redactSecrets('access_token=abc123def456'), 'access_token=[redacted]');
});

test('secrets from the environment and registered values are redacted', () => {
  registerSecret('registered-token-value');
  const out = redactSecrets('a registered-token-value b s3cr3t-from-env c', { GENESYS_CLIENT_SECRET: 's3cr3t-from-env' });
  assert.equal(out, 'a [redacted] b [redacted] c');
});

test('ordinary text is left alone', () => {
  assert.equal(redactSecrets('history page 3: HTTP 503 service.unavailable'), 'history page 3: HTTP 503 service.unavailable');
});
