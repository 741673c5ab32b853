import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseTarget } from '../../src/replay/target-url.js';

test('--to wins over DLQ_REPLAY_URL; the stored form has no userinfo or query', () => {
  const t = parseTarget('https://user:pw@receiver.example.com:8443/hooks/genesys?token=abc#x', 'http://other');
  assert.equal(t.url.href, 'https://user:pw@receiver.example.com:8443/hooks/genesys?token=abc#x');
  assert.equal(t.redacted, 'https://receiver.example.com:8443/hooks/genesys');
  assert.equal(parseTarget(undefined, 'http://127.0.0.1:9000/h').redacted, 'http://127.0.0.1:9000/h');
});

test('missing, invalid or non-http targets are usage errors naming the source, not echoing the value', () => {
  const cases: [string | undefined, string | undefined, RegExp][] = [
    [undefined, undefined, /^--to: no replay target/],
    [undefined, '', /^--to: no replay target/],
    ['not a url secret123', undefined, /^--to: not a valid URL$/],
    [undefined, 'ftp://host/x', /^DLQ_REPLAY_URL: only http and https/],
    ['file:///etc/passwd', undefined, /^--to: only http and https/],
  ];
  for (const [flag, env, re] of cases) {
    assert.throws(() => parseTarget(flag, env), (e: unknown) => e instanceof UsageError && re.test((e as Error).message));
  }
});
