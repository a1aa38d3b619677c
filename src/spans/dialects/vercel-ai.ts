/**
 * The Vercel AI SDK's spans (`ai` package, `experimental_telemetry: { isEnabled: true }`; names
 * read from ai 6's dist) rewritten into the `gen_ai.*` + `ams.*` records the assembler reads.
 * A span is the SDK's when it carries `ai.operationId`; normalizeRecords hands a batch here first
 * (mapVercelAi), and the rest of normalization runs on the result.
 *
 * | AI SDK                                                | becomes                                                      |
 * |-------------------------------------------------------|--------------------------------------------------------------|
 * | `ai.generateText` / `ai.streamText` / `ai.generateObject` / `ai.streamObject` | invoke_agent: the session's agent when it is the only such call with no agent above it (trace root, or under a plain span such as an HTTP handler); a subagent under another agent (a tool calling generateText, the user's own invoke_agent); a step when several share a plain root (all kept; that root gets their common functionId as agent name, their metadata and the first prompt) |
 * | `ai.telemetry.functionId`, else the span name         | `gen_ai.agent.name` (the session's agent)                    |
 * | `ai.telemetry.metadata.<key>` (on every span)         | `ams.metadata.<key>` on the root                             |
 * | root `ai.prompt` (`{system, prompt, messages}` JSON)  | the user_prompt event (`prompt`, else the last user message; a subagent's: `ams.subagent.prompt`); `system` -> `gen_ai.system_instructions` |
 * | root `ai.model.id` / `ai.model.provider`              | `gen_ai.request.model` / `gen_ai.provider.name` (the part before the first `.`: `anthropic.messages` -> `anthropic`) |
 * | root `ai.usage.*` (and `gen_ai.usage.*`)           | dropped: sums of the model calls below it (read again, they would double the totals) |
 * | root `ai.response.text`, `ai.response.finishReason` | left raw: copies of the last model call's, which the session shows |
 * | `ai.*.doGenerate` / `ai.*.doStream`                   | chat                                                         |
 * | `ai.model.id`, `ai.response.model`, `ai.response.id`  | `gen_ai.request.model`, `gen_ai.response.model`, `gen_ai.response.id` |
 * | `ai.prompt.messages` (the SDK's message form: text, tool-call, tool-result parts) | `gen_ai.input.messages` (text, tool_call, tool_call_response parts) |
 * | `ai.response.reasoning`, `ai.response.text`, `ai.response.toolCalls` | `gen_ai.output.messages`: reasoning, text, tool_call parts -> the message's thinking, text, tool_uses |
 * | `ai.response.finishReason` (`stop`, `tool-calls`, ...)| `gen_ai.response.finish_reasons`                             |
 * | `ai.usage.inputTokenDetails.noCacheTokens`, else `ai.usage.inputTokens` (v4: `promptTokens`) less the cache counts | `gen_ai.usage.input_tokens`: cache reads and writes excluded (the document's one meaning) |
 * | `ai.usage.outputTokens` (v4: `completionTokens`)      | `gen_ai.usage.output_tokens`                                 |
 * | `ai.usage.inputTokenDetails.cacheReadTokens`, else `ai.usage.cachedInputTokens` | `gen_ai.usage.cache_read.input_tokens` |
 * | `ai.usage.inputTokenDetails.cacheWriteTokens`         | `gen_ai.usage.cache_creation.input_tokens`                   |
 * | `ai.stream.firstChunk` event / `ai.response.msToFirstChunk` | `ams.llm.ttft_ms`                                       |
 * | `ai.toolCall`: `ai.toolCall.name` / `.id` / `.args` / `.result` | execute_tool: `gen_ai.tool.name` / `gen_ai.tool.call.id` / `.arguments` / `.result` |
 * | span status ERROR + `exception` event (`recordErrorOnSpan`) | kept as is: the error of the run, model call or tool call |
 * | `ai.embed` / `ai.embedMany` and their `doEmbed`       | steps (no chat, no tokens invented)                          |
 *
 * Not mapped (left as raw attributes, which only generic steps carry into the document):
 * `ai.settings.*`, `ai.request.headers.*`, `ai.prompt.tools`, `ai.prompt.toolChoice`,
 * `ai.response.providerMetadata`, `ai.response.timestamp`, timing figures (docs/producers.md).
 * The SDK reports no cost: the writer's price table prices the calls (docs/cost.md), never 0.
 * What the SDK did not send stays absent.
 */
