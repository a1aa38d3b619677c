/**
 * The Vercel AI SDK dialect (src/spans/dialects/vercel-ai.ts), end to end: the real `ai` package
 * (generateText and streamText, a tool that succeeds and one that throws) with the real Anthropic
 * and OpenAI providers against the scripted APIs, its `experimental_telemetry` spans captured by
 * (1) a NodeTracerProvider + SessionSpanProcessor + LocalStorage and (2) the real OTLP exporter
 * into a started receiver. Then the golden files in test/fixtures/vercel-ai/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSession, LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionEvent, SpanRecord } from '../src/index.js';
import { startScriptedApi, type ScriptedApi } from '../src/demo/scripted-api.js';
import { createReceiver } from '../receiver/index.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { expectValidSession } from './support/schema.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from './support/scripted-openai.js';
import { tempDir } from './support/tmp.js';
import { ANSWER, PROMPT, THINKING, TOOL_ERROR, TOOL_OK_RESULT, runVercelAi, scriptFailure, scriptTurns, type Mode, type Provider } from './support/vercel-ai-run.js';

const contextManager = new AsyncLocalStorageContextManager();
let anthropic: ScriptedApi;
let openai: ScriptedOpenAi;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  anthropic = await startScriptedApi();
  openai = await startScriptedOpenAi();
});

afterAll(async () => {
  await anthropic.close();
  await openai.close();
  context.disable();
});

const api = (p: Provider) => (p === 'anthropic' ? anthropic : openai);
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const ofType = <T extends SessionEvent['type']>(s: Session, type: T) => s.events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);

/** What every captured session must hold, whichever provider, mode and path. */
function expectSession(s: Session, provider: Provider, tag: string): void {
  expectValidSession(s);
  expect(s.agent.name).toBe('support-bot');
  expect(s.metadata).toMatchObject({ team: 't_42' });
  expect(s.status).toBe('ok');
  expect(s.system_prompt).toBe('You are a support bot.');
  const model = provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4o-mini';
  expect(s.model).toBe(model);

  expect(ofType(s, 'user_prompt').map((e) => e.prompt)).toEqual([`${PROMPT} [${tag}]`]);

  const msgs = ofType(s, 'llm_message');
  expect(msgs).toHaveLength(2);
  const [first, second] = msgs as [(typeof msgs)[0], (typeof msgs)[0]];
  expect(first.model).toBe(model);
  expect(first.text).toBe('Let me check.');
  expect(first.tool_uses).toEqual([
    { id: `call_${tag}_ok`, name: 'lookup_order', input: { orderId: 'A1' } },
    { id: `call_${tag}_fail`, name: 'refund', input: { orderId: 'A1' } },
  ]);
  expect(first.finish_reasons).toEqual(['tool-calls']);
  expect(second.text).toBe(ANSWER);
  expect(second.finish_reasons).toEqual(['stop']);
  expect(second.tool_uses).toBeUndefined();
  if (provider === 'anthropic') expect(second.thinking).toBe(THINKING);
  else expect(second).not.toHaveProperty('thinking');
  // The SDK's inputTokens count cache reads and writes in (Anthropic: 100 + 40 read + 10 written;
  // OpenAI's prompt_tokens 140 include 40 cached): the document's input_tokens leave them out, as
  // every producer's do (one meaning of tokens), so the same response gives the same totals.
  if (provider === 'anthropic') {
    expect(first.usage).toEqual({ input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 40, cache_creation_input_tokens: 10 });
    expect(second.usage).toEqual({ input_tokens: 200, output_tokens: 12, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 });
    expect(s.totals).toMatchObject({ input_tokens: 300, output_tokens: 42, cache_read_input_tokens: 100, cache_creation_input_tokens: 10 });
  } else {
    expect(first.usage).toMatchObject({ input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 40 });
    expect(second.usage).toMatchObject({ input_tokens: 200, output_tokens: 12, cache_read_input_tokens: 60 });
    expect(s.totals).toMatchObject({ input_tokens: 300, output_tokens: 42, cache_read_input_tokens: 100 });
  }
  // The SDK reports no cost: the bundled price table prices each call from its tokens (list prices
  // per million: claude-sonnet-4-5 3 in / 15 out / 0.30 cache read / 3.75 cache write; gpt-4o-mini
  // 0.15 / 0.60 / 0.075), and says so.
  const expected = provider === 'anthropic' ? [(100 * 3 + 30 * 15 + 40 * 0.3 + 10 * 3.75) / 1e6, (200 * 3 + 12 * 15 + 60 * 0.3) / 1e6] : [(100 * 0.15 + 30 * 0.6 + 40 * 0.075) / 1e6, (200 * 0.15 + 12 * 0.6 + 60 * 0.075) / 1e6];
  expect(msgs.map((m) => m.cost_source)).toEqual(['price_table', 'price_table']);
  expect(msgs.map((m) => m.priced_as)).toEqual(Array(2).fill(provider === 'anthropic' ? 'genai-prices:anthropic/claude-sonnet-4-5' : 'genai-prices:openai/gpt-4o-mini'));
  expect(first.cost_usd).toBeCloseTo(expected[0]!, 12);
  expect(second.cost_usd).toBeCloseTo(expected[1]!, 12);
  expect(s.totals.cost_usd).toBeCloseTo(expected[0]! + expected[1]!, 12);

  const tools = ofType(s, 'tool_call');
  const ok = tools.find((t) => t.name === 'lookup_order');
  const failed = tools.find((t) => t.name === 'refund');
  expect(ok).toMatchObject({ tool_use_id: `call_${tag}_ok`, status: 'ok', input: { orderId: 'A1' }, result: TOOL_OK_RESULT });
  expect(ok?.error ?? null).toBeNull();
  expect(failed).toMatchObject({ tool_use_id: `call_${tag}_fail`, status: 'error', input: { orderId: 'A1' }, error: TOOL_ERROR });
  expect(s.totals).toMatchObject({ turns: 2, tool_calls: 2, errors: 1 });
}

