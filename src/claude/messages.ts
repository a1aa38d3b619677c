/**
 * The message channel: the SDK stream as the caller consumes it (possibly late). Model-call
 * spans come from here (partial messages for exact timing and usage, assistant messages for
 * content), and so do subagent links (`task_started`, `parent_tool_use_id`), tool results that
 * no hook reported, and the run's `result` totals.
 */
import * as sc from '../spans/semconv.js';
import { jsonText } from '../emitter/text.js';
import type { Run } from './run.js';
import type { Json } from './state.js';
import { num, obj, s, usageFrom } from './state.js';
import type { ResultLike } from './totals.js';

/** A time to first token beyond this is not believed (clock or field trouble). */
const MAX_TTFT_MS = 10 * 60 * 1000;

/** What the caller's own options asked for (instrumentOptions turns more on for us). */
export interface CallerWants {
  partialMessages: boolean;
  subagentText: boolean;
}

/**
 * Whether the caller would have received `m` without instrumentation: stream events and
 * foreground subagent text exist only because instrumentOptions() turned them on.
 */
export function isForCaller(run: Run, wants: CallerWants, m: Json): boolean {
  if (m.type === 'stream_event') return wants.partialMessages;
  // Emitted only while partial messages are on (probed): the "requesting" heartbeat.
  if (m.type === 'system' && m.subtype === 'status' && m.status === 'requesting') return wants.partialMessages;
  if (!wants.subagentText && m.type === 'assistant' && s(m.parent_tool_use_id)) {
    // Without forwardSubagentText the CLI forwards only a foreground subagent's tool_use blocks;
    // a background subagent's text comes through either way (probed), so keep that.
    const agent = run.agents.byToolUse.get(String(m.parent_tool_use_id));
    const content = obj(m.message)?.content;
    const textOnly = Array.isArray(content) && content.every((b) => ['text', 'thinking', 'redacted_thinking'].includes(String(obj(b)?.type)));
    if (textOnly && !agent?.background) return false;
  }
  return true;
}

export function onMessage(run: Run, m: Json, now: number): void {
  run.noteConversation(s(m.session_id));
  // Replays of earlier history (resume, local command echoes) happened before this run.
  if (m.isReplay === true) return;
  switch (m.type) {
    case 'system':
      onSystem(run, m, now);
      break;
    case 'stream_event':
      onStreamEvent(run, m, now);
      break;
    case 'assistant':
      onAssistant(run, m, now);
      break;
    case 'user':
      onUser(run, m, now);
      break;
    case 'result':
      onResult(run, m);
      break;
    default:
      break;
  }
}

function onSystem(run: Run, m: Json, now: number): void {
  const root = run.agents.root.span;
  const notify = (message: string, kind: string) => root.addEvent(sc.EVENT_NOTIFICATION, run.emitter.notificationEvent(message, kind), now);
  switch (m.subtype) {
    case 'init': {
      const model = s(m.model);
      if (model) run.noteRequestModel(model);
      break;
    }
    case 'task_started': {
      // Subagent runs are `local_agent` tasks; background shells etc. are tasks too.
      const toolUseId = s(m.tool_use_id);
      const taskId = s(m.task_id);
      if (!toolUseId || !taskId || (m.task_type !== undefined && m.task_type !== 'local_agent' && !m.subagent_type)) break;
      const agent = run.agents.byAgentId(taskId, now);
      if (m.is_backgrounded === true) agent.background = true;
      run.agents.describe(agent, { type: s(m.subagent_type), prompt: s(m.prompt), description: s(m.description) });
      run.agents.link(agent, toolUseId);
      break;
    }
    case 'permission_denied': {
      const agent = s(m.agent_id) ? run.agents.byAgentId(String(m.agent_id), now) : run.agents.root;
      run.tools.notifyDenied(agent, s(m.tool_use_id) ?? '', s(m.tool_name) ?? 'tool', s(m.message) ?? s(m.decision_reason) ?? 'permission denied', now);
      break;
    }
    case 'compact_boundary': {
      const meta = obj(m.compact_metadata);
      const pre = num(meta?.pre_tokens);
      const post = num(meta?.post_tokens);
      notify(`Conversation compacted (${String(meta?.trigger ?? 'auto')}${pre !== undefined ? `, ${pre} tokens before` : ''}${post !== undefined ? `, ${post} after` : ''})`, 'compact_boundary');
      break;
    }
    case 'api_retry': {
      const status = m.error_status === null || m.error_status === undefined ? 'no response' : `HTTP ${String(m.error_status)}`;
      notify(`API request failed (${String(m.error ?? 'error')}, ${status}); retry ${String(m.attempt)}/${String(m.max_retries)} in ${String(m.retry_delay_ms)} ms`, 'api_retry');
      break;
    }
    case 'notification':
      notify(s(m.text) ?? '', s(m.key) ?? 'notification');
      break;
    default:
      break;
  }
}