import type { AttributeValue, Attributes, SpanEventRecord, SpanRecord } from '../record.js';
import { readNumber, readString } from '../read.js';
import * as sc from '../semconv.js';
import { inputWithoutCache, setInputExcludingCache } from '../messages.js';
import type { Part } from '../messages.js';

// ---- the AI SDK's names (node_modules/ai/dist, src/telemetry/*) -----------------------------
const A_OPERATION_ID = 'ai.operationId';
const A_FUNCTION_ID = 'ai.telemetry.functionId';
const A_METADATA_PREFIX = 'ai.telemetry.metadata.';
const A_MODEL_ID = 'ai.model.id';
const A_MODEL_PROVIDER = 'ai.model.provider';
const A_PROMPT = 'ai.prompt';
const A_PROMPT_MESSAGES = 'ai.prompt.messages';
const A_RESPONSE_TEXT = 'ai.response.text';
const A_RESPONSE_REASONING = 'ai.response.reasoning';
const A_RESPONSE_TOOL_CALLS = 'ai.response.toolCalls';
const A_RESPONSE_FINISH_REASON = 'ai.response.finishReason';
const A_RESPONSE_ID = 'ai.response.id';
const A_RESPONSE_MODEL = 'ai.response.model';
const A_MS_TO_FIRST_CHUNK = 'ai.response.msToFirstChunk';
const A_USAGE_INPUT = 'ai.usage.inputTokens';
const A_USAGE_PROMPT_V4 = 'ai.usage.promptTokens';
const A_USAGE_OUTPUT = 'ai.usage.outputTokens';
const A_USAGE_COMPLETION_V4 = 'ai.usage.completionTokens';
const A_USAGE_CACHE_READ = 'ai.usage.inputTokenDetails.cacheReadTokens';
const A_USAGE_CACHED_INPUT = 'ai.usage.cachedInputTokens';
const A_USAGE_CACHE_WRITE = 'ai.usage.inputTokenDetails.cacheWriteTokens';
const A_USAGE_NO_CACHE = 'ai.usage.inputTokenDetails.noCacheTokens';
const A_TOOL_NAME = 'ai.toolCall.name';
const A_TOOL_ID = 'ai.toolCall.id';
const A_TOOL_ARGS = 'ai.toolCall.args';
const A_TOOL_RESULT = 'ai.toolCall.result';
const EVENT_FIRST_CHUNK = 'ai.stream.firstChunk';

const OP_PREFIX = 'ai.';
const OP_TOOL_CALL = 'ai.toolCall';
const ROOT_OPS = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);
const MODEL_CALL_SUFFIXES = ['.doGenerate', '.doStream'];
const EMBED_OPS = new Set(['ai.embed', 'ai.embedMany', 'ai.embed.doEmbed', 'ai.embedMany.doEmbed']);
/** The root's copies of what its model calls report: dropped so nothing is counted twice. */
const ROOT_DROPPED_PREFIXES = ['ai.usage.', 'gen_ai.usage.'];

/** A span of the AI SDK: it names its operation in `ai.operationId`. */
export function isVercelAiSpan(span: SpanRecord): boolean {
  const op = span.attributes[A_OPERATION_ID];
  return typeof op === 'string' && op.startsWith(OP_PREFIX);
}

/** What an AI SDK generate/stream call is in the session. */
type CallRole = 'agent' | 'subagent' | 'step';

/**
 * Every AI SDK span of a batch in the current conventions (new records; the input is not
 * mutated). Returns the input itself when it holds none. A generate/stream call is the session's
 * agent when it is the only one with no agent above it (at the trace root, or under a plain span
 * such as an HTTP handler), a subagent when an agent runs above it (a tool that calls
 * generateText, or the user's own invoke_agent span), and a step when several share a plain root
 * (each made the agent, the assembler would keep only the first).
 */
