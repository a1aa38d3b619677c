/**
 * Claude Code's own telemetry (the `claude` CLI with CLAUDE_CODE_ENABLE_TELEMETRY=1; what it
 * sends is recorded in docs/claude-code-telemetry.md) rewritten into the `gen_ai.*` + `ams.*`
 * records the assembler reads. Runs first in normalizeRecords on a trace that holds any Claude
 * Code record; other producers' records in the same trace pass through untouched.
 *
 * Most of the content arrives as log records (src/spans/log-record.ts), which point at the
 * interaction or tool-execution span, not at the model call they describe: they are joined by
 * key (`request_id`, `tool_use_id`, `agent_id`), folded into the spans, and never reach the
 * assembler as records of their own. With spans off (no CLAUDE_CODE_ENHANCED_TELEMETRY_BETA) the
 * same logs build the spans: one interaction per trace (session.id + prompt.id), one model call
 * per `api_request`, one tool call per `tool_use_id`.
 *
 * | Claude Code                                   | becomes                                                      |
 * |-----------------------------------------------|--------------------------------------------------------------|
 * | `claude_code.interaction` (spans off: one made per trace, under the caller's span the logs name, if any) | invoke_agent root: agent `claude-code` + `service.version`; `ams.session.id` = `gen_ai.conversation.id` = `session.id`; `ams.metadata.user_id` = `user.id` |
 * | `user_prompt` log `prompt`, else span `user_prompt`; when `<REDACTED>`, the first request body's last user text | the user_prompt event (`<REDACTED>` kept when nothing better exists) |
 * | `system_prompt` log                           | `gen_ai.system_instructions` on the root -> the document's `system_prompt` |
 * | `claude_code.llm_request` (spans off: one per `api_request` log) | chat: `model`, `input_tokens`, `output_tokens`, `cache_read_tokens`, `cache_creation_tokens`, `ttft_ms`, `stop_reason`, `request_id` as response id; error when `success` is false |
 * | `api_request` log (by `request_id`)           | `cost_usd` -> cost, `cost_source` = `claude_code.api_request`; tokens/model/ttft/duration when there is no span |
 * | `api_error` log                               | a failed model call (spans off, or no span with its `request_id`) |
 * | `api_response_body` log `body` (by `request_id`) | text, tool_uses and thinking; a thinking block reading `<REDACTED>` (the CLI always sends that) -> `thinking_redacted: true`, no thinking text |
 * | `assistant_response` log `response`           | the text when there is no response body (`<REDACTED>` dropped); tool_uses then from the tool logs naming the `request_id` |
 * | `api_request_body` log `body` (cut at 60 KB: complete leading messages only) | a tool result nothing else has (a failed call's output), the CLI's `<system-reminder>` tail removed; `system` when whole |
 * | `claude_code.tool` (spans off: one per `tool_use_id` of `tool_result`/`tool_decision`) | execute_tool: `tool_name`, `tool_use_id`; `mcp__<server>__<tool>` -> `mcp_server` |
 * | tool input                                    | `tool_result.tool_input`, else the response body's tool_use input, else `tool_parameters`, else `{command: full_command}` |
 * | tool output                                   | the `tool.output` span event `output`, else the next request body's tool_result |
 * | `claude_code.tool.execution` status/`success`/`error`, else `tool_result` `success`/`error` | the tool call's status and error (the tool span stays UNSET when the run failed) |
 * | `claude_code.tool.blocked_on_user` `decision`/`source`/`duration_ms`, else `tool_decision` | `permission_decision`, `permission_source`, `blocked_ms` |
 * | Agent/Task tool's `claude_code.tool.execution` (spans off: made from the records with its `agent_id`, under the Agent call whose run covers them) | subagent under that call: why = input `prompt`, `description`, type = `subagent_type` / `subagent_completed.agent_type`, `agent_id`; `claude_code.subagent.spawn` folded into it |
 * | `managed_settings_resolved`, `plugin_loaded`  | notifications on the root (kind `claude_code.<event>`) |
 * | `claude_code.hook` span, else `hook_execution_complete` (+ `_start`) logs | step `claude_code.hook` |
 * | other spans (`claude_code.mcp.rpc`, `.bash.subprocess`, `.compaction`, ...) and log events | steps where they happened (a log: zero-length, named `claude_code.<event>`, identity attributes left off) |
 *
 * Unknown stays unknown: no `api_request` -> no cost (never 0); redacted content is not shown as content.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, Attributes, SpanEventRecord, SpanRecord } from '../record.js';
import { isLogRecord, logEventName, LOG_BODY, LOG_EVENT_NAME, LOG_SEVERITY_NUMBER, LOG_SEVERITY_TEXT, LOG_SYNTHETIC_TRACE } from '../log-record.js';
import { readBoolean, readNumber, readString } from '../read.js';
import * as sc from '../semconv.js';
import type { Part } from '../messages.js';

// ---- Claude Code's names (docs/claude-code-telemetry.md) ------------------------------------
const SCOPE_PREFIX = 'com.anthropic.claude_code';
const SPAN_PREFIX = 'claude_code.';
const SPAN_INTERACTION = 'claude_code.interaction';
const SPAN_LLM_REQUEST = 'claude_code.llm_request';
const SPAN_TOOL = 'claude_code.tool';
const SPAN_BLOCKED = 'claude_code.tool.blocked_on_user';
const SPAN_EXECUTION = 'claude_code.tool.execution';
const SPAN_HOOK = 'claude_code.hook';
const SPAN_SUBAGENT_SPAWN = 'claude_code.subagent.spawn';
const EVENT_TOOL_OUTPUT = 'tool.output';

const LOG_USER_PROMPT = 'user_prompt';
const LOG_API_REQUEST = 'api_request';
const LOG_API_ERROR = 'api_error';
const LOG_ASSISTANT_RESPONSE = 'assistant_response';
const LOG_REQUEST_BODY = 'api_request_body';
const LOG_RESPONSE_BODY = 'api_response_body';
const LOG_TOOL_DECISION = 'tool_decision';
const LOG_TOOL_RESULT = 'tool_result';
const LOG_SUBAGENT_COMPLETED = 'subagent_completed';
const LOG_SYSTEM_PROMPT = 'system_prompt';
const LOG_HOOK_START = 'hook_execution_start';
const LOG_HOOK_COMPLETE = 'hook_execution_complete';
const STARTUP_EVENTS = new Set(['managed_settings_resolved', 'plugin_loaded']);

const A_SESSION_ID = 'session.id';
const A_USER_ID = 'user.id';
const A_SERVICE_VERSION = 'service.version';
const A_USER_PROMPT = 'user_prompt';
const A_PROMPT = 'prompt';
const A_PROMPT_TEXT = 'prompt_text';
const A_MODEL = 'model';
const A_REQUEST_ID = 'request_id';
const A_REQUEST_BODY_ID = 'request_body_id';
const A_INPUT_TOKENS = 'input_tokens';
const A_OUTPUT_TOKENS = 'output_tokens';
const A_CACHE_READ_TOKENS = 'cache_read_tokens';
const A_CACHE_CREATION_TOKENS = 'cache_creation_tokens';
const A_COST_USD = 'cost_usd';
const A_DURATION_MS = 'duration_ms';
const A_TTFT_MS = 'ttft_ms';
const A_STOP_REASON = 'stop_reason';
const A_SUCCESS = 'success';
const A_ERROR = 'error';
const A_ERROR_TYPE = 'error_type';
const A_RESPONSE = 'response';
const A_BODY = 'body';
const A_TOOL_NAME = 'tool_name';
const A_TOOL_USE_ID = 'tool_use_id';
const A_TOOL_INPUT = 'tool_input';
const A_TOOL_PARAMETERS = 'tool_parameters';
const A_FULL_COMMAND = 'full_command';
const A_DECISION = 'decision';
const A_SOURCE = 'source';
const A_AGENT_ID = 'agent_id';
const A_AGENT_TYPE = 'agent_type';
const A_SUBAGENT_TYPE = 'subagent_type';
const A_OUTPUT = 'output';
const A_PLUGIN_NAME = 'plugin.name';
const A_SYSTEM_PROMPT = 'system_prompt';
const A_HOOK_EVENT = 'hook_event';
const A_HOOK_NAME = 'hook_name';
const A_HOOK_DURATION_MS = 'total_duration_ms';
/** Attributes every Claude Code record carries: identity, not content (left off steps). */
const COMMON_ATTRS = new Set([
  A_SESSION_ID,
  A_USER_ID,
  'anthropic.provider',
  'anthropic.custom_base_url',
  'terminal.type',
  'event.name',
  'event.timestamp',
  'event.sequence',
  LOG_EVENT_NAME,
  LOG_BODY,
  LOG_SEVERITY_TEXT,
  LOG_SEVERITY_NUMBER,
  LOG_SYNTHETIC_TRACE,
]);
/** What the CLI writes in place of withheld content. */
const REDACTED = '<REDACTED>';
/** Agent-launching tools (Agent; Task in older CLIs). */
const AGENT_TOOLS = new Set(['Agent', 'Task']);
const COST_SOURCE = 'claude_code.api_request';
const AGENT_NAME = 'claude-code';

