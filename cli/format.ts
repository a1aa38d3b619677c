/** Terminal formatting for the `ams` command: numbers, times, tables, and safe text. */
import type { SessionIndexEntry } from '../src/session/types.js';

/**
 * Session content is untrusted (prompts, tool output): strip control characters so a stored
 * escape sequence cannot repaint or retitle the user's terminal. Newlines become spaces unless
 * kept.
 */
export function clean(text: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r\n?/g, '\n');
  // eslint-disable-next-line no-control-regex
  const stripped = s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '').replace(/\t/g, '  ');
  return keepNewlines ? stripped : stripped.replace(/\n+/g, ' ');
}

/** Cuts to `max` characters with an ellipsis and, when asked, how much was left out. */
export function cut(text: string, max: number, sayHowMuch = false): string {
  if (max <= 0 || text.length <= max) return text;
  const more = text.length - max;
  return sayHowMuch ? `${text.slice(0, max)}… (+${more} chars)` : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function fmtCost(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '-';
  if (usd === 0) return '$0';
  // Three significant digits under a dollar: agent runs cost cents or fractions of them.
  return usd < 1 ? `$${Number(usd.toPrecision(3))}` : `$${usd.toFixed(2)}`;
}

export function fmtTokens(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** `2026-01-31 12:00:05Z`: UTC, so two people reading the same session see the same time. */
export function fmtTime(iso: string | undefined): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return clean(iso);
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

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

/** The columns `ams ls` and `ams tail` print for an index entry. */
export const ENTRY_COLUMNS: Column<SessionIndexEntry>[] = [
  { header: 'STARTED', get: (e) => fmtTime(e.started_at) },
  { header: 'ID', get: (e) => e.id },
  { header: 'STATUS', get: (e) => e.status },
  { header: 'AGENT', get: (e) => e.agent?.name ?? '-', max: 24 },
  { header: 'ENV', get: (e) => e.environment ?? '-', max: 16, drop: 3 },
  { header: 'MODEL', get: (e) => e.model ?? '-', max: 28, drop: 4 },
  { header: 'TIME', get: (e) => fmtDuration(e.totals?.duration_ms), align: 'right', drop: 2 },
  { header: 'TOKENS', get: (e) => fmtTokens((e.totals?.input_tokens ?? 0) + (e.totals?.output_tokens ?? 0)), align: 'right', drop: 1 },
  { header: 'COST', get: (e) => fmtCost(e.totals?.cost_usd), align: 'right' },
  { header: 'TOOLS', get: (e) => String(e.totals?.tool_calls ?? 0), align: 'right', drop: 5 },
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
    fmtCost(e.totals?.cost_usd),
    `${e.totals?.tool_calls ?? 0} tools`,
    cut(e.prompt_preview ?? '', 80),
  ];
  return clean(parts.join('  '));
}
