import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from '../../src/dlq-entry.js';
import { formatDryRun, summarizeDryRun } from '../../src/replay/dry-run.js';
import { planOfSelection } from '../../src/store/replay-plan.js';

const e = (id: string, code: number, hook?: string): DlqEntry => ({ delivery_id: id, status_code: code, webhook_name: hook });

test('counts by status code and webhook, most frequent first, and the first ids', () => {
  const toSend = [e('1', 503, 'Orders'), e('2', 500, 'Orders'), e('3', 503, 'Payments'), e('4', 503, 'Orders'), e('5', 503), e('6', 429, 'Orders')];
  const s = summarizeDryRun(planOfSelection({ toSend, skippedSucceeded: [e('9', 500)], skippedMaxReplays: [], skippedResolved: [], skippedNoPayload: [], skippedNoRoute: [], beyondLimit: 0 }), 'http://h/x');
  assert.equal(s.total, 6);
  assert.equal(s.skipped, 1);
  assert.deepEqual(s.byStatusCode, [
    { status_code: 503, count: 4 },
    { status_code: 429, count: 1 },
    { status_code: 500, count: 1 },
  ]);
  assert.deepEqual(s.byWebhook, [
    { webhook: 'Orders', count: 4 },
    { webhook: 'Payments', count: 1 },
    { webhook: 'unknown', count: 1 },
  ]);
  assert.deepEqual(s.firstIds, ['1', '2', '3', '4', '5']);
  const text = formatDryRun(s);
  assert.match(text, /^dry run: would replay 6 dead letters to http:\/\/h\/x \(1 skipped: 1 already succeeded\); nothing sent/);
  assert.match(text, /by status code: 503 ×4, 429 ×1, 500 ×1/);
  assert.match(text, /first ids: {6}1, 2, 3, 4, 5 \(and 1 more\)/);
});

test('nothing selected: one line', () => {
  const s = summarizeDryRun(planOfSelection({ toSend: [], skippedSucceeded: [], skippedMaxReplays: [], skippedResolved: [], skippedNoPayload: [], skippedNoRoute: [], beyondLimit: 0 }), 'http://h/x');
  assert.equal(formatDryRun(s), 'dry run: would replay 0 dead letters to http://h/x; nothing sent, nothing changed\n');
});

test('names and ids from the file are shown escaped: no terminal control, no extra lines', () => {
  const s = summarizeDryRun(planOfSelection({ toSend: [e('a\nb', 503, 'Ord\u001b]0;pwn\u0007ers')], skippedSucceeded: [], skippedMaxReplays: [], skippedResolved: [], skippedNoPayload: [], skippedNoRoute: [], beyondLimit: 0 }), 'http://h/x');
  const text = formatDryRun(s);
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f]/);
  assert.match(text, /by webhook: {5}Ord\\x1b\]0;pwn\\x07ers ×1/);
  assert.match(text, /first ids: {6}a\\nb$/m);
  assert.equal(text.split('\n').length, 5);
});

test('entries without a payload are counted among the skipped', () => {
  const s = summarizeDryRun(
    planOfSelection({ toSend: [], skippedSucceeded: [], skippedMaxReplays: [], skippedResolved: [e('r', 500)], skippedNoPayload: [e('ev1', 503), e('ev2', 503)], skippedNoRoute: [], beyondLimit: 0 }),
    'http://h/x',
  );
  assert.deepEqual([s.skipped, s.skippedNoPayload], [3, 2]);
  assert.match(formatDryRun(s), /^dry run: would replay 0 dead letters to http:\/\/h\/x \(3 skipped: 1 resolved, 2 without payload\);/);
});
