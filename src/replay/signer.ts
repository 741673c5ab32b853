/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/, "Signature scheme"):
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>
 *
 * Secret format: the spec's `whsec_<base64 key>` is decoded to its key bytes. A secret WITHOUT
 * the prefix is used as raw bytes (its UTF-8 encoding) — the receiver then verifies with the raw
 * secret (standardwebhooks: `new Webhook(secret, { format: 'raw' })`). Guessing whether an
 * unprefixed string "looks like base64" would silently produce signatures nobody can verify.
 */
import { createHmac } from 'node:crypto';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

const PREFIX = 'whsec_';

export function parseSignSecret(secret: string, source = '--sign-secret'): Buffer {
  registerSecret(secret);
  if (secret.startsWith(PREFIX)) {
    const encoded = secret.slice(PREFIX.length);
    registerSecret(encoded);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      throw new UsageError(`${source}: the part after 'whsec_' is not valid base64`);
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length === 0) throw new UsageError(`${source}: empty key`);
    return key;
  }
  if (secret.length === 0) throw new UsageError(`${source}: empty secret`);
  return Buffer.from(secret, 'utf8');
}

/** The three headers for one request. `timestampSeconds` is unix time; sign each attempt afresh. */
export function signatureHeaders(key: Buffer, id: string, timestampSeconds: number, body: Buffer): Record<string, string> {
  const mac = createHmac('sha256', key);
  mac.update(`${id}.${timestampSeconds}.`, 'utf8');
  mac.update(body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${mac.digest('base64')}`,
  };
}
