/** Filtering, ordering, pagination and the at-a-glance summary over index entries. */
import { addCost } from '../session/totals.js';
import type { SessionIndexEntry, SessionStatus } from '../session/types.js';
import { compileFilter, errorsOf } from './filter.js';
import type { SessionFilter } from './filter.js';

export interface Page {
  /** Entries skipped (default 0). */
  offset?: number;
  /** Most entries returned; 0 or undefined = all. */
  limit?: number;
}

export interface QuerySummary {
  sessions: number;
  /** Sum of the known session costs; null when no matching session had one (unknown, never 0). */
  cost_usd: number | null;
  /** True when cost_usd leaves out unknown costs (a session with an unknown or partial cost). */
  cost_partial?: true;
  input_tokens: number;
  output_tokens: number;
  tool_calls: number;
  errors: number;
  /** Sessions with at least one failed call (errors > 0), whatever their status. */
  sessions_with_errors: number;
  by_status: Record<SessionStatus, number>;
}

/** Values present in the store, for the viewer's filter menus. */
export interface Facets {
  agents: string[];
  environments: string[];
  models: string[];
  tags: string[];
}

export interface QueryResult {
  /** Matching entries on this page, newest first. */
  sessions: SessionIndexEntry[];
  /** How many entries match the filter (all pages). */
  total: number;
  offset: number;
  limit: number;
  /** Offset of the next page, or null on the last one. */
  next_offset: number | null;
  /** Totals over every matching entry (not just this page). */
  summary: QuerySummary;
}

/** Newest first by start time; ties broken by id so pages are stable. */
export function sortNewestFirst(entries: SessionIndexEntry[]): SessionIndexEntry[] {
  const keyed = entries.map((e) => ({ e, t: Date.parse(e.started_at) || 0 }));
  keyed.sort((a, b) => b.t - a.t || (a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0));
  return keyed.map((k) => k.e);
}

export function summarize(entries: SessionIndexEntry[]): QuerySummary {
  const s: QuerySummary = {
    sessions: entries.length,
    cost_usd: null,
    input_tokens: 0,
    output_tokens: 0,
    tool_calls: 0,
    errors: 0,
    sessions_with_errors: 0,
    by_status: { ok: 0, error: 0, incomplete: 0 },
  };
  let unknownCost = false;
  for (const e of entries) {
    const t = e.totals;
    if (t) {
      if (typeof t.cost_usd === 'number') s.cost_usd = addCost(s.cost_usd, t.cost_usd);
      if (t.cost_partial || (t.cost_usd === null && t.turns > 0)) unknownCost = true;
      // Sums of what is known: an entry without a figure adds nothing (it is not a zero).
      if (typeof t.input_tokens === 'number') s.input_tokens += t.input_tokens;
      if (typeof t.output_tokens === 'number') s.output_tokens += t.output_tokens;
      if (typeof t.tool_calls === 'number') s.tool_calls += t.tool_calls;
    }
    const errors = errorsOf(e);
    if (errors !== undefined) {
      s.errors += errors;
      if (errors > 0) s.sessions_with_errors += 1;
    }
    if (e.status in s.by_status) s.by_status[e.status] += 1;
  }
  // Sums of float costs collect noise in the last digits; cents of cents are enough.
  if (s.cost_usd !== null) {
    s.cost_usd = Math.round(s.cost_usd * 1e6) / 1e6;
    if (unknownCost) s.cost_partial = true;
  }
  return s;
}

export function facets(entries: SessionIndexEntry[]): Facets {
  const agents = new Set<string>();
  const environments = new Set<string>();
  const models = new Set<string>();
  const tags = new Set<string>();
  for (const e of entries) {
    if (e.agent?.name) agents.add(e.agent.name);
    if (e.environment) environments.add(e.environment);
    if (e.model) models.add(e.model);
    for (const t of e.tags ?? []) tags.add(t);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { agents: sorted(agents), environments: sorted(environments), models: sorted(models), tags: sorted(tags) };
}

/** Filters, sorts newest first and cuts one page. `sorted` = entries are already newest first. */
export function querySessions(entries: SessionIndexEntry[], filter: SessionFilter, page: Page = {}, sorted = false): QueryResult {
  const match = compileFilter(filter);
  const matching = (sorted ? entries : sortNewestFirst(entries)).filter(match);
  const offset = Math.max(0, page.offset ?? 0);
  const limit = Math.max(0, page.limit ?? 0);
  const end = limit > 0 ? offset + limit : matching.length;
  return {
    sessions: matching.slice(offset, end),
    total: matching.length,
    offset,
    limit,
    next_offset: end < matching.length ? end : null,
    summary: summarize(matching),
  };
}
