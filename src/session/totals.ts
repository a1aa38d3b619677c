/**
 * Session totals: summed from events, except figures the root span reports itself (e.g. the
 * Claude Agent SDK's own token and cost accounting), which win and are labelled by source. When
 * the two disagree, the event sums are kept next to them so the difference is visible.
 */
import type { Attributes } from '../spans/record.js';
import { readNumber, readString } from '../spans/read.js';
import * as sc from '../spans/semconv.js';
import type { ModelUsage, SessionEvent, Totals, TotalsSource, Usage } from './types.js';

export function emptyUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
}

export function addUsage(into: Usage, u: Usage): void {
  into.input_tokens += u.input_tokens;
  into.output_tokens += u.output_tokens;
  into.cache_read_input_tokens += u.cache_read_input_tokens;
  into.cache_creation_input_tokens += u.cache_creation_input_tokens;
}

const USAGE_ATTRS: Record<keyof Usage, string> = {
  input_tokens: sc.GEN_AI_USAGE_INPUT_TOKENS,
  output_tokens: sc.GEN_AI_USAGE_OUTPUT_TOKENS,
  cache_read_input_tokens: sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  cache_creation_input_tokens: sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
};

/**
 * The token counts a span reported, or undefined when it reported none: an unknown usage stays
 * unknown (absent), never a row of zeros. Beside counts that were reported, a missing one (e.g. no
 * cache counts from a producer without a prompt cache) is none: the producer said what it used.
 */
export function usageOf(attrs: Attributes): Usage | undefined {
  if (!reportsUsage(attrs)) return undefined;
  const none = (key: string): number => readNumber(attrs, key) ?? NONE_REPORTED;
  return {
    input_tokens: none(USAGE_ATTRS.input_tokens),
    output_tokens: none(USAGE_ATTRS.output_tokens),
    cache_read_input_tokens: none(USAGE_ATTRS.cache_read_input_tokens),
    cache_creation_input_tokens: none(USAGE_ATTRS.cache_creation_input_tokens),
  };
}

/** A count the producer left out beside ones it reported (see usageOf): it had none of that kind. */
const NONE_REPORTED = 0;

function reportsUsage(attrs: Attributes): boolean {
  return (
    attrs[USAGE_ATTRS.input_tokens] !== undefined ||
    attrs[USAGE_ATTRS.output_tokens] !== undefined ||
    attrs[USAGE_ATTRS.cache_read_input_tokens] !== undefined ||
    attrs[USAGE_ATTRS.cache_creation_input_tokens] !== undefined
  );
}

function sameUsage(a: Usage, b: Usage): boolean {
  return (
    a.input_tokens === b.input_tokens &&
    a.output_tokens === b.output_tokens &&
    a.cache_read_input_tokens === b.cache_read_input_tokens &&
    a.cache_creation_input_tokens === b.cache_creation_input_tokens
  );
}

interface Sums {
  usage: Usage;
  /** Sum of the known per-call costs (meaningful only when costedCalls > 0). */
  cost: number;
  llmCalls: number;
  /** Model calls that reported a cost of their own (cost sums mean nothing without them). */
  costedCalls: number;
  toolCalls: number;
  subagents: number;
  errors: number;
  apiMs: number;
}

function sum(events: SessionEvent[], s: Sums): Sums {
  for (const e of events) {
    switch (e.type) {
      case 'llm_message':
        if (e.usage) addUsage(s.usage, e.usage);
        if (e.cost_usd !== undefined) {
          s.cost += e.cost_usd;
          s.costedCalls += 1;
        }
        s.llmCalls += 1;
        s.apiMs += e.duration_ms;
        if (e.error) s.errors += 1;
        break;
      case 'tool_call':
        s.toolCalls += 1;
        if (e.status === 'error') s.errors += 1;
        break;
      case 'subagent':
        s.subagents += 1;
        if (e.status === 'error') s.errors += 1;
        sum(e.events, s);
        break;
      case 'step':
        if (e.status === 'error') s.errors += 1;
        if (e.events) sum(e.events, s);
        break;
      default:
        break;
    }
  }
  return s;
}

/** Costs are kept to the nano-dollar: enough for per-token prices, free of float noise. */
/** Costs to the nano-dollar: sums of floats otherwise print as 0.30000000000000004. */
export const roundCost = (n: number) => Math.round(n * 1e9) / 1e9;

/**
 * Adds two costs where null is unknown: null + null = null, null + x = x. The caller marks the
 * result partial when it mixed a known and an unknown figure (see costMixed).
 */
export function addCost(a: number | null, b: number | null): number | null {
  if (a === null) return b === null ? null : roundCost(b);
  if (b === null) return roundCost(a);
  return roundCost(a + b);
}

/** The sum of known costs of some model calls: null when none had one; partial when only some did. */
function eventCostOf(s: Sums): { cost: number | null; partial: boolean } {
  if (s.costedCalls === 0) return { cost: null, partial: false };
  return { cost: roundCost(s.cost), partial: s.costedCalls < s.llmCalls };
}