// ---- detection ------------------------------------------------------------------------------

/** A record from the Claude Code CLI (a span, or a log record carried as one). */
export function isClaudeCodeRecord(r: SpanRecord): boolean {
  if (r.name.startsWith(SPAN_PREFIX)) return true;
  if (r.scope !== undefined && r.scope.name.startsWith(SCOPE_PREFIX)) return true;
  // Not service.name alone: gen_ai-shaped spans from a service that happens to be named
  // `claude-code` (or a test double of one) are not this dialect and must pass through untouched.
  const body = r.attributes[LOG_BODY];
  return typeof body === 'string' && body.startsWith(SPAN_PREFIX) && isLogRecord(r);
}

/** Cheap: true when any record of the trace is Claude Code's. */
export function hasClaudeCodeRecords(records: readonly SpanRecord[]): boolean {
  for (const r of records) if (isClaudeCodeRecord(r)) return true;
  return false;
}

// ---- small helpers --------------------------------------------------------------------------

const derivedId = (...parts: string[]): string => createHash('sha256').update(['ams-claude-code', ...parts].join('\u0000')).digest('hex').slice(0, 16);

function byTime(a: SpanRecord, b: SpanRecord): number {
  if (a.startTimeMs !== b.startTimeMs) return a.startTimeMs - b.startTimeMs;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Content that is there and not the CLI's placeholder. */
function content(v: string | undefined): string | undefined {
  return v === undefined || v === REDACTED ? undefined : v;
}

function setIfAbsent(a: Attributes, key: string, v: AttributeValue | undefined): void {
  if (v !== undefined && a[key] === undefined) a[key] = v;
}

/** First record per key (records sorted by time first, so the choice is deterministic). */
function indexBy(logs: SpanRecord[], key: string): Map<string, SpanRecord> {
  const out = new Map<string, SpanRecord>();
  for (const l of logs) {
    const k = readString(l.attributes, key);
    if (k !== undefined && !out.has(k)) out.set(k, l);
  }
  return out;
}

/**
 * The complete leading elements of the `messages` array of a request body that may be cut short
 * (the CLI cuts bodies at 60 KB, messages first), plus `system` when the body is whole.
 */
export function readRequestBody(body: string): { messages: unknown[]; system?: unknown } {
  const whole = parseJson(body);
  if (isObject(whole)) return { messages: Array.isArray(whole.messages) ? whole.messages : [], system: whole.system };
  const start = body.indexOf('"messages":[');
  if (start < 0) return { messages: [] };
  const messages: unknown[] = [];
  let i = start + '"messages":['.length;
  let depth = 0;
  let inString = false;
  let from = i;
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) from = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) break; // the array's own closing bracket
      depth--;
      if (depth === 0) {
        const el = parseJson(body.slice(from, i + 1));
        if (el === undefined) break;
        messages.push(el);
      }
    }
  }
  return { messages };
}

/** The CLI appends `<system-reminder>` blocks to tool results it sends back: not the tool's output. */
function stripReminders(text: string): string {
  let t = text;
  for (;;) {
    const m = /\s*<system-reminder>[\s\S]*?<\/system-reminder>\s*$/.exec(t);
    if (!m) return t;
    t = t.slice(0, m.index);
  }
}

function blockText(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return undefined;
  const texts = c.filter((b): b is Json => isObject(b) && b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string);
  return texts.length ? texts.join('\n') : undefined;
}

function systemText(system: unknown): string | undefined {
  return blockText(system);
}


/** gen_ai output parts from an Anthropic Message's content blocks. */
function partsOfMessage(msg: Json): { parts: Part[]; thinkingRedacted: boolean } {
  const parts: Part[] = [];
  let thinkingRedacted = false;
  const blocks = Array.isArray(msg.content) ? msg.content : [];
  for (const b of blocks) {
    if (!isObject(b)) continue;
    if (b.type === 'thinking') {
      const t = typeof b.thinking === 'string' ? content(b.thinking) : undefined;
      if (t === undefined || t === '') thinkingRedacted = true;
      else parts.push({ type: 'reasoning', content: t });
    } else if (b.type === 'redacted_thinking') {
      thinkingRedacted = true;
    } else if (b.type === 'text' && typeof b.text === 'string') {
      parts.push({ type: 'text', content: b.text });
    } else if (b.type === 'tool_use') {
      const p: Part = { type: 'tool_call', name: typeof b.name === 'string' ? b.name : 'unknown' };
      if (typeof b.id === 'string') p.id = b.id;
      if (b.input !== undefined) p.arguments = b.input;
      parts.push(p);
    }
  }
  return { parts, thinkingRedacted };
}

