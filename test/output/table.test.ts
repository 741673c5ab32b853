import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable, textWidth, truncate } from '../../src/output/table.js';

test('truncate cuts to the width with an ellipsis, counting code points', () => {
  assert.equal(truncate('hello', 5), 'hello');
  assert.equal(truncate('hello world', 5), 'hell…');
  assert.equal(truncate('🌍🌍🌍', 2), '🌍…');
  assert.equal(textWidth('🌍é'), 2);
});

test('columns are padded to the widest cell; right alignment; no trailing spaces', () => {
  const out = renderTable(
    [{ header: 'ID' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
    [
      [{ text: 'a' }, { text: '5' }, { text: '' }],
      [{ text: 'long-id' }, { text: '1234' }, { text: 'x' }],
    ],
    { width: 80 },
  );
  assert.equal(out, 'ID          N  NOTE\na           5\nlong-id  1234  x\n');
});

test('the flexible column shrinks so lines fit the width, but not below a readable minimum', () => {
  const rows = [[{ text: 'id-1' }, { text: 'm'.repeat(100) }, { text: 'end' }]];
  const cols = [{ header: 'ID' }, { header: 'MESSAGE', flex: true }, { header: 'X' }];
  const line = (width: number) => renderTable(cols, rows, { width }).split('\n')[1] as string;
  assert.equal(line(50).length, 50);
  assert.match(line(50), /^id-1  m+…  end$/);
  assert.equal(line(10).length, 4 + 2 + 20 + 2 + 3);
});

test('maxWidth caps a column; styles wrap padded text', () => {
  const out = renderTable(
    [{ header: 'W', maxWidth: 4 }, { header: 'S' }],
    [[{ text: 'abcdefgh' }, { text: 'ok', style: (t) => `<${t}>` }]],
    { width: 80, headerStyle: (t) => t.toLowerCase() },
  );
  assert.equal(out, 'w     s\nabc…  <ok>\n');
});
