/**
 * Sessions from other GenAI instrumentations (fixtures in test/fixtures/instrumentations): the
 * deprecated gen_ai.* forms (OpenLLMetry), the 2024 content events, the current conventions with
 * no ams.* names at all, and OpenInference (LangChain). Each assembles into a sensible session
 * (golden file + the facts that matter), and the same spans replayed through a real tracer give
 * the same session in-process and, for gen_ai.* traces, through the receiver.
 *
 * Golden files: UPDATE_GOLDEN=1 npx vitest run test/normalize.test.ts rewrites them.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { assembleSession, SessionSpanProcessor } from '../src/index.js';
import { isGenAiLikeRecord, normalizeRecords } from '../src/spans/normalize.js';
import type { Session, SpanRecord } from '../src/index.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { ofType } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';

const dir = path.join(import.meta.dirname, 'fixtures/instrumentations');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.spans.json'))
  .map((f) => f.replace(/\.spans\.json$/, ''))
  .sort();
const load = (name: string) => JSON.parse(readFileSync(path.join(dir, `${name}.spans.json`), 'utf8')) as SpanRecord[];

describe('golden sessions from other instrumentations', () => {
  it('has the four convention families', () => {
    expect(fixtures).toEqual(['genai-2024-content-events', 'genai-current', 'openinference-langchain', 'openllmetry-deprecated-genai']);
  });

  for (const name of fixtures) {
    it(`${name}: matches its golden session and the schema`, () => {
      const session = assembleSession(load(name));
      expectValidSession(session);
      const golden = path.join(dir, `${name}.session.json`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, `${JSON.stringify(session, null, 1)}\n`);
      expect(session).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }
});

describe('the mapping, fact by fact', () => {
  it('deprecated gen_ai.* (OpenLLMetry): indexed prompts/completions, prompt_tokens, gen_ai.system, traceloop kinds', () => {
    const s = assembleSession(load('openllmetry-deprecated-genai'));
    expect(s.agent.name).toBe('weather_assistant'); // root workflow -> invoke_agent
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'llm_message']);
    expect(ofType(s.events, 'user_prompt')[0]!.prompt).toBe("What's the weather in Paris?"); // last user message of the first chat
    const [first, second] = ofType(s.events, 'llm_message');
    expect(first).toMatchObject({ model: 'gpt-4o-2024-08-06', finish_reasons: ['tool_calls'], tool_uses: [{ id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }] });
    // OpenAI's prompt_tokens (50) include the 32 cached ones; the document's input_tokens exclude them.
    expect(first!.usage).toEqual({ input_tokens: 18, output_tokens: 12, cache_read_input_tokens: 32, cache_creation_input_tokens: 0 });
    expect(second!.text).toBe("It's 18°C and sunny in Paris.");
    expect(ofType(s.events, 'tool_call')[0]).toMatchObject({ name: 'get_weather', result: { temp_c: 18, sky: 'sunny' } });
    expect(s.totals).toMatchObject({ input_tokens: 98, output_tokens: 32, turns: 2, tool_calls: 1 });
  });

  it('2024 content events: gen_ai.content.prompt / .completion become messages', () => {
    const s = assembleSession(load('genai-2024-content-events'));
    expect(s.agent.name).toBe('summarizer'); // no agent span: the service name
    expect(s.environment).toBe('staging');
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message']);
    expect(ofType(s.events, 'llm_message')[0]).toMatchObject({ text: 'Faster startup and a new export API.', usage: { input_tokens: 400, output_tokens: 60 } });
  });

  it('current gen_ai.* without any ams.* names: prompt derived, generate_content is a chat, reasoning kept', () => {
    const s = assembleSession(load('genai-current'));
    expect(s).toMatchObject({ agent: { name: 'travel-planner' }, conversation_id: 'thread_7' });
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'llm_message']);
    expect(ofType(s.events, 'llm_message')[0]!.thinking).toBe('Need flights first.');
    expect(ofType(s.events, 'llm_message')[1]).toMatchObject({ model: 'gemini-2.5-flash', text: 'The cheapest flight is UA837 at $820.' });
  });

  it('OpenInference: CHAIN root is the agent, LLM/TOOL/RETRIEVER map, session.id, tags and metadata carried', () => {
    const s = assembleSession(load('openinference-langchain'));
    expect(s).toMatchObject({ agent: { name: 'AgentExecutor' }, conversation_id: 'sess-99', tags: ['demo', 'calc'], metadata: { team: 'math', ab: 2, user_id: 'u-5' }, model: 'gpt-4o-mini' });
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'step', 'llm_message']);
    expect(ofType(s.events, 'user_prompt')[0]!.prompt).toBe('What is 2 + 3 * 4, and who proved it?'); // from input.value JSON
    expect(ofType(s.events, 'llm_message')[0]).toMatchObject({ tool_uses: [{ id: 'call_c', name: 'calculator', input: { expr: '2 + 3 * 4' } }], usage: { input_tokens: 50, output_tokens: 18, cache_read_input_tokens: 10 } }); // llm.token_count.prompt 60 includes the 10 cached
    expect(ofType(s.events, 'tool_call')[0]).toMatchObject({ name: 'calculator', input: { expr: '2 + 3 * 4' }, result: '14' });
    expect(ofType(s.events, 'step')[0]).toMatchObject({ name: 'VectorStoreRetriever', attributes: { 'ams.step.kind': 'retrieval' } });
    // The flattened llm.input_messages.* keys are folded into messages, not left as noise.
    const llmSpan = normalizeRecords(load('openinference-langchain')).find((r) => r.spanId === '4000000000000002')!;
    expect(Object.keys(llmSpan.attributes).some((k) => k.startsWith('llm.input_messages.'))).toBe(false);
    expect(JSON.parse(llmSpan.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a calculator.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is 2 + 3 * 4, and who proved it?' }] },
    ]);
  });

  it('normalization leaves current spans alone (same array back) and never overrides what is already there', () => {
    const current = load('genai-current').map((r) => ({ ...r, attributes: { ...r.attributes, 'gen_ai.operation.name': r.attributes['gen_ai.operation.name'] === 'generate_content' ? 'chat' : r.attributes['gen_ai.operation.name'] } }));
    const withPrompt = current.map((r, i) => (i === 0 ? { ...r, events: [{ name: 'ams.user_prompt', timeMs: r.startTimeMs, attributes: { 'ams.prompt': 'hi' } }] } : r));
    expect(normalizeRecords(withPrompt)).toBe(withPrompt);
    const both: SpanRecord = { ...load('openllmetry-deprecated-genai')[1]!, attributes: { ...load('openllmetry-deprecated-genai')[1]!.attributes, 'gen_ai.usage.input_tokens': 7, 'gen_ai.provider.name': 'azure.ai.openai' } };
    const [n] = normalizeRecords([both]);
    expect(n!.attributes['gen_ai.usage.input_tokens']).toBe(7);
    expect(n!.attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
    expect(load('openinference-langchain').every(isGenAiLikeRecord)).toBe(true);
  });
});

// ---- replay through real tracers -------------------------------------------------------------

const KINDS: Record<SpanRecord['kind'], SpanKind> = { internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER };

/** Emits the fixture's spans through a real tracer: same names, kinds, times, attributes, events, parentage. */
function replay(tracer: Tracer, records: SpanRecord[]): void {
  const byId = new Map(records.map((r) => [r.spanId, r]));
  const started = new Map<string, ReturnType<Tracer['startSpan']>>();
  const start = (r: SpanRecord) => {
    if (started.has(r.spanId)) return started.get(r.spanId)!;
    const parent = r.parentSpanId ? byId.get(r.parentSpanId) : undefined;
    const ctx = parent ? trace.setSpan(context.active(), start(parent)) : trace.deleteSpan(context.active());
    const span = tracer.startSpan(r.name, { kind: KINDS[r.kind], startTime: r.startTimeMs, attributes: r.attributes as Record<string, string> }, ctx);
    started.set(r.spanId, span);
    return span;
  };
  for (const r of records) start(r);
  // End children before parents, as real runs do.
  for (const r of [...records].sort((a, b) => a.endTimeMs - b.endTimeMs || (a.parentSpanId ? -1 : 1))) {
    const span = started.get(r.spanId)!;
    for (const e of r.events) span.addEvent(e.name, e.attributes as Record<string, string>, e.timeMs);
    if (r.status.code === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: r.status.message });
    span.end(r.endTimeMs);
  }
}

