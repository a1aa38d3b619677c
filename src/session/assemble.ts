/**
 * assembleSession(): SpanRecords in, one Session out. Pure and deterministic: no SDK, no I/O,
 * and the same spans in any order give the same document. Both capture paths (the in-process
 * processor and the receiver) call it, so a session looks the same whichever way it came.
 */
import type { AttributeValue, Attributes, SpanEventRecord, SpanRecord } from '../spans/record.js';
import * as sc from '../spans/semconv.js';
import { readBoolean as bool, readNumber as num, readString as str, readStringList as strList } from '../spans/read.js';
import { normalizeRecords } from '../spans/normalize.js';
import { setOwn } from '../spans/own.js';
import { isLogRecord } from '../spans/log-record.js';
import { sanitizeId } from './ids.js';
import { addCost, addUsage, computeTotals, mostUsedModel, roundCost, usageOf } from './totals.js';
import type {
  FailureCategory,
  FailureEvent,
  JsonValue,
  LlmMessageEvent,
  ModelEntry,
  NotificationEvent,
  Session,
  SessionEvent,
  SessionStatus,
  StepEvent,
  SubagentEvent,
  ToolCallEvent,
  ToolUsePart,
  UserPromptEvent,
} from './types.js';
import { SCHEMA_VERSION } from './types.js';
import { defaultPriceLookup } from './pricing.js';
import type { PriceLookup } from './pricing.js';

export interface AssembleOptions {
  /** The span whose subtree is the session; default: the top-level invoke_agent span, else the trace root. */
  rootSpanId?: string;
  /** Overrides the id (default: `ams.session.id` on the root, else defaultSessionId, else the trace id). Sanitized. */
  sessionId?: string;
  /** The id when the root names none (`ams.session.id`); the writer passes the trace buffer's. Sanitized. */
  defaultSessionId?: string;
  /** 1 for the first write; the receiver increments it when late spans rewrite a session. */
  revision?: number;
  /** Set by the caller when it knows the session is cut short (limits, timeouts, shutdown). */
  incompleteReason?: string;
  /** Spans of this session the caller dropped before assembly. */
  droppedSpans?: number;
  /**
   * Prices a model call the producer reported no cost for (src/session/pricing.ts). Default: the
   * bundled price table; `false`: none (such calls stay unknown).
   */
  price?: PriceLookup | false;
}

interface Node {
  span: SpanRecord;
  children: Node[];
  parent?: Node;
}

// ---- small readers -------------------------------------------------------------------------

function toJson(v: AttributeValue | undefined): JsonValue {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : x));
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v as JsonValue;
}

/** Parses JSON that instrumentation stored as a string attribute; keeps the string if it is not JSON. */
function parseMaybeJson(v: AttributeValue | undefined): JsonValue | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return toJson(v);
  // The first non-whitespace character decides (no trimmed copy of what is often a large string).
  const c = firstNonSpace(v);
  if (c === CHAR_BRACE || c === CHAR_BRACKET) {
    try {
      return JSON.parse(v) as JsonValue;
    } catch {
      return v;
    }
  }
  return v;
}

const CHAR_BRACE = 0x7b;
const CHAR_BRACKET = 0x5b;
const WHITESPACE = /\s/;

/** Char code of the first character trimStart() would keep (-1 when there is none). */
function firstNonSpace(v: string): number {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // Printable ASCII is never whitespace; anything else asks the same rule trimStart() uses.
    if ((c > 0x20 && c < 0x7f) || !WHITESPACE.test(v[i]!)) return c;
  }
  return -1;
}

// Events are built key by key in the document's reading order, optional keys only when set (no
// undefined values to strip afterwards, no second copy of every event).