export function mapVercelAi(records: readonly SpanRecord[]): readonly SpanRecord[] {
  let any = false;
  for (const r of records) if (isVercelAiSpan(r)) any = true;
  if (!any) return records;
  const byId = new Map<string, SpanRecord>();
  for (const r of records) byId.set(r.spanId, r);
  // An agent above it, in any producer's form (OpenInference's AGENT kind becomes invoke_agent later).
  const isAgentLike = (r: SpanRecord) =>
    r.attributes[sc.GEN_AI_OPERATION_NAME] === sc.OP_INVOKE_AGENT ||
    r.name.startsWith(`${sc.OP_INVOKE_AGENT} `) ||
    r.attributes[sc.OI_SPAN_KIND] === 'AGENT' ||
    ROOT_OPS.has(String(r.attributes[A_OPERATION_ID]));
  const underAgent = (r: SpanRecord): boolean => {
    const seen = new Set<string>();
    for (let p = r.parentSpanId ? byId.get(r.parentSpanId) : undefined; p && !seen.has(p.spanId); p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
      seen.add(p.spanId);
      if (isAgentLike(p)) return true;
    }
    return false;
  };
  const calls = records.filter((r) => ROOT_OPS.has(String(r.attributes[A_OPERATION_ID])));
  const nested = new Set(calls.filter(underAgent));
  const top = calls.filter((c) => !nested.has(c)).sort((x, y) => x.startTimeMs - y.startTimeMs);
  const out = records.map((r) => {
    if (!isVercelAiSpan(r)) return r;
    const role: CallRole = nested.has(r) ? 'subagent' : top.length === 1 ? 'agent' : 'step';
    return mapVercelAiSpan(r, role);
  });
  if (top.length > 1) {
    const i = out.findIndex((r) => r.spanId === top[0]!.parentSpanId);
    if (i >= 0) out[i] = sharedRoot(out[i]!, top);
  }
  return out;
}

/**
 * Several calls under one plain span: that span is the session root, so it gets what they agree
 * on (the function id as agent name, metadata) and the first call's prompt.
 */
function sharedRoot(root: SpanRecord, calls: SpanRecord[]): SpanRecord {
  const a: Attributes = { ...root.attributes };
  const ids = new Set(calls.map((c) => readString(c.attributes, A_FUNCTION_ID)));
  const [id] = ids;
  if (ids.size === 1 && id !== undefined) setDefault(a, sc.GEN_AI_AGENT_NAME, id);
  for (const c of calls) for (const key in c.attributes) if (key.startsWith(A_METADATA_PREFIX)) setDefault(a, sc.AMS_METADATA_PREFIX + key.slice(A_METADATA_PREFIX.length), c.attributes[key]);
  let events = root.events;
  const { text } = promptOf(parseJson(calls[0]!.attributes[A_PROMPT]));
  if (text !== undefined && !events.some((e) => e.name === sc.EVENT_USER_PROMPT)) {
    events = [{ name: sc.EVENT_USER_PROMPT, timeMs: calls[0]!.startTimeMs, attributes: { [sc.AMS_PROMPT]: text } }, ...events];
  }
  return { ...root, attributes: a, events };
}