/** The document without what a replay necessarily changes (ids, service resource). */
function comparable(s: Session): unknown {
  return JSON.parse(
    JSON.stringify(s, (k, v: unknown) => (['id', 'trace_id', 'root_span_id', 'span_id', 'service'].includes(k) ? undefined : v)),
  );
}

describe('the same spans through real capture paths', () => {
  for (const name of fixtures) {
    it(`${name}: in-process (real provider + SessionSpanProcessor) equals assembleSession of the fixture`, async () => {
      const records = load(name);
      const written: Session[] = [];
      const processor = new SessionSpanProcessor({ storage: { putSession: async (s) => (written.push(s), s.id) } });
      const provider = new NodeTracerProvider({ resource: resourceFromAttributes(records[0]!.resource as Record<string, string>), spanProcessors: [processor] });
      replay(provider.getTracer('replay'), records);
      await provider.forceFlush();
      expect(written).toHaveLength(1);
      expectValidSession(written[0]);
      expect(comparable(written[0]!)).toEqual(comparable(assembleSession(records)));
      await provider.shutdown();
    });
  }

  it('gen_ai.* fixtures through the OTLP exporter and the receiver give the same sessions', async () => {
    const written = new WrittenSessions();
    const sessions: Session[] = [];
    const receiver = createReceiver({ storage: { putSession: async (s) => (sessions.push(s), s.id) }, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    try {
      for (const name of fixtures.filter((f) => !f.startsWith('openinference'))) {
        const records = load(name);
        const provider = new NodeTracerProvider({
          resource: resourceFromAttributes(records[0]!.resource as Record<string, string>),
          spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
        });
        replay(provider.getTracer('replay'), records);
        await provider.forceFlush();
        const event = await written.next();
        await provider.shutdown();
        const s = sessions.find((x) => x.trace_id === event.traceId)!;
        expectValidSession(s);
        expect(comparable(s), name).toEqual(comparable(assembleSession(records)));
      }
    } finally {
      await receiver.stop();
    }
  });
});
