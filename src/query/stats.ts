/**
 * Figures over index entries, grouped by one index field (agent version by default): what `ams
 * stats` prints and `GET /api/stats` returns. One function, so the terminal and the browser
 * always agree. Counts of failures are counts of sessions: an index entry keeps which categories,
 * codes and tools failed in a session, not how often.
 */
import { addCost } from '../session/totals.js';
import type { SessionIndexEntry } from '../session/types.js';
import { compileFilter, errorsOf, FilterError } from './filter.js';
import type { SessionFilter } from './filter.js';

export interface StatsGroup {
  /** The group's value of the group-by field, as a string; null when the field is absent (and for the total). */
  key: string | null;
  sessions: number;
  /** Sessions with at least one failed call (errors > 0), whatever their status. */
  sessions_with_errors: number;
  /** sessions_with_errors / sessions (0 when there are no sessions), rounded to 6 decimals. */
  error_rate: number;
  /** Failed calls, summed over the sessions. */
  errors: number;
  /** Failure category -> sessions in which it occurred. */
  failures_by_category: Record<string, number>;
  /** Failure code -> sessions in which it occurred. */
  failures_by_code: Record<string, number>;
  /** Tool name -> sessions in which a call of it failed. */
  failed_tools: Record<string, number>;
  /** Sum of the known session costs; null when no session had one (unknown, never 0). */
  cost_usd: number | null;
  /** True when cost_usd leaves out costs that are unknown (a session with model calls but no cost, or a partial one). */
  cost_partial: boolean;
  /** Sums of the known token counts. */
  input_tokens: number;
  output_tokens: number;
  /** Session durations, nearest-rank percentiles (always an observed value); null with no sessions. */
  duration_ms: { p50: number | null; p95: number | null };
}

export interface Stats {
  /** The time window (epoch ms, start times), or null when open. */
  since: number | null;
  until: number | null;
  group_by: string;
  /** One per distinct key, most sessions first (ties: by key, null last). */
  groups: StatsGroup[];
  /** Every matching session; key null. */
  total: StatsGroup;
}

export const DEFAULT_GROUP_BY = 'agent.version';

/** Index fields that hold a list or an object as a whole: a session would fall in several groups, or none. */
const NOT_GROUPABLE = new Set(['tags', 'failed_tools', 'failure_categories', 'failure_codes', 'agent', 'metadata', 'totals', 'totals.sources', 'totals.event_sums']);

/** The index fields a group-by path may start with. */
const GROUPABLE_ROOTS = new Set([
  'id',
  'trace_id',
  'conversation_id',
  'revision',
  'status',
  'agent',
  'environment',
  'metadata',
  'model',
  'started_at',
  'ended_at',
  'totals',
  'errors',
  'schema_version',
]);

/**
 * Checks a group-by path (`agent.version`, `model`, `environment`, `metadata.team`, ...) and
 * returns the function that reads it from an entry: a string, or null when absent or not a
 * single value. Throws FilterError for a path that names no groupable index field.
 */
/** The filters' names for the fields they match, accepted as group-by paths too. */
const GROUP_ALIASES: Record<string, string> = { agent_version: 'agent.version', agent: 'agent.name', env: 'environment' };

/** The index path a group-by names (an alias such as `agent_version` resolved). */
export function groupPath(path: string): string {
  const p = path.trim();
  return GROUP_ALIASES[p] ?? p;
}

