/**
 * The metrics file, read back by a real Prometheus text-format parser from npm
 * (parse-prometheus-text-format, a port of the Prometheus Python client's parser).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { escapeLabelValue, renderMetrics, type RunRecord } from '../../src/output/prometheus-metrics.js';

const FAMILIES = [
  'dlq_entries',
  'dlq_oldest_pending_timestamp_seconds',
  'dlq_last_run_timestamp_seconds',
  'dlq_run_duration_seconds',
  'dlq_fetch_new_entries',
  'dlq_replay_deliveries',
];
const hostileName = 'Or"ders \\ EU\nline2';
const entries: DlqEntry[] = [
  { delivery_id: 'a', webhook_id: 'wh-1', webhook_name: hostileName, timestamp: '2026-03-01T00:00:00.000Z', replay_status: 'pending' },
  { delivery_id: 'b', webhook_id: 'wh-1', timestamp: '2026-02-01T00:00:00.000Z', replay_status: 'failed' },
  { delivery_id: 'c', webhook_id: 'wh-1', webhook_name: hostileName, timestamp: '2026-01-01T00:00:00.000Z', replay_status: 'succeeded' },
  { delivery_id: 'd', webhook_id: 'wh-2', timestamp: '2025-01-01T00:00:00.000Z', replay_status: 'resolved' },
];
const at = new Date('2026-03-02T03:04:05.678Z');
const run = (over: Partial<RunRecord>): RunRecord => ({ command: 'fetch', outcome: 'success', finishedAt: at, durationMs: 1234, ...over });

const byName = (families: ParsedFamily[]) => new Map(families.map((f) => [f.name, f]));
const value = (family: ParsedFamily | undefined, labels: Record<string, string>) =>
  family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;

test('six gauge families with HELP and TYPE; escaped label values round-trip through a real parser', () => {
  const text = renderMetrics(run({ fetchNew: new Map([[hostileName, 7]]) }), entries, '');
  const families = byName(parsePrometheusTextFormat(text));
  assert.deepEqual([...families.keys()].filter((n) => n.startsWith('dlq_')).sort(), [...FAMILIES].sort());
  for (const name of FAMILIES) {
    assert.equal(families.get(name)?.type, 'GAUGE', name);
    assert.ok((families.get(name)?.help.length ?? 0) > 10, name);
  }
  const e = families.get('dlq_entries');
  // the seven-field entry 'b' is labelled with the name the others give wh-1
  assert.equal(value(e, { webhook: hostileName, replay_status: 'pending' }), '1');
  assert.equal(value(e, { webhook: hostileName, replay_status: 'failed' }), '1');
  assert.equal(value(e, { webhook: hostileName, replay_status: 'succeeded' }), '1');
  assert.equal(value(e, { webhook: hostileName, replay_status: 'resolved' }), '0');
  assert.equal(value(e, { webhook: 'wh-2', replay_status: 'resolved' }), '1');
  const oldest = families.get('dlq_oldest_pending_timestamp_seconds');
  assert.equal(Number(value(oldest, { webhook: hostileName })), Date.parse('2026-02-01T00:00:00.000Z') / 1000);
  assert.equal(value(oldest, { webhook: 'wh-2' }), undefined, 'nothing undelivered for wh-2');
  assert.equal(Number(value(families.get('dlq_last_run_timestamp_seconds'), { command: 'fetch', outcome: 'success' })), at.getTime() / 1000);
  assert.equal(Number(value(families.get('dlq_run_duration_seconds'), { command: 'fetch' })), 1.234);
  assert.equal(value(families.get('dlq_fetch_new_entries'), { webhook: hostileName }), '7');
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('one file for every command: the others\' last runs are carried over, a failure keeps the last success', () => {
  const fetched = renderMetrics(run({ fetchNew: new Map([['Orders', 3]]) }), entries, '');
  const replayed = renderMetrics(
    run({ command: 'replay', outcome: 'error', finishedAt: new Date(at.getTime() + 60_000), replay: { succeeded: 5, failed: 2, skipped: 1 } }),
    entries,
    fetched,
  );
  const failedFetch = renderMetrics(run({ outcome: 'error', finishedAt: new Date(at.getTime() + 120_000) }), undefined, replayed);
  const families = byName(parsePrometheusTextFormat(failedFetch));
  const last = families.get('dlq_last_run_timestamp_seconds');
  assert.equal(last?.metrics.length, 3);
  assert.equal(Number(value(last, { command: 'fetch', outcome: 'success' })), at.getTime() / 1000);
  assert.equal(Number(value(last, { command: 'fetch', outcome: 'error' })), at.getTime() / 1000 + 120);
  assert.equal(Number(value(last, { command: 'replay', outcome: 'error' })), at.getTime() / 1000 + 60);
  assert.equal(families.get('dlq_run_duration_seconds')?.metrics.length, 2);
  assert.equal(value(families.get('dlq_replay_deliveries'), { outcome: 'failed' }), '2');
  assert.equal(families.get('dlq_fetch_new_entries')?.metrics.length ?? 0, 0, 'the failed fetch added nothing');
  assert.equal(families.get('dlq_entries')?.metrics.length ?? 0, 0, 'the DLQ file could not be read');
});
