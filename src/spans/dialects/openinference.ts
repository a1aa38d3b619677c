/**
 * OpenInference (Arize Phoenix) spans -> the `gen_ai.*` + `ams.*` shape the assembler reads.
 * Instrumentations seen: @arizeai/openinference-instrumentation-anthropic, -langchain,
 * -claude-agent-sdk (and any other that sets `openinference.span.kind`).
 *
 * | OpenInference                                  | becomes                                         |
 * |------------------------------------------------|-------------------------------------------------|
 * | kind LLM                                       | chat                                            |
 * |   llm.model_name / llm.response.model_name     | gen_ai.request.model / gen_ai.response.model    |
 * |   llm.provider (llm.system)                    | gen_ai.provider.name                            |
 * |   llm.token_count.prompt (INCLUDES cache) minus prompt_details.cache_read/_write | gen_ai.usage.input_tokens (excludes cache) |
 * |   llm.token_count.completion, prompt_details.cache_read/_write | output_tokens, cache_read/cache_creation.input_tokens |
 * |   llm.cost.total                               | ams.cost.usd, ams.cost.source = producer        |
 * |   llm.finish_reason                            | gen_ai.response.finish_reasons                  |
 * |   llm.input/output_messages.N.*, input.value   | gen_ai.input/output.messages                    |
 * |   output.value: a LangChain LLMResult ({generations}), an Anthropic Message, an OpenAI chat completion | output message text, reasoning, tool calls; response id, model, stop reason, exact usage |
 * | kind TOOL                                      | execute_tool: tool.name, tool_call.id, input.value -> arguments, output.value -> result (a LangChain ToolMessage: its content, tool_call_id, status) |
 * | kind AGENT (or a root CHAIN)                   | invoke_agent: agent.name or the span name; input.value -> the prompt |
 * |   llm.token_count.*, llm.cost.total, llm.model_name, output.value (the final answer) | the agent's model call: a chat child when the agent has none (liftAgentModelCalls) |
 * | kind RETRIEVER                                 | step with ams.step.kind = retrieval             |
 * | session.id / user.id / tag.tags / metadata     | gen_ai.conversation.id / ams.metadata.user_id / ams.tags / ams.metadata.* |
 *
 * Tokens: OpenInference's prompt count includes the cached tokens it details (the Anthropic
 * instrumentation adds them to Anthropic's input_tokens; LangChain's usage_metadata does too), so
 * they are taken out: the document's input_tokens excludes cache reads and writes. When the
 * output.value carries the provider's own usage, that is used as is.
 */
import type { Attributes, SpanEventRecord, SpanRecord } from '../record.js';
import { contentBlockParts, flatMessage, inputWithoutCache, indexed, isLocalRoot, lastUserText, messagesJson, parseJson, parseMessages, setDefault } from '../messages.js';
import type { Message, Part } from '../messages.js';
import { readNumber, readString } from '../read.js';
import * as sc from '../semconv.js';

/** OpenInference marks its spans with a kind (set at span start) or an LLM model name. */
export function isOpenInferenceAttributes(attrs: Attributes): boolean {
  return attrs[sc.OI_SPAN_KIND] !== undefined || attrs[sc.OI_LLM_MODEL_NAME] !== undefined;
}