export function groupKeyOf(path: string): (e: SessionIndexEntry) => string | null {
  const p = groupPath(path);
  const root = p.split('.')[0]!;
  if (!GROUPABLE_ROOTS.has(root) || NOT_GROUPABLE.has(p) || p.endsWith('.')) {
    throw new FilterError(
      `group-by must name one value of an index entry: agent.version, agent.name, model, environment, status, metadata.<key>, ...; got "${path}"`,
    );
  }
  // A metadata key may itself hold dots: everything after `metadata.` is the key.
  const segments = root === 'metadata' ? ['metadata', p.slice('metadata.'.length)] : p.split('.');
  return (e) => {
    let v: unknown = e;
    for (const s of segments) {
      if (v === null || typeof v !== 'object') return null;
      v = (v as Record<string, unknown>)[s];
    }
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
  };
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p % of them at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

class Acc {
  sessions = 0;
  withErrors = 0;
  errors = 0;
  // Maps, not objects: the keys are stored names (a tool called `__proto__` is just a name).
  byCategory = new Map<string, number>();
  byCode = new Map<string, number>();
  tools = new Map<string, number>();
  cost: number | null = null;
  unknownCost = false;
  input = 0;
  output = 0;
  durations: number[] = [];

  add(e: SessionIndexEntry): void {
    this.sessions += 1;
    const n = errorsOf(e);
    if (n !== undefined) {
      this.errors += n;
      if (n > 0) this.withErrors += 1;
    }
    const bump = (into: Map<string, number>, list: readonly string[] | undefined) => {
      for (const k of new Set(list ?? [])) into.set(k, (into.get(k) ?? NONE_YET) + 1);
    };
    bump(this.byCategory, e.failure_categories);
    bump(this.byCode, e.failure_codes);
    bump(this.tools, e.failed_tools);
    const t = e.totals;
    if (t) {
      if (typeof t.cost_usd === 'number') this.cost = addCost(this.cost, t.cost_usd);
      if (t.cost_partial || (t.cost_usd === null && t.turns > 0)) this.unknownCost = true;
      // Sums of what is known: an entry without a figure adds nothing (it is not a zero).
      if (typeof t.input_tokens === 'number') this.input += t.input_tokens;
      if (typeof t.output_tokens === 'number') this.output += t.output_tokens;
      if (typeof t.duration_ms === 'number' && Number.isFinite(t.duration_ms)) this.durations.push(t.duration_ms);
    }
  }

  result(key: string | null): StatsGroup {
    const sorted = [...this.durations].sort((a, b) => a - b);
    // Sums of float costs collect noise in the last digits; micro-dollars are enough.
    const cost = this.cost === null ? null : Math.round(this.cost * 1e6) / 1e6;
    return {
      key,
      sessions: this.sessions,
      sessions_with_errors: this.withErrors,
      error_rate: this.sessions > 0 ? Math.round((this.withErrors / this.sessions) * 1e6) / 1e6 : 0,
      errors: this.errors,
      failures_by_category: sortedCounts(this.byCategory),
      failures_by_code: sortedCounts(this.byCode),
      failed_tools: sortedCounts(this.tools),
      cost_usd: cost,
      cost_partial: cost !== null && this.unknownCost,
      input_tokens: this.input,
      output_tokens: this.output,
      duration_ms: { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
    };
  }
}

/** A session count not yet started (a count of sessions, not a cost or token figure). */
const NONE_YET = 0;

/** Most frequent first (ties by name), so the JSON reads in the order a table would. */
function sortedCounts(counts: Map<string, number>): Record<string, number> {
  // fromEntries defines own properties, whatever the key.
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Figures over the entries that match `filter`, grouped by the index field `groupBy`. */
export function computeStats(entries: readonly SessionIndexEntry[], filter: SessionFilter, groupBy: string = DEFAULT_GROUP_BY): Stats {
  const keyOf = groupKeyOf(groupBy);
  const match = compileFilter(filter);
  const total = new Acc();
  const groups = new Map<string | null, Acc>();
  for (const e of entries) {
    if (!match(e)) continue;
    total.add(e);
    const key = keyOf(e);
    let acc = groups.get(key);
    if (!acc) groups.set(key, (acc = new Acc()));
    acc.add(e);
  }
  const list = [...groups.entries()].map(([key, acc]) => acc.result(key));
  list.sort((a, b) => b.sessions - a.sessions || (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
  return { since: filter.since ?? null, until: filter.until ?? null, group_by: groupPath(groupBy), groups: list, total: total.result(null) };
}
