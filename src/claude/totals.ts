/**
 * Run totals from the SDK's `result` messages.
 *
 * Probed on @anthropic-ai/claude-agent-sdk 0.3.330 and stated in its type docs: `total_cost_usd`,
 * `modelUsage` and `duration_api_ms` are running totals for the query() call ("read the latest
 * result rather than summing across results"), while `num_turns` and `duration_ms` are per
 * result. A background subagent adds a second result; streaming input adds one per turn, each
 * carrying the running total so far. Summing them would count early turns twice.
 *
 * So figures are kept per segment (one query() call's running total): a new segment starts when
 * the session id changes (another query() recorded by the same tracer) or the running total goes
 * down (a `/clear`). The run's totals are the sum over segments of each segment's latest figures,
 * plus the per-result figures summed.
 */
import { addCost } from '../session/totals.js';
import type { Usage } from '../session/types.js';

/** One model's usage and cost as the SDK reports it (cost null when the SDK gave none: unknown, not $0). */
export interface ModelFigures extends Usage {
  cost_usd: number | null;
}

export interface ResultLike {
  session_id?: string;
  total_cost_usd?: number;
  duration_ms?: number;
  duration_api_ms?: number;
  num_turns?: number;
  modelUsage?: Record<string, Record<string, unknown>>;
}

interface Snapshot {
  sessionId?: string;
  /** The running total cost; null when the result carried none. */
  cost: number | null;
  apiMs: number;
  models: Record<string, ModelFigures>;
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
/** A cost the SDK reported, or null: a missing cost is unknown, not $0. */
const usd = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

const tokens = (s: Snapshot): number => Object.values(s.models).reduce((a, m) => a + m.input_tokens + m.output_tokens, 0);

function snapshotOf(r: ResultLike): Snapshot {
  const models: Record<string, ModelFigures> = {};
  for (const [model, u] of Object.entries(r.modelUsage ?? {})) {
    if (!u || typeof u !== 'object') continue;
    models[model] = {
      input_tokens: n(u.inputTokens),
      output_tokens: n(u.outputTokens),
      cache_read_input_tokens: n(u.cacheReadInputTokens),
      cache_creation_input_tokens: n(u.cacheCreationInputTokens),
      cost_usd: usd(u.costUSD),
    };
  }
  return { sessionId: r.session_id, cost: usd(r.total_cost_usd), apiMs: n(r.duration_api_ms), models };
}

export interface RunTotals extends Usage {
  results: number;
  /** Sum over segments of the SDK's total_cost_usd; null when no result carried one. */
  cost_usd: number | null;
  turns: number;
  duration_ms: number;
  api_duration_ms: number;
  models: Record<string, ModelFigures>;
}

export class ResultTotals {
  private closed: Snapshot[] = [];
  private current: Snapshot | undefined;
  private turns = 0;
  private durationMs = 0;
  private count = 0;

  add(r: ResultLike): void {
    const snap = snapshotOf(r);
    const cur = this.current;
    if (cur && (snap.sessionId !== cur.sessionId || (snap.cost !== null && cur.cost !== null && snap.cost + 1e-12 < cur.cost) || tokens(snap) < tokens(cur))) this.closed.push(cur);
    this.current = snap;
    this.turns += n(r.num_turns);
    this.durationMs += n(r.duration_ms);
    this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  totals(): RunTotals {
    const t: RunTotals = {
      results: this.count,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      cost_usd: null,
      turns: this.turns,
      duration_ms: this.durationMs,
      api_duration_ms: 0,
      models: {},
    };
    for (const s of [...this.closed, ...(this.current ? [this.current] : [])]) {
      t.cost_usd = addCost(t.cost_usd, s.cost);
      t.api_duration_ms += s.apiMs;
      for (const [model, f] of Object.entries(s.models)) {
        const m = (t.models[model] ??= { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: null });
        m.input_tokens += f.input_tokens;
        m.output_tokens += f.output_tokens;
        m.cache_read_input_tokens += f.cache_read_input_tokens;
        m.cache_creation_input_tokens += f.cache_creation_input_tokens;
        m.cost_usd = addCost(m.cost_usd, f.cost_usd);
        t.input_tokens += f.input_tokens;
        t.output_tokens += f.output_tokens;
        t.cache_read_input_tokens += f.cache_read_input_tokens;
        t.cache_creation_input_tokens += f.cache_creation_input_tokens;
      }
    }
    return t;
  }
}