export function computeTotals(events: SessionEvent[], rootAttrs: Attributes, spanDurationMs: number): Totals {
  const s = sum(events, { usage: emptyUsage(), cost: 0, llmCalls: 0, costedCalls: 0, toolCalls: 0, subagents: 0, errors: 0, apiMs: 0 });
  const source: TotalsSource = readString(rootAttrs, sc.AMS_USAGE_SOURCE) === 'sdk' ? 'sdk' : 'reported';
  const sources: Totals['sources'] = { tokens: 'events', cost_usd: 'events', turns: 'events', duration_ms: 'events', api_duration_ms: 'events' };

  let usage = s.usage;
  const reported = usageOf(rootAttrs);
  if (reported) {
    usage = reported;
    sources.tokens = source;
  }
  const fromEvents = eventCostOf(s);
  let cost = fromEvents.cost;
  let costPartial = fromEvents.partial;
  const reportedCost = readNumber(rootAttrs, sc.AMS_COST_USD);
  if (reportedCost !== undefined) {
    // The producer's own run total covers every call, priced one by one or not.
    cost = roundCost(reportedCost);
    costPartial = false;
    sources.cost_usd = source;
  }
  let turns = s.llmCalls;
  const reportedTurns = readNumber(rootAttrs, sc.AMS_TURNS);
  if (reportedTurns !== undefined) {
    turns = reportedTurns;
    sources.turns = source;
  }
  let duration = Math.round(spanDurationMs);
  const reportedDuration = readNumber(rootAttrs, sc.AMS_DURATION_MS);
  if (reportedDuration !== undefined) {
    duration = reportedDuration;
    sources.duration_ms = source;
  }
  let apiDuration = Math.round(s.apiMs);
  const reportedApi = readNumber(rootAttrs, sc.AMS_API_DURATION_MS);
  if (reportedApi !== undefined) {
    apiDuration = reportedApi;
    sources.api_duration_ms = source;
  }

  // Built as one literal (same key order as spreading usage): no copy, no reshaping.
  const totals: Totals = {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cost_usd: cost,
    ...(costPartial ? { cost_partial: true as const } : {}),
    turns,
    tool_calls: s.toolCalls,
    subagents: s.subagents,
    errors: s.errors,
    duration_ms: duration,
    api_duration_ms: apiDuration,
    sources,
  };
  const differs =
    (sources.tokens !== 'events' && !sameUsage(usage, s.usage)) ||
    // Per-call cost is optional (the Claude SDK reports cost only per run): a missing figure is not a difference.
    (sources.cost_usd !== 'events' && fromEvents.cost !== null && cost !== fromEvents.cost);
  if (differs) totals.event_sums = { ...s.usage, cost_usd: fromEvents.cost, ...(fromEvents.partial ? { cost_partial: true as const } : {}) };
  return totals;
}

const SOURCE_KEYS = ['tokens', 'cost_usd', 'turns', 'duration_ms', 'api_duration_ms'] as const;

/**
 * Totals of a session made of several traces: each trace's own totals (whoever reported them)
 * summed, the duration being the session's wall-clock span. A figure's source is the one every
 * trace shares; when they differ, the first one that did not come from events (it was reported
 * for at least part of the session). Event sums are kept when any trace kept its own.
 */
export function combineTotals(parts: readonly Totals[], durationMs: number): Totals {
  const usage = emptyUsage();
  let cost: number | null = null;
  const t = { turns: 0, tool_calls: 0, subagents: 0, errors: 0, api_duration_ms: 0 };
  let eventSums: ModelUsage | undefined;
  for (const p of parts) {
    addUsage(usage, p);
    cost = addCost(cost, p.cost_usd);
    t.turns += p.turns;
    t.tool_calls += p.tool_calls;
    t.subagents += p.subagents;
    t.errors += p.errors;
    t.api_duration_ms += p.api_duration_ms;
  }
  if (parts.some((p) => p.event_sums)) {
    const owns = parts.map((p) => p.event_sums ?? p);
    eventSums = { ...emptyUsage(), cost_usd: null };
    for (const own of owns) {
      addUsage(eventSums, own);
      eventSums.cost_usd = addCost(eventSums.cost_usd, own.cost_usd);
    }
    if (costMixed(owns)) eventSums.cost_partial = true;
  }
  const sources: Totals['sources'] = {};
  for (const key of SOURCE_KEYS) {
    const seen = parts.map((p) => p.sources[key]).filter((s): s is TotalsSource => s !== undefined);
    if (seen.length === 0) continue;
    sources[key] = seen.every((s) => s === seen[0]) ? seen[0] : (seen.find((s) => s !== 'events') ?? seen[0]);
  }
  // The duration is the wall-clock span of the whole session, not a sum of interactions.
  sources.duration_ms = 'events';
  const totals: Totals = {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cost_usd: cost,
    ...(costMixed(parts) ? { cost_partial: true as const } : {}),
    turns: t.turns,
    tool_calls: t.tool_calls,
    subagents: t.subagents,
    errors: t.errors,
    duration_ms: Math.max(0, Math.round(durationMs)),
    api_duration_ms: Math.round(t.api_duration_ms * 1000) / 1000,
    sources,
  };
  if (eventSums) totals.event_sums = eventSums;
  return totals;
}

/**
 * Whether a sum over parts leaves out unknown costs: some part was itself partial, or a part with
 * model calls but no known cost was added to a known one. A part's `turns`, when it has them, says
 * whether it had model calls (a part with none has nothing unpriced); a per-model figure always had.
 */
export function costMixed(parts: readonly { cost_usd: number | null; cost_partial?: true; turns?: number }[]): boolean {
  if (parts.some((p) => p.cost_partial)) return true;
  const known = parts.some((p) => p.cost_usd !== null);
  return known && parts.some((p) => p.cost_usd === null && (p.turns === undefined || p.turns > 0));
}

/** The model with the most input + output tokens (`unknown` never wins). */
export function mostUsedModel(models: Record<string, ModelUsage>): string | undefined {
  let best: string | undefined;
  let bestTokens = -1;
  for (const [name, u] of Object.entries(models)) {
    const t = u.input_tokens + u.output_tokens;
    if (t > bestTokens && name !== 'unknown') {
      best = name;
      bestTokens = t;
    }
  }
  return best;
}