/** One AI SDK span in the current conventions; `role` only matters for generate/stream calls. */
function mapVercelAiSpan(span: SpanRecord, role: CallRole): SpanRecord {
  const src = span.attributes;
  const op = readString(src, A_OPERATION_ID) ?? '';
  const a: Attributes = { ...src };
  let events = span.events;
  // Metadata is on every span; the assembler reads it from the root.
  for (const key in src) if (key.startsWith(A_METADATA_PREFIX)) setDefault(a, sc.AMS_METADATA_PREFIX + key.slice(A_METADATA_PREFIX.length), src[key]);

  if (ROOT_OPS.has(op)) {
    // Sums and copies of the model calls below: counting them again would double the totals.
    for (const key in a) if (ROOT_DROPPED_PREFIXES.some((p) => key.startsWith(p))) delete a[key];
    if (role === 'step') return { ...span, attributes: a };
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT;
    setDefault(a, sc.GEN_AI_AGENT_NAME, readString(src, A_FUNCTION_ID) ?? span.name);
    setDefault(a, sc.GEN_AI_REQUEST_MODEL, src[A_MODEL_ID]);
    setDefault(a, sc.GEN_AI_PROVIDER_NAME, providerName(src));
    const { text, system } = promptOf(parseJson(src[A_PROMPT]));
    if (system !== undefined) setDefault(a, sc.GEN_AI_SYSTEM_INSTRUCTIONS, system);
    if (text !== undefined && role === 'subagent') setDefault(a, sc.AMS_SUBAGENT_PROMPT, text);
    else if (text !== undefined && !events.some((e) => e.name === sc.EVENT_USER_PROMPT)) {
      events = [{ name: sc.EVENT_USER_PROMPT, timeMs: span.startTimeMs, attributes: { [sc.AMS_PROMPT]: text } }, ...events];
    }
  } else if (MODEL_CALL_SUFFIXES.some((s) => op.endsWith(s)) && !EMBED_OPS.has(op)) {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_CHAT;
    setDefault(a, sc.GEN_AI_PROVIDER_NAME, providerName(src));
    setDefault(a, sc.GEN_AI_REQUEST_MODEL, src[A_MODEL_ID]);
    setDefault(a, sc.GEN_AI_RESPONSE_MODEL, src[A_RESPONSE_MODEL]);
    setDefault(a, sc.GEN_AI_RESPONSE_ID, src[A_RESPONSE_ID]);
    const finish = readString(src, A_RESPONSE_FINISH_REASON);
    if (finish !== undefined) setDefault(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, [finish]);
    // One meaning of tokens (normalize.ts): input EXCLUDES cache reads and writes. The SDK counts
    // them in (Anthropic's 100 fresh + 50 cached reads as 150); its no-cache detail, else the total
    // less the cache counts, is the document's input.
    const cacheRead = readNumber(src, A_USAGE_CACHE_READ) ?? readNumber(src, A_USAGE_CACHED_INPUT);
    const cacheWrite = readNumber(src, A_USAGE_CACHE_WRITE);
    const total = readNumber(src, A_USAGE_INPUT) ?? readNumber(src, A_USAGE_PROMPT_V4);
    const fresh = readNumber(src, A_USAGE_NO_CACHE) ?? inputWithoutCache(total, cacheRead, cacheWrite);
    // (Over the SDK's own gen_ai.usage.input_tokens, which is the total.)
    setInputExcludingCache(a, fresh);
    setDefault(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS, readNumber(src, A_USAGE_OUTPUT) ?? readNumber(src, A_USAGE_COMPLETION_V4));
    setDefault(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, readNumber(src, A_USAGE_CACHE_READ) ?? readNumber(src, A_USAGE_CACHED_INPUT));
    setDefault(a, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, readNumber(src, A_USAGE_CACHE_WRITE));
    setDefault(a, sc.GEN_AI_INPUT_MESSAGES, json(inputMessages(parseJson(src[A_PROMPT_MESSAGES]))));
    const out = outputParts(src);
    if (out.length) {
      const msg: { role: string; parts: Part[]; finish_reason?: string } = { role: 'assistant', parts: out };
      if (finish !== undefined) msg.finish_reason = finish;
      setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, JSON.stringify([msg]));
    }
    const ttft = readNumber(src, A_MS_TO_FIRST_CHUNK) ?? firstChunkMs(events);
    if (ttft !== undefined) setDefault(a, sc.AMS_LLM_TTFT_MS, Math.round(ttft));
  } else if (op === OP_TOOL_CALL) {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL;
    setDefault(a, sc.GEN_AI_TOOL_NAME, readString(src, A_TOOL_NAME) ?? span.name);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ID, src[A_TOOL_ID]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ARGUMENTS, src[A_TOOL_ARGS]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, src[A_TOOL_RESULT]);
  }
  // Anything else (embeddings, ...): a step, attributes as sent. `gen_ai.system` is left for
  // normalizeSpan's legacy pass.
  return { ...span, attributes: a, events };
}

// ---- helpers --------------------------------------------------------------------------------

function setDefault(a: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined && a[key] === undefined) a[key] = value;
}

function parseJson(v: AttributeValue | undefined): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function json(v: unknown[]): string | undefined {
  return v.length ? JSON.stringify(v) : undefined;
}

/** `anthropic.messages` -> `anthropic`, `openai.responses` -> `openai`. */
function providerName(src: Attributes): string | undefined {
  const p = readString(src, A_MODEL_PROVIDER);
  return p === undefined ? undefined : p.split('.', 1)[0];
}

