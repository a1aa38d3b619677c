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
 * | openinference.span.kind LLM                   | chat: llm.model_name, llm.provider, llm.token_count.*, llm.input/output_messages.*, input/output.value |
 * | openinference.span.kind TOOL                  | execute_tool: tool.name, tool_call.id, input.value -> arguments, output.value -> result |
 * | openinference.span.kind AGENT (or a root CHAIN)| invoke_agent: agent.name or the span name; input.value -> the prompt |
 * | openinference.span.kind RETRIEVER             | step with ams.step.kind = retrieval            |
 * | session.id / user.id / tag.tags / metadata    | gen_ai.conversation.id / ams.metadata.user_id / ams.tags / ams.metadata.* |
 * | traceloop.span.kind tool (OpenLLMetry)        | execute_tool: traceloop.entity.name, .input -> arguments, .output -> result |
 * | traceloop.span.kind agent (or a root workflow)| invoke_agent: traceloop.entity.name            |
 *
 * A trace with no `ams.user_prompt` event gets one from the earliest chat's last user message,
 * so sessions from any instrumentation show what was asked.
 *
 * Producers with a dialect of their own are mapped first, one file each in ./dialects/:
 * Claude Code's `claude_code.*` spans and log events (dialects/claude-code.ts); the Vercel AI
 * SDK's `ai.*` spans (dialects/vercel-ai.ts).
 */
import { isGenAiLikeLog } from './log-record.js';
import type { AttributeValue, Attributes, SpanEventRecord, SpanRecord } from './record.js';
import { hasClaudeCodeRecords, mapClaudeCode } from './dialects/claude-code.js';
import { mapVercelAi } from './dialects/vercel-ai.js';
import { readNumber, readString } from './read.js';
import * as sc from './semconv.js';

/** A GenAI message part (`gen_ai.input/output.messages` parts), as the dialects build them. */
export interface Part {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
}
interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

const CHAT_OPS = new Set(['chat', 'text_completion', 'generate_content', 'completion']);

/** OpenInference marks its spans with a kind (set at span start) or an LLM model name. */
export function isOpenInferenceAttributes(attrs: Attributes): boolean {
  return attrs[sc.OI_SPAN_KIND] !== undefined || attrs[sc.OI_LLM_MODEL_NAME] !== undefined;
}

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
  if (!needsNormalizing(span)) return span;
  const src = span.attributes;
  const a: Attributes = {};
  // Copy everything but the flattened indexed forms, which are folded into messages below.
  for (const key in src) {
    if (isIndexedKey(key)) continue;
    a[key] = src[key];
  }
  const events: SpanEventRecord[] = [];
  for (const e of span.events) {
    if (e.name === sc.EVENT_GEN_AI_CONTENT_PROMPT) setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(parseMessages(e.attributes[sc.GEN_AI_PROMPT], 'user')));
    else if (e.name === sc.EVENT_GEN_AI_CONTENT_COMPLETION) setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(parseMessages(e.attributes[sc.GEN_AI_COMPLETION], 'assistant')));
    else events.push(e);
  }

  legacyGenAi(src, a);
  const oiKind = readString(src, sc.OI_SPAN_KIND)?.toUpperCase();
  if (oiKind !== undefined || src[sc.OI_LLM_MODEL_NAME] !== undefined) openInference(span, src, a, events, oiKind ?? 'LLM');
  else if (src[sc.GEN_AI_OPERATION_NAME] === undefined && src[sc.TRACELOOP_SPAN_KIND] !== undefined) traceloop(span, src, a);

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
  const list = out ?? (records as SpanRecord[]);
  if (hasPrompt) return list;

  let first = -1;
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.attributes[sc.GEN_AI_INPUT_MESSAGES] === undefined) continue;
    if (readString(r.attributes, sc.GEN_AI_OPERATION_NAME) !== sc.OP_CHAT && !r.name.startsWith(`${sc.OP_CHAT} `)) continue;
    if (first < 0 || r.startTimeMs < list[first]!.startTimeMs) first = i;
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

