import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable, textWidth, truncate } from '../../src/output/table.js';

test('truncate cuts to the width with an ellipsis, counting terminal columns (wide characters take two)', () => {
  assert.equal(truncate('hello', 5), 'hello');
  assert.equal(truncate('hello world', 5), 'hell…');
  assert.equal(truncate('🌍🌍🌍', 3), '🌍…');
  assert.equal(truncate('🌍🌍🌍', 2), '…');
  assert.equal(truncate('東京東京', 6), '東京…');
  assert.equal(textWidth('🌍é'), 3);
  assert.equal(textWidth('evt-東京-1'), 10);
  assert.equal(textWidth('e\u0301'), 1, 'a combining accent takes no column');
});

test('a wide-character id: the header is padded to the same terminal width as the data (issue #9)', () => {
  const out = renderTable([{ header: 'DELIVERY ID' }, { header: 'STATUS' }], [[{ text: 'evt-東京-1' }, { text: '503' }], [{ text: 'ok-1' }, { text: '200' }]], { width: 80 });
  const [header, wide, narrow] = out.split('\n') as [string, string, string];
  // Where STATUS starts on screen is where the second cell starts on every row.
  assert.equal(textWidth(header.slice(0, header.indexOf('STATUS'))), textWidth(wide.slice(0, wide.indexOf('503'))));
  assert.equal(textWidth(header.slice(0, header.indexOf('STATUS'))), textWidth(narrow.slice(0, narrow.indexOf('200'))));
  assert.equal(header, 'DELIVERY ID  STATUS');
  assert.equal(wide, 'evt-東京-1   503');
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
