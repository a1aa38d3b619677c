/**
 * Session filters shared by `ams ls`, `ams export`, `ams tail` and `GET /api/sessions`: one
 * parser from strings (flags or query parameters) and one predicate over index entries, so the
 * terminal and the browser always agree on what a filter means.
 */
import type { FailureCategory, SessionIndexEntry, SessionStatus } from '../session/types.js';

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
  /**
   * true: sessions with at least one failed call (`errors` > 0, whatever their status: an `ok`
   * session with errors is one whose agent recovered); false: sessions with none (`errors` 0).
   */
  hasErrors?: boolean;
  /** Any of these failure categories occurred (index `failure_categories`). */
  failureCategories?: FailureCategory[];
  /** Any of these failure codes occurred (index `failure_codes`; case-insensitive). */
  failureCodes?: string[];
  /** A call of any of these tools failed (index `failed_tools`; case-insensitive exact name). */
  tools?: string[];
  /** Agent version, any of these (exact). */
  agentVersions?: string[];
  /** Every pair must match: metadata[key], as a string, equals value. */
  metadata?: Array<[string, string]>;
}

export class FilterError extends Error {}

const STATUSES: readonly SessionStatus[] = ['ok', 'error', 'incomplete'];
const CATEGORIES: readonly FailureCategory[] = ['tool', 'model', 'retrieval', 'orchestration'];

/**
 * Every filter parameter parseFilter reads (query-parameter spelling; the hyphenated and camelCase
 * spellings of the same names are read too). A caller that wants unknown names refused checks
 * with unknownParams().
 */
export const FILTER_PARAMS = [
  'agent',
  'env',
  'tag',
  'status',
  'model',
  'since',
  'until',
  'min_cost',
  'q',
  'search',
  'has_errors',
  'failure_category',
  'failure_code',
  'tool',
  'agent_version',
  'metadata',
] as const;

const canonical = (name: string) => name.replace(/-/g, '_').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The names in `raw` that are neither a filter parameter nor one of `extra` (e.g. offset, limit):
 * a typo (`has_error=1`) would otherwise silently match everything.
 */
export function unknownParams(raw: RawFilter, extra: readonly string[] = []): string[] {
  const known = new Set<string>([...FILTER_PARAMS, ...extra.map(canonical)]);
  return Object.keys(raw).filter((k) => !known.has(canonical(k)));
}

/** The value of a parameter under any of its spellings (`has_errors`, `has-errors`, `hasErrors`). */
function param(raw: RawFilter, name: string): string | string[] | undefined {
  const camel = name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return raw[name] ?? raw[name.replace(/_/g, '-')] ?? raw[camel];
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
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
 * Parses filter values. Names (FILTER_PARAMS; `-` or `_`): agent, env, tag, status, model, since,
 * until, min_cost, q (or search), has_errors, failure_category, failure_code, tool,
 * agent_version, metadata (key=value, repeatable). Throws FilterError with a readable message for
 * a bad value.
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
  const minCost = one(param(raw, 'min_cost'));
  if (minCost !== undefined) {
    const n = Number(minCost.replace(/^\$/, ''));
    if (!Number.isFinite(n) || n < 0) throw new FilterError(`min-cost must be a non-negative number of USD; got "${minCost}"`);
    f.minCost = n;
  }
  const text = [raw.q, raw.search].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])).join(' ').trim();
  if (text) f.text = text;
  readFailureFilters(raw, f);
  return f;
}

function readFailureFilters(raw: RawFilter, f: SessionFilter): void {
  const hasErrors = param(raw, 'has_errors');
  if (hasErrors !== undefined) {
    // A bare `?has_errors` (or the flag with no value) means yes.
    const v = (one(hasErrors) ?? '1').toLowerCase();
    if (TRUE.has(v)) f.hasErrors = true;
    else if (FALSE.has(v)) f.hasErrors = false;
    else throw new FilterError(`has_errors must be 1 (sessions with failed calls) or 0 (sessions without); got "${v}"`);
  }
  const categories = all(param(raw, 'failure_category')).map((c) => c.toLowerCase());
  if (categories.length) {
    for (const c of categories) {
      if (!CATEGORIES.includes(c as FailureCategory)) throw new FilterError(`failure category must be one of ${CATEGORIES.join(', ')}; got "${c}"`);
    }
    f.failureCategories = categories as FailureCategory[];
  }
  const codes = all(param(raw, 'failure_code'));
  if (codes.length) f.failureCodes = codes;
  const tools = all(param(raw, 'tool'));
  if (tools.length) f.tools = tools;
  const versions = all(param(raw, 'agent_version'));
  if (versions.length) f.agentVersions = versions;
  // Not split on commas: a metadata value may hold one.
  const pairs = param(raw, 'metadata');
  const list = pairs === undefined ? [] : Array.isArray(pairs) ? pairs : [pairs];
  if (list.length) {
    f.metadata = list.map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new FilterError(`metadata filter must be key=value (e.g. team=payments); got "${p}"`);
      return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
    });
  }
}

/** The number of failed calls an index entry records (older entries: totals.errors). */
export function errorsOf(e: SessionIndexEntry): number | undefined {
  const n = typeof e.errors === 'number' ? e.errors : e.totals?.errors;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** True when `list` (an entry's failure list; absent in older entries) holds any of `wanted` (lower-cased). */
function holdsAny(list: readonly string[] | undefined, wanted: readonly string[]): boolean {
  for (const v of list ?? []) if (wanted.includes(v.toLowerCase())) return true;
  return false;
}

/** A compiled predicate: lower-cases the filter once, not once per entry. */
export function compileFilter(f: SessionFilter): (e: SessionIndexEntry) => boolean {
  const agent = f.agent?.toLowerCase();
  const env = f.env?.toLowerCase();
  const tags = f.tags?.map((t) => t.toLowerCase());
  const status = f.status ? new Set<string>(f.status) : undefined;
  const model = f.model?.toLowerCase();
  const words = f.text ? f.text.toLowerCase().split(/\s+/).filter(Boolean) : undefined;
  const categories = f.failureCategories?.map((c) => c.toLowerCase());
  const codes = f.failureCodes?.map((c) => c.toLowerCase());
  const tools = f.tools?.map((t) => t.toLowerCase());
  return (e) => {
    if (f.hasErrors !== undefined) {
      const n = errorsOf(e);
      if (n === undefined || (n > 0) !== f.hasErrors) return false;
    }
    if (categories && !holdsAny(e.failure_categories, categories)) return false;
    if (codes && !holdsAny(e.failure_codes, codes)) return false;
    if (tools && !holdsAny(e.failed_tools, tools)) return false;
    if (f.agentVersions && !(e.agent?.version !== undefined && f.agentVersions.includes(e.agent.version))) return false;
    if (f.metadata) {
      for (const [k, v] of f.metadata) {
        const have = e.metadata && Object.hasOwn(e.metadata, k) ? e.metadata[k] : undefined;
        if (have === undefined || String(have) !== v) return false;
      }
    }
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
