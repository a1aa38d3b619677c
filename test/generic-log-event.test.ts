/**
 * Issue 14's generic API gaps, through the real NodeTracerProvider, SessionSpanProcessor and
 * LocalStorage (the JSON written is read back): logEvent() for an event that already happened,
 * metadata and attributes on traced() and the decorators, and redactKeys reaching a traced
 * function's positional arguments by parameter name.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logEvent as rootLogEvent } from '../src/index.js';
import { logEvent as genericLogEvent } from '../src/generic/index.js';
import { parameterNames } from '../src/generic/params.js';
import { harness, ofType } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('logEvent(): an event that already happened', () => {
  it('inside a session: tool, model and step events with the given timing, input, output and error', async () => {
    const h = harness();
    await h.t.startSession({ agent: 'logger-bot' }, async () => {
      h.t.logEvent({
        kind: 'tool',
        name: 'weather',
        input: { city: 'Lyon' },
        output: { temp_c: 21 },
        startTime: '2026-05-01T10:00:00.000Z',
        endTime: new Date('2026-05-01T10:00:01.250Z'),
        callId: 'call_w1',
      });
      h.t.logEvent({
        kind: 'llm',
        name: 'gpt-4o',
        input: 'Weather in Lyon?',
        output: 'It is 21 °C in Lyon.',
        endTime: Date.parse('2026-05-01T10:00:03.000Z'),
        latencyMs: 1500,
        usage: { inputTokens: 12, outputTokens: 9 },
        costUsd: 0.0003,
        provider: 'openai',
      });
      h.t.logEvent({ name: 'rerank', startTime: '2026-05-01T10:00:04.000Z', latencyMs: 40, error: new Error('index unavailable'), metadata: { shard: 3 } });
      await Promise.resolve();
    });
    const { sessions } = await h.flushAndRead();
    const s = sessions[0]!;
    expectValidSession(s);
    expect(ofType(s.events, 'tool_call')[0]).toMatchObject({
      name: 'weather',
      tool_use_id: 'call_w1',
      input: { city: 'Lyon' },
      result: { temp_c: 21 },
      status: 'ok',
      started_at: '2026-05-01T10:00:00.000Z',
      ended_at: '2026-05-01T10:00:01.250Z',
      duration_ms: 1250,
    });
    expect(ofType(s.events, 'llm_message')[0]).toMatchObject({
      model: 'gpt-4o',
      text: 'It is 21 °C in Lyon.',
      at: '2026-05-01T10:00:01.500Z',
      ended_at: '2026-05-01T10:00:03.000Z',
      duration_ms: 1500,
      usage: { input_tokens: 12, output_tokens: 9 },
      cost_usd: 0.0003,
    });
    const step = ofType(s.events, 'step')[0]!;
    expect(step).toMatchObject({ name: 'rerank', status: 'error', error: 'index unavailable', started_at: '2026-05-01T10:00:04.000Z', ended_at: '2026-05-01T10:00:04.040Z', duration_ms: 40 });
    expect(step.attributes.shard).toBe(3);
    expect(ofType(s.events, 'failure')[0]).toMatchObject({ category: 'orchestration', step: 'rerank', message: 'index unavailable' });
  });

  it('with no session active: a session of its own spanning the event (agent name given or the event name)', async () => {
    const h = harness();
    const spanId = h.t.logEvent({ kind: 'tool', name: 'nightly_export', agent: 'cron', input: { table: 'orders' }, output: 'ok', startTime: '2026-05-02T01:00:00.000Z', endTime: '2026-05-02T01:02:00.000Z' });
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    h.t.logEvent({ name: 'lonely-step', status: 'error', time: '2026-05-02T02:00:00.000Z' });
    const { sessions } = await h.flushAndRead();
    expect(sessions).toHaveLength(2);
    const [cron, lonely] = sessions;
    for (const s of sessions) expectValidSession(s);
    expect(cron).toMatchObject({ agent: { name: 'cron' }, status: 'ok', started_at: '2026-05-02T01:00:00.000Z', ended_at: '2026-05-02T01:02:00.000Z' });
    expect(ofType(cron!.events, 'tool_call')[0]).toMatchObject({ name: 'nightly_export', span_id: spanId, duration_ms: 120_000, result: 'ok' });
    expect(lonely).toMatchObject({ agent: { name: 'lonely-step' }, status: 'error', started_at: '2026-05-02T02:00:00.000Z' });
    expect(ofType(lonely!.events, 'step')[0]).toMatchObject({ status: 'error', error: 'lonely-step failed', duration_ms: 0 });
  });

  it('is exported from the package root and the generic entry, and never throws', () => {
    expect(rootLogEvent).toBe(genericLogEvent);
    expect(() => rootLogEvent({ name: 'x', startTime: 'not a date', latencyMs: Number.NaN, output: { big: 1n } })).not.toThrow();
  });
});

describe('traced() and decorators: metadata and attributes', () => {
  it('an agent decorator sets the session metadata; a step keeps metadata and attributes in its attributes', async () => {
    const h = harness();
    const lookup = h.t.traced((id: string) => `row ${id}`, { kind: 'step', name: 'lookup', metadata: { table: 'orders', shard: 2 }, attributes: { 'app.cache': 'miss', shard: 7 } });
    class Bot {
      @h.t.method({ kind: 'agent', name: 'meta-bot', metadata: { team: 'billing', tier: 1 }, attributes: { 'app.build': 'b42' } })
      run(q: string): string {
        return lookup(q);
      }
    }
    expect(new Bot().run('A1')).toBe('row A1');
    const { sessions } = await h.flushAndRead();
    const s = sessions[0]!;
    expectValidSession(s);
    expect(s.agent.name).toBe('meta-bot');
    expect(s.metadata).toMatchObject({ team: 'billing', tier: 1 });
    expect(ofType(s.events, 'step')[0]!.attributes).toMatchObject({ table: 'orders', shard: 7, 'app.cache': 'miss' });
  });
});

describe('redactKeys on positional arguments', () => {
  const SECRET = 'sk-live-0123456789abcdef';

  it('records a traced function\'s arguments by parameter name, so redactKeys hide the named ones', async () => {
    const h = harness({ redactKeys: ['apiKey', 'password'] });
    const search = h.t.traced(async (query: string, apiKey: string, limit = 2) => [`${query}:${apiKey.length}:${limit}`], { kind: 'tool', name: 'search' });
    class Vault {
      @h.t.method({ kind: 'tool' })
      login(user: string, password: string): boolean {
        return password.length > 3;
      }
    }
    await h.t.startSession({ agent: 'redacting' }, async () => {
      await search('cats', SECRET);
      new Vault().login('ana', SECRET);
    });
    const { sessions, rawText } = await h.flushAndRead();
    const [searchCall, loginCall] = ofType(sessions[0]!.events, 'tool_call');
    expect(searchCall!.input).toEqual({ query: 'cats', apiKey: '[REDACTED]' });
    expect(loginCall).toMatchObject({ name: 'Vault.login', input: { user: 'ana', password: '[REDACTED]' } });
    expect(rawText).not.toContain(SECRET);
  });

  it('reads parameter names of simple signatures only; anything else falls back to positions', async () => {
    expect(parameterNames((a: number, b: number) => a + b)).toEqual(['a', 'b']);
    expect(parameterNames(async function named(first: string, second = 'x', ...others: string[]) {
      return [first, second, ...others];
    })).toEqual(['first', 'second', '...others']);
    expect(parameterNames((x: number) => x)).toEqual(['x']);
    expect(parameterNames(({ a }: { a: number }) => a)).toBeUndefined();
    expect(parameterNames((a: number, b = Math.max(1, 2)) => a + b)).toBeUndefined();

    const h = harness({ redactKeys: ['token'] });
    // Destructured: no names, so the arguments stay positional (a plain object argument keeps its own keys, which redactKeys reach).
    const destructured = h.t.traced(({ token }: { token: string }, n: number) => token.length + n, { kind: 'tool', name: 'destructured' });
    const single = h.t.traced((opts: { token: string; user: string }) => opts.user, { kind: 'tool', name: 'single' });
    await h.t.startSession({ agent: 'fallback' }, async () => {
      destructured({ token: SECRET }, 1);
      single({ token: SECRET, user: 'ana' });
      await Promise.resolve();
    });
    const { sessions, rawText } = await h.flushAndRead();
    const [d, s] = ofType(sessions[0]!.events, 'tool_call');
    expect(d!.input).toEqual([{ token: '[REDACTED]' }, 1]);
    expect(s!.input).toEqual({ token: '[REDACTED]', user: 'ana' });
    expect(rawText).not.toContain(SECRET);
  });
});
