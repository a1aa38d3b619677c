import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleSession } from '../src/index.js';
import type { Session, SessionEvent, SpanRecord } from '../src/index.js';
import { expectValidSession } from './support/schema.js';
import { shuffled } from './support/shuffle.js';

const dir = path.join(import.meta.dirname, 'fixtures/assemble');
const load = <T>(name: string): T => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as T;
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.spans.json'))
  .map((f) => f.replace('.spans.json', ''));


describe('assembleSession golden fixtures', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(4));

  for (const name of fixtures) {
    it(`${name}: matches the golden session and the schema`, () => {
      const spans = load<SpanRecord[]>(`${name}.spans.json`);
      const session = assembleSession(spans);
      expect(session).toEqual(load<Session>(`${name}.session.json`));
      expectValidSession(session);
    });

    it(`${name}: is deterministic whatever order the spans arrive in`, () => {
      const spans = load<SpanRecord[]>(`${name}.spans.json`);
      const expected = JSON.stringify(assembleSession(spans));
      for (const seed of [1, 2, 3, 42]) expect(JSON.stringify(assembleSession(shuffled(spans, seed)))).toBe(expected);
    });
  }
});

describe('assembleSession semantics', () => {
  const session = assembleSession(load<SpanRecord[]>('agent-with-subagent.spans.json'));
  const types = (events: SessionEvent[]) => events.map((e) => e.type);

  it('takes the header from the invoke_agent root', () => {
    expect(session.agent).toEqual({ name: 'support-bot', version: '2026.06' });
    expect(session.environment).toBe('prod'); // ams.environment wins over the resource's
    expect(session.tags).toEqual(['voice', 'beta']);
    expect(session.metadata).toEqual({ team_id: 't_42', priority: 2 });
    expect(session.conversation_id).toBe('conv-123');
    expect(session.status).toBe('ok');
  });

  it('orders events by start time, prompt first, ties broken by span id', () => {
    expect(types(session.events)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'tool_call', 'step', 'llm_message', 'tool_call', 'subagent', 'llm_message', 'notification']);
    const [bash, read] = session.events.filter((e) => e.type === 'tool_call');
    expect([bash && 'name' in bash && bash.name, read && 'name' in read && read.name]).toEqual(['Bash', 'Read']);
  });

  it('nests the subagent with why it ran and its own events', () => {
    const sub = session.events.find((e) => e.type === 'subagent');
    expect(sub).toMatchObject({ agent_type: 'general-purpose', agent_id: 'agent_1', why: 'Find where the build test moved.', tool_use_id: 'toolu_3' });
    expect(sub && 'events' in sub && types(sub.events)).toEqual(['llm_message', 'tool_call']);
  });

  it('turns chat spans into llm_message with thinking, text, tool uses and usage', () => {
    const first = session.events.find((e) => e.type === 'llm_message');
    expect(first).toMatchObject({
      thinking: 'Check the log and the test.',
      text: 'Looking at both.',
      tool_uses: [{ id: 'toolu_1', name: 'Bash' }, { id: 'toolu_2', name: 'Read' }],
      usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 5 },
    });
  });

  it('keeps unknown spans as generic steps, nested', () => {
    const step = session.events.find((e) => e.type === 'step');
    expect(step).toMatchObject({ name: 'db.query', kind: 'client', attributes: { 'db.system.name': 'postgresql' } });
    expect(step && 'events' in step && step.events?.[0]).toMatchObject({ type: 'step', name: 'db.connect' });
  });

  it('sums totals over nested events', () => {
    expect(session.totals).toMatchObject({ input_tokens: 650, output_tokens: 100, tool_calls: 4, subagents: 1, errors: 1, turns: 4 });
    expect(session.totals.sources.cost_usd).toBe('events');
    expect(session.spans).toEqual({ kept: 12, dropped: 0 });
  });

  it('lets SDK-reported totals win, labelled, and shows the event sums when they differ', () => {
    const s = assembleSession(load<SpanRecord[]>('sdk-totals.spans.json'));
    expect(s.totals).toMatchObject({ output_tokens: 400, cost_usd: 0.0123, duration_ms: 5100 });
    expect(s.totals.sources).toMatchObject({ tokens: 'sdk', cost_usd: 'sdk' });
    // The calls carry no cost: the bundled table prices them (claude-sonnet-4-5: $3 in, $15 out,
    // $0.30 cache read per million), which differs from the SDK's own total.
    expect(s.totals.event_sums).toMatchObject({ output_tokens: 350, cost_usd: (1000 * 3 + 350 * 15 + 50 * 0.3) / 1e6 });
    expect(assembleSession(load<SpanRecord[]>('sdk-totals.spans.json'), { price: false }).totals.event_sums).toMatchObject({ output_tokens: 350, cost_usd: null });
  });

  it('marks rootless traces and caller-known gaps incomplete', () => {
    const rootless = assembleSession(load<SpanRecord[]>('rootless.spans.json'));
    expect(rootless.status).toBe('incomplete');
    expect(rootless.root_span_id).toBeUndefined();
    expect(rootless.events).toHaveLength(2);
    const cut = assembleSession(load<SpanRecord[]>('agent-with-subagent.spans.json'), { droppedSpans: 3 });
    expect(cut.status).toBe('incomplete');
    expect(cut.spans.dropped).toBe(3);
    expect(cut.status_reason).toContain('3 span(s) dropped');
  });

  it('makes an errored root an error session, counted', () => {
    const s = assembleSession(load<SpanRecord[]>('agentless-error.spans.json'));
    expect(s.status).toBe('error');
    expect(s.status_reason).toBe('upstream failed');
    expect(s.totals.errors).toBe(1);
    expect(s.agent.name).toBe('chat-api'); // no agent span: the service name
  });

  it("surfaces the failed run's error.type (else its exception's type) as the session's error_type", () => {
    const spans = load<SpanRecord[]>('agent-with-subagent.spans.json');
    const root = spans.find((r) => !r.parentSpanId)!;
    const failed = spans.map((r) => (r === root ? { ...r, status: { code: 'error' as const, message: 'rate limited' }, attributes: { ...r.attributes, 'error.type': 'rate_limit_error' } } : r));
    const s = assembleSession(failed);
    expect(s).toMatchObject({ status: 'error', status_reason: 'rate limited', error_type: 'rate_limit_error' });
    expectValidSession(s);
    const byException = failed.map((r) => (r.spanId === root.spanId ? { ...r, attributes: root.attributes, events: [...r.events, { name: 'exception', timeMs: r.endTimeMs, attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'timed out' } }] } : r));
    expect(assembleSession(byException).error_type).toBe('TimeoutError');
    expect(assembleSession(spans).error_type).toBeUndefined();
  });

  it('attaches a subtree whose parent never arrived, and says so', () => {
    const spans = load<SpanRecord[]>('agent-with-subagent.spans.json');
    const withoutAgentTool = spans.filter((s) => s.spanId !== 'b000000000000003');
    const s = assembleSession(withoutAgentTool);
    expect(s.status).toBe('incomplete');
    expect(s.status_reason).toMatch(/without their parent/);
    expect(s.events.some((e) => e.type === 'subagent')).toBe(true);
  });

  it('sanitizes a hostile session id', () => {
    const spans = load<SpanRecord[]>('agent-with-subagent.spans.json');
    const root = spans.find((s) => s.spanId === 'a000000000000001')!;
    const hostile = [{ ...root, attributes: { ...root.attributes, 'ams.session.id': '../../etc/passwd' } }, ...spans.filter((s) => s !== root)];
    const s = assembleSession(hostile);
    expect(s.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect(s.id).not.toContain('..');
    expect(s.id).not.toContain('/');
  });

  it('keeps a malformed output-messages attribute as text instead of losing it', () => {
    const spans = load<SpanRecord[]>('agentless-error.spans.json');
    const chat = spans.find((s) => s.spanId === 'c300000000000001')!;
    const broken = { ...chat, attributes: { ...chat.attributes, 'gen_ai.output.messages': '[{"role":"assistant","parts":[{"ty' } };
    const s = assembleSession([spans[0]!, broken]);
    expect(s.events[0]).toMatchObject({ type: 'llm_message', text: '[{"role":"assistant","parts":[{"ty' });
  });

  it('refuses an empty span list with a clear error', () => {
    expect(() => assembleSession([])).toThrow(/no spans/);
  });
});