const combos: Array<[Provider, Mode]> = [
  ['anthropic', 'generate'],
  ['anthropic', 'stream'],
  ['openai-responses', 'generate'],
  ['openai-responses', 'stream'],
  ['openai-chat', 'generate'],
  ['openai-chat', 'stream'],
];

describe('Vercel AI SDK -> SessionSpanProcessor -> LocalStorage', () => {
  it.each(combos)('%s %s', async (provider, mode) => {
    const dir = tempDir('vercel-proc');
    const written = new WrittenSessions();
    const tp = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir }), onSessionWritten: written.onSessionWritten })] });
    const tag = `proc-${provider}-${mode}`;
    scriptTurns(provider, api(provider), tag);
    expect(await runVercelAi({ provider, mode, baseUrl: api(provider).url, tracer: tp.getTracer('ai'), tag })).toContain(ANSWER);
    await tp.forceFlush();
    const event = await written.next();
    await tp.shutdown();
    expectSession(readJson<Session>(path.join(dir, event.key)), provider, tag);
  });
});

describe('Vercel AI SDK -> OTLP exporter -> receiver', () => {
  it.each(combos)('%s %s', async (provider, mode) => {
    const dir = tempDir('vercel-recv');
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: new LocalStorage({ dir }), workers: 0, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const url = `${(await receiver.start({ port: 0 })).url}/v1/traces`;
    try {
      const tp = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))] });
      const tag = `recv-${provider}-${mode}`;
      scriptTurns(provider, api(provider), tag);
      await runVercelAi({ provider, mode, baseUrl: api(provider).url, tracer: tp.getTracer('ai'), tag });
      await tp.shutdown();
      const event = await written.next();
      expectSession(readJson<Session>(path.join(dir, event.key)), provider, tag);
    } finally {
      await receiver.stop();
    }
  });
});

describe('Vercel AI SDK: a failing model call', () => {
  it.each([
    ['anthropic', 'generate'],
    ['anthropic', 'stream'],
    ['openai-responses', 'generate'],
    ['openai-chat', 'stream'],
  ] as const)('%s %s: the model call and the run carry the error, no usage invented', async (provider, mode) => {
    const dir = tempDir('vercel-fail');
    const written = new WrittenSessions();
    const tp = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir }), onSessionWritten: written.onSessionWritten })] });
    const tag = `fail-${provider}-${mode}`;
    scriptFailure(provider, api(provider), tag);
    // streamText rejects with NoOutputGeneratedError; the API's message is on the spans.
    await expect(runVercelAi({ provider, mode, baseUrl: api(provider).url, tracer: tp.getTracer('ai'), tag })).rejects.toThrow(mode === 'generate' ? /prompt is too long/ : /No output generated/);
    await tp.forceFlush();
    const s = readJson<Session>(path.join(dir, (await written.next()).key));
    await tp.shutdown();
    expectValidSession(s);
    expect(s.agent.name).toBe('support-bot');
    expect(s.status).toBe('error');
    expect(s.status_reason).toMatch(/prompt is too long/);
    expect(ofType(s, 'user_prompt').map((e) => e.prompt)).toEqual([`${PROMPT} [${tag}]`]);
    const [msg, ...more] = ofType(s, 'llm_message');
    expect(more).toEqual([]);
    expect(msg?.error).toMatch(/prompt is too long/);
    // No tokens reported for the failed call: nothing to price, so its cost is unknown (never 0).
    expect(msg).not.toHaveProperty('cost_usd');
    expect(msg?.cost_source).toBe('unknown');
    expect(s.totals.cost_usd).toBeNull();
    expect(msg).not.toHaveProperty('finish_reasons');
  });
});

