/** Text formatting for sessions on a terminal: numbers, times, and safe text. */

/**
 * Characters a terminal acts on or that reorder or split what is shown: C0 controls (except tab
 * and newline, handled apart), DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI), the
 * line and paragraph separators, and the bidi embedding / override / isolate controls.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw of the above (it escapes C0 itself). */
const UNSAFE_JSON = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/**
 * Session content is untrusted (prompts, tool output, and ids in a store anyone could write):
 * well-formed colour / cursor sequences (ESC [ ... , common in tool output) are dropped, and every
 * other control character is shown as a visible escape (`\x1b`, `\x9b`, `\u2028`), so a stored
 * sequence can neither repaint or retitle the user's terminal nor hide that it was there.
 * Newlines become spaces unless kept; tabs become two spaces.
 */
export function clean(text: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r\n?/g, '\n');
  const visible = s.replace(UNSAFE_TEXT, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`)).replace(/\t/g, '  ');
  return keepNewlines ? visible : visible.replace(/\n+/g, ' ');
}

/**
 * JSON for the terminal and for files (every CLI JSON mode goes through here): JSON.stringify,
 * plus `\uXXXX` escapes for what it leaves raw (DEL, C1, U+2028/2029, bidi controls). The
 * result parses back to the same value.
 */
export function toJson(value: unknown, indent?: number): string {
  const s = JSON.stringify(value, null, indent) ?? 'null';
  return s.replace(UNSAFE_JSON, (c) => `\\u${hex(c, 4)}`);
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

/**
 * A cost in USD. Unknown (null or absent: no producer gave one) prints `-`, never `$0`. `partial`
 * (the figure sums only the calls that had a cost: `cost_partial`) adds a `+`: at least this much.
 */
export function fmtCost(usd: number | null | undefined, partial?: boolean): string {
  if (usd === undefined || usd === null || !Number.isFinite(usd)) return '-';
  const more = partial ? '+' : '';
  if (usd === 0) return `$0${more}`;
  // Three significant digits under a dollar: agent runs cost cents or fractions of them.
  return usd < 1 ? `$${Number(usd.toPrecision(3))}${more}` : `$${usd.toFixed(2)}${more}`;
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
