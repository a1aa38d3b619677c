/**
 * ClaudeTracer: turns one Claude Agent SDK run (hooks + message stream) into gen_ai spans.
 *
 * Two channels feed it and they race:
 * - hooks (PreToolUse, PostToolUse, SubagentStart, ...) arrive in real time, as the CLI calls
 *   back; their times are exact;
 * - the message stream arrives as the caller consumes it (possibly late): model responses,
 *   `task_started` (which links a subagent's `agent_id` to the Agent tool call that started it),
 *   tool results, `result` totals.
 * Tool and subagent spans come from hooks, model-call spans from messages, and parentage from
 * `agent_id` / `parent_tool_use_id` only. A subagent whose link has not arrived yet is held as a
 * LazySpan and created, with its recorded times, once it has.
 *
 * Nothing here throws into the SDK or the caller: every entry point catches and reports via diag.
 */
import { readFile, stat } from 'node:fs/promises';
import { SpanKind, SpanStatusCode, context, diag, trace } from '@opentelemetry/api';
import type { Attributes, Context, Exception, Tracer } from '@opentelemetry/api';
import type { HookCallback, HookCallbackMatcher, HookEvent, HookInput, Options, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import * as sc from '../spans/semconv.js';
import { resolveConfig } from './config.js';
import type { ClaudeTracingOptions, ResolvedConfig } from './config.js';
import { LazySpan } from './lazy-span.js';
import { ResultTotals } from './totals.js';
import type { ResultLike } from './totals.js';
import { jsonText, putString, truncate } from './truncate.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.js';

export interface ClaudeTracerOptions extends ClaudeTracingOptions {
  /** The SDK options of the run: read (model, agent) and never modified. */
  sdkOptions?: Options;
  /** Parent context of the root span; default: the active context when the tracer is created. */
  parentContext?: Context;
}

/** How a run ended, for finish(). */
export interface FinishOutcome {
  /** The error the run threw, if any: recorded on the root span. */
  error?: unknown;
  /** The caller stopped consuming before the run finished (break / return). */
  abandoned?: boolean;
}

/** Tool names that start a subagent (`Task` is the legacy name of `Agent`). */
const AGENT_TOOLS = new Set(['Agent', 'Task']);
/** Hook events the tracer listens to. */
const HOOK_EVENTS: HookEvent[] = [
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'SubagentStart',
  'SubagentStop',
  'Notification',
  'PermissionDenied',
];
/** A time to first token beyond this is not believed (clock or field trouble). */
const MAX_TTFT_MS = 10 * 60 * 1000;
/** Waits before reading a subagent transcript again when a response is not in it yet. */
const TRANSCRIPT_RETRY_MS = [50, 150, 400];
/** Transcripts larger than this are not read for usage figures. */
const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;
/** UserPromptSubmit sources that a person did not type. */
const SYNTHETIC_SOURCES = new Set(['system', 'loop_wakeup', 'schedule_wakeup', 'poll_event']);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

interface AgentState {
  /** 'root' for the main thread. */
  key: string;
  span: LazySpan;
  agentId?: string;
  toolUseId?: string;
  type?: string;
  background?: boolean;
  stopped: boolean;
  /** Final per-response usage and stop reason, read from the subagent's transcript after SubagentStop. */
  transcriptUsage?: Map<string, TranscriptFigures>;
  usageLoad?: 'pending' | 'done';
  /** When SubagentStop fired (its span ends then, even if finish() comes first). */
  stoppedAt?: number;
}

interface ToolState {
  id: string;
  name: string;
  span: LazySpan;
  input?: unknown;
  ended: boolean;
}

interface UsageFigures {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

interface TranscriptFigures {
  usage: UsageFigures;
  stopReason?: string;
}

interface ChatState {
  id: string;
  /** parent_tool_use_id of the stream it came from ('' for the main thread). */
  ctx: string;
  span: LazySpan;
  model?: string;
  blocks: Json[];
  usage?: UsageFigures;
  /** Usage came from message_start + message_delta (exact), not from an assistant message. */
  streamed: boolean;
  /** Where the usage figures came from (see endChat). */
  usageSource?: 'stream' | 'message_start' | 'transcript';
  stopReason?: string;
  error?: { type: string; message: string };
  lastAt: number;
  ended: boolean;
}

function usageFrom(u: unknown, base?: UsageFigures): UsageFigures | undefined {
  const o = obj(u);
  if (!o) return base;
  const out: UsageFigures = base ? { ...base } : { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  for (const k of Object.keys(out) as (keyof UsageFigures)[]) {
    const v = num(o[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Final usage and stop reason per response id from a transcript (JSONL: one line per content block). */
function parseTranscriptUsage(text: string): Map<string, TranscriptFigures> {
  const usage = new Map<string, TranscriptFigures>();
  for (const line of text.split('\n')) {
    if (!line.includes('"assistant"')) continue;
    try {
      const entry = obj(JSON.parse(line));
      const message = obj(entry?.message);
      const id = s(message?.id);
      const figures = usageFrom(message?.usage);
      // Later lines of the same response win: the last one carries the final figures.
      if (entry?.type === 'assistant' && id && figures) usage.set(id, { usage: figures, stopReason: s(message?.stop_reason) });
    } catch {
      // a partial last line while the CLI is still writing: skip it
    }
  }
  return usage;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return jsonText(e);
}

export class ClaudeTracer {
  /** Hook matchers to append to the SDK's `hooks` option (instrumentOptions does it). */
  readonly hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>>;
  private readonly tracer: Tracer;
  private readonly config: ResolvedConfig;
  private readonly root: AgentState;
  private readonly agentsById = new Map<string, AgentState>();
  private readonly agentsByToolUse = new Map<string, AgentState>();
  private readonly tools = new Map<string, ToolState>();
  /** tool_use blocks seen in assistant messages: the fallback when no hook fired for a call. */
  private readonly toolUses = new Map<string, { name: string; input: unknown; at: number; agent: AgentState }>();
  private readonly chats = new Map<string, ChatState>();
  /** Chats not ended yet, per context: the hot path never scans every chat of a long run. */
  private readonly openChats = new Map<string, Set<ChatState>>();
  /** Subagent responses that are complete but wait for their final usage (SubagentStop). */
  private readonly awaitingUsage = new Map<string, ChatState[]>();
  /** Transcript reads in flight (flush() waits for them). */
  private readonly pending = new Set<Promise<void>>();
  /** Open streamed chat per context, for stream events that carry no message id. */
  private readonly streamingChat = new Map<string, ChatState>();
  private readonly deniedNotified = new Set<string>();
  /**
   * Per context, when its last input (prompt, tool results) was seen: the CLI sends the next model
   * request right after it, so that is when a response without stream timing started.
   */
  private readonly lastInput = new Map<string, number>();
  private readonly results = new ResultTotals();
  private requestModel: string | undefined;
  private conversationId: string | undefined;
  private resultError: string | undefined;
  private finished = false;
  private userWantsPartial = true;
  private userWantsSubagentText = true;

  constructor(options: ClaudeTracerOptions = {}) {
    this.config = resolveConfig(options, options.sdkOptions?.agent);
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    this.tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.requestModel = options.sdkOptions?.model;
    const attrs: Attributes = {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT,
      [sc.GEN_AI_PROVIDER_NAME]: 'anthropic',
      [sc.GEN_AI_AGENT_NAME]: this.config.agentName,
    };
    if (this.config.agentVersion) attrs[sc.GEN_AI_AGENT_VERSION] = this.config.agentVersion;
    if (this.requestModel) attrs[sc.GEN_AI_REQUEST_MODEL] = this.requestModel;
    if (this.config.environment) attrs[sc.AMS_ENVIRONMENT] = this.config.environment;
    if (this.config.tags.length) attrs[sc.AMS_TAGS] = this.config.tags;
    if (this.config.sessionId) attrs[sc.AMS_SESSION_ID] = this.config.sessionId;
    for (const [k, v] of Object.entries(this.config.metadata)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[sc.AMS_METADATA_PREFIX + k] = v;
    }
    const span = LazySpan.root(this.tracer, `${sc.OP_INVOKE_AGENT} ${this.config.agentName}`, SpanKind.INTERNAL, Date.now(), attrs, options.parentContext ?? context.active());
    this.root = { key: 'root', span, stopped: false };
    this.hooks = {};
    for (const event of HOOK_EVENTS) {
      const cb: HookCallback = async (input, toolUseId) => {
        this.onHook(input, toolUseId);
        return {};
      };
      this.hooks[event] = [{ hooks: [cb] }];
    }
  }

  /** The root span's trace id (for finding the session afterwards). */
  get traceId(): string {
    return this.root.span.spanContext?.traceId ?? '';
  }

  /** Context with the root span active: run your own work in it to nest spans under the run. */
  get context(): Context {
    const sc0 = this.root.span.spanContext;
    return sc0 ? trace.setSpanContext(context.active(), sc0) : context.active();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Tells the tracer what the caller's own options asked for, so recordMessage() can say which
   * messages the caller would not have received without instrumentation (instrumentOptions calls it).
   */
  noteCallerOptions(options: Options | undefined): void {
    this.userWantsPartial = options?.includePartialMessages === true;
    this.userWantsSubagentText = options?.forwardSubagentText === true;
    if (!this.requestModel && options?.model) {
      this.requestModel = options.model;
      this.root.span.setAttribute(sc.GEN_AI_REQUEST_MODEL, options.model);
    }
  }

  /**
   * Records one message of the SDK stream. Returns false for messages the caller did not ask for
   * and that exist only because instrumentOptions() turned on partial messages / subagent text:
   * pass the others on (`if (tracer.recordMessage(m)) handle(m)`). Never throws.
   */
  recordMessage(message: SDKMessage): boolean {
    const m = obj(message);
    if (!m) return true;
    try {
      if (!this.finished) this.onMessage(m, Date.now());
      return this.isForCaller(m);
    } catch (err) {
      diag.error('ams-otel/claude: failed to record a message', err);
      return true;
    }
  }

  /** Ends every open span and then the root. Idempotent; never throws. */
  finish(outcome: FinishOutcome = {}): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.close(outcome, Date.now());
    } catch (err) {
      diag.error('ams-otel/claude: failed to finish the run', err);
      try {
        this.root.span.end();
      } catch {
        // nothing left to do
      }
    }
  }

  // ---- visibility ------------------------------------------------------------------------

  private isForCaller(m: Json): boolean {
    if (m.type === 'stream_event') return this.userWantsPartial;
    // Emitted only while partial messages are on (probed): the "requesting" heartbeat.
    if (m.type === 'system' && m.subtype === 'status' && m.status === 'requesting') return this.userWantsPartial;
    if (!this.userWantsSubagentText && m.type === 'assistant' && s(m.parent_tool_use_id)) {
      // Without forwardSubagentText the CLI forwards only a foreground subagent's tool_use blocks;
      // a background subagent's text comes through either way (probed), so keep that.
      const agent = this.agentsByToolUse.get(String(m.parent_tool_use_id));
      const content = obj(m.message)?.content;
      const textOnly = Array.isArray(content) && content.every((b) => ['text', 'thinking', 'redacted_thinking'].includes(String(obj(b)?.type)));
      if (textOnly && !agent?.background) return false;
    }
    return true;
  }

  // ---- hooks -----------------------------------------------------------------------------

  private onHook(input: HookInput, toolUseId: string | undefined): void {
    try {
      if (this.finished) return;
      const i = input as unknown as Json;
      const now = Date.now();
      this.noteConversation(s(i.session_id));
      const agent = this.agentForHook(s(i.agent_id), s(i.agent_type), now);
      switch (i.hook_event_name) {
        case 'UserPromptSubmit': {
          const prompt = s(i.prompt) ?? '';
          this.lastInput.set(agent === this.root ? '' : (agent.toolUseId ?? agent.key), now);
          const synthetic = SYNTHETIC_SOURCES.has(String(i.source)) || prompt.trimStart().startsWith('<task-notification>');
          const attrs: Attributes = { [sc.AMS_PROMPT_SYNTHETIC]: synthetic };
          if (this.config.captureContent) putString(attrs, sc.AMS_PROMPT, prompt, this.config.maxAttributeLength);
          agent.span.addEvent(sc.EVENT_USER_PROMPT, attrs, now);
          break;
        }
        case 'PreToolUse':
          this.startTool(s(i.tool_use_id) ?? toolUseId ?? '', s(i.tool_name) ?? 'unknown', i.tool_input, agent, obj(i.mcp_server), now);
          break;
        case 'PostToolUse': {
          const id = s(i.tool_use_id) ?? toolUseId ?? '';
          const response = i.tool_response;
          if (AGENT_TOOLS.has(String(i.tool_name))) {
            const r = obj(response);
            const agentId = s(r?.agentId);
            if (agentId) this.link(this.agentById(agentId, now), id);
            if (r?.status === 'async_launched' || r?.isAsync === true) {
              const launched = this.agentsByToolUse.get(id);
              if (launched) launched.background = true;
            }
          }
          this.endTool(id, { result: response }, now, { name: s(i.tool_name), input: i.tool_input, agent });
          break;
        }
        case 'PostToolUseFailure': {
          const id = s(i.tool_use_id) ?? toolUseId ?? '';
          const interrupted = i.is_interrupt === true;
          this.endTool(id, { error: s(i.error) ?? 'tool failed', errorType: interrupted ? 'interrupted' : 'tool_error', interrupted }, now, {
            name: s(i.tool_name),
            input: i.tool_input,
            agent,
          });
          break;
        }
        case 'SubagentStart':
          // agentForHook() created or found the subagent; its link to the Agent tool call comes
          // from the message stream (task_started) or the Agent tool's PostToolUse.
          break;
        case 'SubagentStop': {
          if (agent === this.root) break;
          const path = s(i.agent_transcript_path);
          if (path) agent.span.setAttribute(sc.AMS_SUBAGENT_TRANSCRIPT_PATH, path);
          agent.stopped = true;
          agent.stoppedAt = now;
          // Subagent responses are not streamed to the SDK, so their messages carry
          // message_start usage only; the transcript has the final figures. Read it off the hook's
          // path (never awaited here), then end the subagent's spans with their recorded times.
          const finalize = () => {
            if (this.finished) return;
            this.endChatsOf(agent);
            agent.span.end(now);
          };
          if (path) void this.loadTranscriptUsage(agent, path).then(finalize);
          else {
            agent.usageLoad = 'done';
            finalize();
          }
          break;
        }
        case 'Notification': {
          const title = s(i.title);
          const message = s(i.message) ?? '';
          agent.span.addEvent(
            sc.EVENT_NOTIFICATION,
            { [sc.AMS_MESSAGE]: title && !message.includes(title) ? `${title}: ${message}` : message, [sc.AMS_NOTIFICATION_KIND]: s(i.notification_type) ?? 'notification' },
            now,
          );
          break;
        }
        case 'PermissionDenied': {
          const id = s(i.tool_use_id) ?? '';
          this.notifyDenied(agent, id, s(i.tool_name) ?? 'tool', s(i.reason) ?? 'permission denied', now);
          break;
        }
        default:
          break;
      }
    } catch (err) {
      diag.error('ams-otel/claude: hook failed', err);
    }
  }

  // ---- messages --------------------------------------------------------------------------

  private onMessage(m: Json, now: number): void {
    this.noteConversation(s(m.session_id));
    // Replays of earlier history (resume, local command echoes) happened before this run.
    if (m.isReplay === true) return;
    switch (m.type) {
      case 'system':
        this.onSystem(m, now);
        break;
      case 'stream_event':
        this.onStreamEvent(m, now);
        break;
      case 'assistant':
        this.onAssistant(m, now);
        break;
      case 'user':
        this.onUser(m, now);
        break;
      case 'result':
        this.onResult(m);
        break;
      default:
        break;
    }
  }

  private onSystem(m: Json, now: number): void {
    switch (m.subtype) {
      case 'init': {
        const model = s(m.model);
        if (model && !this.requestModel) {
          this.requestModel = model;
          this.root.span.setAttribute(sc.GEN_AI_REQUEST_MODEL, model);
        }
        break;
      }
      case 'task_started': {
        // Subagent runs are `local_agent` tasks; background shells etc. are tasks too.
        const toolUseId = s(m.tool_use_id);
        const taskId = s(m.task_id);
        if (!toolUseId || !taskId || (m.task_type !== undefined && m.task_type !== 'local_agent' && !m.subagent_type)) break;
        const agent = this.agentById(taskId, now);
        if (m.is_backgrounded === true) agent.background = true;
        this.describeAgent(agent, { type: s(m.subagent_type), prompt: s(m.prompt), description: s(m.description) });
        this.link(agent, toolUseId);
        break;
      }
      case 'permission_denied': {
        const agent = s(m.agent_id) ? this.agentById(String(m.agent_id), now) : this.root;
        this.notifyDenied(agent, s(m.tool_use_id) ?? '', s(m.tool_name) ?? 'tool', s(m.message) ?? s(m.decision_reason) ?? 'permission denied', now);
        break;
      }
      case 'compact_boundary': {
        const meta = obj(m.compact_metadata);
        const pre = num(meta?.pre_tokens);
        const post = num(meta?.post_tokens);
        const msg = `Conversation compacted (${String(meta?.trigger ?? 'auto')}${pre !== undefined ? `, ${pre} tokens before` : ''}${post !== undefined ? `, ${post} after` : ''})`;
        this.root.span.addEvent(sc.EVENT_NOTIFICATION, { [sc.AMS_MESSAGE]: msg, [sc.AMS_NOTIFICATION_KIND]: 'compact_boundary' }, now);
        break;
      }
      case 'api_retry': {
        const status = m.error_status === null || m.error_status === undefined ? 'no response' : `HTTP ${String(m.error_status)}`;
        const msg = `API request failed (${String(m.error ?? 'error')}, ${status}); retry ${String(m.attempt)}/${String(m.max_retries)} in ${String(m.retry_delay_ms)} ms`;
        this.root.span.addEvent(sc.EVENT_NOTIFICATION, { [sc.AMS_MESSAGE]: msg, [sc.AMS_NOTIFICATION_KIND]: 'api_retry' }, now);
        break;
      }
      case 'notification': {
        this.root.span.addEvent(sc.EVENT_NOTIFICATION, { [sc.AMS_MESSAGE]: s(m.text) ?? '', [sc.AMS_NOTIFICATION_KIND]: s(m.key) ?? 'notification' }, now);
        break;
      }
      default:
        break;
    }
  }

  /** Partial messages: exact per-call timing and usage (only the main thread streams them). */
  private onStreamEvent(m: Json, now: number): void {
    const ev = obj(m.event);
    if (!ev) return;
    const ctx = s(m.parent_tool_use_id) ?? '';
    const byId = s(m.api_message_id);
    const current = (byId && this.chats.get(byId)) || this.streamingChat.get(ctx);
    switch (ev.type) {
      case 'message_start': {
        const msg = obj(ev.message);
        const id = s(msg?.id) ?? byId;
        if (!id) return;
        // message_start arrives after the time to first token: the request went out ttft_ms earlier.
        const ttft = num(m.ttft_ms);
        const start = ttft !== undefined && ttft >= 0 && ttft < MAX_TTFT_MS ? now - ttft : now;
        const chat = this.chatFor(id, ctx, s(m.agent_id), now, start);
        chat.streamed = true;
        chat.model = s(msg?.model) ?? chat.model;
        chat.usage = usageFrom(msg?.usage, chat.usage);
        this.streamingChat.set(ctx, chat);
        break;
      }
      case 'message_delta': {
        if (!current) return;
        const delta = obj(ev.delta);
        if (s(delta?.stop_reason)) current.stopReason = String(delta?.stop_reason);
        // message_delta's usage is cumulative for the call: its output_tokens are final, and
        // newer API versions repeat the input/cache counts there too.
        current.usage = usageFrom(ev.usage, current.usage);
        current.lastAt = now;
        break;
      }
      case 'message_stop':
        if (!current) return;
        current.lastAt = now;
        this.endChat(current);
        if (this.streamingChat.get(ctx) === current) this.streamingChat.delete(ctx);
        break;
      default:
        if (current) current.lastAt = now;
        break;
    }
  }

  private onAssistant(m: Json, now: number): void {
    const msg = obj(m.message);
    if (!msg) return;
    const ctx = s(m.parent_tool_use_id) ?? '';
    const id = s(msg.id) ?? s(m.uuid) ?? `anon-${now}`;
    // Non-streamed contexts: a new message id means the previous response is complete.
    for (const other of this.openIn(ctx)) if (other.id !== id && !other.streamed) this.settleChat(other);
    const chat = this.chatFor(id, ctx, s(m.agent_id), now, this.lastInput.get(ctx));
    const model = s(msg.model);
    if (model && model !== '<synthetic>') chat.model = model;
    if (s(m.error) || model === '<synthetic>') {
      // The CLI reports API failures as a synthetic assistant message (model "<synthetic>").
      const text = Array.isArray(msg.content) ? msg.content.map((b) => s(obj(b)?.text) ?? '').join('') : '';
      chat.error = { type: s(m.error) ?? 'api_error', message: text || s(m.error) || 'API error' };
      chat.lastAt = now;
      this.endChat(chat);
      return;
    }
    if (Array.isArray(msg.content)) {
      for (const block of msg.content) {
        const b = obj(block);
        if (!b) continue;
        if (!chat.ended) chat.blocks.push(b);
        if (b.type === 'tool_use' && s(b.id)) {
          const agent = this.agentForMessage(ctx, s(m.agent_id), now);
          this.toolUses.set(String(b.id), { name: s(b.name) ?? 'unknown', input: b.input, at: now, agent });
        }
      }
    }
    if (!chat.streamed) chat.usage = usageFrom(msg.usage, chat.usage);
    if (s(msg.stop_reason)) chat.stopReason = String(msg.stop_reason);
    if (m.aborted === true) chat.error = { type: 'aborted', message: 'response cut short by an interrupt' };
    chat.lastAt = now;
  }

  private onUser(m: Json, now: number): void {
    const ctx = s(m.parent_tool_use_id) ?? '';
    // Anything after a response in the same context means that response is complete.
    for (const chat of this.openIn(ctx)) if (!chat.streamed) this.settleChat(chat);
    this.lastInput.set(ctx, now);
    if (ctx) this.agentForMessage(ctx, s(m.agent_id), now);
    const content = obj(m.message)?.content;
    if (!Array.isArray(content)) return;
    const metas = Array.isArray(m.tool_result_meta) ? m.tool_result_meta.map(obj) : [];
    for (const block of content) {
      const b = obj(block);
      if (b?.type !== 'tool_result') continue;
      const id = s(b.tool_use_id);
      if (!id) continue;
      const tool = this.tools.get(id);
      if (tool?.ended) continue;
      // No PostToolUse / PostToolUseFailure came: a denial (hook or canUseTool), an unknown tool,
      // or a call the CLI rejected before running it. The tool_result is all there is.
      const meta = metas.find((x) => x?.id === id);
      const decision = obj(meta?.permission_decision);
      const denied = decision?.decision === 'reject';
      // Probed: Query.interrupt() during a tool call yields an error tool_result whose meta says
      // `non_execution_kind: "user-rejected"` with no permission decision (no PostToolUseFailure).
      const interrupted = !denied && meta?.non_execution_kind === 'user-rejected';
      const text = typeof b.content === 'string' ? b.content : Array.isArray(b.content) ? b.content.map((c) => s(obj(c)?.text) ?? '').join('') : jsonText(b.content);
      const seen = this.toolUses.get(id);
      const agent = seen?.agent ?? this.agentForMessage(ctx, s(m.agent_id), now);
      if (b.is_error === true) {
        const cleaned = text.replace(/^<tool_use_error>|<\/tool_use_error>$/g, '');
        const errorType = denied ? 'permission_denied' : interrupted ? 'interrupted' : 'tool_error';
        this.endTool(id, { error: cleaned, errorType, interrupted }, now, { name: seen?.name, input: seen?.input, agent, startedAt: seen?.at });
        if (denied) this.notifyDenied(agent, id, seen?.name ?? tool?.name ?? 'tool', cleaned, now);
      } else {
        this.endTool(id, { result: m.tool_use_result ?? text }, now, { name: seen?.name, input: seen?.input, agent, startedAt: seen?.at });
      }
    }
  }

  private onResult(m: Json): void {
    this.results.add(m as ResultLike);
    // Results close the main thread's turn; background subagents keep going.
    for (const chat of this.openIn('')) if (!chat.streamed) this.endChat(chat);
    const subtype = s(m.subtype) ?? 'unknown';
    if ((subtype !== 'success' || m.is_error === true) && !this.resultError) {
      const errors = Array.isArray(m.errors) ? m.errors.filter((e): e is string => typeof e === 'string') : [];
      const kind = subtype !== 'success' ? subtype : (s(m.terminal_reason) ?? 'error_result');
      const detail = errors.join('; ') || (subtype === 'success' ? s(m.result) : undefined) || '';
      this.resultError = detail ? `${kind}: ${detail}` : kind;
      this.root.span.setAttribute(sc.AMS_STATUS_REASON, truncate(this.resultError, this.config.maxAttributeLength).value);
      this.root.span.setError(this.resultError);
    }
  }

  // ---- agents ----------------------------------------------------------------------------

  private agentForHook(agentId: string | undefined, agentType: string | undefined, now: number): AgentState {
    if (!agentId) return this.root;
    const agent = this.agentById(agentId, now);
    if (agentType) this.describeAgent(agent, { type: agentType });
    return agent;
  }

  private agentForMessage(parentToolUseId: string, agentId: string | undefined, now: number): AgentState {
    if (!parentToolUseId) return this.root;
    let agent = agentId ? this.agentById(agentId, now) : this.agentsByToolUse.get(parentToolUseId);
    if (!agent) {
      // Older CLIs name only the parent tool call; key the subagent by it.
      agent = this.newAgent(`tool:${parentToolUseId}`, now);
    }
    this.link(agent, parentToolUseId);
    return agent;
  }

  private agentById(agentId: string, now: number): AgentState {
    let agent = this.agentsById.get(agentId);
    if (!agent) {
      agent = this.newAgent(agentId, now);
      agent.agentId = agentId;
      agent.span.setAttribute(sc.GEN_AI_AGENT_ID, agentId);
      this.agentsById.set(agentId, agent);
    }
    return agent;
  }

  private newAgent(key: string, now: number): AgentState {
    const span = new LazySpan(this.tracer, `${sc.OP_INVOKE_AGENT} subagent`, SpanKind.INTERNAL, now, {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT,
      [sc.GEN_AI_PROVIDER_NAME]: 'anthropic',
    });
    return { key, span, stopped: false };
  }

  private describeAgent(agent: AgentState, d: { type?: string; prompt?: string; description?: string }): void {
    if (agent === this.root) return;
    if (d.type && d.type !== agent.type) {
      agent.type = d.type;
      agent.span.updateName(`${sc.OP_INVOKE_AGENT} ${d.type}`);
      agent.span.setAttribute(sc.GEN_AI_AGENT_NAME, d.type);
      agent.span.setAttribute(sc.AMS_SUBAGENT_TYPE, d.type);
    }
    if (d.prompt !== undefined && this.config.captureContent && agent.span.attributes[sc.AMS_SUBAGENT_PROMPT] === undefined) {
      const attrs: Attributes = {};
      putString(attrs, sc.AMS_SUBAGENT_PROMPT, d.prompt, this.config.maxAttributeLength);
      agent.span.setAttributes(attrs);
    }
    if (d.description && agent.span.attributes[sc.AMS_SUBAGENT_DESCRIPTION] === undefined) {
      agent.span.setAttribute(sc.AMS_SUBAGENT_DESCRIPTION, truncate(d.description, this.config.maxAttributeLength).value);
      agent.span.setAttribute(sc.GEN_AI_AGENT_DESCRIPTION, truncate(d.description, this.config.maxAttributeLength).value);
    }
  }

  /** Links a subagent to the Agent tool call that started it: its span goes under that call's. */
  private link(agent: AgentState, toolUseId: string): void {
    if (!toolUseId || agent === this.root || agent.toolUseId) return;
    const other = this.agentsByToolUse.get(toolUseId);
    if (other && other !== agent) {
      diag.debug(`ams-otel/claude: tool call ${toolUseId} already has a subagent; keeping both`);
      return;
    }
    agent.toolUseId = toolUseId;
    this.agentsByToolUse.set(toolUseId, agent);
    const tool = this.tools.get(toolUseId) ?? this.placeholderTool(toolUseId, agent.span.startTime);
    const input = obj(tool.input);
    if (input) this.describeAgent(agent, { type: s(input.subagent_type), prompt: s(input.prompt), description: s(input.description) });
    agent.span.setParent(tool.span);
  }

  // ---- tools -----------------------------------------------------------------------------

  private startTool(id: string, name: string, input: unknown, agent: AgentState, mcp: Json | undefined, now: number): ToolState {
    const existing = this.tools.get(id);
    if (existing) return existing;
    const attrs: Attributes = {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL,
      [sc.GEN_AI_TOOL_NAME]: name,
      [sc.GEN_AI_TOOL_CALL_ID]: id,
    };
    const mcpServer = s(mcp?.name) ?? (name.startsWith('mcp__') ? name.split('__')[1] : undefined);
    attrs[sc.GEN_AI_TOOL_TYPE] = mcpServer ? 'extension' : 'function';
    if (mcpServer) attrs[sc.AMS_TOOL_MCP_SERVER] = mcpServer;
    if (this.config.captureContent && input !== undefined) putString(attrs, sc.GEN_AI_TOOL_CALL_ARGUMENTS, jsonText(input), this.config.maxAttributeLength);
    const span = new LazySpan(this.tracer, `${sc.OP_EXECUTE_TOOL} ${name}`, SpanKind.INTERNAL, now, attrs);
    const tool: ToolState = { id, name, span, input, ended: false };
    this.tools.set(id, tool);
    span.setParent(agent.span);
    return tool;
  }

  /** A tool call we only know by id (a subagent's link arrived before its PreToolUse). */
  private placeholderTool(id: string, at: number): ToolState {
    const seen = this.toolUses.get(id);
    return this.startTool(id, seen?.name ?? 'Agent', seen?.input, seen?.agent ?? this.root, undefined, seen?.at ?? at);
  }

  private endTool(
    id: string,
    outcome: { result?: unknown; error?: string; errorType?: string; interrupted?: boolean },
    now: number,
    known: { name?: string; input?: unknown; agent: AgentState; startedAt?: number },
  ): void {
    if (!id) return;
    const tool = this.tools.get(id) ?? this.startTool(id, known.name ?? 'unknown', known.input, known.agent, undefined, known.startedAt ?? now);
    if (tool.ended) return;
    tool.ended = true;
    const attrs: Attributes = {};
    if (outcome.error !== undefined) {
      attrs[sc.AMS_TOOL_STATUS] = outcome.interrupted ? 'interrupted' : 'error';
      attrs[sc.AMS_TOOL_INTERRUPTED] = outcome.interrupted === true;
      attrs[sc.ERROR_TYPE] = outcome.errorType ?? 'tool_error';
      tool.span.setStatus({ code: SpanStatusCode.ERROR, message: truncate(outcome.error, this.config.maxAttributeLength).value });
    } else {
      const r = obj(outcome.result);
      const interrupted = r?.interrupted === true;
      attrs[sc.AMS_TOOL_STATUS] = interrupted ? 'interrupted' : 'ok';
      attrs[sc.AMS_TOOL_INTERRUPTED] = interrupted;
      if (this.config.captureContent && outcome.result !== undefined) {
        putString(attrs, sc.GEN_AI_TOOL_CALL_RESULT, jsonText(outcome.result), this.config.maxAttributeLength);
      }
    }
    tool.span.setAttributes(attrs);
    tool.span.end(now);
    // Free what is no longer needed; an Agent call's input still describes its subagent.
    if (!AGENT_TOOLS.has(tool.name)) tool.input = undefined;
    this.toolUses.delete(id);
  }

  private notifyDenied(agent: AgentState, toolUseId: string, toolName: string, reason: string, now: number): void {
    const key = toolUseId || `${toolName}:${reason}`;
    if (this.deniedNotified.has(key)) return;
    this.deniedNotified.add(key);
    agent.span.addEvent(
      sc.EVENT_NOTIFICATION,
      { [sc.AMS_MESSAGE]: truncate(`${toolName} denied: ${reason}`, this.config.maxAttributeLength).value, [sc.AMS_NOTIFICATION_KIND]: 'permission_denied' },
      now,
    );
  }

  // ---- chats -----------------------------------------------------------------------------

  private chatFor(id: string, ctx: string, agentId: string | undefined, now: number, startAt?: number): ChatState {
    const existing = this.chats.get(id);
    if (existing) return existing;
    const agent = this.agentForMessage(ctx, agentId, now);
    const model = this.requestModel ?? 'claude';
    const start = startAt !== undefined && startAt <= now ? startAt : now;
    this.lastInput.delete(ctx);
    const span = new LazySpan(this.tracer, `${sc.OP_CHAT} ${model}`, SpanKind.CLIENT, start, {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT,
      [sc.GEN_AI_PROVIDER_NAME]: 'anthropic',
      [sc.GEN_AI_REQUEST_MODEL]: model,
    });
    const chat: ChatState = { id, ctx, span, blocks: [], streamed: false, lastAt: now, ended: false };
    this.chats.set(id, chat);
    let open = this.openChats.get(ctx);
    if (!open) this.openChats.set(ctx, (open = new Set()));
    open.add(chat);
    span.setParent(agent.span);
    return chat;
  }

  private endChatsOf(agent: AgentState): void {
    if (!agent.toolUseId) return;
    const waiting = this.awaitingUsage.get(agent.toolUseId) ?? [];
    this.awaitingUsage.delete(agent.toolUseId);
    for (const chat of [...waiting, ...this.openIn(agent.toolUseId)]) {
      this.applyTranscriptUsage(agent, chat);
      this.endChat(chat);
    }
  }

  /** Responses of a subagent not ended yet. */
  private chatsOf(agent: AgentState): ChatState[] {
    if (!agent.toolUseId) return [];
    return [...(this.awaitingUsage.get(agent.toolUseId) ?? []), ...this.openIn(agent.toolUseId)];
  }

  /** A response is complete: end it, or for a subagent hold it until its final usage is known. */
  private settleChat(chat: ChatState): void {
    if (chat.ended) return;
    const agent = chat.ctx ? this.agentsByToolUse.get(chat.ctx) : undefined;
    if (!agent || agent.usageLoad === 'done') {
      if (agent) this.applyTranscriptUsage(agent, chat);
      this.endChat(chat);
      return;
    }
    this.openChats.get(chat.ctx)?.delete(chat);
    let list = this.awaitingUsage.get(chat.ctx);
    if (!list) this.awaitingUsage.set(chat.ctx, (list = []));
    list.push(chat);
  }

  private applyTranscriptUsage(agent: AgentState, chat: ChatState): void {
    const found = agent.transcriptUsage?.get(chat.id);
    if (!found || chat.streamed) return;
    chat.usage = found.usage;
    chat.usageSource = 'transcript';
    chat.stopReason ??= found.stopReason;
  }

  /** Reads final per-response usage from a subagent transcript (JSONL); failures only cost exactness. */
  private loadTranscriptUsage(agent: AgentState, path: string): Promise<void> {
    agent.usageLoad = 'pending';
    const load = (async () => {
      try {
        // A transcript this large is not worth holding in memory for usage figures.
        if ((await stat(path)).size > MAX_TRANSCRIPT_BYTES) return;
        // Probed: the subagent's last response reaches the transcript just after SubagentStop,
        // so read again (briefly) while a known response is missing.
        for (let attempt = 0; ; attempt++) {
          const usage = parseTranscriptUsage(await readFile(path, 'utf8'));
          agent.transcriptUsage = usage;
          const missing = this.chatsOf(agent).some((c) => !usage.has(c.id));
          if (!missing || attempt >= TRANSCRIPT_RETRY_MS.length || this.finished) break;
          await sleep(TRANSCRIPT_RETRY_MS[attempt]!);
        }
      } catch (err) {
        diag.debug(`ams-otel/claude: could not read subagent transcript ${path}: ${errorText(err)}`);
      } finally {
        agent.usageLoad = 'done';
      }
    })();
    this.pending.add(load);
    void load.finally(() => this.pending.delete(load));
    return load;
  }

  /**
   * Waits (at most `timeoutMs`) for background work that makes spans more exact, such as reading
   * subagent transcripts for final usage. Call before finish(); tracedQuery does. Never rejects.
   */
  async flush(timeoutMs = 2000): Promise<void> {
    if (!this.pending.size) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.pending]).then(() => undefined), timeout]);
    clearTimeout(timer);
  }

  /** A snapshot of the open chats of a context (safe to end them while iterating). */
  private openIn(ctx: string): ChatState[] {
    const open = this.openChats.get(ctx);
    return open ? [...open] : [];
  }

  private endChat(chat: ChatState): void {
    if (chat.ended) return;
    chat.ended = true;
    this.openChats.get(chat.ctx)?.delete(chat);
    const { span } = chat;
    const attrs: Attributes = {};
    if (chat.model) {
      attrs[sc.GEN_AI_RESPONSE_MODEL] = chat.model;
      // A subagent may run another model than the session's; its response names the one used.
      if (chat.ctx) attrs[sc.GEN_AI_REQUEST_MODEL] = chat.model;
      span.updateName(`${sc.OP_CHAT} ${chat.model}`);
    }
    if (!chat.id.startsWith('anon-')) attrs[sc.GEN_AI_RESPONSE_ID] = chat.id;
    if (chat.stopReason) attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = [chat.stopReason];
    if (chat.usage) {
      attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] = chat.usage.input_tokens;
      attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = chat.usage.output_tokens;
      attrs[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = chat.usage.cache_read_input_tokens;
      attrs[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = chat.usage.cache_creation_input_tokens;
      // stream / transcript: exact per call; message_start: output tokens not final.
      attrs[sc.AMS_USAGE_SOURCE] = chat.usageSource ?? (chat.streamed ? 'stream' : 'message_start');
    }
    const output = this.outputMessages(chat);
    if (output) {
      attrs[sc.GEN_AI_OUTPUT_MESSAGES] = output.json;
      if (output.originalSize !== undefined) attrs[sc.GEN_AI_OUTPUT_MESSAGES + sc.AMS_TRUNCATED_SUFFIX] = output.originalSize;
    }
    if (chat.error) {
      attrs[sc.ERROR_TYPE] = chat.error.type;
      span.setStatus({ code: SpanStatusCode.ERROR, message: truncate(chat.error.message, this.config.maxAttributeLength).value });
    }
    span.setAttributes(attrs);
    span.end(chat.lastAt);
    // Keep the id (late duplicates of an ended response are ignored), drop the content.
    chat.blocks = [];
  }

  /** gen_ai.output.messages in the OTel GenAI format; each part cut on its own so the JSON stays valid. */
  private outputMessages(chat: ChatState): { json: string; originalSize?: number } | undefined {
    if (!chat.blocks.length) return undefined;
    const max = this.config.maxAttributeLength;
    let cut = false;
    const fit = (text: string): string => {
      const t = truncate(text, max);
      if (t.originalSize !== undefined) cut = true;
      return t.value;
    };
    const full: Json[] = [];
    const parts: Json[] = [];
    for (const b of chat.blocks) {
      if (b.type === 'thinking') {
        if (!this.config.captureThinking) continue;
        full.push({ type: 'reasoning', content: s(b.thinking) ?? '' });
        parts.push({ type: 'reasoning', content: fit(s(b.thinking) ?? '') });
      } else if (b.type === 'text') {
        const part: Json = { type: 'text' };
        if (this.config.captureContent) part.content = s(b.text) ?? '';
        full.push(part);
        parts.push(this.config.captureContent ? { type: 'text', content: fit(s(b.text) ?? '') } : part);
      } else if (b.type === 'tool_use') {
        const part: Json = { type: 'tool_call', id: s(b.id), name: s(b.name) };
        full.push(this.config.captureContent ? { ...part, arguments: b.input } : part);
        if (this.config.captureContent) {
          const args = jsonText(b.input ?? {});
          part.arguments = args.length > max ? fit(args) : b.input;
        }
        parts.push(part);
      }
    }
    if (!parts.length) return undefined;
    const message = (p: Json[]): Json[] => [{ role: 'assistant', parts: p, ...(chat.stopReason ? { finish_reason: chat.stopReason } : {}) }];
    const json = JSON.stringify(message(parts));
    return cut ? { json, originalSize: JSON.stringify(message(full)).length } : { json };
  }

  // ---- end -------------------------------------------------------------------------------

  private noteConversation(sessionId: string | undefined): void {
    if (!sessionId || this.conversationId) return;
    this.conversationId = sessionId;
    this.root.span.setAttribute(sc.GEN_AI_CONVERSATION_ID, sessionId);
  }

  private close(outcome: FinishOutcome, now: number): void {
    const root = this.root.span;
    // Subagents whose link never arrived still belong to this run: keep them under the root.
    for (const agent of this.agentsById.values()) {
      if (!agent.span.hasParent) {
        diag.debug(`ams-otel/claude: subagent ${agent.key} was never linked to a tool call; nesting it under the root`);
        agent.span.setParent(root);
      }
    }
    for (const agent of this.agentsByToolUse.values()) agent.span.ensureParent(root);
    for (const open of this.openChats.values()) for (const chat of [...open]) this.endChat(chat);
    for (const waiting of this.awaitingUsage.values()) for (const chat of waiting) this.endChat(chat);
    this.awaitingUsage.clear();
    // Tool calls the model asked for that never reported back (e.g. the caller left before our
    // PreToolUse hook ran): they were cut short by the end of the query too.
    for (const [id, seen] of this.toolUses) if (!this.tools.has(id)) this.startTool(id, seen.name, seen.input, seen.agent, undefined, seen.at);
    for (const tool of this.tools.values()) {
      if (tool.ended) continue;
      // Still running when the run ended: interrupted by the end of the query.
      tool.ended = true;
      tool.span.setAttributes({ [sc.AMS_TOOL_STATUS]: 'interrupted', [sc.AMS_TOOL_INTERRUPTED]: true, [sc.ERROR_TYPE]: 'interrupted' });
      tool.span.setStatus({ code: SpanStatusCode.ERROR, message: 'interrupted: the query ended before the tool call finished' });
      tool.span.end(now);
    }
    for (const agent of new Set([...this.agentsById.values(), ...this.agentsByToolUse.values()])) {
      if (!agent.span.ended) agent.span.end(agent.stoppedAt ?? now);
    }

    if (this.results.size) {
      const t = this.results.totals();
      const models: Record<string, Json> = {};
      for (const [model, f] of Object.entries(t.models)) models[model] = { ...f };
      root.setAttributes({
        [sc.GEN_AI_USAGE_INPUT_TOKENS]: t.input_tokens,
        [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: t.output_tokens,
        [sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: t.cache_read_input_tokens,
        [sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: t.cache_creation_input_tokens,
        [sc.AMS_COST_USD]: t.cost_usd,
        [sc.AMS_USAGE_SOURCE]: 'sdk',
        [sc.AMS_TURNS]: t.turns,
        [sc.AMS_DURATION_MS]: t.duration_ms,
        [sc.AMS_API_DURATION_MS]: t.api_duration_ms,
        [sc.AMS_MODEL_USAGE]: JSON.stringify(models),
      });
    }
    if (outcome.error !== undefined) {
      const err = outcome.error;
      root.recordException(err instanceof Error ? err : (errorText(err) as Exception), now);
      root.setAttribute(sc.ERROR_TYPE, err instanceof Error ? err.name || 'Error' : typeof err);
      // A result that already said what went wrong keeps its reason as the status message.
      if (!this.resultError) root.setError(truncate(errorText(err), this.config.maxAttributeLength).value);
    } else if (outcome.abandoned) {
      root.addEvent(
        sc.EVENT_NOTIFICATION,
        { [sc.AMS_MESSAGE]: 'The caller stopped reading the query before it finished', [sc.AMS_NOTIFICATION_KIND]: 'abandoned' },
        now,
      );
    }
    root.end(now);
  }
}