// ---- the mapping ----------------------------------------------------------------------------

interface Logs {
  prompts: SpanRecord[];
  apiRequests: Map<string, SpanRecord>;
  /** api_error logs by request_id, or by their own id when they have none. */
  apiErrors: Map<string, SpanRecord>;
  systemPrompt?: string;
  hookStarts: SpanRecord[];
  hookCompletes: SpanRecord[];
  responses: Map<string, SpanRecord>;
  responseBodies: Map<string, SpanRecord>;
  requestBodies: SpanRecord[];
  decisions: Map<string, SpanRecord>;
  results: Map<string, SpanRecord>;
  completed: Map<string, SpanRecord>;
  startup: SpanRecord[];
  other: SpanRecord[];
  /** agent_id -> its records, in time order. */
  byAgent: Map<string, SpanRecord[]>;
  /** tool_use_id -> {result text, is_error}, from the tool_result blocks of request bodies. */
  bodyToolResults: Map<string, string>;
  /** tool_use_id -> input, from the tool_use blocks of response bodies. */
  bodyToolInputs: Map<string, unknown>;
  /** request_id -> the tool_result/tool_decision logs of the calls its reply asked for. */
  toolLogsByRequest: Map<string, SpanRecord[]>;
  /** parent span id -> the log records emitted under it. */
  byParent: Map<string, SpanRecord[]>;
  /** request_id -> system prompt, from whole request bodies. */
  systemByRequest: Map<string, string>;
  /** The prompt as the first main-thread request body has it (for a prompt the CLI redacted). */
  bodyPrompt?: string;
}

function indexLogs(logs: SpanRecord[]): Logs {
  const groups = new Map<string, SpanRecord[]>();
  const startup: SpanRecord[] = [];
  const other: SpanRecord[] = [];
  const byAgent = new Map<string, SpanRecord[]>();
  const byParent = new Map<string, SpanRecord[]>();
  const toolLogsByRequest = new Map<string, SpanRecord[]>();
  const push = (map: Map<string, SpanRecord[]>, key: string | undefined, l: SpanRecord) => {
    if (key === undefined) return;
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(l);
  };
  const known = new Set([
    LOG_USER_PROMPT,
    LOG_API_REQUEST,
    LOG_API_ERROR,
    LOG_ASSISTANT_RESPONSE,
    LOG_REQUEST_BODY,
    LOG_RESPONSE_BODY,
    LOG_TOOL_DECISION,
    LOG_TOOL_RESULT,
    LOG_SUBAGENT_COMPLETED,
    LOG_SYSTEM_PROMPT,
    LOG_HOOK_START,
    LOG_HOOK_COMPLETE,
  ]);
  for (const l of logs) {
    const name = logEventName(l) ?? '';
    push(byAgent, readString(l.attributes, A_AGENT_ID), l);
    push(byParent, l.parentSpanId, l);
    if (name === LOG_TOOL_RESULT || name === LOG_TOOL_DECISION) push(toolLogsByRequest, readString(l.attributes, A_REQUEST_ID), l);
    if (known.has(name)) {
      let list = groups.get(name);
      if (!list) groups.set(name, (list = []));
      list.push(l);
    } else if (STARTUP_EVENTS.has(name)) startup.push(l);
    else other.push(l);
  }
  const g = (name: string) => groups.get(name) ?? [];
  const responseBodies = indexBy(g(LOG_RESPONSE_BODY), A_REQUEST_ID);
  const requestBodies = g(LOG_REQUEST_BODY);

  const bodyToolInputs = new Map<string, unknown>();
  for (const l of responseBodies.values()) {
    const msg = parseJson(readString(l.attributes, A_BODY));
    if (!isObject(msg) || !Array.isArray(msg.content)) continue;
    for (const b of msg.content) if (isObject(b) && b.type === 'tool_use' && typeof b.id === 'string' && !bodyToolInputs.has(b.id)) bodyToolInputs.set(b.id, b.input);
  }
  const bodyToolResults = new Map<string, string>();
  const systemByRequest = new Map<string, string>();
  const requestIdByBodyId = new Map<string, string>();
  for (const [rid, l] of responseBodies) {
    const bid = readString(l.attributes, A_REQUEST_BODY_ID);
    if (bid !== undefined) requestIdByBodyId.set(bid, rid);
  }
  let bodyPrompt: string | undefined;
  for (const l of requestBodies) {
    const body = readString(l.attributes, A_BODY);
    if (body === undefined) continue;
    const { messages, system } = readRequestBody(body);
    if (bodyPrompt === undefined && readString(l.attributes, A_AGENT_ID) === undefined) bodyPrompt = lastUserText(messages);
    const sys = systemText(system);
    const rid = requestIdByBodyId.get(readString(l.attributes, A_REQUEST_BODY_ID) ?? '');
    if (sys !== undefined && rid !== undefined) systemByRequest.set(rid, sys);
    for (const m of messages) {
      if (!isObject(m) || m.role !== 'user' || !Array.isArray(m.content)) continue;
      for (const b of m.content) {
        if (!isObject(b) || b.type !== 'tool_result' || typeof b.tool_use_id !== 'string' || bodyToolResults.has(b.tool_use_id)) continue;
        const text = blockText(b.content);
        if (text !== undefined) bodyToolResults.set(b.tool_use_id, stripReminders(text));
      }
    }
  }
  return {
    prompts: g(LOG_USER_PROMPT),
    apiRequests: indexBy(g(LOG_API_REQUEST), A_REQUEST_ID),
    apiErrors: new Map(g(LOG_API_ERROR).map((l) => [readString(l.attributes, A_REQUEST_ID) ?? `log:${l.spanId}`, l])),
    systemPrompt: g(LOG_SYSTEM_PROMPT)
      .map((l) => content(readString(l.attributes, A_SYSTEM_PROMPT)))
      .find((x) => x !== undefined),
    hookStarts: g(LOG_HOOK_START),
    hookCompletes: g(LOG_HOOK_COMPLETE),
    responses: indexBy(g(LOG_ASSISTANT_RESPONSE), A_REQUEST_ID),
    responseBodies,
    requestBodies,
    decisions: indexBy(g(LOG_TOOL_DECISION), A_TOOL_USE_ID),
    results: indexBy(g(LOG_TOOL_RESULT), A_TOOL_USE_ID),
    completed: indexBy(g(LOG_SUBAGENT_COMPLETED), A_AGENT_ID),
    startup,
    other,
    byAgent,
    byParent,
    toolLogsByRequest,
    bodyToolResults,
    bodyToolInputs,
    systemByRequest,
    bodyPrompt,
  };
}

