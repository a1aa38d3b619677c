/** Text formatting for sessions on a terminal: numbers, times, and safe text. */

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
