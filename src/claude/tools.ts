/**
 * Tool calls: one `execute_tool` span per `tool_use_id`, started by PreToolUse (or, when no hook
 * fired, by the tool_use block the model sent) and ended by PostToolUse / PostToolUseFailure or
 * the tool_result message, whichever comes first.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../spans/semconv.js';
import { agentToolResult } from './agent-result.js';
import { LazySpan } from './lazy-span.js';
import type { Run } from './run.js';
import type { AgentState, Json, ToolState } from './state.js';
import { AGENT_TOOLS, obj, s } from './state.js';

export interface ToolOutcome {
  result?: unknown;
  error?: string;
  errorType?: string;
  interrupted?: boolean;
}

export class Tools {
  private readonly tools = new Map<string, ToolState>();
  /** tool_use blocks seen in assistant messages: the fallback when no hook fired for a call. */
  readonly seen = new Map<string, { name: string; input: unknown; at: number; agent: AgentState }>();
  private readonly deniedNotified = new Set<string>();

  constructor(private readonly run: Run) {}

  get(id: string): ToolState | undefined {
    return this.tools.get(id);
  }

  start(id: string, name: string, input: unknown, agent: AgentState, mcp: Json | undefined, now: number): ToolState {
    const existing = this.tools.get(id);
    if (existing) return existing;
    const mcpServer = s(mcp?.name) ?? (name.startsWith('mcp__') ? name.split('__')[1] : undefined);
    const attrs = this.run.emitter.toolCallAttributes({ name, id, input, type: mcpServer ? 'extension' : 'function', mcpServer });
    const span = new LazySpan(this.run.tracer, `${sc.OP_EXECUTE_TOOL} ${name}`, SpanKind.INTERNAL, now, attrs);
    const tool: ToolState = { id, name, span, input, ended: false };
    this.tools.set(id, tool);
    span.setParent(agent.span);
    return tool;
  }

  /** A tool call we only know by id (a subagent's link arrived before its PreToolUse). */
  placeholder(id: string, at: number): ToolState {
    const seen = this.seen.get(id);
    return this.start(id, seen?.name ?? 'Agent', seen?.input, seen?.agent ?? this.run.agents.root, undefined, seen?.at ?? at);
  }

  end(id: string, outcome: ToolOutcome, now: number, known: { name?: string; input?: unknown; agent: AgentState; startedAt?: number }): void {
    if (!id) return;
    const tool = this.tools.get(id) ?? this.start(id, known.name ?? 'unknown', known.input, known.agent, undefined, known.startedAt ?? now);
    if (tool.ended) return;
    tool.ended = true;
    const attrs: Attributes = {};
    if (outcome.error !== undefined) {
      attrs[sc.AMS_TOOL_STATUS] = outcome.interrupted ? 'interrupted' : 'error';
      attrs[sc.AMS_TOOL_INTERRUPTED] = outcome.interrupted === true;
      attrs[sc.ERROR_TYPE] = outcome.errorType ?? 'tool_error';
      tool.span.setStatus({ code: SpanStatusCode.ERROR, message: this.run.emitter.cut(outcome.error) });
    } else {
      const interrupted = obj(outcome.result)?.interrupted === true;
      attrs[sc.AMS_TOOL_STATUS] = interrupted ? 'interrupted' : 'ok';
      attrs[sc.AMS_TOOL_INTERRUPTED] = interrupted;
      // The Agent tool's result: the subagent's answer and usage, not the SDK's bookkeeping.
      this.run.emitter.toolResult(attrs, AGENT_TOOLS.has(tool.name) ? agentToolResult(outcome.result) : outcome.result);
    }
    tool.span.setAttributes(attrs);
    tool.span.end(now);
    // Free what is no longer needed; an Agent call's input still describes its subagent.
    if (!AGENT_TOOLS.has(tool.name)) tool.input = undefined;
    this.seen.delete(id);
  }

  /** One notification per denied call, whichever channel (hook, message, tool_result) says so first. */
  notifyDenied(agent: AgentState, toolUseId: string, toolName: string, reason: string, now: number): void {
    const key = toolUseId || `${toolName}:${reason}`;
    if (this.deniedNotified.has(key)) return;
    this.deniedNotified.add(key);
    agent.span.addEvent(sc.EVENT_NOTIFICATION, this.run.emitter.notificationEvent(`${toolName} denied: ${reason}`, 'permission_denied'), now);
  }

  /** Ends every call still open at the end of the run: the end of the query cut it short. */
  interruptAll(now: number): void {
    // Calls the model asked for that never reported back (e.g. the caller left before our
    // PreToolUse hook ran) were cut short by the end of the query too.
    for (const [id, seen] of this.seen) if (!this.tools.has(id)) this.start(id, seen.name, seen.input, seen.agent, undefined, seen.at);
    for (const tool of this.tools.values()) {
      if (tool.ended) continue;
      tool.ended = true;
      tool.span.setAttributes({ [sc.AMS_TOOL_STATUS]: 'interrupted', [sc.AMS_TOOL_INTERRUPTED]: true, [sc.ERROR_TYPE]: 'interrupted' });
      tool.span.setStatus({ code: SpanStatusCode.ERROR, message: 'interrupted: the query ended before the tool call finished' });
      tool.span.end(now);
    }
  }
}