function firstChunkMs(events: readonly SpanEventRecord[]): number | undefined {
  for (const e of events) if (e.name === EVENT_FIRST_CHUNK) return readNumber(e.attributes, A_MS_TO_FIRST_CHUNK);
  return undefined;
}

type SdkPart = { type?: unknown; text?: unknown; toolCallId?: unknown; toolName?: unknown; input?: unknown; args?: unknown; output?: unknown; result?: unknown };

/** The SDK's message content (a string or parts) as GenAI parts. */
function partsOf(content: unknown): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const raw of content as SdkPart[]) {
    if (!raw || typeof raw !== 'object') continue;
    if ((raw.type === 'text' || raw.type === 'reasoning') && typeof raw.text === 'string') parts.push({ type: raw.type, content: raw.text });
    else if (raw.type === 'tool-call') {
      const p: Part = { type: 'tool_call', name: typeof raw.toolName === 'string' ? raw.toolName : 'unknown', arguments: parseJson((raw.input ?? raw.args) as AttributeValue) };
      if (typeof raw.toolCallId === 'string') p.id = raw.toolCallId;
      parts.push(p);
    } else if (raw.type === 'tool-result') {
      // v5+: output = {type: 'json' | 'text' | 'error-text' | ..., value}; v4: result.
      const out = raw.output && typeof raw.output === 'object' && 'value' in raw.output ? (raw.output as { value: unknown }).value : (raw.output ?? raw.result);
      const p = { type: 'tool_call_response', response: out } as Part & { response: unknown };
      if (typeof raw.toolCallId === 'string') p.id = raw.toolCallId;
      parts.push(p);
    }
  }
  return parts;
}

function inputMessages(v: unknown): Array<{ role: string; parts: Part[] }> {
  if (!Array.isArray(v)) return [];
  const out: Array<{ role: string; parts: Part[] }> = [];
  for (const m of v as Array<{ role?: unknown; content?: unknown }>) {
    if (!m || typeof m !== 'object') continue;
    out.push({ role: typeof m.role === 'string' ? m.role : 'user', parts: partsOf(m.content) });
  }
  return out;
}

/** Reasoning, text and tool calls of one model call. */
function outputParts(src: Attributes): Part[] {
  const parts: Part[] = [];
  const reasoning = readString(src, A_RESPONSE_REASONING);
  if (reasoning) parts.push({ type: 'reasoning', content: reasoning });
  const text = readString(src, A_RESPONSE_TEXT);
  if (text) parts.push({ type: 'text', content: text });
  const calls = parseJson(src[A_RESPONSE_TOOL_CALLS]);
  if (Array.isArray(calls)) {
    for (const c of calls as SdkPart[]) {
      if (!c || typeof c !== 'object') continue;
      // doGenerate: input is the JSON text; doStream: the parsed object; v4: args.
      const p: Part = { type: 'tool_call', name: typeof c.toolName === 'string' ? c.toolName : 'unknown', arguments: parseJson((c.input ?? c.args) as AttributeValue) };
      if (typeof c.toolCallId === 'string') p.id = c.toolCallId;
      parts.push(p);
    }
  }
  return parts;
}

/** The root's `ai.prompt`: `{system, prompt, messages}` -> the user's text and the system prompt. */
function promptOf(v: unknown): { text?: string; system?: string } {
  if (typeof v === 'string') return v === '' ? {} : { text: v };
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const o = v as { system?: unknown; prompt?: unknown; messages?: unknown };
  const out: { text?: string; system?: string } = {};
  if (typeof o.system === 'string' && o.system !== '') out.system = o.system;
  const list = typeof o.prompt === 'string' ? undefined : Array.isArray(o.prompt) ? o.prompt : Array.isArray(o.messages) ? o.messages : undefined;
  if (typeof o.prompt === 'string' && o.prompt !== '') out.text = o.prompt;
  else if (list) {
    const msgs = inputMessages(list);
    for (let i = msgs.length - 1; i >= 0 && out.text === undefined; i--) {
      if (msgs[i]!.role !== 'user') continue;
      const t = msgs[i]!.parts.filter((p) => p.type === 'text').map((p) => p.content).join('\n');
      if (t) out.text = t;
    }
  }
  return out;
}
