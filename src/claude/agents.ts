/**
 * Subagent linking: the main thread and each subagent is an `invoke_agent` span. A subagent is
 * known by its `agent_id` (hooks, messages) and belongs under the Agent tool call that started it
 * (`tool_use_id`); the link comes from the message stream (`task_started`, `parent_tool_use_id`)
 * or the Agent tool's PostToolUse, never from guesses. Until it arrives the span waits (LazySpan).
 */
import { SpanKind } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../spans/semconv.js';
import { LazySpan } from './lazy-span.js';
import { log } from './log.js';
import type { Run } from './run.js';
import type { AgentState } from './state.js';
import { obj, s } from './state.js';

export class Agents {
  readonly root: AgentState;
  readonly byId = new Map<string, AgentState>();
  readonly byToolUse = new Map<string, AgentState>();

  constructor(
    private readonly run: Run,
    rootSpan: LazySpan,
  ) {
    this.root = { key: 'root', span: rootSpan, stopped: false };
  }

  /** The agent a hook belongs to: the root unless it names an `agent_id`. */
  forHook(agentId: string | undefined, agentType: string | undefined, now: number): AgentState {
    if (!agentId) return this.root;
    const agent = this.byAgentId(agentId, now);
    if (agentType) this.describe(agent, { type: agentType });
    return agent;
  }

  /** The agent a message belongs to: the root unless it has a `parent_tool_use_id`. */
  forMessage(parentToolUseId: string, agentId: string | undefined, now: number): AgentState {
    if (!parentToolUseId) return this.root;
    let agent = agentId ? this.byAgentId(agentId, now) : this.byToolUse.get(parentToolUseId);
    if (!agent) {
      // Older CLIs name only the parent tool call; key the subagent by it.
      agent = this.create(`tool:${parentToolUseId}`, now);
    }
    this.link(agent, parentToolUseId);
    return agent;
  }

  byAgentId(agentId: string, now: number): AgentState {
    let agent = this.byId.get(agentId);
    if (!agent) {
      agent = this.create(agentId, now);
      agent.agentId = agentId;
      agent.span.setAttribute(sc.GEN_AI_AGENT_ID, agentId);
      this.byId.set(agentId, agent);
    }
    return agent;
  }

  private create(key: string, now: number): AgentState {
    const span = new LazySpan(
      this.run.tracer,
      `${sc.OP_INVOKE_AGENT} subagent`,
      SpanKind.INTERNAL,
      now,
      { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_PROVIDER_NAME]: 'anthropic' },
    );
    return { key, span, stopped: false };
  }

  /** Names a subagent (its type) and records why it was started (prompt, description), once. */
  describe(agent: AgentState, d: { type?: string; prompt?: string; description?: string }): void {
    if (agent === this.root) return;
    const { emitter } = this.run;
    if (d.type && d.type !== agent.type) {
      agent.type = d.type;
      agent.span.updateName(`${sc.OP_INVOKE_AGENT} ${d.type}`);
      agent.span.setAttribute(sc.GEN_AI_AGENT_NAME, d.type);
      agent.span.setAttribute(sc.AMS_SUBAGENT_TYPE, d.type);
    }
    if (d.prompt !== undefined && agent.span.attributes[sc.AMS_SUBAGENT_PROMPT] === undefined) {
      const attrs: Attributes = {};
      emitter.subagentPrompt(attrs, d.prompt);
      agent.span.setAttributes(attrs);
    }
    if (d.description && agent.span.attributes[sc.AMS_SUBAGENT_DESCRIPTION] === undefined) {
      agent.span.setAttribute(sc.AMS_SUBAGENT_DESCRIPTION, emitter.cut(d.description));
      agent.span.setAttribute(sc.GEN_AI_AGENT_DESCRIPTION, emitter.cut(d.description));
    }
  }

  /** Links a subagent to the Agent tool call that started it: its span goes under that call's. */
  link(agent: AgentState, toolUseId: string): void {
    if (!toolUseId || agent === this.root || agent.toolUseId) return;
    const other = this.byToolUse.get(toolUseId);
    if (other && other !== agent) {
      log.debug(`tool call ${toolUseId} already has a subagent; keeping both`);
      return;
    }
    agent.toolUseId = toolUseId;
    this.byToolUse.set(toolUseId, agent);
    const tool = this.run.tools.get(toolUseId) ?? this.run.tools.placeholder(toolUseId, agent.span.startTime);
    const input = obj(tool.input);
    if (input) this.describe(agent, { type: s(input.subagent_type), prompt: s(input.prompt), description: s(input.description) });
    agent.span.setParent(tool.span);
  }

  /** Parents every subagent (unlinked ones under the root) so nothing is lost at the end. */
  adoptOrphans(): void {
    const root = this.root.span;
    // Subagents whose link never arrived still belong to this run: keep them under the root.
    for (const agent of this.byId.values()) {
      if (!agent.span.hasParent) {
        log.debug(`subagent ${agent.key} was never linked to a tool call; nesting it under the root`);
        agent.span.setParent(root);
      }
    }
    for (const agent of this.byToolUse.values()) agent.span.ensureParent(root);
  }

  /** Ends every subagent span still open (at its SubagentStop time when there was one). */
  endAll(now: number): void {
    for (const agent of new Set([...this.byId.values(), ...this.byToolUse.values()])) {
      if (!agent.span.ended) agent.span.end(agent.stoppedAt ?? now);
    }
  }
}