/** Rewrites one OpenInference span's attributes into `a` (and may add a user prompt to `events`). */
export function mapOpenInferenceSpan(span: SpanRecord, src: Attributes, a: Attributes, events: SpanEventRecord[]): void {
  const kind = readString(src, sc.OI_SPAN_KIND)?.toUpperCase() ?? 'LLM';
  // Session-level names, wherever they appear (the assembler reads them from the root).
  setDefault(a, sc.GEN_AI_CONVERSATION_ID, src[sc.OI_SESSION_ID]);
  if (src[sc.OI_USER_ID] !== undefined) setDefault(a, `${sc.AMS_METADATA_PREFIX}user_id`, src[sc.OI_USER_ID]);
  setDefault(a, sc.AMS_TAGS, src[sc.OI_TAGS]);
  const meta = parseJson(src[sc.OI_METADATA]);
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) setDefault(a, sc.AMS_METADATA_PREFIX + k, v);
    }
  }
  const input = readString(src, sc.OI_INPUT_VALUE);
  const output = readString(src, sc.OI_OUTPUT_VALUE);
  const isRoot = isLocalRoot(span);

  if (kind === 'LLM') {
    setDefault(a, sc.GEN_AI_OPERATION_NAME, sc.OP_CHAT);
    const response = output !== undefined ? modelResponse(output) : undefined;
    modelCall(src, a, response);
    const inMsgs = indexed(src, `${sc.OI_LLM_INPUT_MESSAGES}.`).map((g) => flatMessage(g, 'user', 'message.'));
    const outMsgs = indexed(src, `${sc.OI_LLM_OUTPUT_MESSAGES}.`).map((g) => flatMessage(g, 'assistant', 'message.'));
    setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(inMsgs.length ? inMsgs : input !== undefined ? parseMessages(input, 'user') : []));
    const flatParts = outMsgs.reduce((n, m) => n + m.parts.length, 0);
    // The flattened messages can miss what the structured output has (LangChain puts the text and
    // tool calls of a tool-calling turn only in output.value): the richer description wins.
    const out: Message[] =
      response && response.parts.length > flatParts
        ? [{ role: 'assistant', parts: response.parts }]
        : flatParts > 0
          ? outMsgs
          : output !== undefined && response === undefined
            ? [{ role: 'assistant', parts: [{ type: 'text', content: output }] }]
            : outMsgs;
    setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(out));
    if (outMsgs.length || output !== undefined) {
      delete a[sc.OI_INPUT_VALUE];
      delete a[sc.OI_OUTPUT_VALUE];
    }
  } else if (kind === 'TOOL') {
    setDefault(a, sc.GEN_AI_OPERATION_NAME, sc.OP_EXECUTE_TOOL);
    setDefault(a, sc.GEN_AI_TOOL_NAME, src[sc.OI_TOOL_NAME] ?? span.name);
    setDefault(a, sc.GEN_AI_TOOL_DESCRIPTION, src[sc.OI_TOOL_DESCRIPTION]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ID, src[sc.OI_TOOL_CALL_ID]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ARGUMENTS, input);
    const message = output !== undefined ? langChainToolMessage(output) : undefined;
    if (message) {
      setDefault(a, sc.GEN_AI_TOOL_CALL_ID, message.toolCallId);
      setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, message.content);
      if (message.status === 'error') setDefault(a, sc.AMS_TOOL_STATUS, 'error');
    } else {
      setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, output);
    }
  } else if (kind === 'AGENT' || (kind === 'CHAIN' && isRoot)) {
    setDefault(a, sc.GEN_AI_OPERATION_NAME, sc.OP_INVOKE_AGENT);
    setDefault(a, sc.GEN_AI_AGENT_NAME, src[sc.OI_AGENT_NAME] ?? span.name);
    if (input !== undefined && input !== '') {
      if (isRoot) {
        if (!events.some((e) => e.name === sc.EVENT_USER_PROMPT)) {
          events.unshift({ name: sc.EVENT_USER_PROMPT, timeMs: span.startTimeMs, attributes: { [sc.AMS_PROMPT]: promptText(input) } });
        }
      } else {
        setDefault(a, sc.AMS_SUBAGENT_PROMPT, promptText(input));
      }
    }
    // What the run reported about its model use (the Claude Agent SDK instrumentation puts the
    // result message's usage, cost, model and answer here): kept as the agent's model call.
    if (reportsModelUse(src)) {
      modelCall(src, a, undefined);
      if (output !== undefined && output !== '') setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson([{ role: 'assistant', parts: [{ type: 'text', content: output }] }]));
    }
  } else if (kind === 'RETRIEVER') {
    setDefault(a, sc.AMS_STEP_KIND, 'retrieval');
  }
}

