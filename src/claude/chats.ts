/**
 * The chat ledger: one `chat {model}` span per model response, keyed by message id. A response
 * is complete at message_stop (streamed, main thread) or when anything follows it in its context
 * (a new response, tool results, the result); a subagent's responses then wait for their final
 * usage from its transcript (see transcripts.ts) before they end.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { OutputPart } from '../emitter/emitter.js';
import * as sc from '../spans/semconv.js';
import { LazySpan } from './lazy-span.js';
import type { Run } from './run.js';
import type { AgentState, ChatState, Json } from './state.js';
import { s } from './state.js';

export class Chats {
  private readonly chats = new Map<string, ChatState>();
  /** Chats not ended yet, per context: the hot path never scans every chat of a long run. */
  private readonly open = new Map<string, Set<ChatState>>();
  /** Subagent responses that are complete but wait for their final usage (SubagentStop). */
  private readonly awaitingUsage = new Map<string, ChatState[]>();
  /** Open streamed chat per context, for stream events that carry no message id. */
  readonly streaming = new Map<string, ChatState>();
  /**
   * Per context, when its last input (prompt, tool results) was seen: the CLI sends the next model
   * request right after it, so that is when a response without stream timing started.
   */
  readonly lastInput = new Map<string, number>();

  constructor(private readonly run: Run) {}

  get(id: string): ChatState | undefined {
    return this.chats.get(id);
  }

  /** The chat of response `id`, started (at `startAt` when known) under its agent if new. */
  chatFor(id: string, ctx: string, agentId: string | undefined, now: number, startAt?: number): ChatState {
    const existing = this.chats.get(id);
    if (existing) return existing;
    const agent = this.run.agents.forMessage(ctx, agentId, now);
    const model = this.run.requestModel ?? 'claude';
    const start = startAt !== undefined && startAt <= now ? startAt : now;
    this.lastInput.delete(ctx);
    const span = new LazySpan(this.run.tracer, `${sc.OP_CHAT} ${model}`, SpanKind.CLIENT, start, this.run.emitter.chatAttributes({ model, provider: 'anthropic' }));
    const chat: ChatState = { id, ctx, span, blocks: [], streamed: false, lastAt: now, ended: false };
    this.chats.set(id, chat);
    let open = this.open.get(ctx);
    if (!open) this.open.set(ctx, (open = new Set()));
    open.add(chat);
    span.setParent(agent.span);
    return chat;
  }

  /** A snapshot of the open chats of a context (safe to end them while iterating). */
  openIn(ctx: string): ChatState[] {
    const open = this.open.get(ctx);
    return open ? [...open] : [];
  }

  /** Responses of a subagent not ended yet. */
  of(agent: AgentState): ChatState[] {
    if (!agent.toolUseId) return [];
    return [...(this.awaitingUsage.get(agent.toolUseId) ?? []), ...this.openIn(agent.toolUseId)];
  }

  /** Ends a stopped subagent's responses, with the transcript's figures where it has them. */
  endAllOf(agent: AgentState): void {
    if (!agent.toolUseId) return;
    const waiting = this.awaitingUsage.get(agent.toolUseId) ?? [];
    this.awaitingUsage.delete(agent.toolUseId);
    for (const chat of [...waiting, ...this.openIn(agent.toolUseId)]) {
      this.applyTranscriptUsage(agent, chat);
      this.end(chat);
    }
  }

  /** A response is complete: end it, or for a subagent hold it until its final usage is known. */
  settle(chat: ChatState): void {
    if (chat.ended) return;
    const agent = chat.ctx ? this.run.agents.byToolUse.get(chat.ctx) : undefined;
    if (!agent || agent.usageLoad === 'done') {
      if (agent) this.applyTranscriptUsage(agent, chat);
      this.end(chat);
      return;
    }
    this.open.get(chat.ctx)?.delete(chat);
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

  end(chat: ChatState): void {
    if (chat.ended) return;
    chat.ended = true;
    this.open.get(chat.ctx)?.delete(chat);
    const { span } = chat;
    const { emitter } = this.run;
    const attrs: Attributes = {};
    if (chat.model) {
      // A subagent may run another model than the session's; its response names the one used.
      if (chat.ctx) attrs[sc.GEN_AI_REQUEST_MODEL] = chat.model;
      span.updateName(`${sc.OP_CHAT} ${chat.model}`);
    }
    emitter.response(attrs, { model: chat.model, id: chat.id.startsWith('anon-') ? undefined : chat.id, finishReason: chat.stopReason });
    if (chat.usage) {
      emitter.usage(attrs, chat.usage);
      // stream / transcript: exact per call; message_start: output tokens not final.
      attrs[sc.AMS_USAGE_SOURCE] = chat.usageSource ?? (chat.streamed ? 'stream' : 'message_start');
    }
    emitter.outputMessages(attrs, outputParts(chat.blocks), chat.stopReason);
    if (chat.error) {
      attrs[sc.ERROR_TYPE] = chat.error.type;
      span.setStatus({ code: SpanStatusCode.ERROR, message: emitter.cut(chat.error.message) });
    }
    span.setAttributes(attrs);
    span.end(chat.lastAt);
    // Keep the id (late duplicates of an ended response are ignored), drop the content.
    chat.blocks = [];
  }

  /** Ends what is still open at the end of the run (main thread and subagents). */
  endAll(): void {
    for (const open of this.open.values()) for (const chat of [...open]) this.end(chat);
    for (const waiting of this.awaitingUsage.values()) for (const chat of waiting) this.end(chat);
    this.awaitingUsage.clear();
  }
}

/** Anthropic content blocks as GenAI output parts. */
function outputParts(blocks: Json[]): OutputPart[] {
  const parts: OutputPart[] = [];
  for (const b of blocks) {
    if (b.type === 'thinking') parts.push({ type: 'reasoning', content: s(b.thinking) ?? '' });
    else if (b.type === 'text') parts.push({ type: 'text', content: s(b.text) ?? '' });
    else if (b.type === 'tool_use') parts.push({ type: 'tool_call', id: s(b.id), name: s(b.name), arguments: b.input });
  }
  return parts;
}
