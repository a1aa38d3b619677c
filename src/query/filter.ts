/**
 * Session filters shared by `ams ls`, `ams export`, `ams tail` and `GET /api/sessions`: one
 * parser from strings (flags or query parameters) and one predicate over index entries, so the
 * terminal and the browser always agree on what a filter means.
 */
import type { SessionIndexEntry, SessionStatus } from '../session/types.js';

export interface SessionFilter {
  /** Agent name, case-insensitive exact match. */
  agent?: string;
  /** Environment, case-insensitive exact match. */
  env?: string;
  /** Every tag listed must be present (case-insensitive). */
  tags?: string[];
  /** Any of these statuses. */
  status?: SessionStatus[];
  /** Main model, case-insensitive prefix (`claude-sonnet` matches `claude-sonnet-4-5`). */
  model?: string;
  /** Epoch ms: started_at >= since. */
  since?: number;
  /** Epoch ms: started_at < until. */
  until?: number;
  /**
   * Minimum total cost in USD. A session whose cost is unknown (`totals.cost_usd` null) never
   * matches: unknown is not "at least" anything. A partial sum (`cost_partial`) is compared as is.
   */
  minCost?: number;
  /**
   * Text search: every word must occur (case-insensitive) in the prompt preview, id, trace id,
   * conversation id, agent name or tags.
   */
  text?: string;
}

export class FilterError extends Error {}

const STATUSES: readonly SessionStatus[] = ['ok', 'error', 'incomplete'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time: an ISO date / date-time, or a duration back from `now` (`30m`, `2h`, `7d`).
 */
export function parseTime(raw: string, now = Date.now()): number {
  const v = raw.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(v);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new FilterError(`not a time: "${raw}" (use an ISO date like 2026-01-31 or 2026-01-31T12:00Z, or a duration like 30m, 2h, 7d)`);
  return t;
}

/** Raw values as flags or query parameters carry them (repeated ones as arrays). */
export type RawFilter = Record<string, string | string[] | undefined>;

function all(v: string | string[] | undefined): string[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

function one(v: string | string[] | undefined): string | undefined {
  const list = all(v);
  return list.length > 0 ? list[list.length - 1] : undefined;
}

/**
 * Parses filter values. Names: agent, env, tag, status, model, since, until, min-cost (or
 * min_cost), q (or search). Throws FilterError with a readable message for a bad value.
 */
export function parseFilter(raw: RawFilter, now = Date.now()): SessionFilter {
  const f: SessionFilter = {};
  const agent = one(raw.agent);
  if (agent) f.agent = agent;
  const env = one(raw.env);
  if (env) f.env = env;
  const tags = all(raw.tag);
  if (tags.length) f.tags = tags;
  const status = all(raw.status);
  if (status.length) {
    for (const s of status) if (!STATUSES.includes(s as SessionStatus)) throw new FilterError(`status must be one of ${STATUSES.join(', ')}; got "${s}"`);
    f.status = status as SessionStatus[];
  }
  const model = one(raw.model);
  if (model) f.model = model;
  const since = one(raw.since);
  if (since) f.since = parseTime(since, now);
  const until = one(raw.until);
  if (until) f.until = parseTime(until, now);
  const minCost = one(raw['min-cost'] ?? raw.min_cost ?? raw.minCost);
  if (minCost !== undefined) {
    const n = Number(minCost.replace(/^\$/, ''));
    if (!Number.isFinite(n) || n < 0) throw new FilterError(`min-cost must be a non-negative number of USD; got "${minCost}"`);
    f.minCost = n;
  }
  const text = [raw.q, raw.search].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])).join(' ').trim();
  if (text) f.text = text;
  return f;
}

/** A compiled predicate: lower-cases the filter once, not once per entry. */
export function compileFilter(f: SessionFilter): (e: SessionIndexEntry) => boolean {
  const agent = f.agent?.toLowerCase();
  const env = f.env?.toLowerCase();
  const tags = f.tags?.map((t) => t.toLowerCase());
  const status = f.status ? new Set<string>(f.status) : undefined;
  const model = f.model?.toLowerCase();
  const words = f.text ? f.text.toLowerCase().split(/\s+/).filter(Boolean) : undefined;
  return (e) => {
    if (agent !== undefined && e.agent?.name?.toLowerCase() !== agent) return false;
    if (env !== undefined && (e.environment ?? '').toLowerCase() !== env) return false;
    if (status && !status.has(e.status)) return false;
    if (model !== undefined && !(e.model ?? '').toLowerCase().startsWith(model)) return false;
    if (tags) {
      const have = (e.tags ?? []).map((t) => t.toLowerCase());
      for (const t of tags) if (!have.includes(t)) return false;
    }
    if (f.minCost !== undefined) {
      const cost = e.totals?.cost_usd;
      if (typeof cost !== 'number' || !(cost >= f.minCost)) return false;
    }
    if (f.since !== undefined || f.until !== undefined) {
      const t = Date.parse(e.started_at);
      if (f.since !== undefined && !(t >= f.since)) return false;
      if (f.until !== undefined && !(t < f.until)) return false;
    }
    if (words) {
      const hay = [e.prompt_preview, e.id, e.trace_id, e.conversation_id, e.agent?.name, ...(e.tags ?? [])]
        .filter((s): s is string => typeof s === 'string')
        .join('\n')
        .toLowerCase();
      for (const w of words) if (!hay.includes(w)) return false;
    }
    return true;
  };
}

export function matchesFilter(e: SessionIndexEntry, f: SessionFilter): boolean {
  return compileFilter(f)(e);
}
