/**
 * The session document: the contract between every capture path and every reader.
 * `schema.ts` is the JSON Schema for the same shapes; a test keeps the two in step.
 */

export const SCHEMA_VERSION = 1 as const;

export type SessionStatus = 'ok' | 'error' | 'incomplete';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/**
 * Where a total came from: `events` = summed from the session's events; `sdk` = reported by the
 * agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root
 * span by other instrumentation.
 */
export type TotalsSource = 'events' | 'sdk' | 'reported';

export interface Totals extends Usage {
  cost_usd: number;
  turns: number;
  tool_calls: number;
  subagents: number;
  errors: number;
  duration_ms: number;
  api_duration_ms: number;
  /** For each figure that did not come from summing events, who reported it. */
  sources: Partial<Record<'tokens' | 'cost_usd' | 'turns' | 'duration_ms' | 'api_duration_ms', TotalsSource>>;
  /**
   * Present when the runtime's figures differ from the sum over events: the event sums, so the
   * difference is shown rather than hidden.
   */
  event_sums?: Usage & { cost_usd: number };
}

export interface ModelUsage extends Usage {
  cost_usd: number;
}

export interface SpanCounts {
  /** Spans that made it into the document. */
  kept: number;
  /** Spans that were seen but dropped (limits, orphans, ...). */
  dropped: number;
}

interface EventBase {
  /** Span id the event came from (span events share their span's id). */
  span_id?: string;
}

export interface UserPromptEvent extends EventBase {
  type: 'user_prompt';
  at: string;
  prompt: string;
  synthetic?: boolean;
}

export interface ToolUsePart {
  id?: string;
  name: string;
  input?: JsonValue;
}

export interface LlmMessageEvent extends EventBase {
  type: 'llm_message';
  at: string;
  ended_at: string;
  duration_ms: number;
  model?: string;
  response_id?: string;
  thinking?: string;
  text?: string;
  tool_uses?: ToolUsePart[];
  finish_reasons?: string[];
  usage: Usage;
  cost_usd?: number;
  error?: string | null;
  /** Attribute name -> original size, for values the instrumentation cut short. */
  truncated?: Record<string, number>;
}

export interface ToolCallEvent extends EventBase {
  type: 'tool_call';
  tool_use_id?: string;
  name: string;
  input?: JsonValue;
  result?: JsonValue;
  error: string | null;
  status: 'ok' | 'error' | 'interrupted';
  mcp_server?: string;
  /** Attribute name -> original size, for values the instrumentation cut short. */
  truncated?: Record<string, number>;
  started_at: string;
  ended_at: string;
  duration_ms: number;
}

export interface SubagentEvent extends EventBase {
  type: 'subagent';
  agent_id?: string;
  agent_type?: string;
  name?: string;
  /** Why it ran: the prompt it was given. */
  why?: string;
  description?: string;
  transcript_path?: string;
  tool_use_id?: string;
  status: SessionStatus;
  error?: string | null;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  events: SessionEvent[];
}

export interface NotificationEvent extends EventBase {
  type: 'notification';
  at: string;
  message: string;
  kind?: string;
}

/** What failed, for `failure` events (the failure taxonomy). */
export type FailureCategory = 'tool' | 'model' | 'retrieval' | 'orchestration';

/**
 * A classified failure (`recordFailure()` or a failed generic step). Informational: totals.errors
 * counts failed spans, not these, so a failure recorded on a failed span is not counted twice.
 */
export interface FailureEvent extends EventBase {
  type: 'failure';
  at: string;
  category: FailureCategory;
  /** Short machine code: 'timeout', 'schema', 'rate_limit', 'http_503', 'error', ... */
  code: string;
  message?: string;
  /** Name of the step it belongs to. */
  step?: string;
  /** Attempt number of that step, for retries. */
  attempt?: number;
}

/** Any other span: kept so a session never misses what happened. */
export interface StepEvent extends EventBase {
  type: 'step';
  name: string;
  kind: string;
  status: 'ok' | 'error';
  error?: string | null;
  attributes: Record<string, JsonValue>;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  events?: SessionEvent[];
}

export type SessionEvent =
  | UserPromptEvent
  | LlmMessageEvent
  | ToolCallEvent
  | SubagentEvent
  | NotificationEvent
  | FailureEvent
  | StepEvent;

export interface AgentInfo {
  name: string;
  version?: string;
}

export interface Session {
  schema_version: typeof SCHEMA_VERSION;
  /** Unique per session and safe as a storage key segment. */
  id: string;
  trace_id: string;
  root_span_id?: string;
  conversation_id?: string;
  /** 1 on first write; + 1 each time late spans re-assemble the same session (receiver). */
  revision: number;
  status: SessionStatus;
  /** Why the status is not ok: error reason or what made it incomplete. */
  status_reason?: string;
  agent: AgentInfo;
  service?: string;
  environment?: string;
  tags: string[];
  metadata: Record<string, string | number | boolean>;
  model?: string;
  models: Record<string, ModelUsage>;
  started_at: string;
  ended_at: string;
  totals: Totals;
  spans: SpanCounts;
  events: SessionEvent[];
}

/** A compact projection of a session, one small file per session under `{prefix}/index/`. */
export interface SessionIndexEntry {
  schema_version: typeof SCHEMA_VERSION;
  id: string;
  trace_id: string;
  conversation_id?: string;
  revision: number;
  status: SessionStatus;
  agent: AgentInfo;
  environment?: string;
  tags: string[];
  metadata: Record<string, string | number | boolean>;
  model?: string;
  started_at: string;
  ended_at: string;
  totals: Totals;
  /** First user prompt, cut to PROMPT_PREVIEW_CHARS. */
  prompt_preview?: string;
  /** Storage key of the full document. */
  key: string;
}