function reportsModelUse(src: Attributes): boolean {
  return src[sc.OI_TOKEN_PROMPT] !== undefined || src[sc.OI_TOKEN_COMPLETION] !== undefined || src[sc.OI_COST_TOTAL] !== undefined || src[sc.OI_LLM_MODEL_NAME] !== undefined;
}

/** Model, provider, usage (one meaning), cost, finish reason and response id of a model call. */
function modelCall(src: Attributes, a: Attributes, response: ModelResponse | undefined): void {
  setDefault(a, sc.GEN_AI_REQUEST_MODEL, src[sc.OI_LLM_MODEL_NAME]);
  setDefault(a, sc.GEN_AI_RESPONSE_MODEL, src[sc.OI_LLM_RESPONSE_MODEL_NAME] ?? response?.model);
  setDefault(a, sc.GEN_AI_PROVIDER_NAME, src[sc.OI_LLM_PROVIDER] ?? src[sc.OI_LLM_SYSTEM]);
  setDefault(a, sc.GEN_AI_RESPONSE_ID, response?.id);
  const usage = response?.usage;
  const cacheRead = usage?.cacheRead ?? readNumber(src, sc.OI_TOKEN_CACHE_READ);
  const cacheWrite = usage?.cacheWrite ?? readNumber(src, sc.OI_TOKEN_CACHE_WRITE);
  const prompt = readNumber(src, sc.OI_TOKEN_PROMPT);
  const inputTokens = usage?.input ?? inputWithoutCache(prompt, cacheRead, cacheWrite);
  setDefault(a, sc.GEN_AI_USAGE_INPUT_TOKENS, inputTokens);
  setDefault(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS, readNumber(src, sc.OI_TOKEN_COMPLETION) ?? usage?.output);
  setDefault(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cacheRead);
  setDefault(a, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, cacheWrite);
  const cost = readNumber(src, sc.OI_COST_TOTAL);
  if (cost !== undefined && a[sc.AMS_COST_USD] === undefined) {
    a[sc.AMS_COST_USD] = cost;
    setDefault(a, sc.AMS_COST_SOURCE, sc.COST_SOURCE_PRODUCER);
  }
  const finish = readString(src, sc.OI_LLM_FINISH_REASON) ?? response?.finish;
  if (finish !== undefined) setDefault(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, [finish]);
}

// ---- output.value --------------------------------------------------------------------------

