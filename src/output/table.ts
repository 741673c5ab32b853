/**
 * A plain text table: columns separated by two spaces, padded to the widest cell, one flexible
 * column shortened (with an ellipsis) so each line fits the terminal width. Cells are plain text;
 * colour is applied after padding, because ANSI codes would throw the padding off.
 * Callers escape cell text first (see escape-text.ts); widths are terminal columns (textWidth).
 */
import { createRequire } from 'node:module';

/**
 * string-width is loaded on the first cell that is not plain ASCII: evaluating it builds an
 * Intl.Segmenter and Unicode-property regexes, about 30 ms of every `dlq list` start otherwise,
 * for tables that are nearly always ASCII (issue #12's start-up target). It is an ES module;
 * `require` of one is unflagged from Node 20.19 (hence engines >= 20.19.0).
 */
let stringWidth: ((text: string) => number) | undefined;
function loadStringWidth(): (text: string) => number {
  stringWidth ??= (createRequire(import.meta.url)('string-width') as { default: (text: string) => number }).default;
  return stringWidth;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Never wider than this (longer cells are shortened). */
  maxWidth?: number;
  /** The column that takes the remaining width; at most one. Last column if none is marked. */
  flex?: boolean;
}

export interface Cell {
  text: string;
  /** Colours the padded text (identity when colour is off). */
  style?: (text: string) => string;
}

export interface TableOptions {
  /** Total line width to fit (the terminal's columns). */
  width: number;
  /** Styles the header line. */
  headerStyle?: (text: string) => string;
}

const GAP = '  ';
/** The flexible column never shrinks below this, even if the line then overflows. */
const MIN_FLEX_WIDTH = 20;

/**
 * Terminal columns `text` takes: East Asian wide characters (東京, most emoji) take two, combining
 * marks none (string-width, which ora already relies on). Counting code points put an id such as
 * `evt-東京-1` two columns past its header (issue #9). Plain ASCII, nearly every cell, is counted
 * without it.
 */
export function textWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : loadStringWidth()(text);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Shortens `text` to `width` terminal columns, ending in `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = textWidth(char);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Renders header and rows, each line ending in `\n`, trailing spaces trimmed. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: TableOptions): string {
  let flexIndex = columns.findIndex((c) => c.flex);
  if (flexIndex < 0) flexIndex = columns.length - 1;

  const widths = columns.map((col, i) => {
    let w = textWidth(col.header);
    for (const row of rows) w = Math.max(w, textWidth(row[i]?.text ?? ''));
    return col.maxWidth === undefined ? w : Math.min(w, Math.max(col.maxWidth, textWidth(col.header)));
  });
  const others = widths.reduce((sum, w, i) => (i === flexIndex ? sum : sum + w), 0) + GAP.length * (columns.length - 1);
  widths[flexIndex] = Math.min(widths[flexIndex] as number, Math.max(MIN_FLEX_WIDTH, options.width - others));

  const line = (cells: readonly Cell[], headerStyle?: (t: string) => string): string => {
    const parts = columns.map((col, i) => {
      const cell = cells[i] ?? { text: '' };
      const width = widths[i] as number;
      const isLast = i === columns.length - 1;
      const text = truncate(cell.text, width);
      // The last column is not padded: no trailing spaces in piped output.
      const padded = isLast && col.align !== 'right' ? text : pad(text, width, col.align ?? 'left');
      const style = headerStyle ?? cell.style;
      return style ? style(padded) : padded;
    });
    return `${parts.join(GAP).trimEnd()}\n`;
  };

  let out = line(
    columns.map((c) => ({ text: c.header })),
    options.headerStyle,
  );
  for (const row of rows) out += line(row);
  return out;
}