describe('timestamps', () => {
  it('format exactly like Date#toISOString, across day boundaries and rounding', () => {
    const values = [0, 1, 999.6, 86_399_999.4, 86_400_000, 1767225599999.5, 1767225600000, 1767225600000.2, 4102444799999, 951782400000];
    for (const ms of values) {
      const s = assembleSession([
        { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'chat m', kind: 'client', startTimeMs: ms, endTimeMs: ms, status: { code: 'unset' }, attributes: {}, events: [], resource: {} },
      ]);
      expect(s.started_at).toBe(new Date(Math.round(ms)).toISOString());
    }
  });
});

describe('a trace that is one model call', () => {
  it('makes the lone chat root its llm_message, its error counted once', () => {
    const chat = load<SpanRecord[]>('agentless-error.spans.json').find((s) => s.spanId === 'c300000000000001')!;
    const lone = { ...chat, parentSpanId: undefined, status: { code: 'error' as const, message: 'rate limited' } };
    const s = assembleSession([lone]);
    expect(s.events).toHaveLength(1);
    expect(s.events[0]).toMatchObject({ type: 'llm_message', text: 'Hello', error: 'rate limited' });
    expect(s.status).toBe('error');
    expect(s.totals).toMatchObject({ input_tokens: 20, output_tokens: 8, turns: 1, errors: 1 });
    expectValidSession(s);
  });
});