interface ModelResponse {
  parts: Part[];
  id?: string;
  model?: string;
  finish?: string;
  /** In the document's meaning: input excludes cache reads and writes. */
  usage?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const numOf = (o: Obj | undefined, k: string): number | undefined => (o && typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : undefined);
const strOf = (o: Obj | undefined, k: string): string | undefined => (o && typeof o[k] === 'string' ? o[k] : undefined);

/** An LLM span's output.value, when it is one of the structured responses we know. */
export function modelResponse(output: string): ModelResponse | undefined {
  const v = parseJson(output);
  if (!isObj(v)) return undefined;
  if (Array.isArray(v.generations)) return langChainResult(v);
  if (Array.isArray(v.content) && (v.type === 'message' || v.role === 'assistant')) return anthropicMessage(v);
  if (Array.isArray(v.choices)) return openAiCompletion(v);
  return undefined;
}

/** The Anthropic Messages API's Message (what the OpenInference Anthropic instrumentation records). */
function anthropicMessage(m: Obj): ModelResponse {
  const r: ModelResponse = { parts: contentBlockParts(m.content) };
  r.id = strOf(m, 'id');
  r.model = strOf(m, 'model');
  r.finish = strOf(m, 'stop_reason');
  const u = isObj(m.usage) ? m.usage : undefined;
  if (u) r.usage = { input: numOf(u, 'input_tokens'), output: numOf(u, 'output_tokens'), cacheRead: numOf(u, 'cache_read_input_tokens'), cacheWrite: numOf(u, 'cache_creation_input_tokens') };
  return r;
}

/** An OpenAI chat completion: choices[0].message (content, tool_calls), prompt_tokens includes cached ones. */
function openAiCompletion(c: Obj): ModelResponse {
  const choice = Array.isArray(c.choices) && isObj(c.choices[0]) ? c.choices[0] : undefined;
  const msg = choice && isObj(choice.message) ? choice.message : undefined;
  const parts: Part[] = contentBlockParts(msg?.content);
  if (msg && Array.isArray(msg.tool_calls)) {
    for (const t of msg.tool_calls) {
      const fn = isObj(t) && isObj(t.function) ? t.function : undefined;
      if (!fn || typeof fn.name !== 'string') continue;
      const p: Part = { type: 'tool_call', name: fn.name, arguments: parseJson(fn.arguments as string) };
      if (isObj(t) && typeof t.id === 'string') p.id = t.id;
      parts.push(p);
    }
  }
  const r: ModelResponse = { parts, id: strOf(c, 'id'), model: strOf(c, 'model'), finish: strOf(choice, 'finish_reason') };
  const u = isObj(c.usage) ? c.usage : undefined;
  if (u) {
    const details = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
    const cacheRead = numOf(details, 'cached_tokens');
    const prompt = numOf(u, 'prompt_tokens');
    r.usage = { input: inputWithoutCache(prompt, cacheRead), output: numOf(u, 'completion_tokens'), cacheRead };
  }
  return r;
}

/**
 * A LangChain LLMResult: `{generations: [[{text, message: {kwargs: {content, tool_calls,
 * usage_metadata, response_metadata, id}}}]], llmOutput}`. usage_metadata.input_tokens includes
 * the cache reads and writes it details (input_token_details), whatever the provider.
 */
function langChainResult(r: Obj): ModelResponse {
  const parts: Part[] = [];
  const out: ModelResponse = { parts };
  for (const gens of r.generations as unknown[]) {
    for (const g of Array.isArray(gens) ? gens : [gens]) {
      if (!isObj(g)) continue;
      const msg = isObj(g.message) ? g.message : undefined;
      const kw = msg && isObj(msg.kwargs) ? msg.kwargs : msg;
      if (!kw) {
        if (typeof g.text === 'string' && g.text !== '') parts.push({ type: 'text', content: g.text });
        continue;
      }
      // LangChain's parsed tool calls are authoritative for the arguments (a streamed chunk's
      // tool_use block has input "" and the JSON in later input_json_delta blocks).
      const calls = Array.isArray(kw.tool_calls) ? kw.tool_calls.filter(isObj) : [];
      const args = new Map(calls.filter((t) => typeof t.id === 'string').map((t) => [t.id as string, t.args]));
      const own = contentBlockParts(kw.content).map((p) => (p.type === 'tool_call' && p.id !== undefined && args.has(p.id) ? { ...p, arguments: args.get(p.id) } : p));
      const known = new Set(own.filter((p) => p.type === 'tool_call').map((p) => p.id));
      parts.push(...own);
      // The provider-neutral tool calls (OpenAI's, or Anthropic's when content is a string).
      for (const t of calls) {
        if (typeof t.name !== 'string' || (typeof t.id === 'string' && known.has(t.id))) continue;
        const p: Part = { type: 'tool_call', name: t.name, arguments: t.args };
        if (typeof t.id === 'string') p.id = t.id;
        parts.push(p);
      }
      const meta = isObj(kw.response_metadata) ? kw.response_metadata : undefined;
      // (A streamed chunk keeps the Message's fields in additional_kwargs.)
      const extra = isObj(kw.additional_kwargs) ? kw.additional_kwargs : undefined;
      out.id ??= strOf(meta, 'id') ?? strOf(kw, 'id') ?? strOf(extra, 'id');
      out.model ??= strOf(meta, 'model') ?? strOf(meta, 'model_name') ?? strOf(extra, 'model');
      out.finish ??= strOf(meta, 'stop_reason') ?? strOf(meta, 'finish_reason') ?? strOf(extra, 'stop_reason');
      const um = isObj(kw.usage_metadata) ? kw.usage_metadata : undefined;
      if (um && !out.usage) {
        const d = isObj(um.input_token_details) ? um.input_token_details : undefined;
        const cacheRead = numOf(d, 'cache_read');
        const cacheWrite = numOf(d, 'cache_creation');
        const input = numOf(um, 'input_tokens');
        out.usage = { input: inputWithoutCache(input, cacheRead, cacheWrite), output: numOf(um, 'output_tokens'), cacheRead, cacheWrite };
      }
    }
  }
  return out;
}

/** A LangChain tool's output.value: `{output: ToolMessage}` (or the ToolMessage itself). */
function langChainToolMessage(output: string): { content: string; toolCallId?: string; status?: string } | undefined {
  const v = parseJson(output);
  const wrapped = isObj(v) && isObj(v.output) ? v.output : v;
  if (!isObj(wrapped)) return undefined;
  const kw = isObj(wrapped.kwargs) ? wrapped.kwargs : undefined;
  const ids = Array.isArray(wrapped.id) ? wrapped.id : [];
  if (!kw || ids[ids.length - 1] !== 'ToolMessage') return undefined;
  const content = typeof kw.content === 'string' ? kw.content : JSON.stringify(kw.content ?? null);
  return { content, toolCallId: strOf(kw, 'tool_call_id'), status: strOf(kw, 'status') };
}

/** input.value is often JSON ({"input": "..."} from LangChain, {"messages": [...]}); show the text. */
function promptText(input: string): string {
  const parsed = parseJson(input);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    for (const k of ['input', 'query', 'question', 'prompt', 'message']) if (typeof o[k] === 'string') return o[k];
    if (Array.isArray(o.messages)) return lastUserText(JSON.stringify(o.messages)) ?? input;
  }
  return input;
}

