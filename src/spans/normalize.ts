/**
 * normalizeRecords(): spans from other GenAI instrumentations, rewritten into the current
 * `gen_ai.*` shape the assembler reads. One pass at the start of assembleSession, so the
 * assembler itself knows a single convention. Pure; spans that need nothing are returned as is.
 *
 * | source                                        | becomes                                        |
 * |-----------------------------------------------|------------------------------------------------|
 * | gen_ai.system                                 | gen_ai.provider.name                           |
 * | gen_ai.usage.prompt_tokens / completion_tokens| gen_ai.usage.input_tokens / output_tokens      |
 * | gen_ai.usage.cache_{read,creation}_input_tokens| gen_ai.usage.cache_{read,creation}.input_tokens|
 * | gen_ai.prompt.N.{role,content}                | gen_ai.input.messages                          |
 * | gen_ai.completion.N.{role,content,finish_reason,tool_calls.M.*} | gen_ai.output.messages, finish_reasons |
 * | events gen_ai.content.prompt / .completion    | gen_ai.input.messages / gen_ai.output.messages |
 * | operation text_completion / generate_content, llm.request.type, a model but no operation | chat |
 * | openinference.span.kind, llm.* (OpenInference) | dialects/openinference.ts                      |
 * | traceloop.*, @traceloop/* scopes (OpenLLMetry) | dialects/openllmetry.ts                        |
 * | com.anthropic.sdk* scope (the Anthropic SDK's own spans) | dialects/anthropic-sdk.ts            |
 * | `gen_ai` scope (the AI SDK 7's @ai-sdk/otel integration) | dialects/ai-sdk-otel.ts              |
 *
 * A trace with no `ams.user_prompt` event gets one from the earliest chat's last user message,
 * so sessions from any instrumentation show what was asked.
 *
 * Producers with a dialect of their own are mapped first, one file each in ./dialects/:
 * Claude Code's `claude_code.*` spans and log events (dialects/claude-code.ts) and the Vercel AI
 * SDK's `ai.*` spans (dialects/vercel-ai.ts), over the whole list. The per-span
 * dialects (OpenInference, OpenLLMetry, the Anthropic SDK) run inside normalizeSpan; then
 * liftAgentModelCalls (an OpenInference agent's own model use) and dedupeModelCalls (one model
 * call described by two instrumentations is one message, ./dedupe.ts) run over the whole list.
 *
 * Tokens have one meaning in the document: `gen_ai.usage.input_tokens` EXCLUDES cache reads and
 * writes (as Anthropic's API counts them); each dialect rewrites its producer's count to it.
 */
import { isGenAiLikeLog } from './log-record.js';
import { setOwn } from './own.js';
import type { Attributes, SpanEventRecord, SpanRecord } from './record.js';
import { hasClaudeCodeRecords, mapClaudeCode } from './dialects/claude-code.js';
import { mapVercelAi } from './dialects/vercel-ai.js';
import { isAnthropicSdkSpan, mapAnthropicSdkSpan } from './dialects/anthropic-sdk.js';
import { isOpenInferenceAttributes, liftAgentModelCalls, mapOpenInferenceSpan, toolArgumentsFromModelCalls } from './dialects/openinference.js';
import { isOpenLLMetrySpan, mapOpenLLMetrySpan } from './dialects/openllmetry.js';
import { isAiSdkOtelSpan, mapAiSdkOtelSpan } from './dialects/ai-sdk-otel.js';
import { dedupeModelCalls } from './dedupe.js';
import { indexed, flatMessage, lastUserText, messagesJson, parseMessages, setDefault } from './messages.js';
import { readString } from './read.js';
import * as sc from './semconv.js';

export type { Part } from './messages.js';
export { isOpenInferenceAttributes } from './dialects/openinference.js';

const CHAT_OPS = new Set(['chat', 'text_completion', 'generate_content', 'completion']);

/** True when a span carries any GenAI signal this project understands (gen_ai.*, OpenInference). */
export function isGenAiLikeAttributes(attrs: Attributes): boolean {
  if (isOpenInferenceAttributes(attrs)) return true;
  for (const key in attrs) if (key.startsWith(sc.GEN_AI_PREFIX)) return true;
  return false;
}

/**
 * A SpanRecord is GenAI (same rule as the in-process processor, plus OpenInference); a record
 * carrying a log event counts by the log rule (isGenAiLikeLog, src/spans/log-record.ts).
 */
export function isGenAiLikeRecord(record: SpanRecord): boolean {
  return isGenAiLikeAttributes(record.attributes) || record.name.startsWith(`${sc.OP_INVOKE_AGENT} `) || isGenAiLikeLog(record);
}

