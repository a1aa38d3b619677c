/**
 * ClaudeTracer: turns one Claude Agent SDK run (hooks + message stream) into gen_ai spans.
 *
 * Two channels feed it and they race:
 * - hooks (PreToolUse, PostToolUse, SubagentStart, ...) arrive in real time, as the CLI calls
 *   back; their times are exact (hooks.ts);
 * - the message stream arrives as the caller consumes it (possibly late): model responses,
 *   `task_started` (which links a subagent's `agent_id` to the Agent tool call that started it),
 *   tool results, `result` totals (messages.ts).
 * Tool spans (tools.ts) and subagent spans (agents.ts) come from hooks, model-call spans
 * (chats.ts) from messages, and parentage from `agent_id` / `parent_tool_use_id` only. A subagent
 * whose link has not arrived yet is held as a LazySpan and created, with its recorded times, once
 * it has. Subagent usage is completed from their transcripts (transcripts.ts). Every attribute is
 * written through the shared emitter (src/emitter) under one capture config.
 *
 * Nothing here throws into the SDK or the caller: every entry point catches and reports via diag.
 */
import { context, trace } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';
import type { HookCallback, HookCallbackMatcher, HookEvent, Options, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { resolveConfig } from './config.js';
import type { ClaudeTracingOptions } from './config.js';
import { HOOK_EVENTS, onHook } from './hooks.js';
import { log } from './log.js';
import { isForCaller, onMessage } from './messages.js';
import type { CallerWants } from './messages.js';
import { Run } from './run.js';
import type { FinishOutcome } from './run.js';
import { obj } from './state.js';

export type { FinishOutcome } from './run.js';

/**
 * The system prompt the caller gave, as text: a string, string parts (joined by blank lines) or
 * a custom prompt. The `claude_code` preset is Claude Code's own prompt, which the SDK never
 * sees: not recorded (its `append` alone would pass for the whole prompt).
 */
function systemPromptText(p: Options['systemPrompt']): string | undefined {
  if (typeof p === 'string') return p;
  if (Array.isArray(p)) return p.join('\n\n');
  if (p && typeof p === 'object' && p.type === 'custom') return typeof p.prompt === 'string' ? p.prompt : p.prompt.join('\n\n');
  return undefined;
}

export interface ClaudeTracerOptions extends ClaudeTracingOptions {
  /** The SDK options of the run: read (model, agent) and never modified. */
  sdkOptions?: Options;
  /** Parent context of the root span; default: the active context when the tracer is created. */
  parentContext?: Context;
}

export class ClaudeTracer {
  /** Hook matchers to append to the SDK's `hooks` option (instrumentOptions does it). */
  readonly hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>>;
  private readonly run: Run;
  private readonly wants: CallerWants = { partialMessages: true, subagentText: true };

  constructor(options: ClaudeTracerOptions = {}) {
    const config = resolveConfig(options, options.sdkOptions?.agent);
    this.run = new Run(config, options.tracerProvider, options.sdkOptions?.model, options.parentContext, systemPromptText(options.sdkOptions?.systemPrompt));
    this.hooks = {};
    for (const event of HOOK_EVENTS) {
      const cb: HookCallback = async (input, toolUseId) => {
        onHook(this.run, input, toolUseId);
        return {};
      };
      this.hooks[event] = [{ hooks: [cb] }];
    }
  }

  /** The root span's trace id (for finding the session afterwards). */
  get traceId(): string {
    return this.run.agents.root.span.spanContext?.traceId ?? '';
  }

  /** The root span's context (undefined until it exists). */
  get rootSpanContext(): SpanContext | undefined {
    return this.run.agents.root.span.spanContext;
  }

  /** Context with the root span active: run your own work in it to nest spans under the run. */
  get context(): Context {
    const rootContext = this.run.agents.root.span.spanContext;
    return rootContext ? trace.setSpanContext(context.active(), rootContext) : context.active();
  }

  get isFinished(): boolean {
    return this.run.finished;
  }

  /**
   * Tells the tracer what the caller's own options asked for, so recordMessage() can say which
   * messages the caller would not have received without instrumentation (instrumentOptions calls it).
   */
  noteCallerOptions(options: Options | undefined): void {
    this.wants.partialMessages = options?.includePartialMessages === true;
    this.wants.subagentText = options?.forwardSubagentText === true;
    if (options?.model) this.run.noteRequestModel(options.model);
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
      if (!this.run.finished) onMessage(this.run, m, Date.now());
      return isForCaller(this.run, this.wants, m);
    } catch (err) {
      log.error('failed to record a message', err);
      return true;
    }
  }

  /**
   * Waits (at most `timeoutMs`) for background work that makes spans more exact, such as reading
   * subagent transcripts for final usage. Call before finish(); tracedQuery does. Never rejects.
   */
  async flush(timeoutMs = 2000): Promise<void> {
    await this.run.transcripts.flush(timeoutMs);
  }

  /** Ends every open span and then the root. Idempotent; never throws. */
  finish(outcome: FinishOutcome = {}): void {
    if (this.run.finished) return;
    this.run.finished = true;
    try {
      this.run.close(outcome, Date.now());
    } catch (err) {
      log.error('failed to finish the run', err);
      try {
        this.run.agents.root.span.end();
      } catch {
        // nothing left to do
      }
    }
  }
}
