/**
 * The one GenAI span emitter: every attribute the Claude instrumentation and the generic API write
 * about agents, prompts, tool calls, model calls and usage is built here, under one CaptureConfig
 * (the OpenInference `OITracer` + `TraceConfig` pattern). Producers decide when spans start and
 * end; what goes on them, what is left out for privacy and how long values are cut is decided
 * here, once. Methods return or fill plain `Attributes`, so they work for live spans and for the
 * Claude instrumentation's deferred (lazy) spans alike.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { Usage } from '../session/types.js';
import * as sc from '../spans/semconv.js';
import type { CaptureConfig } from './capture.js';
import { jsonText, putText, putValue, truncate } from './text.js';

/** Who the agent is and how to find its session: the header of the document. */
export interface AgentHeader {
  agent: { name: string; version?: string };
  environment?: string;
  tags?: readonly string[];
  metadata?: Readonly<Record<string, string | number | boolean>>;
  /** Explicit session id (`ams.session.id`). */
  sessionId?: string;
  conversationId?: string;
  /** `gen_ai.provider.name`. */
  provider?: string;
  /** Main model (`gen_ai.request.model`). */
  model?: string;
  /** What this agent does (`gen_ai.agent.description`). */
  description?: string;
}

/** One part of a model response, in the GenAI output-message format. */
export type OutputPart =
  | { type: 'reasoning'; content: string }
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name?: string; arguments?: unknown };

/** A GenAI input message as given by a caller (already in the parts format, or role + content). */
type InputMessage = { role?: unknown; content?: unknown; parts?: unknown };

export class GenAiEmitter {
  constructor(readonly capture: CaptureConfig) {}

  /** This emitter with per-call input / output switches (the generic API's `captureInput` on one call). */
  with(overrides: { captureInput?: boolean; captureOutput?: boolean }): GenAiEmitter {
    if (overrides.captureInput === undefined && overrides.captureOutput === undefined) return this;
    return new GenAiEmitter({
      ...this.capture,
      captureInput: overrides.captureInput ?? this.capture.captureInput,
      captureOutput: overrides.captureOutput ?? this.capture.captureOutput,
    });
  }

  get maxLength(): number {
    return this.capture.maxAttributeLength;
  }

  /** `text` cut to the configured length (status messages, notifications, descriptions). */
  cut(text: string): string {
    return truncate(text, this.capture.maxAttributeLength).value;
  }