function setDefault(a: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined && a[key] === undefined) a[key] = value;
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

/** `prefix.N.rest` keys grouped by N, in N order: [{ rest: value }]. */
function indexed(src: Attributes, prefix: string): Array<Record<string, AttributeValue | undefined>> {
  const groups = new Map<number, Record<string, AttributeValue | undefined>>();
  for (const key in src) {
    if (!key.startsWith(prefix)) continue;
    const m = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (!m) continue;
    const n = Number(m[1]);
    let g = groups.get(n);
    if (!g) groups.set(n, (g = {}));
    g[m[2]!] = src[key];
  }
  return [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
}

/**
 * One message from flattened keys. `inner` is the OpenInference nesting ("message."), empty for
 * the deprecated gen_ai form. Tool calls: `tool_calls.M.{id,name,arguments}` (gen_ai) or
 * `message.tool_calls.M.tool_call.{id,function.name,function.arguments}` (OpenInference).
 */
function flatMessage(g: Record<string, AttributeValue | undefined>, defaultRole: string, inner: string): Message {
  const s = (k: string) => {
    const v = g[inner + k];
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  };
  const parts: Part[] = [];
  const content = s('content');
  if (content !== undefined && content !== '') parts.push({ type: 'text', content });
  // OpenInference multi-part contents: message.contents.J.message_content.text
  const texts = Object.keys(g)
    .map((k) => /^(?:message\.)?contents\.(\d+)\.message_content\.text$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((x, y) => Number(x[1]) - Number(y[1]));
  for (const m of texts) {
    const v = g[m[0]];
    if (typeof v === 'string' && v !== '') parts.push({ type: 'text', content: v });
  }
  const calls = new Map<number, Part>();
  for (const key of Object.keys(g)) {
    const m = /^(?:message\.)?tool_calls\.(\d+)\.(?:tool_call\.)?(id|name|arguments|function\.name|function\.arguments)$/.exec(key);
    if (!m) continue;
    const n = Number(m[1]);
    let call = calls.get(n);
    if (!call) calls.set(n, (call = { type: 'tool_call' }));
    const v = g[key];
    const field = m[2]!.replace('function.', '');
    if (field === 'arguments') call.arguments = parseJson(v);
    else if (typeof v === 'string') (call as unknown as Record<string, string>)[field] = v;
  }
  for (const [, call] of [...calls.entries()].sort((x, y) => x[0] - y[0])) parts.push({ ...call, name: call.name ?? 'unknown' });
  const msg: Message = { role: s('role') ?? defaultRole, parts };
  const finish = s('finish_reason');
  if (finish) msg.finish_reason = finish;
  return msg;
}

function parseJson(v: AttributeValue | undefined): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** A prompt/completion value: JSON messages ([{role, content}] or the parts form) or plain text. */
function parseMessages(v: AttributeValue | undefined, defaultRole: string): Message[] {
  if (v === undefined) return [];
  const parsed = parseJson(v);
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' ? [parsed] : undefined;
  if (!list) return typeof v === 'string' && v !== '' ? [{ role: defaultRole, parts: [{ type: 'text', content: v }] }] : [];
  const out: Message[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      out.push({ role: defaultRole, parts: [{ type: 'text', content: item }] });
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    const m = item as { role?: unknown; content?: unknown; parts?: unknown; text?: unknown; finish_reason?: unknown };
    const role = typeof m.role === 'string' ? m.role : defaultRole;
    if (Array.isArray(m.parts)) {
      out.push({ role, parts: m.parts as Part[] });
      continue;
    }
    const parts: Part[] = [];
    if (typeof m.content === 'string') parts.push({ type: 'text', content: m.content });
    else if (Array.isArray(m.content)) {
      for (const c of m.content as Array<{ type?: unknown; text?: unknown }>) {
        if (c && typeof c === 'object' && typeof c.text === 'string') parts.push({ type: 'text', content: c.text });
        else if (typeof c === 'string') parts.push({ type: 'text', content: c });
      }
    } else if (typeof m.text === 'string') parts.push({ type: 'text', content: m.text });
    const msg: Message = { role, parts };
    if (typeof m.finish_reason === 'string') msg.finish_reason = m.finish_reason;
    out.push(msg);
  }
  return out;
}

function messagesJson(msgs: Message[]): string | undefined {
  return msgs.length ? JSON.stringify(msgs) : undefined;
}

function lastUserText(v: AttributeValue | undefined): string | undefined {
  const msgs = parseMessages(v, 'user');
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!;
    if (m.role !== 'user') continue;
    const text = m.parts
      .filter((p) => p && p.type === 'text' && typeof p.content === 'string')
      .map((p) => p.content)
      .join('\n');
    if (text) return text;
  }
  return undefined;
}

// ---- OpenInference -------------------------------------------------------------------------

function openInference(span: SpanRecord, src: Attributes, a: Attributes, events: SpanEventRecord[], kind: string): void {
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
  const isRoot = !span.parentSpanId || span.parentIsRemote === true;

  if (kind === 'LLM') {
    setDefault(a, sc.GEN_AI_OPERATION_NAME, sc.OP_CHAT);
    setDefault(a, sc.GEN_AI_REQUEST_MODEL, src[sc.OI_LLM_MODEL_NAME]);
    setDefault(a, sc.GEN_AI_PROVIDER_NAME, src[sc.OI_LLM_PROVIDER] ?? src[sc.OI_LLM_SYSTEM]);
    setDefault(a, sc.GEN_AI_USAGE_INPUT_TOKENS, readNumber(src, sc.OI_TOKEN_PROMPT));
    setDefault(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS, readNumber(src, sc.OI_TOKEN_COMPLETION));
    setDefault(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, readNumber(src, sc.OI_TOKEN_CACHE_READ));
    setDefault(a, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, readNumber(src, sc.OI_TOKEN_CACHE_WRITE));
    const inMsgs = indexed(src, `${sc.OI_LLM_INPUT_MESSAGES}.`).map((g) => flatMessage(g, 'user', 'message.'));
    const outMsgs = indexed(src, `${sc.OI_LLM_OUTPUT_MESSAGES}.`).map((g) => flatMessage(g, 'assistant', 'message.'));
    setDefault(a, sc.GEN_AI_INPUT_MESSAGES, messagesJson(inMsgs.length ? inMsgs : input !== undefined ? parseMessages(input, 'user') : []));
    setDefault(a, sc.GEN_AI_OUTPUT_MESSAGES, messagesJson(outMsgs.length ? outMsgs : output !== undefined ? [{ role: 'assistant', parts: [{ type: 'text', content: output }] }] : []));
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
    setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, output);
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
  } else if (kind === 'RETRIEVER') {
    setDefault(a, sc.AMS_STEP_KIND, 'retrieval');
  }
}

function traceloop(span: SpanRecord, src: Attributes, a: Attributes): void {
  const kind = readString(src, sc.TRACELOOP_SPAN_KIND);
  const name = src[sc.TRACELOOP_ENTITY_NAME] ?? span.name;
  const isRoot = !span.parentSpanId || span.parentIsRemote === true;
  if (kind === 'tool') {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL;
    setDefault(a, sc.GEN_AI_TOOL_NAME, name);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ARGUMENTS, src[sc.TRACELOOP_ENTITY_INPUT]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, src[sc.TRACELOOP_ENTITY_OUTPUT]);
  } else if (kind === 'agent' || (kind === 'workflow' && isRoot)) {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT;
    setDefault(a, sc.GEN_AI_AGENT_NAME, name);
  }
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