/** The user's text in the last user message: its text blocks minus the CLI's `<system-reminder>`s. */
function lastUserText(messages: unknown[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m) || m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (!Array.isArray(m.content)) return undefined;
    const texts = m.content
      .filter((b): b is Json => isObject(b) && b.type === 'text' && typeof b.text === 'string' && !(b.text as string).startsWith('<system-reminder>'))
      .map((b) => b.text as string);
    return texts.length ? texts.join('\n') : undefined;
  }
  return undefined;
}

/** The prompt of a user_prompt log or interaction span; a redacted one from the request body when it has it. */
function promptOf(log: SpanRecord | undefined, span: SpanRecord | undefined, logs: Logs, oneInteraction: boolean): string | undefined {
  const sent = (log && (readString(log.attributes, A_PROMPT) ?? readString(log.attributes, A_PROMPT_TEXT))) ?? (span && readString(span.attributes, A_USER_PROMPT));
  // (the body prompt is the trace's first: only meaningful when the trace holds one interaction)
  return (sent === REDACTED || sent === undefined) && oneInteraction ? (logs.bodyPrompt ?? sent) : sent;
}

function rootAttributes(src: Attributes, resource: Attributes, logs: Logs): Attributes {
  const a: Attributes = { ...src };
  // (the GenAI parts form, as the project's own emitter writes it)
  if (logs.systemPrompt !== undefined) setIfAbsent(a, sc.GEN_AI_SYSTEM_INSTRUCTIONS, JSON.stringify([{ type: 'text', content: logs.systemPrompt }]));
  a[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT;
  setIfAbsent(a, sc.GEN_AI_AGENT_NAME, AGENT_NAME);
  setIfAbsent(a, sc.GEN_AI_AGENT_VERSION, readString(resource, A_SERVICE_VERSION));
  const session = readString(src, A_SESSION_ID) ?? readString(resource, A_SESSION_ID);
  setIfAbsent(a, sc.AMS_SESSION_ID, session);
  setIfAbsent(a, sc.GEN_AI_CONVERSATION_ID, session);
  const user = readString(src, A_USER_ID);
  if (user !== undefined) setIfAbsent(a, `${sc.AMS_METADATA_PREFIX}user_id`, user);
  return a;
}

function promptEvent(prompt: string, timeMs: number): SpanEventRecord {
  return { name: sc.EVENT_USER_PROMPT, timeMs, attributes: { [sc.AMS_PROMPT]: prompt } };
}

function startupNotice(l: SpanRecord): SpanEventRecord {
  const name = logEventName(l) ?? 'log';
  const a = l.attributes;
  let message: string = name.replace(/_/g, ' ');
  const plugin = readString(a, A_PLUGIN_NAME);
  if (plugin !== undefined) message = `${message}: ${plugin}`;
  const trigger = readString(a, 'managed_settings.trigger');
  if (trigger !== undefined) message = `${message} (${trigger})`;
  return { name: sc.EVENT_NOTIFICATION, timeMs: l.startTimeMs, attributes: { [sc.AMS_NOTIFICATION_KIND]: `${SPAN_PREFIX}${name}`, [sc.AMS_MESSAGE]: message } };
}

/** A log event nothing else reads: a zero-length step, so it stays visible. */
function logStep(l: SpanRecord, parentSpanId: string): SpanRecord {
  const attributes: Attributes = {};
  for (const key in l.attributes) if (!COMMON_ATTRS.has(key) && key !== 'prompt.id') attributes[key] = l.attributes[key];
  return { ...l, parentSpanId, name: `${SPAN_PREFIX}${logEventName(l) ?? 'log'}`, attributes, events: [] };
}

/** Chat attributes for one model call, from its span (if any) and its logs. */
function chatAttributes(base: Attributes, rid: string | undefined, logs: Logs, requestLog?: SpanRecord): { attributes: Attributes; error?: string } {
  const a: Attributes = { ...base };
  const req = requestLog ?? (rid !== undefined ? (logs.apiRequests.get(rid) ?? logs.apiErrors.get(rid)) : undefined);
  const ra = req?.attributes ?? {};
  a[sc.GEN_AI_OPERATION_NAME] = sc.OP_CHAT;
  setIfAbsent(a, sc.GEN_AI_PROVIDER_NAME, 'anthropic');
  setIfAbsent(a, sc.GEN_AI_REQUEST_MODEL, readString(base, A_MODEL) ?? readString(ra, A_MODEL));
  if (rid !== undefined) setIfAbsent(a, sc.GEN_AI_RESPONSE_ID, rid);
  const tokens: Array<[string, string]> = [
    [sc.GEN_AI_USAGE_INPUT_TOKENS, A_INPUT_TOKENS],
    [sc.GEN_AI_USAGE_OUTPUT_TOKENS, A_OUTPUT_TOKENS],
    [sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, A_CACHE_READ_TOKENS],
    [sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, A_CACHE_CREATION_TOKENS],
  ];
  for (const [to, from] of tokens) setIfAbsent(a, to, readNumber(base, from) ?? readNumber(ra, from));
  const cost = readNumber(ra, A_COST_USD);
  if (cost !== undefined && cost >= 0) {
    a[sc.AMS_COST_USD] = cost;
    a[sc.AMS_COST_SOURCE] = COST_SOURCE;
  }
  setIfAbsent(a, sc.AMS_LLM_TTFT_MS, readNumber(base, A_TTFT_MS) ?? readNumber(ra, A_TTFT_MS));

  const bodyLog = rid !== undefined ? logs.responseBodies.get(rid) : undefined;
  const msg = parseJson(bodyLog && readString(bodyLog.attributes, A_BODY));
  let parts: Part[] = [];
  if (isObject(msg)) {
    const read = partsOfMessage(msg);
    parts = read.parts;
    if (read.thinkingRedacted) a[sc.AMS_LLM_THINKING_REDACTED] = true;
    if (typeof msg.stop_reason === 'string') setIfAbsent(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, [msg.stop_reason]);
    if (typeof msg.model === 'string') setIfAbsent(a, sc.GEN_AI_RESPONSE_MODEL, msg.model);
  } else {
    const response = rid !== undefined ? logs.responses.get(rid) : undefined;
    const text = content(response && readString(response.attributes, A_RESPONSE));
    if (text !== undefined && text !== '') parts.push({ type: 'text', content: text });
    // The tools this reply asked for, from the tool logs that name its request.
    if (rid !== undefined) {
      const calls = logs.toolLogsByRequest.get(rid) ?? [];
      const seen = new Set<string>();
      for (const l of calls) {
        const id = readString(l.attributes, A_TOOL_USE_ID);
        if (id === undefined || seen.has(id)) continue;
        seen.add(id);
        const p: Part = { type: 'tool_call', id, name: readString(l.attributes, A_TOOL_NAME) ?? 'unknown' };
        const input = toolInput(id, logs, {});
        if (input !== undefined) p.arguments = parseJson(input) ?? input;
        parts.push(p);
      }
    }
  }
  const stop = readString(base, A_STOP_REASON);
  if (stop !== undefined) setIfAbsent(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, [stop]);
  if (parts.length) a[sc.GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([{ role: 'assistant', parts }]);
  const system = rid !== undefined ? logs.systemByRequest.get(rid) : undefined;
  if (system !== undefined) setIfAbsent(a, sc.GEN_AI_SYSTEM_INSTRUCTIONS, JSON.stringify([{ type: 'text', content: system }]));

  let error: string | undefined;
  if (readBoolean(base, A_SUCCESS) === false) error = readString(base, A_ERROR) ?? 'error';
  else if (req !== undefined && logEventName(req) === LOG_API_ERROR) error = readString(ra, A_ERROR) ?? 'error';
  return error !== undefined ? { attributes: a, error } : { attributes: a };
}

/** The tool's input as JSON text: tool_result.tool_input, the model's tool_use input, tool_parameters, full_command. */
function toolInput(id: string | undefined, logs: Logs, spanAttrs: Attributes): string | undefined {
  const result = id !== undefined ? logs.results.get(id) : undefined;
  const decision = id !== undefined ? logs.decisions.get(id) : undefined;
  const fromResult = result && readString(result.attributes, A_TOOL_INPUT);
  if (fromResult !== undefined) return fromResult;
  if (id !== undefined && logs.bodyToolInputs.has(id)) return JSON.stringify(logs.bodyToolInputs.get(id));
  const params = (result && readString(result.attributes, A_TOOL_PARAMETERS)) ?? (decision && readString(decision.attributes, A_TOOL_PARAMETERS));
  if (params !== undefined) return params;
  const command = readString(spanAttrs, A_FULL_COMMAND);
  return command !== undefined ? JSON.stringify({ command }) : undefined;
}

interface ToolFacts {
  attributes: Attributes;
  error?: string;
}

/** Tool call attributes from the tool span (if any), its blocked_on_user and execution children, and its logs. */
function toolAttributes(base: Attributes, id: string | undefined, logs: Logs, tool?: SpanRecord, blocked?: SpanRecord, execution?: SpanRecord): ToolFacts {
  const a: Attributes = { ...base };
  const result = id !== undefined ? logs.results.get(id) : undefined;
  const decision = id !== undefined ? logs.decisions.get(id) : undefined;
  a[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL;
  setIfAbsent(a, sc.GEN_AI_TOOL_NAME, readString(base, A_TOOL_NAME) ?? (result && readString(result.attributes, A_TOOL_NAME)) ?? (decision && readString(decision.attributes, A_TOOL_NAME)));
  if (id !== undefined) setIfAbsent(a, sc.GEN_AI_TOOL_CALL_ID, id);
  // MCP tools are named mcp__<server>__<tool> (as the Agent SDK instrumentation reads them).
  const toolName = readString(a, sc.GEN_AI_TOOL_NAME);
  if (toolName?.startsWith('mcp__')) setIfAbsent(a, sc.AMS_TOOL_MCP_SERVER, toolName.split('__')[1] || undefined);
  setIfAbsent(a, sc.GEN_AI_TOOL_CALL_ARGUMENTS, toolInput(id, logs, base));
  const outputEvent = tool?.events.find((e) => e.name === EVENT_TOOL_OUTPUT);
  const output = (outputEvent && readString(outputEvent.attributes, A_OUTPUT)) ?? (id !== undefined ? logs.bodyToolResults.get(id) : undefined);
  setIfAbsent(a, sc.GEN_AI_TOOL_CALL_RESULT, output);

  const decidedBy = blocked ?? decision;
  if (decidedBy !== undefined) {
    setIfAbsent(a, sc.AMS_TOOL_PERMISSION_DECISION, readString(decidedBy.attributes, A_DECISION));
    setIfAbsent(a, sc.AMS_TOOL_PERMISSION_SOURCE, readString(decidedBy.attributes, A_SOURCE));
  }
  if (blocked !== undefined) setIfAbsent(a, sc.AMS_TOOL_BLOCKED_MS, readNumber(blocked.attributes, A_DURATION_MS) ?? Math.round(blocked.endTimeMs - blocked.startTimeMs));

  // The tool span says UNSET even when the run failed: the execution span (or the result log) knows.
  let error: string | undefined;
  if (execution !== undefined && (execution.status.code === 'error' || readBoolean(execution.attributes, A_SUCCESS) === false)) {
    error = execution.status.message || readString(execution.attributes, A_ERROR) || readString(execution.attributes, sc.ERROR_TYPE) || 'error';
  } else if (result !== undefined && readBoolean(result.attributes, A_SUCCESS) === false) {
    error = readString(result.attributes, A_ERROR) ?? readString(result.attributes, A_ERROR_TYPE) ?? 'error';
  } else if (tool?.status.code === 'error') {
    error = tool.status.message || 'error';
  }
  if (error !== undefined) a[sc.AMS_TOOL_STATUS] = 'error';
  return error !== undefined ? { attributes: a, error } : { attributes: a };
}

function subagentAttributes(base: Attributes, toolArgs: string | undefined, agentId: string | undefined, logs: Logs, toolAttrs: Attributes): Attributes {
  const a: Attributes = { ...base };
  a[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT;
  const input = parseJson(toolArgs);
  const inp = isObject(input) ? input : {};
  const completed = agentId !== undefined ? logs.completed.get(agentId) : undefined;
  const type =
    readString(toolAttrs, A_SUBAGENT_TYPE) ?? (completed && readString(completed.attributes, A_AGENT_TYPE)) ?? (typeof inp.subagent_type === 'string' ? inp.subagent_type : undefined);
  setIfAbsent(a, sc.AMS_SUBAGENT_TYPE, type);
  setIfAbsent(a, sc.GEN_AI_AGENT_NAME, type);
  if (typeof inp.prompt === 'string') setIfAbsent(a, sc.AMS_SUBAGENT_PROMPT, inp.prompt);
  if (typeof inp.description === 'string') setIfAbsent(a, sc.AMS_SUBAGENT_DESCRIPTION, inp.description);
  if (agentId !== undefined) setIfAbsent(a, sc.GEN_AI_AGENT_ID, agentId);
  return a;
}

const withStatus = (r: SpanRecord, error: string | undefined): SpanRecord['status'] => (error !== undefined ? { code: 'error', message: error } : r.status.code === 'error' ? r.status : { code: 'unset' });

/**
 * Rewrites the Claude Code records of one trace (spans and log records) into gen_ai/ams records;
 * other records are returned as they are. Pure: the same records in any order give the same output.
 */
export function mapClaudeCode(input: readonly SpanRecord[]): SpanRecord[] {
  const out: SpanRecord[] = [];
  const otherIds = new Set<string>();
  const spans: SpanRecord[] = [];
  const logRecords: SpanRecord[] = [];
  const seen = new Set<string>();
  for (const r of [...input].sort(byTime)) {
    if (!isClaudeCodeRecord(r)) {
      out.push(r);
      otherIds.add(r.spanId);
      continue;
    }
    if (seen.has(r.spanId)) continue;
    seen.add(r.spanId);
    (isLogRecord(r) ? logRecords : spans).push(r);
  }
  if (spans.length === 0 && logRecords.length === 0) return out;
  const logs = indexLogs(logRecords);
  const traceId = (spans[0] ?? logRecords[0])!.traceId;

  const children = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    if (s.parentSpanId === undefined) continue;
    let list = children.get(s.parentSpanId);
    if (!list) children.set(s.parentSpanId, (list = []));
    list.push(s);
  }
  const childNamed = (s: SpanRecord, name: string) => children.get(s.spanId)?.find((c) => c.name === name);

  /** Span ids folded into another: their children (and logs) hang on the replacement. */
  const replaced = new Map<string, string>();
  const emitted = new Map<string, SpanRecord>();
  const emit = (r: SpanRecord) => {
    emitted.set(r.spanId, r);
  };

  // Roots: the interaction spans, else one made from the logs.
  const interactions = spans.filter((s) => s.name === SPAN_INTERACTION);
  const promptsLeft = new Set(logs.prompts);
  for (const s of interactions) {
    const a = rootAttributes(s.attributes, s.resource, logs);
    const log = logs.prompts.find((l) => l.parentSpanId === s.spanId) ?? (interactions.length === 1 ? logs.prompts[0] : undefined);
    if (log) promptsLeft.delete(log);
    const prompt = promptOf(log, s, logs, interactions.length === 1);
    const events = s.events.filter((e) => e.name !== sc.EVENT_USER_PROMPT);
    if (prompt !== undefined) events.unshift(promptEvent(prompt, log?.startTimeMs ?? s.startTimeMs));
    emit({ ...s, attributes: a, events });
  }
  let rootId: string;
  if (interactions.length) rootId = interactions[0]!.spanId;
  else {
    const all = [...spans, ...logRecords];
    const first = all[0]!;
    const attrs: Attributes = {};
    for (const key of [A_SESSION_ID, A_USER_ID]) setIfAbsent(attrs, key, first.attributes[key]);
    const events: SpanEventRecord[] = [];
    const prompt = logs.prompts[0];
    if (prompt) {
      promptsLeft.delete(prompt);
      const text = promptOf(prompt, undefined, logs, true);
      if (text !== undefined) events.push(promptEvent(text, prompt.startTimeMs));
    }
    rootId = derivedId(traceId, 'interaction');
    // With TRACEPARENT and spans off, the logs name the caller's span: the interaction runs under it.
    const caller = logRecords.find((l) => l.parentSpanId !== undefined && otherIds.has(l.parentSpanId))?.parentSpanId;
    emit({
      traceId,
      spanId: rootId,
      ...(caller !== undefined ? { parentSpanId: caller } : {}),
      name: SPAN_INTERACTION,
      kind: 'internal',
      startTimeMs: all.reduce((m, r) => Math.min(m, r.startTimeMs), Infinity),
      endTimeMs: all.reduce((m, r) => Math.max(m, r.endTimeMs), -Infinity),
      status: { code: 'unset' },
      attributes: rootAttributes(attrs, first.resource, logs),
      events,
      resource: first.resource,
      scope: first.scope,
    });
  }
  const root = () => emitted.get(rootId)!;

  // Tools (and the subagents their Agent calls ran).
  const subagentByAgent = new Map<string, string>();
  const toolsByUseId = new Set<string>();
  for (const s of spans) {
    if (s.name !== SPAN_TOOL) continue;
    const id = readString(s.attributes, A_TOOL_USE_ID) ?? readString(s.attributes, sc.GEN_AI_TOOL_CALL_ID);
    if (id !== undefined) toolsByUseId.add(id);
    const blocked = childNamed(s, SPAN_BLOCKED);
    const execution = childNamed(s, SPAN_EXECUTION);
    const facts = toolAttributes(s.attributes, id, logs, s, blocked, execution);
    emit({ ...s, attributes: facts.attributes, status: withStatus(s, facts.error) });
    if (blocked) replaced.set(blocked.spanId, s.spanId);
    if (!execution) continue;
    const name = readString(facts.attributes, sc.GEN_AI_TOOL_NAME) ?? '';
    const agentId =
      children.get(execution.spanId)?.map((c) => readString(c.attributes, A_AGENT_ID)).find((x) => x !== undefined) ??
      logs.byParent.get(execution.spanId)?.map((l) => readString(l.attributes, A_AGENT_ID)).find((x) => x !== undefined);
    if (AGENT_TOOLS.has(name) || agentId !== undefined) {
      const a = subagentAttributes(execution.attributes, readString(facts.attributes, sc.GEN_AI_TOOL_CALL_ARGUMENTS), agentId, logs, s.attributes);
      emit({ ...execution, attributes: a, status: withStatus(execution, execution.status.code === 'error' ? (execution.status.message || 'error') : undefined) });
      if (agentId !== undefined) subagentByAgent.set(agentId, execution.spanId);
    } else {
      replaced.set(execution.spanId, s.spanId);
    }
  }

  // A record made from a log goes under its interaction (the log's parent, when it is one).
  const interactionIds = new Set(interactions.map((s) => s.spanId));
  const homeOf = (l: SpanRecord): string => (l.parentSpanId !== undefined && interactionIds.has(l.parentSpanId) ? l.parentSpanId : rootId);

  // Spans off: tool calls from their logs, then subagents from the records with an agent_id.
  const toolIds = new Set([...logs.results.keys(), ...logs.decisions.keys()]);
  const madeTools: SpanRecord[] = [];
  for (const id of [...toolIds].sort()) {
    if (toolsByUseId.has(id)) continue;
    const result = logs.results.get(id);
    const decision = logs.decisions.get(id);
    const ref = (result ?? decision)!;
    const end = result?.startTimeMs ?? decision!.startTimeMs;
    const duration = (result && readNumber(result.attributes, A_DURATION_MS)) ?? 0;
    const start = Math.min(decision?.startTimeMs ?? end, end - duration);
    const facts = toolAttributes({}, id, logs, undefined, undefined, undefined);
    if (decision) {
      setIfAbsent(facts.attributes, sc.AMS_TOOL_PERMISSION_DECISION, readString(decision.attributes, A_DECISION));
      setIfAbsent(facts.attributes, sc.AMS_TOOL_PERMISSION_SOURCE, readString(decision.attributes, A_SOURCE));
    }
    const span: SpanRecord = {
      traceId,
      spanId: derivedId(traceId, 'tool', id),
      parentSpanId: homeOf(ref),
      name: SPAN_TOOL,
      kind: 'internal',
      startTimeMs: start,
      endTimeMs: end,
      status: facts.error !== undefined ? { code: 'error', message: facts.error } : { code: 'unset' },
      attributes: { ...facts.attributes, ...(readString(ref.attributes, A_AGENT_ID) !== undefined ? { [A_AGENT_ID]: readString(ref.attributes, A_AGENT_ID)! } : {}) },
      events: [],
      resource: ref.resource,
      scope: ref.scope,
    };
    madeTools.push(span);
    emit(span);
  }
  // A subagent without its execution span hangs under the Agent call whose run covers its first record.
  const agentCalls = [...emitted.values()].filter((r) => AGENT_TOOLS.has(readString(r.attributes, sc.GEN_AI_TOOL_NAME) ?? '') && readString(r.attributes, A_AGENT_ID) === undefined).sort(byTime);
  const taken = new Set<string>();
  for (const [agentId, records] of [...logs.byAgent.entries()].sort((x, y) => x[1][0]!.startTimeMs - y[1][0]!.startTimeMs)) {
    if (subagentByAgent.has(agentId)) continue;
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const host =
      agentCalls.find((t) => !taken.has(t.spanId) && t.startTimeMs <= first.startTimeMs && first.startTimeMs <= t.endTimeMs) ?? agentCalls.find((t) => !taken.has(t.spanId));
    if (host) taken.add(host.spanId);
    const spanId = derivedId(traceId, 'agent', agentId);
    const attrs = subagentAttributes({}, host && readString(host.attributes, sc.GEN_AI_TOOL_CALL_ARGUMENTS), agentId, logs, host?.attributes ?? {});
    emit({
      traceId,
      spanId,
      parentSpanId: host?.spanId ?? homeOf(first),
      name: SPAN_EXECUTION,
      kind: 'internal',
      // (a record with a duration started that long before it was logged)
      startTimeMs: Math.max(host?.startTimeMs ?? -Infinity, records.reduce((m, r) => Math.min(m, r.startTimeMs - (readNumber(r.attributes, A_DURATION_MS) ?? 0)), first.startTimeMs)),
      endTimeMs: last.endTimeMs,
      status: { code: 'unset' },
      attributes: attrs,
      events: [],
      resource: first.resource,
      scope: first.scope,
    });
    subagentByAgent.set(agentId, spanId);
  }
  for (const t of madeTools) {
    const agent = readString(t.attributes, A_AGENT_ID);
    const parent = agent !== undefined ? subagentByAgent.get(agent) : undefined;
    if (parent !== undefined) emit({ ...t, parentSpanId: parent });
  }

  // Model calls: the llm_request spans, then one per api_request log that has none.
  const callIds = new Set<string>();
  for (const s of spans) {
    if (s.name !== SPAN_LLM_REQUEST) continue;
    const rid = readString(s.attributes, A_REQUEST_ID) ?? readString(s.attributes, sc.GEN_AI_RESPONSE_ID);
    if (rid !== undefined) callIds.add(rid);
    const facts = chatAttributes(s.attributes, rid, logs);
    emit({ ...s, attributes: facts.attributes, status: withStatus(s, facts.error) });
  }
  // (a failed call without a request id matches no span: made from its api_error only with spans off)
  const hasCallSpans = spans.some((s) => s.name === SPAN_LLM_REQUEST);
  const requestLogs = [...logs.apiRequests.values(), ...[...logs.apiErrors.entries()].filter(([key]) => !logs.apiRequests.has(key) && !(hasCallSpans && key.startsWith('log:'))).map(([, l]) => l)];
  for (const l of requestLogs.sort(byTime)) {
    const rid = readString(l.attributes, A_REQUEST_ID);
    if (rid !== undefined && callIds.has(rid)) continue;
    const facts = chatAttributes({}, rid, logs, l);
    const agent = readString(l.attributes, A_AGENT_ID);
    const duration = readNumber(l.attributes, A_DURATION_MS) ?? 0;
    emit({
      traceId,
      spanId: derivedId(traceId, 'llm', rid ?? l.spanId),
      parentSpanId: (agent !== undefined ? subagentByAgent.get(agent) : undefined) ?? homeOf(l),
      name: SPAN_LLM_REQUEST,
      kind: 'client',
      startTimeMs: l.startTimeMs - duration,
      endTimeMs: l.startTimeMs,
      status: facts.error !== undefined ? { code: 'error', message: facts.error } : { code: 'unset' },
      attributes: facts.attributes,
      events: [],
      resource: l.resource,
      scope: l.scope,
    });
  }

  // A subagent.spawn span (newer CLIs) says what the subagent span already does: folded into it,
  // or the subagent itself when there is none.
  for (const s of spans) {
    if (s.name !== SPAN_SUBAGENT_SPAWN || emitted.has(s.spanId)) continue;
    const parent = s.parentSpanId !== undefined ? emitted.get(s.parentSpanId) : undefined;
    if (parent !== undefined && readString(parent.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_INVOKE_AGENT) {
      replaced.set(s.spanId, parent.spanId);
      continue;
    }
    const agentId = readString(s.attributes, A_AGENT_ID);
    const host = parent !== undefined && readString(parent.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_EXECUTE_TOOL ? parent : undefined;
    const attrs = subagentAttributes(s.attributes, host && readString(host.attributes, sc.GEN_AI_TOOL_CALL_ARGUMENTS), agentId, logs, { [A_SUBAGENT_TYPE]: readString(s.attributes, A_AGENT_TYPE) });
    emit({ ...s, attributes: attrs });
  }

  // Everything else Claude Code sent: other spans (hooks, MCP calls, compaction, ...) as steps,
  // startup logs as notices.
  for (const s of spans) {
    if (emitted.has(s.spanId) || replaced.has(s.spanId)) continue;
    emit(s);
  }
  const resolve = (id: string | undefined): string => {
    let cur = id;
    for (let i = 0; cur !== undefined && i < 64; i++) {
      if (emitted.has(cur) && !replaced.has(cur)) return cur;
      cur = replaced.get(cur);
    }
    return rootId;
  };
  for (const l of logs.other) emit(logStep(l, resolve(l.parentSpanId)));
  // Hook runs from their logs, when no claude_code.hook span tells it already: one step per run.
  if (!spans.some((s) => s.name === SPAN_HOOK)) {
    const hookKey = (l: SpanRecord) => `${readString(l.attributes, A_HOOK_EVENT) ?? ''}\u0000${readString(l.attributes, A_HOOK_NAME) ?? ''}`;
    const completed = new Set(logs.hookCompletes.map(hookKey));
    for (const l of logs.hookCompletes) {
      const step = logStep(l, resolve(l.parentSpanId));
      emit({ ...step, name: SPAN_HOOK, startTimeMs: l.startTimeMs - (readNumber(l.attributes, A_HOOK_DURATION_MS) ?? 0) });
    }
    for (const l of logs.hookStarts) if (!completed.has(hookKey(l))) emit({ ...logStep(l, resolve(l.parentSpanId)), name: SPAN_HOOK });
  }
  for (const l of promptsLeft) {
    const text = readString(l.attributes, A_PROMPT) ?? readString(l.attributes, A_PROMPT_TEXT);
    if (text === undefined) continue;
    const r = root();
    emit({ ...r, events: [...r.events, promptEvent(text, l.startTimeMs)] });
  }
  if (logs.startup.length) {
    const r = root();
    emit({ ...r, events: [...r.events, ...logs.startup.map(startupNotice)] });
  }

  // Other producers' spans under a folded span (e.g. an instrumented tool process) follow it too.
  for (let i = 0; i < out.length; i++) {
    const pid = out[i]!.parentSpanId;
    if (pid !== undefined && replaced.has(pid)) out[i] = { ...out[i]!, parentSpanId: resolve(pid) };
  }
  const present = new Set([...input.map((r) => r.spanId), ...emitted.keys()]);
  for (const r of emitted.values()) {
    const pid = r.parentSpanId;
    // Children of folded spans hang on what replaced them; without an interaction span (not
    // arrived yet), spans whose parent is missing hang on the root made from the logs.
    if (pid !== undefined && replaced.has(pid)) out.push({ ...r, parentSpanId: resolve(pid) });
    else if (!interactions.length && r.spanId !== rootId && (pid === undefined || !present.has(pid) || otherIds.has(pid))) out.push({ ...r, parentSpanId: rootId });
    else out.push(r);
  }
  return out.some((r) => r.scope?.name === sc.AMS_CLAUDE_SCOPE) ? foldIntoOwnInstrumentation(out, new Set(emitted.keys())) : out;
}

/** The tokens a model call reported, as a key two descriptions of the same call share. */
const usageKey = (a: Attributes): string | undefined => {
  const i = readNumber(a, sc.GEN_AI_USAGE_INPUT_TOKENS);
  const o = readNumber(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS);
  return i === undefined || o === undefined ? undefined : `${i}/${o}/${readNumber(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS) ?? ''}`;
};

/**
 * The same run traced twice: tracedQuery (ams-otel's own Claude instrumentation) hands the CLI a
 * TRACEPARENT naming its root span, so with the CLI's telemetry on, both descriptions land in one
 * trace. Ours has the exact stream (thinking, text, usage per call); the CLI's adds what only it
 * knows. One model call stays one message and one tool call one entry: each of the CLI's model
 * calls is matched to ours by its reported tokens (in order), each tool call by its tool_use_id;
 * the match lends ours what it lacks (cost and its source, time to first token; permission
 * decision, its source, time blocked on the user) and is dropped. The CLI's interaction and
 * subagent spans are dropped (ours describe them); whatever of the CLI's has no counterpart
 * (hooks, an unmatched call) is kept under the nearest span that remains.
 */
function foldIntoOwnInstrumentation(records: SpanRecord[], theirs: ReadonlySet<string>): SpanRecord[] {
  const byId = new Map(records.map((r) => [r.spanId, r]));
  const op = (r: SpanRecord) => readString(r.attributes, sc.GEN_AI_OPERATION_NAME);
  const ours = records.filter((r) => !theirs.has(r.spanId)).sort(byTime);
  const ourChats = ours.filter((r) => op(r) === sc.OP_CHAT);
  const ourTools = new Map<string, SpanRecord>();
  for (const r of ours) {
    const id = op(r) === sc.OP_EXECUTE_TOOL ? readString(r.attributes, sc.GEN_AI_TOOL_CALL_ID) : undefined;
    if (id !== undefined) ourTools.set(id, r);
  }
  const lend = (target: SpanRecord, from: SpanRecord, keys: readonly string[]) => {
    const current = byId.get(target.spanId)!;
    const attributes = { ...current.attributes };
    for (const k of keys) setIfAbsent(attributes, k, from.attributes[k]);
    byId.set(target.spanId, { ...current, attributes });
  };
  const dropped = new Set<string>();
  const matchedChats = new Set<string>();
  for (const r of records.filter((x) => theirs.has(x.spanId)).sort(byTime)) {
    const kind = op(r);
    if (kind === sc.OP_INVOKE_AGENT) dropped.add(r.spanId);
    else if (kind === sc.OP_CHAT) {
      const key = usageKey(r.attributes);
      const match = key === undefined ? undefined : ourChats.find((c) => !matchedChats.has(c.spanId) && usageKey(c.attributes) === key);
      if (!match) continue;
      matchedChats.add(match.spanId);
      lend(match, r, [sc.AMS_COST_USD, sc.AMS_COST_SOURCE, sc.AMS_LLM_TTFT_MS]);
      dropped.add(r.spanId);
    } else if (kind === sc.OP_EXECUTE_TOOL) {
      const id = readString(r.attributes, sc.GEN_AI_TOOL_CALL_ID);
      const match = id === undefined ? undefined : ourTools.get(id);
      if (!match) continue;
      lend(match, r, [sc.AMS_TOOL_PERMISSION_DECISION, sc.AMS_TOOL_PERMISSION_SOURCE, sc.AMS_TOOL_BLOCKED_MS]);
      dropped.add(r.spanId);
    }
  }
  const surviving = (id: string | undefined): string | undefined => {
    let cur = id;
    for (let i = 0; cur !== undefined && i < 256; i++) {
      if (!dropped.has(cur)) return cur;
      cur = byId.get(cur)?.parentSpanId;
    }
    return cur;
  };
  const out: SpanRecord[] = [];
  for (const r of byId.values()) {
    if (dropped.has(r.spanId)) continue;
    const parent = r.parentSpanId !== undefined && dropped.has(r.parentSpanId) ? surviving(r.parentSpanId) : r.parentSpanId;
    out.push(parent === r.parentSpanId ? r : { ...r, parentSpanId: parent });
  }
  return out;
}