// ---- the agent's own model call ------------------------------------------------------------

/** Keys of a model call that an agent span may carry (mapped above) and that move to its chat. */
const MODEL_CALL_KEYS = [
  sc.GEN_AI_USAGE_INPUT_TOKENS,
  sc.GEN_AI_USAGE_OUTPUT_TOKENS,
  sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  sc.AMS_COST_USD,
  sc.AMS_COST_SOURCE,
  sc.GEN_AI_OUTPUT_MESSAGES,
  sc.GEN_AI_RESPONSE_FINISH_REASONS,
  sc.GEN_AI_RESPONSE_MODEL,
  sc.GEN_AI_PROVIDER_NAME,
] as const;

/**
 * An OpenInference AGENT span that reported its model use (tokens, cost, model, final answer) but
 * has no model call under it (the Claude Agent SDK instrumentation traces tools only): that use
 * becomes one chat span under the agent (from the end of its last child to the agent's end), so
 * the session shows the answer, the model, and the tokens and cost in its totals. Runs after the per-span mapping; returns `records` when nothing
 * applies.
 */
export function liftAgentModelCalls(records: SpanRecord[]): SpanRecord[] {
  const candidates = records.filter(
    (r) => r.attributes[sc.OI_SPAN_KIND] !== undefined && readString(r.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_INVOKE_AGENT && MODEL_CALL_KEYS.some((k) => r.attributes[k] !== undefined),
  );
  if (!candidates.length) return records;
  const children = new Map<string, SpanRecord[]>();
  for (const r of records) if (r.parentSpanId) (children.get(r.parentSpanId) ?? children.set(r.parentSpanId, []).get(r.parentSpanId)!).push(r);
  const hasChat = (id: string, depth = 0): boolean =>
    depth < 256 && (children.get(id) ?? []).some((c) => readString(c.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_CHAT || hasChat(c.spanId, depth + 1));
  let out: SpanRecord[] | undefined;
  for (const agent of candidates) {
    if (hasChat(agent.spanId)) continue;
    const attrs: Attributes = { ...agent.attributes };
    const chat: Attributes = { [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT };
    for (const k of MODEL_CALL_KEYS) {
      if (attrs[k] === undefined) continue;
      chat[k] = attrs[k];
      delete attrs[k];
    }
    setDefault(chat, sc.GEN_AI_REQUEST_MODEL, attrs[sc.GEN_AI_REQUEST_MODEL]);
    const model = readString(chat, sc.GEN_AI_RESPONSE_MODEL) ?? readString(chat, sc.GEN_AI_REQUEST_MODEL);
    out ??= records.slice();
    out[out.indexOf(agent)] = { ...agent, attributes: attrs };
    // It carries the final answer: placed after what the agent did (its children), to its end.
    const after = Math.max(agent.startTimeMs, ...(children.get(agent.spanId) ?? []).map((c) => c.endTimeMs));
    out.push({
      traceId: agent.traceId,
      spanId: derivedSpanId(agent.spanId),
      parentSpanId: agent.spanId,
      name: model !== undefined ? `${sc.OP_CHAT} ${model}` : sc.OP_CHAT,
      kind: 'internal',
      startTimeMs: Math.min(after, agent.endTimeMs),
      endTimeMs: agent.endTimeMs,
      status: { code: 'unset' },
      attributes: chat,
      events: [],
      resource: agent.resource,
      ...(agent.scope ? { scope: agent.scope } : {}),
    });
  }
  return out ?? records;
}

/**
 * LangChain's TOOL spans record the tool's input as the tool function got it (often the bare
 * value, e.g. `Paris`), not the model's arguments: a tool call whose id a model call in the trace
 * asked for takes that call's arguments when its own are not a JSON object.
 */
export function toolArgumentsFromModelCalls(records: SpanRecord[]): SpanRecord[] {
  const tools = records.filter((r) => r.attributes[sc.OI_SPAN_KIND] !== undefined && readString(r.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_EXECUTE_TOOL && r.attributes[sc.GEN_AI_TOOL_CALL_ID] !== undefined);
  if (!tools.length) return records;
  const asked = new Map<string, unknown>();
  for (const r of records) {
    if (readString(r.attributes, sc.GEN_AI_OPERATION_NAME) !== sc.OP_CHAT) continue;
    const msgs = parseJson(r.attributes[sc.GEN_AI_OUTPUT_MESSAGES]);
    if (!Array.isArray(msgs)) continue;
    for (const m of msgs) for (const p of isObj(m) && Array.isArray(m.parts) ? (m.parts as Part[]) : []) if (p.type === 'tool_call' && p.id !== undefined && isObj(p.arguments)) asked.set(p.id, p.arguments);
  }
  let out: SpanRecord[] | undefined;
  for (const t of tools) {
    const args = asked.get(readString(t.attributes, sc.GEN_AI_TOOL_CALL_ID)!);
    if (args === undefined || isObj(parseJson(t.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS]))) continue;
    out ??= records.slice();
    out[out.indexOf(t)] = { ...t, attributes: { ...t.attributes, [sc.GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify(args) } };
  }
  return out ?? records;
}

/** A stable span id (16 hex) for a span made from another: FNV-1a over its id, twice. */
function derivedSpanId(from: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < from.length; i++) {
    h1 = Math.imul(h1 ^ from.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ from.charCodeAt(from.length - 1 - i), 0x811c9dc5) >>> 0;
  }
  return (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).slice(0, 16);
}
