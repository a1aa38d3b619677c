/**
 * Real GenAI producers (OpenInference, OpenLLMetry, the Anthropic SDK's own spans) driven against
 * the scripted Anthropic API, their spans captured through a real NodeTracerProvider into the
 * SessionSpanProcessor + LocalStorage, and also as SpanRecords (the golden spans files).
 */
import { context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LocalStorage, SessionSpanProcessor } from '../../src/index.js';
import type { Session, SpanRecord } from '../../src/index.js';
import { fromReadableSpan } from '../../src/spans/readable.js';
import type { ScriptedApi, ScriptedTurn } from '../../src/demo/scripted-api.js';
import * as sc from '../../src/spans/semconv.js';
import { tempDir } from './tmp.js';
import { readSessionsSync } from './store.js';

/** Collects every ended span as a SpanRecord (what the golden spans files hold). */
export class RecordingProcessor implements SpanProcessor {
  readonly records: SpanRecord[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.records.push(fromReadableSpan(span));
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Capture {
  provider: NodeTracerProvider;
  recorder: RecordingProcessor;
  dir: string;
  /** Ends everything and returns the sessions the processor wrote to LocalStorage. */
  finish(): Promise<Session[]>;
}

let contextManagerSet = false;

export function capture(extra: SpanProcessor[] = []): Capture {
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const dir = tempDir('producers');
  const recorder = new RecordingProcessor();
  const processor = new SessionSpanProcessor({ storage: new LocalStorage({ dir }) });
  // A named service: the default (`unknown_service:<path of node>`) would differ between machines.
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [sc.SERVICE_NAME]: 'weather-service' }), spanProcessors: [recorder, processor, ...extra] });
  return {
    provider,
    recorder,
    dir,
    async finish() {
      await provider.forceFlush();
      await provider.shutdown();
      return readSessions(dir);
    },
  };
}

export function readSessions(dir: string): Session[] {
  return readSessionsSync(dir);
}

/** The scripted conversation every producer runs: a tool call, then the answer. */
export const WEATHER_PROMPT = 'What is the weather in Paris? [weather-scenario]';
export const WEATHER_TURNS: ScriptedTurn[] = [
  {
    name: 'ask-tool',
    prompt: '[weather-scenario]',
    fresh: true,
    blocks: [
      { type: 'text', text: 'Let me check the weather.' },
      { type: 'tool_use', id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    stopReason: 'tool_use',
    usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 },
  },
  {
    name: 'answer',
    after: 'toolu_weather_1',
    blocks: [{ type: 'text', text: 'It is 18°C and sunny in Paris.' }],
    stopReason: 'end_turn',
    usage: { input_tokens: 150, output_tokens: 12, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 },
  },
];
export const WEATHER_RESULT = { temp_c: 18, sky: 'sunny' };
export const MODEL = 'claude-sonnet-4-5';

/** Per-call usage in the document's one meaning (input excludes cache reads and writes). */
export const WEATHER_USAGE = [
  { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 },
  { input_tokens: 150, output_tokens: 12, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 },
];

interface MessagesClient {
  messages: { create(body: Record<string, unknown>): Promise<unknown> };
}
interface Message {
  content: Array<{ type: string; id?: string; name?: string; input?: unknown; text?: string }>;
}

/**
 * The weather conversation by hand with an Anthropic client (any SDK version: typed `unknown`, it
 * is used through `messages.create` only): an agent root span
 * of the application's own (GenAI invoke_agent), the two model calls, and the tool run between
 * them as the application's execute_tool span.
 */
export async function weatherLoop(anyClient: unknown, tracer: ReturnType<NodeTracerProvider['getTracer']>, api: ScriptedApi): Promise<void> {
  const client = anyClient as MessagesClient;
  api.script(WEATHER_TURNS);
  const root = tracer.startSpan('invoke_agent weather-bot', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: 'weather-bot' } });
  const ctx: Context = trace.setSpan(context.active(), root);
  await context.with(ctx, async () => {
    const tools = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const messages: Array<Record<string, unknown>> = [{ role: 'user', content: WEATHER_PROMPT }];
    const first = (await client.messages.create({ model: MODEL, max_tokens: 256, tools, messages })) as Message;
    const use = first.content.find((b) => b.type === 'tool_use')!;
    const tool: Span = tracer.startSpan('execute_tool get_weather', {
      attributes: {
        [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL,
        [sc.GEN_AI_TOOL_NAME]: 'get_weather',
        [sc.GEN_AI_TOOL_CALL_ID]: use.id!,
        [sc.GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify(use.input),
        [sc.GEN_AI_TOOL_CALL_RESULT]: JSON.stringify(WEATHER_RESULT),
      },
    });
    tool.end();
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: JSON.stringify(WEATHER_RESULT) }] });
    await client.messages.create({ model: MODEL, max_tokens: 256, tools, messages });
  });
  root.end();
}