// 'gen_ai.' is 7 characters: the deprecated keys continue with p(rompt), c(ompletion) or u(sage).
const CHAR_G = 0x67;
const CHAR_P = 0x70;
const CHAR_C = 0x63;
const CHAR_U = 0x75;

function needsNormalizing(span: SpanRecord): boolean {
  const a = span.attributes;
  const op = a[sc.GEN_AI_OPERATION_NAME];
  // Spans already in the current convention (the common case) skip the set lookup.
  if (typeof op === 'string' && op !== sc.OP_CHAT && op !== sc.OP_EXECUTE_TOOL && op !== sc.OP_INVOKE_AGENT && CHAT_OPS.has(op)) return true;
  if (a[sc.GEN_AI_SYSTEM] !== undefined && a[sc.GEN_AI_PROVIDER_NAME] === undefined) return true;
  if (op === undefined && (a[sc.GEN_AI_REQUEST_MODEL] !== undefined || a[sc.LLM_REQUEST_TYPE] !== undefined || a[sc.GEN_AI_TOOL_NAME] !== undefined)) return true;
  if (a[sc.OI_SPAN_KIND] !== undefined || a[sc.OI_LLM_MODEL_NAME] !== undefined) return true;
  if (op === undefined && a[sc.TRACELOOP_SPAN_KIND] !== undefined) return true;
  for (const key in a) {
    // Cheap character checks first: most keys are not deprecated gen_ai.* ones.
    if (key.charCodeAt(0) !== CHAR_G) continue;
    const c = key.charCodeAt(7);
    if (c !== CHAR_P && c !== CHAR_C && c !== CHAR_U) continue;
    if (
      key.startsWith(sc.GEN_AI_PROMPT) ||
      key.startsWith(sc.GEN_AI_COMPLETION) ||
      key === sc.GEN_AI_USAGE_PROMPT_TOKENS ||
      key === sc.GEN_AI_USAGE_COMPLETION_TOKENS ||
      key === sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY ||
      key === sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY
    ) {
      return true;
    }
  }
  for (const e of span.events) if (e.name === sc.EVENT_GEN_AI_CONTENT_PROMPT || e.name === sc.EVENT_GEN_AI_CONTENT_COMPLETION) return true;
  return false;
}

/** Rewrites one span into the current conventions (a new record; the input is not mutated). */
export function normalizeSpan(span: SpanRecord): SpanRecord {
  const sdk = isAnthropicSdkSpan(span);
  const openLLMetry = !sdk && isOpenLLMetrySpan(span);
  const aiSdk = !sdk && !openLLMetry && isAiSdkOtelSpan(span);
  if (!sdk && !openLLMetry && !aiSdk && !needsNormalizing(span)) return span;
  const src = span.attributes;
  const a: Attributes = {};
  // Copy everything but the flattened indexed forms, which are folded into messages below.
  for (const key in src) {
    if (isIndexedKey(key)) continue;
    setOwn(a, key, src[key]);
  }
  const events: SpanEventRecord[] = [];
  for (const e of span.events) {
    if (e.name === sc.EVENT_GEN_AI_CONTENT_PROMPT) setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(parseMessages(e.attributes[sc.GEN_AI_PROMPT], 'user')));
    else if (e.name === sc.EVENT_GEN_AI_CONTENT_COMPLETION) setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(parseMessages(e.attributes[sc.GEN_AI_COMPLETION], 'assistant')));
    else events.push(e);
  }

  legacyGenAi(src, a);
  if (isOpenInferenceAttributes(src)) mapOpenInferenceSpan(span, src, a, events);
  else if (sdk) mapAnthropicSdkSpan(src, a);
  else if (openLLMetry) mapOpenLLMetrySpan(span, src, a);
  else if (aiSdk) mapAiSdkOtelSpan(src, a);

  const op = readString(a, sc.GEN_AI_OPERATION_NAME);
  if (op !== undefined && op !== sc.OP_CHAT && CHAT_OPS.has(op)) a[sc.GEN_AI_OPERATION_NAME] = sc.OP_CHAT;
  else if (op === undefined && !startsWithOp(span.name)) {
    const requestType = readString(src, sc.LLM_REQUEST_TYPE);
    if (requestType === 'chat' || requestType === 'completion') a[sc.GEN_AI_OPERATION_NAME] = sc.OP_CHAT;
    else if (a[sc.GEN_AI_TOOL_NAME] !== undefined) a[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL;
    else if (requestType === undefined && (a[sc.GEN_AI_REQUEST_MODEL] !== undefined || a[sc.GEN_AI_OUTPUT_MESSAGES] !== undefined)) {
      a[sc.GEN_AI_OPERATION_NAME] = sc.OP_CHAT;
    }
  }
  return { ...span, attributes: a, events };
}

