/** Terminal formatting for the `ams` command: numbers, times, tables, and safe text. */
import { errorsOf } from '../src/query/filter.js';
import type { SessionIndexEntry } from '../src/session/types.js';
import { clean, cut, fmtCost, fmtDuration, fmtTime, fmtTokens, toJson } from '../src/render/text.js';

// The text helpers live with the one session renderer (src/render); the CLI re-exports them.
// Every CLI output goes through clean() (text) or toJson() (JSON): no raw control character.
export { clean, cut, fmtCost, fmtDuration, fmtTime, fmtTokens, toJson };

export interface Column<T> {
  header: string;
  get(row: T): string;
  align?: 'left' | 'right';
  /** The one column that shrinks to fit the terminal width. */
  flex?: boolean;
  /** Widest the column gets (longer values are cut). */
  max?: number;
  /** On a narrow terminal, columns with a drop rank go, lowest first. */
  drop?: number;
}

/** Narrowest the flex column gets before other columns are dropped to make room. */
const MIN_FLEX = 24;

/**
 * An aligned table that fits `width` (0 = no limit): the flex column is cut, and when that is not
 * enough, droppable columns go, lowest `drop` first.
 */
export function table<T>(rows: T[], all: Column<T>[], width = 0): string[] {
  const cellsOf = (cols: Column<T>[]) => rows.map((r) => cols.map((c) => clean(c.get(r))));
  const widthsOf = (cols: Column<T>[], cells: string[][]) =>
    cols.map((c, i) => Math.min(c.max ?? Infinity, Math.max(c.header.length, ...cells.map((row) => row[i]!.length))));
  let columns = all;
  let cells = cellsOf(columns);
  let widths = widthsOf(columns, cells);
  const fixed = () => widths.reduce((a, w, i) => (columns[i]!.flex ? a : a + w + 2), 0);
  if (width > 0) {
    const droppable = all.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
    while (fixed() + MIN_FLEX > width && droppable.length > 0) {
      const gone = droppable.shift()!;
      columns = columns.filter((c) => c !== gone);
      cells = cellsOf(columns);
      widths = widthsOf(columns, cells);
    }
    const flex = columns.findIndex((c) => c.flex);
    // Never narrower than its header: past that the terminal wraps, which beats an empty column.
    if (flex >= 0) widths[flex] = Math.max(columns[flex]!.header.length, Math.min(widths[flex]!, width - fixed()));
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const w = widths[i]!;
        const text = cut(v, w);
        return columns[i]!.align === 'right' ? text.padStart(w) : i === values.length - 1 ? text : text.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** A count, or '-' when unknown (never for a known 0). */
export function fmtCount(n: number | undefined): string {
  return typeof n === 'number' ? String(n) : '-';
}

/** The sum of the counts that are known; undefined (printed '-') when none is: unknown is not 0. */
function knownSum(...counts: Array<number | undefined>): number | undefined {
  const known = counts.filter((n): n is number => typeof n === 'number' && Number.isFinite(n));
  return known.length ? known.reduce((a, b) => a + b, 0) : undefined;
}

/** The columns `ams ls` and `ams tail` print for an index entry. */
export const ENTRY_COLUMNS: Column<SessionIndexEntry>[] = [
  { header: 'STARTED', get: (e) => fmtTime(e.started_at) },
  { header: 'ID', get: (e) => e.id },
  { header: 'STATUS', get: (e) => e.status },
  { header: 'AGENT', get: (e) => e.agent?.name ?? '-', max: 24 },
  { header: 'ENV', get: (e) => e.environment ?? '-', max: 16, drop: 3 },
  { header: 'MODEL', get: (e) => e.model ?? '-', max: 28, drop: 4 },
  { header: 'TIME', get: (e) => fmtDuration(e.totals?.duration_ms), align: 'right', drop: 2 },
  { header: 'TOKENS', get: (e) => fmtTokens(knownSum(e.totals?.input_tokens, e.totals?.output_tokens)), align: 'right', drop: 1 },
  { header: 'COST', get: (e) => fmtCost(e.totals?.cost_usd, e.totals?.cost_partial), align: 'right' },
  { header: 'TOOLS', get: (e) => (typeof e.totals?.tool_calls === 'number' ? String(e.totals.tool_calls) : '-'), align: 'right', drop: 5 },
  // A known 0 is 0; '-' only when the entry has no count at all.
  { header: 'ERRORS', get: (e) => fmtCount(errorsOf(e)), align: 'right' },
  { header: 'PROMPT', get: (e) => e.prompt_preview ?? '', flex: true },
];

/** One line per entry for `ams tail` (no header, no alignment across lines). */
export function entryLine(e: SessionIndexEntry): string {
  const parts = [
    fmtTime(e.started_at),
    e.id,
    e.revision > 1 ? `${e.status} (rev ${e.revision})` : e.status,
    e.agent?.name ?? '-',
    e.environment ?? '-',
    e.model ?? '-',
    fmtDuration(e.totals?.duration_ms),
    fmtCost(e.totals?.cost_usd, e.totals?.cost_partial),
    typeof e.totals?.tool_calls === 'number' ? `${e.totals.tool_calls} tools` : '- tools',
    `${fmtCount(errorsOf(e))} errors`,
    cut(e.prompt_preview ?? '', 80),
  ];
  return clean(parts.join('  '));
}
