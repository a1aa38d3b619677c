/**
 * Sessions from the telemetry users already emit (issue 12): each producer's REAL package, driven
 * against the scripted Anthropic API (src/demo/scripted-api.ts), its spans through a real
 * NodeTracerProvider into the SessionSpanProcessor + LocalStorage (and, for the double-instrumented
 * case, also through the real OTLP exporter into a started receiver). The written JSON is checked
 * fact by fact, and the captured spans are kept as golden files per producer under
 * test/fixtures/<producer>/ (spans + expected session), checked below.
 *
 * Regenerate the golden files: UPDATE_GOLDEN=1 npx vitest run test/producers.test.ts
 *
 * Producers:
 * - anthropic-sdk: @anthropic-ai/sdk 1.x's own spans (`anthropic.messages.create`), content mode.
 * - openinference-anthropic: @arizeai/openinference-instrumentation-anthropic (manuallyInstrument),
 *   with the SDK's own spans off (`openTelemetry: false`) ...
 * - openinference-anthropic-double: ... and with them on: two descriptions of each call, ONE message.
 * - openllmetry-anthropic: @traceloop/instrumentation-anthropic. It fails on @anthropic-ai/sdk 1.x
 *   (it patches `module.Anthropic.Completions`, which 1.x no longer has), so it instruments the npm
 *   alias `anthropic-sdk-0` = @anthropic-ai/sdk 0.x.
 * - openinference-langchain: @arizeai/openinference-instrumentation-langchain with @langchain/core
 *   and @langchain/anthropic (a tool-calling chat inside a RunnableLambda, the trace's root).
 * - openinference-claude-agent-sdk: the spans @arizeai/openinference-instrumentation-claude-agent-sdk
 *   0.3.1 emits (its AGENT span with the result message's usage, cost, model and answer, per
 *   dist/src/messageProcessor.js extractResultSuccessAttributes, and a hook-made TOOL span), written
 *   by hand: running it needs the Claude CLI, which the claude-* tests cover.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import * as AnthropicModule from '@anthropic-ai/sdk';
import Anthropic0 from 'anthropic-sdk-0';
import * as Anthropic0Module from 'anthropic-sdk-0';
import { AnthropicInstrumentation } from '@arizeai/openinference-instrumentation-anthropic';
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import { AnthropicInstrumentation as OpenLLMetryAnthropicInstrumentation } from '@traceloop/instrumentation-anthropic';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import type { RunnableConfig } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { createReceiver } from '../receiver/index.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import type { ScriptedApi } from '../src/demo/scripted-api.js';
import { assembleSession } from '../src/session/assemble.js';
import type { Session, SpanRecord } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { ofType } from './support/generic-harness.js';
import { capture, MODEL, WEATHER_PROMPT, WEATHER_RESULT, WEATHER_TURNS, WEATHER_USAGE, weatherLoop } from './support/producers.js';
import type { Capture } from './support/producers.js';
import { expectValidSession } from './support/schema.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const PRODUCERS = ['anthropic-sdk', 'openinference-anthropic', 'openinference-anthropic-double', 'openllmetry-anthropic', 'openinference-langchain', 'openinference-claude-agent-sdk'] as const;
type Producer = (typeof PRODUCERS)[number];
const update = process.env.UPDATE_GOLDEN === '1';
const DIRS: Record<Producer, string> = {
  'anthropic-sdk': 'anthropic-sdk',
  'openinference-anthropic': 'openinference',
  'openinference-anthropic-double': 'openinference',
  'openllmetry-anthropic': 'openllmetry',
  'openinference-langchain': 'openinference',
  'openinference-claude-agent-sdk': 'openinference',
};
const spansFile = (p: Producer) => path.join(FIXTURES, DIRS[p], `${p}.spans.json`);
const sessionFile = (p: Producer) => spansFile(p).replace(/\.spans\.json$/, '.session.json');

/** Keeps the captured spans as the producer's golden spans file (only when asked, or missing). */
function keepSpans(p: Producer, records: SpanRecord[]): void {
  const file = spansFile(p);
  if (!update && existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(records, null, 1)}\n`);
}

let api: ScriptedApi;
beforeAll(async () => {
  api = await startScriptedApi();
});
afterAll(async () => {
  await api.close();
});

/** The one session a run wrote, read back from LocalStorage. */
async function written(c: Capture): Promise<Session> {
  const sessions = await c.finish();
  expect(sessions).toHaveLength(1);
  expectValidSession(sessions[0]!);
  return sessions[0]!;
}

/** What every producer must give for the weather conversation. */
function expectWeather(s: Session, finish: [string, string], opts: { prompt?: boolean; outputTokens?: [number, number] } = {}): void {
  const [out0, out1] = opts.outputTokens ?? [WEATHER_USAGE[0]!.output_tokens, WEATHER_USAGE[1]!.output_tokens];
  const usage = [
    { ...WEATHER_USAGE[0]!, output_tokens: out0 },
    { ...WEATHER_USAGE[1]!, output_tokens: out1 },
  ];
  if (opts.prompt !== false) expect(ofType(s.events, 'user_prompt').map((e) => e.prompt)).toEqual([WEATHER_PROMPT]);
  const msgs = ofType(s.events, 'llm_message');
  expect(msgs).toHaveLength(2);
  expect(msgs[0]).toMatchObject({ model: MODEL, text: 'Let me check the weather.', tool_uses: [{ id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Paris' } }], finish_reasons: [finish[0]] });
  expect(msgs[1]).toMatchObject({ model: MODEL, text: 'It is 18°C and sunny in Paris.', finish_reasons: [finish[1]] });
  expect(msgs[1]!.tool_uses).toBeUndefined();
  // One meaning of tokens: input excludes cache reads and writes, whichever producer counted.
  expect(msgs.map((m) => m.usage)).toEqual(usage);
  const tools = ofType(s.events, 'tool_call');
  expect(tools).toHaveLength(1);
  expect(tools[0]).toMatchObject({ name: 'get_weather', tool_use_id: 'toolu_weather_1', status: 'ok', input: { city: 'Paris' }, result: WEATHER_RESULT });
  expect(s.totals).toMatchObject({ input_tokens: 250, output_tokens: out0 + out1, cache_read_input_tokens: 70, cache_creation_input_tokens: 10, turns: 2, tool_calls: 1, errors: 0 });
  expect(s.model).toBe(MODEL);
  expect(Object.keys(s.models)).toEqual([MODEL]);
  expect(s.models[MODEL]).toMatchObject({ input_tokens: 250, output_tokens: out0 + out1, cache_read_input_tokens: 70, cache_creation_input_tokens: 10 });
  // None of these producers reports a cost: the bundled table prices each call from its tokens
  // (claude-sonnet-4-5 per million: $3 in, $15 out, $0.30 cache read, $3.75 cache write).
  expect(msgs.map((m) => [m.cost_source, m.priced_as])).toEqual(Array(2).fill(['price_table', `genai-prices:anthropic/${MODEL}`]));
  expect(s.totals.cost_usd).toBeCloseTo((250 * 3 + (out0 + out1) * 15 + 70 * 0.3 + 10 * 3.75) / 1e6, 12);
  expect(s.totals.cost_partial).toBeUndefined();
}

/** One live run per producer, each with its real package, spans to the capture's provider. */
const LIVE = {
  'anthropic-sdk': async (c: Capture) => {
    const client = new Anthropic({ apiKey: 'test', baseURL: api.url, openTelemetry: { tracerProvider: c.provider, traces: { contentMode: 'content' } } });
    await weatherLoop(client, c.provider.getTracer('app'), api);
  },
  'openinference-anthropic': async (c: Capture) => {
    const inst = new AnthropicInstrumentation({ tracerProvider: c.provider });
    inst.manuallyInstrument(AnthropicModule as unknown as typeof Anthropic);
    try {
      const client = new Anthropic({ apiKey: 'test', baseURL: api.url, openTelemetry: false });
      await weatherLoop(client, c.provider.getTracer('app'), api);
    } finally {
      inst.disable();
    }
  },
  'openinference-anthropic-double': async (c: Capture) => {
    const inst = new AnthropicInstrumentation({ tracerProvider: c.provider });
    inst.manuallyInstrument(AnthropicModule as unknown as typeof Anthropic);
    try {
      const client = new Anthropic({ apiKey: 'test', baseURL: api.url, openTelemetry: { tracerProvider: c.provider, traces: { contentMode: 'content' } } });
      await weatherLoop(client, c.provider.getTracer('app'), api);
    } finally {
      inst.disable();
    }
  },
  'openllmetry-anthropic': async (c: Capture) => {
    const inst = new OpenLLMetryAnthropicInstrumentation({ traceContent: true });
    inst.setTracerProvider(c.provider);
    inst.manuallyInstrument(Anthropic0Module as never);
    try {
      const client = new Anthropic0({ apiKey: 'test', baseURL: api.url });
      await weatherLoop(client, c.provider.getTracer('app'), api);
    } finally {
      inst.disable();
    }
  },
  'openinference-langchain': (c: Capture) => langChainRun(c, false),
} satisfies Partial<Record<Producer, (c: Capture) => Promise<void>>>;
type LiveProducer = keyof typeof LIVE;
/** The stop reasons each producer reports for the weather conversation's two calls. */
const FINISH: Record<LiveProducer, [string, string]> = {
  'anthropic-sdk': ['tool_use', 'end_turn'],
  'openinference-anthropic': ['tool_use', 'end_turn'],
  'openinference-anthropic-double': ['tool_use', 'end_turn'],
  // OpenLLMetry maps Anthropic's stop reasons to the GenAI values (tool_use -> tool_call, end_turn -> stop).
  'openllmetry-anthropic': ['tool_call', 'stop'],
  'openinference-langchain': ['tool_use', 'end_turn'],
};

async function langChainRun(c: Capture, streaming: boolean): Promise<void> {
  const inst = new LangChainInstrumentation({ tracerProvider: c.provider });
  inst.manuallyInstrument(CallbackManagerModule);
  try {
    api.script(WEATHER_TURNS);
    const getWeather = tool(async () => JSON.stringify(WEATHER_RESULT), {
      name: 'get_weather',
      description: 'Weather for a city',
      schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    });
    const model = new ChatAnthropic({ model: MODEL, apiKey: 'test', anthropicApiUrl: api.url, streaming }).bindTools([getWeather]);
    // The lambda hands its config on, so the model and tool runs are its children (one trace).
    const agent = RunnableLambda.from<string, string>(async (question: string, config?: RunnableConfig) => {
      const messages: BaseMessage[] = [new HumanMessage(question)];
      const ai = await model.invoke(messages, config);
      messages.push(ai);
      // Invoked with a tool call, a tool returns a ToolMessage (its type says string).
      for (const call of ai.tool_calls ?? []) messages.push((await getWeather.invoke({ ...call, type: 'tool_call' }, config)) as unknown as BaseMessage);
      const answer = await model.invoke(messages, config);
      return answer.text;
    }).withConfig({ runName: 'weather-agent' });
    await agent.invoke(WEATHER_PROMPT);
  } finally {
    inst.disable();
  }
}

describe('each producer, live against the scripted Anthropic API, through the SessionSpanProcessor', () => {
  it("anthropic-sdk: @anthropic-ai/sdk's own spans (content mode) keep the stop reason, content and usage", async () => {
    const c = capture();
    await LIVE['anthropic-sdk'](c);
    const s = await written(c);
    keepSpans('anthropic-sdk', c.recorder.records);
    expect(c.recorder.records.filter((r) => r.name === 'anthropic.messages.create')).toHaveLength(2);
    expectWeather(s, ['tool_use', 'end_turn']);
    expect(ofType(s.events, 'llm_message').map((m) => m.response_id)).toEqual([expect.stringMatching(/^msg_scripted_/), expect.stringMatching(/^msg_scripted_/)]);
  });

  it('anthropic-sdk, default (metadata_only) mode: stop reason, usage and model without content', async () => {
    const c = capture();
    const client = new Anthropic({ apiKey: 'test', baseURL: api.url, openTelemetry: { tracerProvider: c.provider } });
    await weatherLoop(client, c.provider.getTracer('app'), api);
    const s = await written(c);
    const msgs = ofType(s.events, 'llm_message');
    expect(msgs.map((m) => [m.finish_reasons, m.usage, m.model, m.text])).toEqual([
      [['tool_use'], WEATHER_USAGE[0], MODEL, undefined],
      [['end_turn'], WEATHER_USAGE[1], MODEL, undefined],
    ]);
  });

  it('openinference-anthropic: OpenInference alone (the SDK spans off)', async () => {
    const c = capture();
    await LIVE['openinference-anthropic'](c);
    const s = await written(c);
    keepSpans('openinference-anthropic', c.recorder.records);
    expect(c.recorder.records.filter((r) => r.attributes[sc.OI_SPAN_KIND] === 'LLM')).toHaveLength(2);
    expectWeather(s, ['tool_use', 'end_turn']);
  });

  it('openinference-anthropic-double: OpenInference around the SDK\'s own span gives ONE message per call, tokens counted once', async () => {
    const c = capture();
    await LIVE['openinference-anthropic-double'](c);
    const s = await written(c);
    keepSpans('openinference-anthropic-double', c.recorder.records);
    // Four chat spans in the trace (two per call), nested: OpenInference's around the SDK's.
    const oi = c.recorder.records.filter((r) => r.attributes[sc.OI_SPAN_KIND] === 'LLM');
    const sdk = c.recorder.records.filter((r) => r.name === 'anthropic.messages.create');
    expect(oi).toHaveLength(2);
    expect(sdk.map((r) => r.parentSpanId).sort()).toEqual(oi.map((r) => r.spanId).sort());
    expectWeather(s, ['tool_use', 'end_turn']);
    expect(s.spans.kept).toBe(c.recorder.records.length - 2);
  });

  it('openllmetry-anthropic: @traceloop/instrumentation-anthropic on anthropic-sdk-0 (it fails on @anthropic-ai/sdk 1.x)', async () => {
    const c = capture();
    await LIVE['openllmetry-anthropic'](c);
    const s = await written(c);
    keepSpans('openllmetry-anthropic', c.recorder.records);
    expectWeather(s, FINISH['openllmetry-anthropic']);
  });

  it('openinference-langchain: the text and tool calls only inside output.value, usage_metadata with its cache details', async () => {
    const c = capture();
    await langChainRun(c, false);
    const s = await written(c);
    keepSpans('openinference-langchain', c.recorder.records);
    expect(s.agent.name).toBe('weather-agent');
    expectWeather(s, ['tool_use', 'end_turn']);
  });

  it('openinference-langchain, streaming: the same session from the streamed chunks', async () => {
    const c = capture();
    await langChainRun(c, true);
    const s = await written(c);
    expect(s.agent.name).toBe('weather-agent');
    // LangChain's streamed usage_metadata adds message_start's output count (1) to the final one:
    // its own count, passed through.
    expectWeather(s, ['tool_use', 'end_turn'], { outputTokens: [21, 13] });
  });
});

describe('double-instrumented (OpenInference Anthropic + the SDK\'s own spans): streaming and a failed call', () => {
  async function doubleRun(run: (client: Anthropic) => Promise<void>): Promise<{ c: Capture; s: Session }> {
    const c = capture();
    const inst = new AnthropicInstrumentation({ tracerProvider: c.provider });
    inst.manuallyInstrument(AnthropicModule as unknown as typeof Anthropic);
    const tracer = c.provider.getTracer('app');
    try {
      const client = new Anthropic({ apiKey: 'test', baseURL: api.url, maxRetries: 0, openTelemetry: { tracerProvider: c.provider, traces: { contentMode: 'content' } } });
      await tracer.startActiveSpan('invoke_agent streamer', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: 'streamer' } }, async (root) => {
        await run(client);
        root.end();
      });
    } finally {
      inst.disable();
    }
    return { c, s: await written(c) };
  }

  it('a streamed call: one message with the text, usage in the one meaning, the SDK\'s time to first chunk', async () => {
    api.script([{ name: 'stream', prompt: '[stream-scenario]', blocks: [{ type: 'text', text: 'Streamed hello.' }], stopReason: 'end_turn', usage: { input_tokens: 70, output_tokens: 5, cache_read_input_tokens: 20, cache_creation_input_tokens: 3 } }]);
    const { c, s } = await doubleRun(async (client) => {
      const stream = await client.messages.create({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hello [stream-scenario]' }] });
      for await (const _event of stream) {
        // read to the end
      }
    });
    expect(c.recorder.records.filter((r) => r.attributes[sc.GEN_AI_OPERATION_NAME] === sc.OP_CHAT || r.attributes[sc.OI_SPAN_KIND] === 'LLM')).toHaveLength(2);
    const msgs = ofType(s.events, 'llm_message');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ model: MODEL, text: 'Streamed hello.', finish_reasons: ['end_turn'], usage: { input_tokens: 70, output_tokens: 5, cache_read_input_tokens: 20, cache_creation_input_tokens: 3 } });
    expect(msgs[0]!.ttft_ms).toBeGreaterThanOrEqual(0);
    expect(s.totals).toMatchObject({ input_tokens: 70, output_tokens: 5, turns: 1, errors: 0 });
  });

  it('a lone call with no application span: the OpenInference span stays the root, one message', async () => {
    api.script([{ name: 'lone', prompt: '[lone-scenario]', blocks: [{ type: 'text', text: 'Alone.' }], stopReason: 'end_turn', usage: { input_tokens: 9, output_tokens: 2 } }]);
    const c = capture();
    const inst = new AnthropicInstrumentation({ tracerProvider: c.provider });
    inst.manuallyInstrument(AnthropicModule as unknown as typeof Anthropic);
    try {
      const client = new Anthropic({ apiKey: 'test', baseURL: api.url, openTelemetry: { tracerProvider: c.provider, traces: { contentMode: 'content' } } });
      await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Alone? [lone-scenario]' }] });
    } finally {
      inst.disable();
    }
    const s = await written(c);
    const oiSpan = c.recorder.records.find((r) => r.attributes[sc.OI_SPAN_KIND] === 'LLM')!;
    expect(s.root_span_id).toBe(oiSpan.spanId);
    expect(ofType(s.events, 'user_prompt').map((e) => e.prompt)).toEqual(['Alone? [lone-scenario]']);
    expect(ofType(s.events, 'llm_message')).toMatchObject([{ text: 'Alone.', finish_reasons: ['end_turn'], usage: { input_tokens: 9, output_tokens: 2 } }]);
    expect(s.totals).toMatchObject({ input_tokens: 9, output_tokens: 2, turns: 1 });
  });

  it('a failed call (HTTP 529): one message with the error, counted once in totals.errors', async () => {
    api.script([{ name: 'overloaded', prompt: '[error-scenario]', error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }]);
    const { c, s } = await doubleRun(async (client) => {
      await expect(client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Fail [error-scenario]' }] })).rejects.toThrow();
    });
    expect(c.recorder.records.filter((r) => r.status.code === 'error')).toHaveLength(2);
    const msgs = ofType(s.events, 'llm_message');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.error).toEqual(expect.any(String));
    expect(s.totals).toMatchObject({ turns: 1, errors: 1 });
  });
});

describe('OpenInference Claude Agent SDK: the AGENT root with no LLM children', () => {
  it("keeps the run's tokens, cost (cost_source producer), model, finish reason and final answer as its model call", () => {
    const s = assembleSession(JSON.parse(readFileSync(spansFile('openinference-claude-agent-sdk'), 'utf8')) as SpanRecord[]);
    expectValidSession(s);
    expect(s.agent.name).toBe('ClaudeAgent.query');
    expect(s.conversation_id).toBe('2f1c7a2e-1b0e-4d8e-9d6a-3c1f0e5b7a11');
    expect(ofType(s.events, 'user_prompt').map((e) => e.prompt)).toEqual(['What is the weather in Paris?']);
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'tool_call', 'llm_message']); // the answer last
    expect(ofType(s.events, 'tool_call')).toMatchObject([{ name: 'Bash', input: { command: 'curl wttr.in/Paris' }, result: 'Paris: 18°C sunny' }]);
    const [call, ...more] = ofType(s.events, 'llm_message');
    expect(more).toEqual([]);
    expect(call).toMatchObject({ model: MODEL, text: 'It is 18°C and sunny in Paris.', finish_reasons: ['end_turn'], cost_usd: 0.01234, cost_source: 'producer' });
    // (its usage.input_tokens, passed through: the Agent SDK's result usage already excludes the cache)
    expect(call!.usage).toEqual({ input_tokens: 250, output_tokens: 32, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(s.totals).toMatchObject({ input_tokens: 250, output_tokens: 32, cost_usd: 0.01234, turns: 1, tool_calls: 1 });
    expect(s.model).toBe(MODEL);
    expect(s.models[MODEL]).toMatchObject({ input_tokens: 250, output_tokens: 32, cost_usd: 0.01234 });
  });
});

describe('golden files per producer (spans -> session), regenerable', () => {
  for (const p of PRODUCERS) {
    it(`${p}: the kept spans assemble into the golden session`, () => {
      const records = JSON.parse(readFileSync(spansFile(p), 'utf8')) as SpanRecord[];
      const session = assembleSession(records);
      expectValidSession(session);
      const golden = sessionFile(p);
      if (update || !existsSync(golden)) writeFileSync(golden, `${JSON.stringify(session, null, 1)}\n`);
      expect(session).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }
});

describe('through the real OTLP exporter and a started receiver', () => {
  it.each(Object.keys(LIVE) as LiveProducer[])('%s: the receiver writes the same session as the processor', async (p) => {
    const receiverWritten = new WrittenSessions();
    const sessions: Session[] = [];
    const receiver = createReceiver({ storage: { putSession: async (s) => (sessions.push(s), s.id) }, walDir: false, waitMs: 0, env: {}, onSessionWritten: receiverWritten.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    try {
      const c = capture([new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))]);
      await LIVE[p](c);
      await c.provider.forceFlush();
      const traceId = c.recorder.records[0]!.traceId;
      await receiverWritten.next((e) => e.traceId === traceId);
      const inProcess = await written(c);
      const viaReceiver = sessions.find((x) => x.trace_id === traceId)!;
      expectValidSession(viaReceiver);
      expectWeather(viaReceiver, FINISH[p]);
      // The same document either way (ids aside), so nothing the producer sent is lost on the wire.
      const withoutId = ({ id: _id, ...rest }: Session) => rest;
      expect(withoutId(viaReceiver)).toEqual(withoutId(inProcess));
    } finally {
      await receiver.stop();
    }
  });
});