const MINUTE_MS = 60_000;
let isoMinute = NaN;
/** `YYYY-MM-DDTHH:MM:SS` per second of the current minute ('' until first needed). */
const isoSeconds: string[] = new Array<string>(60).fill('');
const MS_SUFFIX = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}Z`);
/**
 * toISOString() of the rounded time, with everything up to the second cached for the current
 * minute: a session's events share it. The result is two pieces (cheaper to build and to
 * serialize than the five a template would join).
 */
function iso(ms: number): string {
  const t = Math.round(ms);
  if (!(t >= 0)) return new Date(t).toISOString();
  const minute = Math.floor(t / MINUTE_MS);
  if (minute !== isoMinute) {
    isoMinute = minute;
    isoSeconds.fill('');
  }
  const r = t - minute * MINUTE_MS;
  const sec = Math.floor(r / 1000);
  let prefix = isoSeconds[sec]!;
  if (prefix === '') {
    const full = new Date(t).toISOString();
    if (full.length !== 24) return full; // beyond year 9999: the extended format, uncached
    prefix = isoSeconds[sec] = full.slice(0, 19);
  }
  return prefix + MS_SUFFIX[r - sec * 1000]!;
}

/** Every duration in the document is whole milliseconds: rounded here, once, whichever path the spans came by. */
function wholeMs(ms: number): number {
  return Math.max(0, Math.round(ms));
}

function durationMs(span: SpanRecord): number {
  return wholeMs(span.endTimeMs - span.startTimeMs);
}

function opName(span: SpanRecord): string | undefined {
  const op = str(span.attributes, sc.GEN_AI_OPERATION_NAME);
  if (op) return op;
  // Instrumentations that only follow the span-name convention ("chat claude-sonnet-4-5").
  const first = span.name.split(' ', 1)[0];
  if (first === sc.OP_INVOKE_AGENT || first === sc.OP_CHAT || first === sc.OP_EXECUTE_TOOL) return first;
  return undefined;
}

const isAgent = (s: SpanRecord) => opName(s) === sc.OP_INVOKE_AGENT;

function nameAfterOp(span: SpanRecord, op: string): string | undefined {
  return span.name.startsWith(`${op} `) ? span.name.slice(op.length + 1) : undefined;
}

function errorMessage(span: SpanRecord): string | null {
  if (span.status.code !== 'error') return null;
  if (span.status.message) return span.status.message;
  const exc = span.events.find((e) => e.name === sc.EXCEPTION_EVENT);
  const fromExc = exc && (str(exc.attributes, sc.EXCEPTION_MESSAGE) ?? str(exc.attributes, sc.EXCEPTION_TYPE));
  return fromExc || str(span.attributes, sc.ERROR_TYPE) || 'error';
}

/** `error.type` of a span whose event shows an error (the class of the error: `TimeoutError`, `tool_error`, ...). */
function errorTypeOf(span: SpanRecord): string | undefined {
  return str(span.attributes, sc.ERROR_TYPE) ?? str(span.events.find((e) => e.name === sc.EXCEPTION_EVENT)?.attributes ?? {}, sc.EXCEPTION_TYPE);
}

/**
 * The failed execution under a tool call that itself reports none (e.g. `execute_tool` around a
 * child span that does the work and fails): the outcome of the tool is that of its last direct
 * child that is not itself a model call, tool call or agent. A failed attempt followed by a
 * successful one is a success.
 */
function failedExecution(node: Node | undefined): SpanRecord | undefined {
  let last: SpanRecord | undefined;
  for (const c of node?.children ?? []) {
    const op = opName(c.span);
    if (op === sc.OP_CHAT || op === sc.OP_EXECUTE_TOOL || op === sc.OP_INVOKE_AGENT) continue;
    // (Children are in start order, so on equal end times the later start wins.)
    if (!last || c.span.endTimeMs >= last.endTimeMs) last = c.span;
  }
  return last && last.status.code === 'error' ? last : undefined;
}

const TRUNCATED_LAST_CHAR = sc.AMS_TRUNCATED_SUFFIX.charCodeAt(sc.AMS_TRUNCATED_SUFFIX.length - 1);

function truncatedSizes(attrs: Attributes): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const key in attrs) {
    // (last character first: endsWith on every key of every span is measurable)
    if (key.charCodeAt(key.length - 1) !== TRUNCATED_LAST_CHAR || !key.endsWith(sc.AMS_TRUNCATED_SUFFIX)) continue;
    const size = num(attrs, key);
    if (size === undefined) continue;
    (out ??= {})[key.slice(0, -sc.AMS_TRUNCATED_SUFFIX.length)] = size;
  }
  return out;
}

// ---- span -> event mappers -----------------------------------------------------------------

interface OutputPart {
  type?: string;
  content?: unknown;
  id?: string;
  name?: string;
  arguments?: unknown;
}

/**
 * Cost and where it came from: the producer's figure (its reporter in `cost_reporter` when not the
 * span itself), else the price lookup's from the tokens, else unknown (no cost_usd, never 0).
 */
function priceMessage(ev: LlmMessageEvent, a: SpanRecord['attributes'], price: PriceLookup | undefined): void {
  const cost = num(a, sc.AMS_COST_USD);
  if (cost !== undefined) {
    ev.cost_usd = cost;
    ev.cost_source = 'producer';
    const reporter = str(a, sc.AMS_COST_SOURCE);
    if (reporter !== undefined && reporter !== sc.COST_SOURCE_PRODUCER) ev.cost_reporter = reporter;
    return;
  }
  const priced = ev.model !== undefined && ev.usage !== undefined ? price?.(ev.model, str(a, sc.GEN_AI_PROVIDER_NAME) ?? str(a, sc.GEN_AI_SYSTEM), ev.usage) : undefined;
  if (priced) {
    ev.cost_usd = roundCost(priced.cost_usd);
    ev.cost_source = 'price_table';
    ev.priced_as = priced.priced_as;
  } else ev.cost_source = 'unknown';
}

function llmMessage(span: SpanRecord, price: PriceLookup | undefined): LlmMessageEvent {
  const a = span.attributes;
  // Joined as they come ('\n\n' between parts, as join() would): no arrays for the usual one part.
  let thinking: string | undefined;
  let text: string | undefined;
  let toolUses: ToolUsePart[] | undefined;
  const parsed = parseMaybeJson(a[sc.GEN_AI_OUTPUT_MESSAGES]);
  if (Array.isArray(parsed)) {
    for (const msg of parsed) {
      const parts = msg && typeof msg === 'object' && !Array.isArray(msg) ? msg.parts : undefined;
      if (!Array.isArray(parts)) continue;
      for (const p of parts as OutputPart[]) {
        if (!p || typeof p !== 'object') continue;
        if (p.type === 'reasoning' && typeof p.content === 'string') thinking = thinking === undefined ? p.content : `${thinking}\n\n${p.content}`;
        else if (p.type === 'text' && typeof p.content === 'string') text = text === undefined ? p.content : `${text}\n\n${p.content}`;
        else if (p.type === 'tool_call') {
          const use = {} as ToolUsePart;
          if (typeof p.id === 'string') use.id = p.id;
          use.name = typeof p.name === 'string' ? p.name : 'unknown';
          if (p.arguments !== undefined) use.input = p.arguments as JsonValue;
          (toolUses ??= []).push(use);
        }
      }
    }
  } else if (typeof parsed === 'string' && parsed !== '') {
    // Not the structured format (or cut short): keep what was recorded rather than lose it.
    text = parsed;
  }
  const finish = strList(a, sc.GEN_AI_RESPONSE_FINISH_REASONS);
  const ev = {
    type: 'llm_message',
    span_id: span.spanId,
    at: iso(span.startTimeMs),
    ended_at: iso(span.endTimeMs),
    duration_ms: durationMs(span),
  } as LlmMessageEvent;
  const model = str(a, sc.GEN_AI_RESPONSE_MODEL) ?? str(a, sc.GEN_AI_REQUEST_MODEL) ?? nameAfterOp(span, sc.OP_CHAT);
  if (model !== undefined) ev.model = model;
  const responseId = str(a, sc.GEN_AI_RESPONSE_ID);
  if (responseId !== undefined) ev.response_id = responseId;
  if (thinking !== undefined) ev.thinking = thinking;
  if (bool(a, sc.AMS_LLM_THINKING_REDACTED) === true) ev.thinking_redacted = true;
  if (text !== undefined) ev.text = text;
  if (toolUses !== undefined) ev.tool_uses = toolUses;
  if (finish?.length) ev.finish_reasons = finish;
  const usage = usageOf(a);
  if (usage) ev.usage = usage;
  priceMessage(ev, a, price);
  const ttft = num(a, sc.AMS_LLM_TTFT_MS);
  if (ttft !== undefined && ttft >= 0) ev.ttft_ms = wholeMs(ttft);
  const error = errorMessage(span);
  if (error !== null) ev.error = error;
  const errorType = error !== null ? errorTypeOf(span) : undefined;
  if (errorType !== undefined) ev.error_type = errorType;
  const truncated = truncatedSizes(a);
  if (truncated !== undefined) ev.truncated = truncated;
  return ev;
}

function toolCall(span: SpanRecord, node?: Node): ToolCallEvent {
  const a = span.attributes;
  const declared = str(a, sc.AMS_TOOL_STATUS);
  const interrupted = bool(a, sc.AMS_TOOL_INTERRUPTED) === true || declared === 'interrupted';
  let error = errorMessage(span);
  // The tool span says nothing of an error but the execution under it failed: so did the call.
  const execution = error === null && declared !== 'ok' && !interrupted ? failedExecution(node) : undefined;
  if (execution) error = errorMessage(execution);
  const status = interrupted ? 'interrupted' : error || declared === 'error' ? 'error' : 'ok';
  if (status === 'error' && !error) error = 'error';
  const errorType = status === 'ok' ? undefined : ((execution && errorTypeOf(execution)) ?? errorTypeOf(span));
  const ev = { type: 'tool_call', span_id: span.spanId } as ToolCallEvent;
  const toolUseId = str(a, sc.GEN_AI_TOOL_CALL_ID);
  if (toolUseId !== undefined) ev.tool_use_id = toolUseId;
  ev.name = str(a, sc.GEN_AI_TOOL_NAME) ?? nameAfterOp(span, sc.OP_EXECUTE_TOOL) ?? span.name;
  ev.status = status;
  ev.error = error;
  if (errorType !== undefined) ev.error_type = errorType;
  const mcpServer = str(a, sc.AMS_TOOL_MCP_SERVER);
  if (mcpServer !== undefined) ev.mcp_server = mcpServer;
  const decision = str(a, sc.AMS_TOOL_PERMISSION_DECISION);
  if (decision !== undefined) ev.permission_decision = decision;
  const decidedBy = str(a, sc.AMS_TOOL_PERMISSION_SOURCE);
  if (decidedBy !== undefined) ev.permission_source = decidedBy;
  const blocked = num(a, sc.AMS_TOOL_BLOCKED_MS);
  if (blocked !== undefined && blocked >= 0) ev.blocked_ms = wholeMs(blocked);
  ev.started_at = iso(span.startTimeMs);
  ev.ended_at = iso(span.endTimeMs);
  ev.duration_ms = durationMs(span);
  const input = parseMaybeJson(a[sc.GEN_AI_TOOL_CALL_ARGUMENTS]);
  if (input !== undefined) ev.input = input;
  const result = parseMaybeJson(a[sc.GEN_AI_TOOL_CALL_RESULT]);
  if (result !== undefined) ev.result = result;
  const truncated = truncatedSizes(a);
  if (truncated !== undefined) ev.truncated = truncated;
  return ev;
}

function spanEvents(span: SpanRecord, out: Keyed[]): void {
  for (const e of span.events) {
    const mapped = fromSpanEvent(e, span.spanId);
    if (mapped) out.push(keyed(mapped, e.timeMs));
  }
}

function fromSpanEvent(e: SpanEventRecord, spanId: string): SessionEvent | undefined {
  if (e.name === sc.EVENT_USER_PROMPT) {
    const ev = { type: 'user_prompt', span_id: spanId, at: iso(e.timeMs) } as UserPromptEvent;
    if (bool(e.attributes, sc.AMS_PROMPT_SYNTHETIC)) ev.synthetic = true;
    ev.prompt = str(e.attributes, sc.AMS_PROMPT) ?? '';
    return ev;
  }
  if (e.name === sc.EVENT_NOTIFICATION) {
    const ev = { type: 'notification', span_id: spanId, at: iso(e.timeMs) } as NotificationEvent;
    const kind = str(e.attributes, sc.AMS_NOTIFICATION_KIND);
    if (kind !== undefined) ev.kind = kind;
    ev.message = str(e.attributes, sc.AMS_MESSAGE) ?? '';
    return ev;
  }
  if (e.name === sc.EVENT_FAILURE) return failureEvent(e, spanId);
  return undefined;
}

const FAILURE_CATEGORIES = new Set<string>(['tool', 'model', 'retrieval', 'orchestration']);

function failureEvent(e: SpanEventRecord, spanId: string): FailureEvent {
  const declared = str(e.attributes, sc.AMS_FAILURE_TYPE);
  const attempt = num(e.attributes, sc.AMS_FAILURE_ATTEMPT);
  const ev: FailureEvent = {
    type: 'failure',
    span_id: spanId,
    at: iso(e.timeMs),
    category: (declared && FAILURE_CATEGORIES.has(declared) ? declared : 'orchestration') as FailureCategory,
    code: str(e.attributes, sc.AMS_FAILURE_CODE) || 'error',
  };
  const message = str(e.attributes, sc.AMS_FAILURE_MESSAGE);
  if (message !== undefined) ev.message = message;
  const errorType = str(e.attributes, sc.ERROR_TYPE);
  if (errorType !== undefined) ev.error_type = errorType;
  const step = str(e.attributes, sc.AMS_FAILURE_STEP);
  if (step !== undefined) ev.step = step;
  if (attempt !== undefined && Number.isInteger(attempt) && attempt >= 1) ev.attempt = attempt;
  return ev;
}

const KNOWN_EVENT_ATTRS = new Set([sc.GEN_AI_OPERATION_NAME]);

function stepAttributes(attrs: Attributes): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(attrs).sort()) {
    if (KNOWN_EVENT_ATTRS.has(key) || attrs[key] === undefined) continue;
    setOwn(out, key, toJson(attrs[key]));
  }
  return out;
}

// ---- tree walk -----------------------------------------------------------------------------

/**
 * An event with its sort key: the exact (sub-millisecond) start time, since the ISO strings in the
 * document are rounded to the millisecond, too coarse to order spans that start close together.
 */
interface Keyed {
  t: number;
  rank: number;
  e: SessionEvent;
}

/** Prompts before what they caused; subagents after the tool call that started them. */
const RANK: Record<SessionEvent['type'], number> = {
  user_prompt: 0,
  notification: 1,
  failure: 2,
  llm_message: 2,
  tool_call: 2,
  subagent: 3,
  step: 2,
};

function keyed(e: SessionEvent, t: number): Keyed {
  return { t, rank: RANK[e.type], e };
}

/**
 * Stable in-place sort. A session's levels are short: insertion sort there allocates nothing,
 * where Array.prototype.sort allocates its work arrays on every call. Both are stable, so the
 * order is the same.
 */
function stableSort<T>(list: T[], cmp: (a: T, b: T) => number): T[] {
  if (list.length > 32) return list.sort(cmp);
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && cmp(list[j]!, x) > 0) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
  return list;
}

function compareKeyed(x: Keyed, y: Keyed): number {
  if (x.t !== y.t) return x.t - y.t;
  if (x.rank !== y.rank) return x.rank - y.rank;
  const sx = x.e.span_id ?? '';
  const sy = y.e.span_id ?? '';
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

/** Sort key: time, then rank, then span id, then arrival order (the sort is stable). */
function sortEvents(events: Keyed[]): SessionEvent[] {
  stableSort(events, compareKeyed);
  const out = new Array<SessionEvent>(events.length);
  for (let i = 0; i < events.length; i++) out[i] = events[i]!.e;
  return out;
}

function subagent(node: Node, price: PriceLookup | undefined): SubagentEvent {
  const { span } = node;
  const a = span.attributes;
  const error = errorMessage(span);
  const name = str(a, sc.GEN_AI_AGENT_NAME) ?? nameAfterOp(span, sc.OP_INVOKE_AGENT);
  const parent = node.parent?.span;
  const ev = { type: 'subagent', span_id: span.spanId } as SubagentEvent;
  const toolUseId = parent && opName(parent) === sc.OP_EXECUTE_TOOL ? str(parent.attributes, sc.GEN_AI_TOOL_CALL_ID) : undefined;
  if (toolUseId !== undefined) ev.tool_use_id = toolUseId;
  const agentId = str(a, sc.GEN_AI_AGENT_ID);
  if (agentId !== undefined) ev.agent_id = agentId;
  const agentType = str(a, sc.AMS_SUBAGENT_TYPE) ?? name;
  if (agentType !== undefined) ev.agent_type = agentType;
  if (name !== undefined) ev.name = name;
  const description = str(a, sc.AMS_SUBAGENT_DESCRIPTION) ?? str(a, sc.GEN_AI_AGENT_DESCRIPTION);
  if (description !== undefined) ev.description = description;
  const why = str(a, sc.AMS_SUBAGENT_PROMPT);
  if (why !== undefined) ev.why = why;
  const transcriptPath = str(a, sc.AMS_SUBAGENT_TRANSCRIPT_PATH);
  if (transcriptPath !== undefined) ev.transcript_path = transcriptPath;
  ev.status = error ? 'error' : 'ok';
  if (error !== null) ev.error = error;
  const errorType = error !== null ? errorTypeOf(span) : undefined;
  if (errorType !== undefined) ev.error_type = errorType;
  ev.started_at = iso(span.startTimeMs);
  ev.ended_at = iso(span.endTimeMs);
  ev.duration_ms = durationMs(span);
  ev.events = levelEvents(node, price);
  return ev;
}

/** A node's own span events plus what its children contribute, in order. */
function levelEvents(node: Node, price: PriceLookup | undefined): SessionEvent[] {
  const out: Keyed[] = [];
  spanEvents(node.span, out);
  childEvents(node, out, price);
  return sortEvents(out);
}

/**
 * The events a node's children contribute to its level. Chat and tool spans are leaves in the
 * document, so their descendants surface at the same level (a subagent started by the Agent tool
 * appears right after that tool call); generic steps and subagents keep their own nested list.
 */
function childEvents(node: Node, out: Keyed[], price: PriceLookup | undefined): void {
  for (const child of node.children) {
    const { span } = child;
    const op = opName(span);
    if (op === sc.OP_INVOKE_AGENT) {
      out.push(keyed(subagent(child, price), span.startTimeMs));
      continue;
    }
    spanEvents(span, out);
    if (op === sc.OP_CHAT) {
      out.push(keyed(llmMessage(span, price), span.startTimeMs));
      childEvents(child, out, price);
    } else if (op === sc.OP_EXECUTE_TOOL) {
      out.push(keyed(toolCall(span, child), span.startTimeMs));
      childEvents(child, out, price);
    } else {
      out.push(keyed(step(child, price), span.startTimeMs));
    }
  }
}

function step(node: Node, price: PriceLookup | undefined): StepEvent {
  const { span } = node;
  const error = errorMessage(span);
  const nested: Keyed[] = [];
  childEvents(node, nested, price);
  const ev = { type: 'step', span_id: span.spanId, name: span.name, kind: span.kind, status: error ? 'error' : 'ok' } as StepEvent;
  if (error !== null) ev.error = error;
  const errorType = error !== null ? errorTypeOf(span) : undefined;
  if (errorType !== undefined) ev.error_type = errorType;
  ev.started_at = iso(span.startTimeMs);
  ev.ended_at = iso(span.endTimeMs);
  ev.duration_ms = durationMs(span);
  ev.attributes = stepAttributes(span.attributes);
  if (nested.length) ev.events = sortEvents(nested);
  return ev;
}

// ---- root selection ------------------------------------------------------------------------

function compareSpans(a: SpanRecord, b: SpanRecord): number {
  if (a.startTimeMs !== b.startTimeMs) return a.startTimeMs - b.startTimeMs;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function buildTree(records: SpanRecord[]): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const span of stableSort(records.slice(), compareSpans)) {
    if (!nodes.has(span.spanId)) nodes.set(span.spanId, { span, children: [] });
  }
  for (const node of nodes.values()) {
    const pid = node.span.parentSpanId;
    const parent = pid ? nodes.get(pid) : undefined;
    if (parent && parent !== node) {
      node.parent = parent;
      parent.children.push(node);
    }
  }
  return nodes;
}

function hasAgentAncestor(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) if (isAgent(p.span)) return true;
  return false;
}

function topOf(node: Node): Node {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}

interface RootChoice {
  root: Node;
  /** Spans outside the root's subtree that belong with it: subtrees whose parent never arrived. */
  orphans: Node[];
  /** Set when no real root exists and a stand-in was made. */
  synthetic: boolean;
}

function chooseRoot(nodes: Map<string, Node>, rootSpanId: string | undefined): RootChoice {
  const sorted = [...nodes.values()];
  const tops = sorted.filter((n) => !n.parent);
  // A named root that is not among the spans (it never ended or never arrived) gets a stand-in
  // below, rather than promoting one of its descendants.
  let root = rootSpanId ? nodes.get(rootSpanId) : sorted.find((n) => isAgent(n.span) && !hasAgentAncestor(n));
  if (!root && !rootSpanId) {
    const realRoots = tops.filter((n) => !n.span.parentSpanId || n.span.parentIsRemote);
    if (realRoots.length >= 1 && tops.length === 1) root = realRoots[0];
  }
  if (!root) {
    // Rootless: stand in a synthetic root spanning every top-level subtree.
    const first = tops[0]!.span;
    const start = Math.min(...tops.map((n) => n.span.startTimeMs));
    const end = Math.max(...sorted.map((n) => n.span.endTimeMs));
    const synthetic: Node = {
      span: {
        traceId: first.traceId,
        spanId: '',
        name: 'trace',
        kind: 'internal',
        startTimeMs: start,
        endTimeMs: end,
        status: { code: 'unset' },
        attributes: {},
        events: [],
        resource: first.resource,
      },
      children: tops,
    };
    return { root: synthetic, orphans: [], synthetic: true };
  }
  const rootTop = topOf(root);
  // A subtree whose top names a parent we never saw is an orphan: it belongs to this trace's
  // session but its link to the root is missing.
  const orphans = tops.filter(
    (n) => n !== rootTop && n.span.parentSpanId && !n.span.parentIsRemote && !(rootTop === root && n.span.parentSpanId === root.span.spanId),
  );
  return { root, orphans, synthetic: false };
}

function countSubtree(node: Node): number {
  let n = 1;
  for (const c of node.children) n += countSubtree(c);
  return n;
}

// ---- header --------------------------------------------------------------------------------

function metadataOf(attrs: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  // Filter first, then sort the few that match (same order as sorting every key).
  const keys: string[] = [];
  for (const key in attrs) if (key.startsWith(sc.AMS_METADATA_PREFIX)) keys.push(key);
  for (const key of keys.sort()) {
    const v = attrs[key];
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
      out[key.slice(sc.AMS_METADATA_PREFIX.length)] = v;
    }
  }
  return out;
}

function modelUsageOf(attrs: Attributes): Record<string, ModelEntry> | undefined {
  const parsed = parseMaybeJson(attrs[sc.AMS_MODEL_USAGE]);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const out: Record<string, ModelEntry> = {};
  for (const model of Object.keys(parsed).sort()) {
    const u = parsed[model];
    if (!u || typeof u !== 'object' || Array.isArray(u)) continue;
    const n = (k: string) => (typeof u[k] === 'number' ? (u[k] as number) : 0);
    const cost = u.cost_usd;
    out[model] = {
      input_tokens: n('input_tokens'),
      output_tokens: n('output_tokens'),
      cache_read_input_tokens: n('cache_read_input_tokens'),
      cache_creation_input_tokens: n('cache_creation_input_tokens'),
      // Unknown stays unknown: a model the runtime gave no cost for is null, not $0.
      cost_usd: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
    };
  }
  return out;
}

/**
/**
 * Request model -> the one response model that answered it (`gpt-4o-mini` -> `gpt-4o-mini-2024-07-18`),
 * from the model calls that name both. A request model answered under several names is left alone.
 */
function responseModels(nodes: Iterable<Node>): Map<string, string> {
  const seen = new Map<string, string | null>();
  for (const { span } of nodes) {
    if (opName(span) !== sc.OP_CHAT) continue;
    const request = str(span.attributes, sc.GEN_AI_REQUEST_MODEL);
    const response = str(span.attributes, sc.GEN_AI_RESPONSE_MODEL);
    if (request === undefined || response === undefined || request === response) continue;
    const known = seen.get(request);
    seen.set(request, known === undefined || known === response ? response : null);
  }
  const out = new Map<string, string>();
  for (const [request, response] of seen) if (response !== null) out.set(request, response);
  return out;
}

/**
 * One entry per model, keyed by the name that answered (calls known only by the requested name
 * join it), usage summed over the events. A model's cost is the sum of its calls' known costs:
 * null when none had one, marked `cost_partial` when only some did.
 */
function modelsFromEvents(events: SessionEvent[], aliases: Map<string, string>): Record<string, ModelEntry> {
  const into: Record<string, ModelEntry> = {};
  const unpriced = new Set<string>();
  const walk = (list: SessionEvent[]) => {
    for (const e of list) {
      if (e.type === 'llm_message') {
        const named = e.model ?? 'unknown';
        const key = aliases.get(named) ?? named;
        const m = (into[key] ??= { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: null });
        if (e.usage) addUsage(m, e.usage);
        if (e.cost_usd === undefined) unpriced.add(key);
        else m.cost_usd = addCost(m.cost_usd, e.cost_usd);
      } else if ((e.type === 'subagent' || e.type === 'step') && e.events) {
        walk(e.events);
      }
    }
  };
  walk(events);
  for (const [key, m] of Object.entries(into)) if (m.cost_usd !== null && unpriced.has(key)) m.cost_partial = true;
  return into;
}

/** Sets `request_model` on each entry that was asked for under another name. */
function withRequestModels(models: Record<string, ModelEntry>, aliases: Map<string, string>): Record<string, ModelEntry> {
  for (const [request, response] of aliases) {
    const m = models[response];
    if (m !== undefined && m.request_model === undefined) models[response] = { request_model: request, ...m };
  }
  return models;
}

function firstAttr(nodes: Iterable<Node>, key: string): string | undefined {
  for (const n of nodes) {
    const v = str(n.span.attributes, key);
    if (v) return v;
  }
  return undefined;
}

/** The text of `gen_ai.system_instructions`: GenAI parts (`[{type: 'text', content}]`) joined, or plain text. */
function systemPromptOf(v: AttributeValue | undefined): string | undefined {
  const parsed = parseMaybeJson(v);
  if (typeof parsed === 'string') return parsed === '' ? undefined : parsed;
  const parts = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' ? [parsed] : [];
  const texts: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') texts.push(p);
    else if (p && typeof p === 'object' && !Array.isArray(p)) {
      const t = typeof p.content === 'string' ? p.content : typeof p.text === 'string' ? p.text : undefined;
      if (t !== undefined) texts.push(t);
    }
  }
  return texts.length ? texts.join('\n\n') : undefined;
}

// ---- entry point ---------------------------------------------------------------------------

/**
 * Builds the session for one agent run from its spans. `records` may hold more than the session
 * (a whole trace): only the chosen root's subtree, plus orphaned subtrees, is used.
 */
export function assembleSession(records: readonly SpanRecord[], options: AssembleOptions = {}): Session {
  if (records.length === 0) throw new Error('assembleSession: no spans');
  // Other instrumentations' conventions (deprecated gen_ai.*, OpenInference) -> current gen_ai.*.
  const nodes = buildTree(normalizeRecords(records));
  const price = options.price === false ? undefined : (options.price ?? defaultPriceLookup());
  const { root, orphans, synthetic } = chooseRoot(nodes, options.rootSpanId);
  const r = root.span;
  const ra = r.attributes;
  const members = [root, ...orphans];
  const kept = members.reduce((n, m) => n + countSubtree(m), 0) - (synthetic ? 1 : 0);

  const topEvents: Keyed[] = [];
  spanEvents(r, topEvents);
  childEvents(root, topEvents, price);
  // A trace that is a single model or tool call (e.g. one instrumented OpenAI request): the root
  // is itself the event.
  const rootOp = synthetic ? undefined : opName(r);
  if (rootOp === sc.OP_CHAT) topEvents.push(keyed(llmMessage(r, price), r.startTimeMs));
  else if (rootOp === sc.OP_EXECUTE_TOOL) topEvents.push(keyed(toolCall(r, root), r.startTimeMs));
  for (const o of orphans) childEvents({ span: r, children: [o] }, topEvents, price);
  const events = sortEvents(topEvents);

  const startMs = Math.min(...members.map((m) => m.span.startTimeMs));
  const endMs = Math.max(...members.map((m) => m.span.endTimeMs));
  const totals = computeTotals(events, ra, endMs - startMs);
  // Whole milliseconds, whoever reported them (the runtime's own figures may be fractional).
  totals.duration_ms = wholeMs(totals.duration_ms);
  totals.api_duration_ms = wholeMs(totals.api_duration_ms);
  const rootError = synthetic ? null : errorMessage(r);
  // The run itself failed: counted with the errors inside it (a lone chat/tool root already was).
  if (rootError && rootOp !== sc.OP_CHAT && rootOp !== sc.OP_EXECUTE_TOOL) totals.errors += 1;
  const reported = modelUsageOf(ra);
  const aliases = responseModels(nodes.values());
  const models = withRequestModels(reported && Object.keys(reported).length ? reported : modelsFromEvents(events, aliases), aliases);

  const incompleteReasons: string[] = [];
  if (options.incompleteReason) incompleteReasons.push(options.incompleteReason);
  // (A trace of log records alone has no root span by nature: a root made from its logs is no loss.)
  if (synthetic && !options.incompleteReason && !records.every(isLogRecord)) incompleteReasons.push('root span never arrived');
  if (orphans.length) incompleteReasons.push(`${orphans.length} span subtree(s) arrived without their parent`);
  if (options.droppedSpans) incompleteReasons.push(`${options.droppedSpans} span(s) dropped`);

  const reason = str(ra, sc.AMS_STATUS_REASON);
  let status: SessionStatus = 'ok';
  if (rootError || reason) status = 'error';
  else if (incompleteReasons.length) status = 'incomplete';
  const statusReasons = [...(rootError || reason ? [reason && rootError && rootError !== reason ? `${reason}: ${rootError}` : (reason ?? rootError)!] : []), ...incompleteReasons];

  // The SDK's default service name (`unknown_service:node`) names nothing the user chose.
  const serviceName = str(r.resource, sc.SERVICE_NAME);
  const userService = serviceName !== undefined && !serviceName.startsWith(sc.UNKNOWN_SERVICE_PREFIX) ? serviceName : undefined;
  const agentName = str(ra, sc.GEN_AI_AGENT_NAME) ?? nameAfterOp(r, sc.OP_INVOKE_AGENT) ?? userService ?? 'agent';
  const rawId = options.sessionId ?? str(ra, sc.AMS_SESSION_ID) ?? options.defaultSessionId ?? r.traceId;

  const session = { schema_version: SCHEMA_VERSION, id: sanitizeId(rawId), trace_id: r.traceId } as Session;
  if (!synthetic) session.root_span_id = r.spanId;
  const conversationId = str(ra, sc.GEN_AI_CONVERSATION_ID) ?? firstAttr(nodes.values(), sc.GEN_AI_CONVERSATION_ID);
  if (conversationId !== undefined) session.conversation_id = conversationId;
  session.revision = options.revision ?? 1;
  session.status = status;
  if (statusReasons.length) session.status_reason = statusReasons.join('; ');
  const rootErrorType = rootError ? errorTypeOf(r) : undefined;
  if (rootErrorType !== undefined) session.error_type = rootErrorType;
  const agentVersion = str(ra, sc.GEN_AI_AGENT_VERSION);
  session.agent = agentVersion !== undefined ? { name: agentName, version: agentVersion } : { name: agentName };
  session.service = userService ?? agentName;
  const environment = str(ra, sc.AMS_ENVIRONMENT) ?? str(r.resource, sc.DEPLOYMENT_ENVIRONMENT_NAME) ?? str(r.resource, 'deployment.environment');
  if (environment !== undefined) session.environment = environment;
  session.tags = [...new Set(strList(ra, sc.AMS_TAGS) ?? [])];
  session.metadata = metadataOf(ra);
  const model = str(ra, sc.GEN_AI_REQUEST_MODEL) ?? str(ra, sc.GEN_AI_RESPONSE_MODEL) ?? mostUsedModel(models);
  if (model !== undefined) session.model = model;
  const systemPrompt = systemPromptOf(ra[sc.GEN_AI_SYSTEM_INSTRUCTIONS]);
  if (systemPrompt !== undefined) session.system_prompt = systemPrompt;
  session.models = models;
  session.started_at = iso(startMs);
  session.ended_at = iso(endMs);
  session.totals = totals;
  session.spans = { kept, dropped: options.droppedSpans ?? 0 };
  session.events = events;
  return session;
}