/**
 * Normalizes every span and, when the trace has no user prompt event, derives one from the
 * earliest chat's last user message. Returns the input array itself when nothing changed.
 */
export function normalizeRecords(input: readonly SpanRecord[]): SpanRecord[] {
  input = mapVercelAi(input); // the Vercel AI SDK's ai.* spans (dialects/vercel-ai.ts); the input itself when none
  const records = hasClaudeCodeRecords(input) ? mapClaudeCode(input) : input;
  let out: SpanRecord[] | undefined;
  let hasPrompt = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const n = normalizeSpan(r);
    if (n !== r) (out ??= records.slice())[i] = n;
    if (!hasPrompt) for (const e of n.events) if (e.name === sc.EVENT_USER_PROMPT) hasPrompt = true;
  }
  const list = dedupeModelCalls(toolArgumentsFromModelCalls(liftAgentModelCalls(out ?? (records as SpanRecord[]))));
  if (list !== (out ?? records)) out = list;
  if (hasPrompt) return list;

  // The earliest agent span's input (what the agent was asked: the AI SDK 7 sets it on its
  // invoke_agent root), else the earliest chat's.
  let first = -1;
  let firstIsAgent = false;
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.attributes[sc.GEN_AI_INPUT_MESSAGES] === undefined) continue;
    const op = readString(r.attributes, sc.GEN_AI_OPERATION_NAME);
    const agent = op === sc.OP_INVOKE_AGENT;
    if (!agent && op !== sc.OP_CHAT && !r.name.startsWith(`${sc.OP_CHAT} `)) continue;
    if (first < 0 || (agent && !firstIsAgent) || (agent === firstIsAgent && r.startTimeMs < list[first]!.startTimeMs)) {
      first = i;
      firstIsAgent = agent;
    }
  }
  if (first < 0) return list;
  const chat = list[first]!;
  const prompt = lastUserText(chat.attributes[sc.GEN_AI_INPUT_MESSAGES]);
  if (prompt === undefined) return list;
  const copy = out ?? records.slice();
  copy[first] = { ...chat, events: [{ name: sc.EVENT_USER_PROMPT, timeMs: chat.startTimeMs, attributes: { [sc.AMS_PROMPT]: prompt } }, ...chat.events] };
  return copy;
}

// ---- deprecated gen_ai.* -------------------------------------------------------------------

function isIndexedKey(key: string): boolean {
  return (
    (key.startsWith(sc.GEN_AI_PROMPT_PREFIX) || key.startsWith(sc.GEN_AI_COMPLETION_PREFIX) || key.startsWith('llm.input_messages.') || key.startsWith('llm.output_messages.')) &&
    /\.\d+\./.test(key)
  );
}

function startsWithOp(name: string): boolean {
  const first = name.split(' ', 1)[0];
  return first === sc.OP_INVOKE_AGENT || first === sc.OP_CHAT || first === sc.OP_EXECUTE_TOOL;
}

function legacyGenAi(src: Attributes, a: Attributes): void {
  setDefault(a, sc.GEN_AI_PROVIDER_NAME, src[sc.GEN_AI_SYSTEM]);
  setDefault(a, sc.GEN_AI_USAGE_INPUT_TOKENS, src[sc.GEN_AI_USAGE_PROMPT_TOKENS]);
  setDefault(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS, src[sc.GEN_AI_USAGE_COMPLETION_TOKENS]);
  setDefault(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, src[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY]);
  setDefault(a, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, src[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY]);

  const prompts = indexed(src, sc.GEN_AI_PROMPT_PREFIX);
  if (prompts.length) setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(prompts.map((m) => flatMessage(m, 'user', ''))));
  else if (src[sc.GEN_AI_PROMPT] !== undefined) setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(parseMessages(src[sc.GEN_AI_PROMPT], 'user')));

  const completions = indexed(src, sc.GEN_AI_COMPLETION_PREFIX);
  if (completions.length) {
    const msgs = completions.map((m) => flatMessage(m, 'assistant', ''));
    setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(msgs));
    const reasons = msgs.map((m) => m.finish_reason).filter((r): r is string => !!r);
    if (reasons.length) setDefault(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, reasons);
  } else if (src[sc.GEN_AI_COMPLETION] !== undefined) {
    setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(parseMessages(src[sc.GEN_AI_COMPLETION], 'assistant')));
  }
}
