import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseTimeFlag } from '../../src/entries/time-flag.js';

const now = new Date('2026-03-10T12:00:00.000Z');
const at = (text: string) => parseTimeFlag(text, '--since', now);

test('relative ages are now minus that', () => {
  assert.equal(at('30s').ms, now.getTime() - 30_000);
  assert.equal(at('90m').ms, now.getTime() - 90 * 60_000);
  assert.equal(at('24h').ms, now.getTime() - 86_400_000);
  assert.equal(at('7d').ms, now.getTime() - 7 * 86_400_000);
  assert.equal(at('2w').ms, now.getTime() - 14 * 86_400_000);
  assert.equal(at('1h30m').ms, now.getTime() - 90 * 60_000);
  assert.equal(at(' 1.5h ').ms, now.getTime() - 90 * 60_000);
  assert.equal(at('7d').dateOnly, false);
});

test('ISO 8601 with a zone is that instant', () => {
  assert.equal(at('2026-03-01T14:00:00Z').ms, Date.UTC(2026, 2, 1, 14));
  assert.equal(at('2026-03-01T14:00:00.250Z').ms, Date.UTC(2026, 2, 1, 14, 0, 0, 250));
  assert.equal(at('2026-03-01T14:00+02:00').ms, Date.UTC(2026, 2, 1, 12));
  assert.equal(at('2026-03-01T14:00:00-0530').ms, Date.UTC(2026, 2, 1, 19, 30));
  assert.equal(at('2026-03-01 14:00:00z').ms, Date.UTC(2026, 2, 1, 14));
});

test('ISO 8601 without a zone is local time; a bare date is local midnight', () => {
  assert.deepEqual(at('2026-03-01'), { ms: new Date(2026, 2, 1).getTime(), dateOnly: true });
  assert.deepEqual(at('2026-03-01T09:15'), { ms: new Date(2026, 2, 1, 9, 15).getTime(), dateOnly: false });
});

test('anything else is a usage error naming the flag', () => {
  for (const bad of ['', 'yesterday', '24', '-1h', '7 d', '2026-02-30', '2026-13-01', '2026-03-01T25:00', '1y', 'h']) {
    assert.throws(
      () => parseTimeFlag(bad, '--until', now),
      (e: unknown) => e instanceof UsageError && e.message.startsWith(`--until: '${bad}' is not a time`),
      bad,
    );
  }
});
