/**
 * Unknown cost is null, never $0 (issues 11/12): a session whose model calls report no cost has
 * `totals.cost_usd: null` and `models[m].cost_usd: null` in the document and the index entry, and
 * every view shows it as unknown; a session where only some calls had a cost shows the sum of the
 * known ones, marked `cost_partial`; merging traces keeps both rules.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { context, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ENTRY_COLUMNS, entryLine } from '../cli/format.js';
import { ResultTotals } from '../src/claude/totals.js';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session } from '../src/index.js';
import { parseFilter, compileFilter } from '../src/query/filter.js';
import { querySessions, summarize } from '../src/query/query.js';
import { renderTree, summarizeSession } from '../src/render/session.js';
import { mergeSessions } from '../src/session/merge.js';
import type { SessionIndexEntry } from '../src/session/types.js';
import * as sc from '../src/spans/semconv.js';
import { interaction } from './support/interaction.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

/**
 * One agent run: an invoke_agent root and one chat span per model call, costs as given (undefined:
 * none). The models are in-house names the bundled price table does not know, so a call without a
 * cost of its own stays unknown (test/pricing.test.ts covers the table).
 */
function run(tracer: Tracer, agent: string, calls: { model: string; cost?: number }[]): void {
  const root = tracer.startSpan(`invoke_agent ${agent}`, { attributes: { [sc.GEN_AI_OPERATION_NAME]: 'invoke_agent', [sc.GEN_AI_AGENT_NAME]: agent } });
  // Parent given explicitly: no context manager is registered in this test.
  const under = trace.setSpan(context.active(), root);
  for (const c of calls) {
    const attributes = {
      [sc.GEN_AI_OPERATION_NAME]: 'chat',
      [sc.GEN_AI_REQUEST_MODEL]: c.model,
      [sc.GEN_AI_USAGE_INPUT_TOKENS]: 100,
      [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: 10,
      ...(c.cost === undefined ? {} : { [sc.AMS_COST_USD]: c.cost }),
    };
    tracer.startSpan(`chat ${c.model}`, { attributes }, under).end();
  }
  root.end();
}

async function store(runs: (tracer: Tracer) => void): Promise<{ sessions: Session[]; index: SessionIndexEntry[] }> {
  const storage = new LocalStorage({ dir: tempDir('unknown-cost') });
  const processor = new SessionSpanProcessor({ storage });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  runs(provider.getTracer('unknown-cost'));
  await provider.forceFlush();
  await provider.shutdown();
  const index: SessionIndexEntry[] = [];
  for await (const e of storage.listIndex()) index.push(e);
  const sessions = await Promise.all(index.map(async (e) => (await storage.getSession(e.id))!));
  return { sessions, index };
}

const byAgent = <T extends { agent: { name: string } }>(list: T[], name: string): T => list.find((x) => x.agent.name === name)!;

describe('unknown cost', () => {
  it('no cost anywhere: null in the document, the models and the index entry; every view shows it as unknown', async () => {
    const { sessions, index } = await store((t) => run(t, 'unpriced', [{ model: 'house-mini' }, { model: 'house-mini' }]));
    const doc = byAgent(sessions, 'unpriced');
    expectValidSession(doc);
    expect(doc.totals.cost_usd).toBeNull();
    expect('cost_usd' in doc.totals).toBe(true);
    expect(doc.totals.cost_partial).toBeUndefined();
    expect(doc.models['house-mini']).toMatchObject({ input_tokens: 200, cost_usd: null });
    for (const e of doc.events) if (e.type === 'llm_message') expect(e.cost_usd).toBeUndefined();

    const entry = byAgent(index, 'unpriced');
    expectValidIndexEntry(entry);
    expect(entry.totals.cost_usd).toBeNull();

    // ams ls (table cell and tail line), ams show (totals line, per-model line), the console sink line.
    const cost = ENTRY_COLUMNS.find((c) => c.header === 'COST')!;
    expect(cost.get(entry)).toBe('-');
    expect(entryLine(entry)).not.toContain('$');
    const tree = renderTree(doc).join('\n');
    expect(tree).toMatch(/^totals: .* · - \(cost unknown\) · /m);
    expect(tree).toMatch(/^ {2}house-mini: 200 in \/ 20 out · -$/m);
    expect(tree).not.toContain('$0');
    expect(summarizeSession(doc)).not.toContain('$');

    // The query API: no known cost -> summary null; --min-cost never matches an unknown cost.
    expect(summarize([entry])).toMatchObject({ cost_usd: null });
    expect(summarize([entry]).cost_partial).toBeUndefined();
    expect(compileFilter(parseFilter({ 'min-cost': '0' }))(entry)).toBe(false);
    expect(querySessions([entry], parseFilter({})).sessions).toHaveLength(1);
  });

  it('some calls priced: the sum of the known costs, marked cost_partial, per model too; shown with a +', async () => {
    const { sessions, index } = await store((t) => {
      run(t, 'half-priced', [
        { model: 'house-small', cost: 0.002 },
        { model: 'house-small' },
        { model: 'house-large', cost: 0.01 },
        { model: 'house-mini' },
      ]);
      run(t, 'all-priced', [{ model: 'house-small', cost: 0.004 }]);
    });
    const doc = byAgent(sessions, 'half-priced');
    expectValidSession(doc);
    expect(doc.totals).toMatchObject({ cost_usd: 0.012, cost_partial: true, sources: { cost_usd: 'events' } });
    expect(doc.models['house-small']).toMatchObject({ cost_usd: 0.002, cost_partial: true });
    expect(doc.models['house-large']).toEqual(expect.objectContaining({ cost_usd: 0.01 }));
    expect(doc.models['house-large']!.cost_partial).toBeUndefined();
    expect(doc.models['house-mini']!.cost_usd).toBeNull();
    const entry = byAgent(index, 'half-priced');
    expect(entry.totals).toMatchObject({ cost_usd: 0.012, cost_partial: true });
    expect(ENTRY_COLUMNS.find((c) => c.header === 'COST')!.get(entry)).toBe('$0.012+');
    expect(renderTree(doc).join('\n')).toMatch(/ · \$0\.012\+ \(some model calls had no cost\) · /);

    const full = byAgent(sessions, 'all-priced');
    expect(full.totals.cost_usd).toBe(0.004);
    expect(full.totals.cost_partial).toBeUndefined();

    // Summary over both: known costs summed, partial because one session's cost is partial.
    expect(summarize(index)).toMatchObject({ cost_usd: 0.016, cost_partial: true });
    expect(querySessions(index, parseFilter({ 'min-cost': '0.01' })).sessions.map((e) => e.agent.name)).toEqual(['half-priced']);
  });

  it('a run total from the producer wins over unpriced calls: known, not partial', async () => {
    const { sessions } = await store((t) => {
      const root = t.startSpan('invoke_agent sdk', { attributes: { [sc.GEN_AI_OPERATION_NAME]: 'invoke_agent', [sc.GEN_AI_AGENT_NAME]: 'sdk', [sc.AMS_COST_USD]: 0.05, [sc.AMS_USAGE_SOURCE]: 'sdk' } });
      t.startSpan('chat m', { attributes: { [sc.GEN_AI_OPERATION_NAME]: 'chat', [sc.GEN_AI_REQUEST_MODEL]: 'm' } }, trace.setSpan(context.active(), root)).end();
      root.end();
    });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.totals).toMatchObject({ cost_usd: 0.05, sources: { cost_usd: 'sdk' } });
    expect(sessions[0]!.totals.cost_partial).toBeUndefined();
  });

  it('Claude SDK results without a cost: the run total and the model figures are null, not $0', () => {
    const t = new ResultTotals();
    t.add({ session_id: 's', num_turns: 1, modelUsage: { m: { inputTokens: 10, outputTokens: 1 } } });
    expect(t.totals()).toMatchObject({ cost_usd: null, input_tokens: 10, models: { m: { input_tokens: 10, cost_usd: null } } });
    t.add({ session_id: 's', num_turns: 1, total_cost_usd: 0.02, modelUsage: { m: { inputTokens: 20, outputTokens: 2, costUSD: 0.02 } } });
    expect(t.totals()).toMatchObject({ cost_usd: 0.02, models: { m: { input_tokens: 20, cost_usd: 0.02 } } });
  });

  describe('merging interactions', () => {
    const T1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
    const T2 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
    const T3 = 'ccccccccccccccccccccccccccccccc3';
    const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
    const part = (traceId: string, n: number, costUsd: number | null) => interaction({ traceId, at: AT + n * 60_000, sessionId: 'merge-cost', costUsd, model: 'house-large' });

    it('null + null = null', () => {
      const merged = mergeSessions(part(T1, 0, null), part(T2, 1, null));
      expectValidSession(merged);
      expect(merged.totals.cost_usd).toBeNull();
      expect(merged.totals.cost_partial).toBeUndefined();
      expect(merged.models['house-large']!.cost_usd).toBeNull();
    });

    it('null + x = x, marked partial; the marker carries over a further merge; order does not matter', () => {
      const merged = mergeSessions(part(T1, 0, null), part(T2, 1, 0.02));
      expectValidSession(merged);
      expect(merged.totals).toMatchObject({ cost_usd: 0.02, cost_partial: true });
      expect(merged.models['house-large']).toMatchObject({ cost_usd: 0.02, cost_partial: true });
      expect(mergeSessions(part(T2, 1, 0.02), part(T1, 0, null))).toEqual(merged);
      const three = mergeSessions(merged, part(T3, 2, 0.01));
      expect(three.totals).toMatchObject({ cost_usd: 0.03, cost_partial: true });
      expect(three.models['house-large']).toMatchObject({ cost_usd: 0.03, cost_partial: true });
    });

    it('x + y = x + y, not partial', () => {
      const merged = mergeSessions(part(T1, 0, 0.01), part(T2, 1, 0.02));
      expect(merged.totals.cost_usd).toBe(0.03);
      expect(merged.totals.cost_partial).toBeUndefined();
      expect(merged.models['house-large']!.cost_partial).toBeUndefined();
    });
  });
});