/** Partial messages: exact per-call timing and usage (only the main thread streams them). */
function onStreamEvent(run: Run, m: Json, now: number): void {
  const ev = obj(m.event);
  if (!ev) return;
  const { chats } = run;
  const ctx = s(m.parent_tool_use_id) ?? '';
  const byId = s(m.api_message_id);
  const current = (byId && chats.get(byId)) || chats.streaming.get(ctx);
  switch (ev.type) {
    case 'message_start': {
      const msg = obj(ev.message);
      const id = s(msg?.id) ?? byId;
      if (!id) return;
      // message_start arrives after the time to first token: the request went out ttft_ms earlier.
      const ttft = num(m.ttft_ms);
      const start = ttft !== undefined && ttft >= 0 && ttft < MAX_TTFT_MS ? now - ttft : now;
      const chat = chats.chatFor(id, ctx, s(m.agent_id), now, start);
      chat.streamed = true;
      chat.model = s(msg?.model) ?? chat.model;
      chat.usage = usageFrom(msg?.usage, chat.usage);
      chats.streaming.set(ctx, chat);
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
      chats.end(current);
      if (chats.streaming.get(ctx) === current) chats.streaming.delete(ctx);
      break;
    default:
      if (current) current.lastAt = now;
      break;
  }
}

function onAssistant(run: Run, m: Json, now: number): void {
  const msg = obj(m.message);
  if (!msg) return;
  const { chats } = run;
  const ctx = s(m.parent_tool_use_id) ?? '';
  const id = s(msg.id) ?? s(m.uuid) ?? `anon-${now}`;
  // Non-streamed contexts: a new message id means the previous response is complete.
  for (const other of chats.openIn(ctx)) if (other.id !== id && !other.streamed) chats.settle(other);
  const chat = chats.chatFor(id, ctx, s(m.agent_id), now, chats.lastInput.get(ctx));
  const model = s(msg.model);
  if (model && model !== '<synthetic>') chat.model = model;
  if (s(m.error) || model === '<synthetic>') {
    // The CLI reports API failures as a synthetic assistant message (model "<synthetic>").
    const text = Array.isArray(msg.content) ? msg.content.map((b) => s(obj(b)?.text) ?? '').join('') : '';
    chat.error = { type: s(m.error) ?? 'api_error', message: text || s(m.error) || 'API error' };
    chat.lastAt = now;
    chats.end(chat);
    return;
  }
  if (Array.isArray(msg.content)) {
    for (const block of msg.content) {
      const b = obj(block);
      if (!b) continue;
      if (!chat.ended) chat.blocks.push(b);
      if (b.type === 'tool_use' && s(b.id)) {
        const agent = run.agents.forMessage(ctx, s(m.agent_id), now);
        run.tools.seen.set(String(b.id), { name: s(b.name) ?? 'unknown', input: b.input, at: now, agent });
      }
    }
  }
  if (!chat.streamed) chat.usage = usageFrom(msg.usage, chat.usage);
  if (s(msg.stop_reason)) chat.stopReason = String(msg.stop_reason);
  if (m.aborted === true) chat.error = { type: 'aborted', message: 'response cut short by an interrupt' };
  chat.lastAt = now;
}

function onUser(run: Run, m: Json, now: number): void {
  const { chats, tools, agents } = run;
  const ctx = s(m.parent_tool_use_id) ?? '';
  // Anything after a response in the same context means that response is complete.
  for (const chat of chats.openIn(ctx)) if (!chat.streamed) chats.settle(chat);
  chats.lastInput.set(ctx, now);
  if (ctx) agents.forMessage(ctx, s(m.agent_id), now);
  const content = obj(m.message)?.content;
  if (!Array.isArray(content)) return;
  const metas = Array.isArray(m.tool_result_meta) ? m.tool_result_meta.map(obj) : [];
  for (const block of content) {
    const b = obj(block);
    if (b?.type !== 'tool_result') continue;
    const id = s(b.tool_use_id);
    if (!id) continue;
    const tool = tools.get(id);
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
    const seen = tools.seen.get(id);
    const agent = seen?.agent ?? agents.forMessage(ctx, s(m.agent_id), now);
    const known = { name: seen?.name, input: seen?.input, agent, startedAt: seen?.at };
    if (b.is_error === true) {
      const cleaned = text.replace(/^<tool_use_error>|<\/tool_use_error>$/g, '');
      const errorType = denied ? 'permission_denied' : interrupted ? 'interrupted' : 'tool_error';
      tools.end(id, { error: cleaned, errorType, interrupted }, now, known);
      if (denied) tools.notifyDenied(agent, id, seen?.name ?? tool?.name ?? 'tool', cleaned, now);
    } else {
      tools.end(id, { result: m.tool_use_result ?? text }, now, known);
    }
  }
}

function onResult(run: Run, m: Json): void {
  run.results.add(m as ResultLike);
  // Results close the main thread's turn; background subagents keep going.
  for (const chat of run.chats.openIn('')) if (!chat.streamed) run.chats.end(chat);
  const subtype = s(m.subtype) ?? 'unknown';
  if ((subtype !== 'success' || m.is_error === true) && !run.resultError) {
    const errors = Array.isArray(m.errors) ? m.errors.filter((e): e is string => typeof e === 'string') : [];
    const kind = subtype !== 'success' ? subtype : (s(m.terminal_reason) ?? 'error_result');
    const detail = errors.join('; ') || (subtype === 'success' ? s(m.result) : undefined) || '';
    run.resultError = detail ? `${kind}: ${detail}` : kind;
    const root = run.agents.root.span;
    root.setAttribute(sc.AMS_STATUS_REASON, run.emitter.cut(run.resultError));
    root.setError(run.resultError);
  }
}