describe('Vercel AI SDK golden files (test/fixtures/vercel-ai/)', () => {
  const dir = path.join(import.meta.dirname, 'fixtures/vercel-ai');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.spans.json'))
    .map((f) => f.replace('.spans.json', ''));

  it('has a fixture per provider', () => expect(names.length).toBeGreaterThanOrEqual(3));

  for (const name of names) {
    it(`${name}: matches the golden session`, () => {
      const session = assembleSession(readJson<SpanRecord[]>(path.join(dir, `${name}.spans.json`)));
      expect(session).toEqual(readJson<Session>(path.join(dir, `${name}.session.json`)));
      expectValidSession(session);
    });
  }
});

describe('Vercel AI SDK: where a generate/stream call sits decides what it is', () => {
  const golden = readJson<SpanRecord[]>(path.join(import.meta.dirname, 'fixtures/vercel-ai/anthropic-generate-text.spans.json'));
  const root = golden.find((r) => !r.parentSpanId)!;
  const plain = (spanId: string, attributes: SpanRecord['attributes'] = {}): SpanRecord => ({ ...root, spanId, name: 'POST /api/chat', kind: 'server', attributes, events: [] });
  /**
   * The golden run with its span ids prefixed and its root placed under `parent`. Its model calls'
   * response ids are prefixed too: two copies are two runs, not one call described twice (which
   * one-call-one-message dedupe would rightly fold).
   */
  const copy = (prefix: string, parent: string): SpanRecord[] =>
    golden.map((r) => {
      const attributes = { ...r.attributes };
      for (const k of ['ai.response.id', 'gen_ai.response.id']) if (typeof attributes[k] === 'string') attributes[k] = `${prefix}-${attributes[k]}`;
      return { ...r, attributes, spanId: prefix + r.spanId.slice(prefix.length), parentSpanId: r.parentSpanId ? prefix + r.parentSpanId.slice(prefix.length) : parent };
    });

  it('under a plain span (an HTTP handler): still the session agent, nothing lost', () => {
    const s = assembleSession([plain('f000000000000000'), ...copy('a', 'f000000000000000')]);
    expect(s.agent.name).toBe('support-bot');
    expect(s.root_span_id).toBe('a000000000000001');
    expect(ofType(s, 'user_prompt')).toHaveLength(1);
    expect(ofType(s, 'llm_message')).toHaveLength(2);
    expect(ofType(s, 'tool_call')).toHaveLength(2);
  });

  it('several under one plain span: steps, every model and tool call kept; the root gets the function id, metadata and first prompt', () => {
    const s = assembleSession([plain('f000000000000000'), ...copy('a', 'f000000000000000'), ...copy('b', 'f000000000000000')]);
    expect(s.root_span_id).toBe('f000000000000000');
    expect(s.agent.name).toBe('support-bot');
    expect(s.metadata).toMatchObject({ team: 't_42' });
    expect(s.totals).toMatchObject({ turns: 4, tool_calls: 4, input_tokens: 600 });
    expect(ofType(s, 'user_prompt').map((e) => e.prompt)).toEqual([expect.stringContaining('Where is order A1?')]);
    expect(s.events.filter((e) => e.type === 'subagent')).toEqual([]);
  });

  it("under the user's own agent span: a subagent with the prompt as its why", () => {
    const agent = plain('f000000000000000', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'router' });
    const s = assembleSession([agent, ...copy('a', 'f000000000000000')]);
    expect(s.agent.name).toBe('router');
    const [sub] = ofType(s, 'subagent');
    expect(sub).toMatchObject({ why: expect.stringContaining('Where is order A1?') });
    expect(sub?.events.filter((e) => e.type === 'llm_message' || e.type === 'tool_call').map((e) => e.type)).toEqual(['llm_message', 'tool_call', 'tool_call', 'llm_message']);
  });

  it('reads the prompt from `messages` and the pre-v5 usage names; no usage invented when absent', () => {
    const spans = golden.map((r): SpanRecord => {
      if (!r.parentSpanId) return { ...r, attributes: { ...r.attributes, 'ai.prompt': JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: 'from messages' }] }] }) } };
      if (r.name !== 'ai.generateText.doGenerate') return r;
      const a = Object.fromEntries(Object.entries(r.attributes).filter(([k]) => !k.includes('usage') && !k.includes('Tokens')));
      return { ...r, attributes: { ...a, 'ai.usage.promptTokens': 7, 'ai.usage.completionTokens': 3 } };
    });
    const s = assembleSession(spans);
    expect(ofType(s, 'user_prompt').map((e) => e.prompt)).toEqual(['from messages']);
    expect(s.system_prompt).toBeUndefined();
    expect(ofType(s, 'llm_message').map((m) => [m.usage?.input_tokens, m.usage?.output_tokens])).toEqual([
      [7, 3],
      [7, 3],
    ]);
  });
});
