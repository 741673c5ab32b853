/** The `dlq list --group-by` table: key, count and, on a terminal, a bar scaled to the largest count. */
import type { GroupCount } from '../entries/group-entries.js';
import { escapeText } from './escape-text.js';
import { renderTable, type Cell } from './table.js';

const MAX_BAR = 40;

export function renderGroupTable(
  groups: readonly GroupCount[],
  options: { header: string; width: number; bars: boolean; headerStyle?: (t: string) => string },
): string {
  const max = groups.reduce((m, g) => Math.max(m, g.count), 0);
  const rows: Cell[][] = groups.map((g) => {
    const row: Cell[] = [{ text: g.key === null ? '(none)' : escapeText(String(g.key)) }, { text: String(g.count) }];
    if (options.bars) {
      // At least one block for any non-empty group, so small groups stay visible.
      const len = max === 0 ? 0 : Math.max(1, Math.round((g.count / max) * MAX_BAR));
      row.push({ text: '█'.repeat(len) });
    }
    return row;
  });
  const columns = [
    { header: options.header.toUpperCase(), maxWidth: 40 },
    { header: 'COUNT', align: 'right' as const },
    ...(options.bars ? [{ header: '', flex: true }] : []),
  ];
  return renderTable(columns, rows, { width: options.width, ...(options.headerStyle ? { headerStyle: options.headerStyle } : {}) });
}