  /** `invoke_agent` attributes: operation, agent, header (environment, tags, metadata, ids). */
  agentAttributes(h: AgentHeader): Attributes {
    const attrs: Attributes = { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT };
    if (h.provider) attrs[sc.GEN_AI_PROVIDER_NAME] = h.provider;
    attrs[sc.GEN_AI_AGENT_NAME] = h.agent.name;
    if (h.agent.version) attrs[sc.GEN_AI_AGENT_VERSION] = h.agent.version;
    if (h.model) attrs[sc.GEN_AI_REQUEST_MODEL] = h.model;
    if (h.environment) attrs[sc.AMS_ENVIRONMENT] = h.environment;
    if (h.tags?.length) attrs[sc.AMS_TAGS] = [...h.tags];
    if (h.sessionId) attrs[sc.AMS_SESSION_ID] = h.sessionId;
    if (h.conversationId) attrs[sc.GEN_AI_CONVERSATION_ID] = h.conversationId;
    if (h.description) attrs[sc.GEN_AI_AGENT_DESCRIPTION] = this.cut(h.description);
    for (const [k, v] of Object.entries(h.metadata ?? {})) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[sc.AMS_METADATA_PREFIX + k] = v;
    }
    return attrs;
  }

  /**
   * `gen_ai.system_instructions` (the system prompt), in the GenAI parts format
   * `[{"type":"text","content":...}]`; an input, so only when inputs are recorded.
   */
  systemInstructions(attrs: Attributes, text: string | undefined): void {
    if (!this.capture.captureInput || text === undefined || text === '') return;
    putValue(attrs, sc.GEN_AI_SYSTEM_INSTRUCTIONS, [{ type: 'text', content: text }], this.maxLength);
  }

  /** Attributes of an `ams.user_prompt` event; the text only when inputs are recorded. */
  promptEvent(prompt: string, synthetic?: boolean): Attributes {
    const attrs: Attributes = {};
    if (synthetic !== undefined) attrs[sc.AMS_PROMPT_SYNTHETIC] = synthetic;
    if (this.capture.captureInput) putText(attrs, sc.AMS_PROMPT, prompt, this.maxLength);
    return attrs;
  }

  /** Attributes of an `ams.notification` event. */
  notificationEvent(message: string, kind?: string): Attributes {
    const attrs: Attributes = { [sc.AMS_MESSAGE]: this.cut(message) };
    if (kind !== undefined) attrs[sc.AMS_NOTIFICATION_KIND] = kind;
    return attrs;
  }

  /** A subagent's "why": the prompt it was given (an input). */
  subagentPrompt(attrs: Attributes, prompt: string | undefined): void {
    if (prompt !== undefined && this.capture.captureInput) putText(attrs, sc.AMS_SUBAGENT_PROMPT, prompt, this.maxLength);
  }

  /** `execute_tool` attributes; the arguments only when inputs are recorded. */
  toolCallAttributes(t: { name: string; id?: string; input?: unknown; type?: 'function' | 'extension'; mcpServer?: string }): Attributes {
    const attrs: Attributes = { [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL, [sc.GEN_AI_TOOL_NAME]: t.name };
    if (t.id !== undefined) attrs[sc.GEN_AI_TOOL_CALL_ID] = t.id;
    if (t.type) attrs[sc.GEN_AI_TOOL_TYPE] = t.type;
    if (t.mcpServer) attrs[sc.AMS_TOOL_MCP_SERVER] = t.mcpServer;
    this.toolArguments(attrs, t.input);
    return attrs;
  }

  toolArguments(attrs: Attributes, input: unknown): void {
    if (this.capture.captureInput && input !== undefined) putValue(attrs, sc.GEN_AI_TOOL_CALL_ARGUMENTS, input, this.maxLength);
  }

  toolResult(attrs: Attributes, result: unknown): void {
    if (this.capture.captureOutput && result !== undefined) putValue(attrs, sc.GEN_AI_TOOL_CALL_RESULT, result, this.maxLength);
  }

  /** `chat` attributes at the start of a model call. */
  chatAttributes(c: { model: string; provider?: string }): Attributes {
    const attrs: Attributes = { [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT };
    if (c.provider) attrs[sc.GEN_AI_PROVIDER_NAME] = c.provider;
    attrs[sc.GEN_AI_REQUEST_MODEL] = c.model;
    return attrs;
  }

  /** A step's input / output (`ams.input` / `ams.output`). */
  stepInput(attrs: Attributes, value: unknown): void {
    if (this.capture.captureInput && value !== undefined) putValue(attrs, sc.AMS_INPUT, value, this.maxLength);
  }

  stepOutput(attrs: Attributes, value: unknown): void {
    if (this.capture.captureOutput && value !== undefined) putValue(attrs, sc.AMS_OUTPUT, value, this.maxLength);
  }

  /** `gen_ai.input.messages`: a string is one user message; message arrays are put in the parts format. */
  inputMessages(attrs: Attributes, value: unknown): void {
    if (!this.capture.captureInput || value === undefined) return;
    putValue(attrs, sc.GEN_AI_INPUT_MESSAGES, toInputMessages(value), this.maxLength);
  }

  /**
   * `gen_ai.output.messages`: one assistant message. Each part is cut on its own so the JSON stays
   * valid; `.original_size` is the length the uncut JSON would have had. Without output capture
   * the message keeps its shape (part types, tool names and ids) and loses its content.
   */
  outputMessages(attrs: Attributes, parts: readonly OutputPart[], finishReason?: string): void {
    const { captureOutput } = this.capture;
    const captureThinking = captureOutput && this.capture.captureThinking;
    const max = this.maxLength;
    let cut = false;
    const fit = (text: string): string => {
      const t = truncate(text, max);
      if (t.originalSize !== undefined) cut = true;
      return t.value;
    };
    const full: Record<string, unknown>[] = [];
    const kept: Record<string, unknown>[] = [];
    for (const p of parts) {
      if (p.type === 'reasoning') {
        if (!captureThinking) continue;
        full.push({ type: 'reasoning', content: p.content });
        kept.push({ type: 'reasoning', content: fit(p.content) });
      } else if (p.type === 'text') {
        full.push(captureOutput ? { type: 'text', content: p.content } : { type: 'text' });
        kept.push(captureOutput ? { type: 'text', content: fit(p.content) } : { type: 'text' });
      } else {
        const part: Record<string, unknown> = { type: 'tool_call', id: p.id, name: p.name };
        full.push(captureOutput ? { ...part, arguments: p.arguments } : part);
        if (captureOutput) {
          const args = jsonText(p.arguments ?? {});
          part.arguments = args.length > max ? fit(args) : p.arguments;
        }
        kept.push(part);
      }
    }
    if (!kept.length) return;
    const message = (p: Record<string, unknown>[]) => [{ role: 'assistant', parts: p, ...(finishReason ? { finish_reason: finishReason } : {}) }];
    attrs[sc.GEN_AI_OUTPUT_MESSAGES] = JSON.stringify(message(kept));
    if (cut) attrs[sc.GEN_AI_OUTPUT_MESSAGES + sc.AMS_TRUNCATED_SUFFIX] = JSON.stringify(message(full)).length;
  }

  /** Response model, id and finish reason of a model call. */
  response(attrs: Attributes, r: { model?: string; id?: string; finishReason?: string }): void {
    if (r.model) attrs[sc.GEN_AI_RESPONSE_MODEL] = r.model;
    if (r.id) attrs[sc.GEN_AI_RESPONSE_ID] = r.id;
    if (r.finishReason) attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = [r.finishReason];
  }

  /** `gen_ai.usage.*`: only the figures that are known (non-negative finite numbers). */
  usage(attrs: Attributes, u: Partial<Usage>): void {
    const put = (key: string, v: unknown) => {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) attrs[key] = v;
    };
    put(sc.GEN_AI_USAGE_INPUT_TOKENS, u.input_tokens);
    put(sc.GEN_AI_USAGE_OUTPUT_TOKENS, u.output_tokens);
    put(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cache_read_input_tokens);
    put(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, u.cache_creation_input_tokens);
  }

  /** USD cost of a call or run, when known. */
  cost(attrs: Attributes, usd: unknown): void {
    if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0) attrs[sc.AMS_COST_USD] = usd;
  }
}

function toInputMessages(value: unknown): unknown {
  if (typeof value === 'string') return [{ role: 'user', parts: [{ type: 'text', content: value }] }];
  if (!Array.isArray(value)) return value;
  return value.map((m: unknown) => {
    if (!m || typeof m !== 'object') return { role: 'user', parts: [{ type: 'text', content: jsonText(m) }] };
    const { role, content, parts } = m as InputMessage;
    if (Array.isArray(parts)) return m;
    return { role: typeof role === 'string' ? role : 'user', parts: [{ type: 'text', content: typeof content === 'string' ? content : jsonText(content) }] };
  });
}

/** An attribute value OpenTelemetry accepts, or undefined (for user-given extra attributes). */
export function toAttributeValue(v: unknown): AttributeValue | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (v === undefined || v === null) return undefined;
  return jsonText(v);
}
