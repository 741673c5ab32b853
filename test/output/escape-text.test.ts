import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeText } from '../../src/output/escape-text.js';

test('printable text, including non-ASCII and emoji, is left alone', () => {
  const text = 'Grüße, 東京 🌍 — "quoted" \\ back\\slash';
  assert.equal(escapeText(text), text);
  assert.equal(escapeText(text, { multiline: true }), text);
});

test('C0 controls, ESC sequences, DEL and C1 controls become visible escapes', () => {
  assert.equal(escapeText('a\u001b[31mred\u001b[0m'), 'a\\x1b[31mred\\x1b[0m');
  assert.equal(escapeText('\u001b]0;title\u0007'), '\\x1b]0;title\\x07');
  assert.equal(escapeText('\u0000\u0008\u007f\u0080\u009b'), '\\x00\\x08\\x7f\\x80\\x9b');
  assert.equal(escapeText('line1\nline2\r\tx'), 'line1\\nline2\\r\\tx');
});

test('bidi overrides, isolates, line separators, BOM and lone surrogates are escaped', () => {
  assert.equal(escapeText('a\u202eb\u2066c\u2069\u2028\u2029\ufeff'), 'a\\u202eb\\u2066c\\u2069\\u2028\\u2029\\ufeff');
  assert.equal(escapeText('x\ud800y'), 'x\\ud800y');
  assert.equal(escapeText('x\udc00y'), 'x\\udc00y');
  // A proper surrogate pair (an emoji) is not touched.
  assert.equal(escapeText('\ud83c\udf0d'), '🌍');
});

test('multiline keeps newlines and tabs but still escapes CR and ESC', () => {
  assert.equal(escapeText('a\n\tb\r\n\u001b[2J', { multiline: true }), 'a\n\tb\\r\n\\x1b[2J');
});
