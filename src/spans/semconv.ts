/**
 * Every span, event and attribute name ams-otel reads or writes, in one place.
 *
 * `gen_ai.*` names follow the OpenTelemetry GenAI semantic conventions. They are still
 * "incubating" upstream, and @opentelemetry/semantic-conventions asks consumers to copy
 * incubating names rather than import them (they may change between minor releases), so they are
 * spelled out here. `ams.*` names cover what the conventions have no name for (cost, tags,
 * metadata, environment, subagent "why"). README's "Span and attribute mapping" documents them.
 */

// ---- gen_ai.* (OpenTelemetry GenAI conventions) -------------------------------------------
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const GEN_AI_AGENT_DESCRIPTION = 'gen_ai.agent.description';
export const GEN_AI_AGENT_VERSION = 'gen_ai.agent.version';
export const GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const GEN_AI_TOOL_DESCRIPTION = 'gen_ai.tool.description';
export const GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
/** Deprecated predecessor of gen_ai.provider.name; still emitted by older instrumentations. */
export const GEN_AI_SYSTEM = 'gen_ai.system';

/** Values of gen_ai.operation.name that shape a session. */
export const OP_INVOKE_AGENT = 'invoke_agent';
export const OP_CHAT = 'chat';
export const OP_EXECUTE_TOOL = 'execute_tool';

/** Prefix that marks a span as GenAI; a trace with none is not an agent session. */
export const GEN_AI_PREFIX = 'gen_ai.';

// ---- general OpenTelemetry names ------------------------------------------------------------
// Stable names, spelled out rather than imported: importing four strings from
// @opentelemetry/semantic-conventions loads its whole ESM build (~350 kB, a tenth of the cost of
// `import 'ams-otel'`; the SDK loads its CommonJS build, so nothing is shared). Checked in package-surface.test.ts.
export const ERROR_TYPE = 'error.type';
export const SERVICE_NAME = 'service.name';
/** What the SDK puts in service.name when the user set none (`unknown_service:node`). */
export const UNKNOWN_SERVICE_PREFIX = 'unknown_service';
export const EXCEPTION_TYPE = 'exception.type';
export const EXCEPTION_MESSAGE = 'exception.message';
/** Span event name the SDK's recordException() uses. */
export const EXCEPTION_EVENT = 'exception';
/** Resource attribute; the fallback for a session's environment. */
export const DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

// ---- ams.* (no GenAI name exists) -----------------------------------------------------------
/** Deployment environment of the agent run ("prod", "staging"); overrides the resource's. */
export const AMS_ENVIRONMENT = 'ams.environment';
/** string[]: free-form labels for filtering. */
export const AMS_TAGS = 'ams.tags';
/** Prefix: `ams.metadata.<key>` = string | number | boolean. */
export const AMS_METADATA_PREFIX = 'ams.metadata.';
/** Explicit session id; otherwise the session id is derived from the trace and root span ids. */
export const AMS_SESSION_ID = 'ams.session.id';
/** USD cost of a chat span (per call) or of the whole run (on the root span). */
export const AMS_COST_USD = 'ams.cost.usd';
/** Who computed the figures on the root span ("sdk" = SDK-reported, "estimated", ...). */
export const AMS_USAGE_SOURCE = 'ams.usage.source';
/** Root-reported totals that the assembler prefers over sums of events. */
export const AMS_TURNS = 'ams.turns';
export const AMS_DURATION_MS = 'ams.duration_ms';
export const AMS_API_DURATION_MS = 'ams.api_duration_ms';
/** JSON object: per-model usage and cost as the SDK reported it (`modelUsage`). */
export const AMS_MODEL_USAGE = 'ams.model_usage';
/** Human-readable reason a run ended in error (e.g. "error_max_turns"). */
export const AMS_STATUS_REASON = 'ams.status.reason';
/** Subagent: why it was invoked. */
export const AMS_SUBAGENT_PROMPT = 'ams.subagent.prompt';
export const AMS_SUBAGENT_DESCRIPTION = 'ams.subagent.description';
export const AMS_SUBAGENT_TYPE = 'ams.subagent.type';
export const AMS_SUBAGENT_TRANSCRIPT_PATH = 'ams.subagent.transcript_path';
/** Tool call extras. */
export const AMS_TOOL_STATUS = 'ams.tool.status';
export const AMS_TOOL_INTERRUPTED = 'ams.tool.interrupted';
export const AMS_TOOL_MCP_SERVER = 'ams.tool.mcp_server';
/** Tool call: the permission decision ('accept', 'reject', ...), who made it ('config', 'user', ...), and ms spent waiting for it. */
export const AMS_TOOL_PERMISSION_DECISION = 'ams.tool.permission.decision';
export const AMS_TOOL_PERMISSION_SOURCE = 'ams.tool.permission.source';
export const AMS_TOOL_BLOCKED_MS = 'ams.tool.blocked_ms';
/** Chat: time to first token (ms). */
export const AMS_LLM_TTFT_MS = 'ams.llm.ttft_ms';
/** Chat: true when the model thought but the producer withheld the text (Claude Code sends "<REDACTED>"). */
export const AMS_LLM_THINKING_REDACTED = 'ams.llm.thinking_redacted';
/** Chat: where ams.cost.usd came from (e.g. 'claude_code.api_request'). */
export const AMS_COST_SOURCE = 'ams.cost.source';
/**
 * Chat: set by a dialect that rewrote gen_ai.usage.input_tokens into the document's meaning
 * (excluding cache reads and writes), so a second pass over the same span leaves it alone.
 */
export const AMS_USAGE_INPUT_EXCLUDES_CACHE = 'ams.usage.input_excludes_cache';
/** ams.cost.source value: the instrumentation that emitted the span reported the cost itself. */
export const COST_SOURCE_PRODUCER = 'producer';
/** Instrumentation scope of the spans ams-otel's own Claude instrumentation emits (src/claude/). */
export const AMS_CLAUDE_SCOPE = 'ams-otel/claude';
/** Set by instrumentation when it cut a large value: original size in characters. */
export const AMS_TRUNCATED_SUFFIX = '.original_size';

/** Span events that become session events. */
export const EVENT_USER_PROMPT = 'ams.user_prompt';
export const EVENT_NOTIFICATION = 'ams.notification';
/** Attributes on those events. */
export const AMS_PROMPT = 'ams.prompt';
export const AMS_MESSAGE = 'ams.message';
export const AMS_NOTIFICATION_KIND = 'ams.notification.kind';
export const AMS_PROMPT_SYNTHETIC = 'ams.prompt.synthetic';

// ---- generic API, failures, streams, other instrumentations (src/generic, src/spans/normalize) --
/** Span event: a classified failure (`recordFailure`); becomes a `failure` session event. */
export const EVENT_FAILURE = 'ams.failure';
/** On that event: 'tool' | 'model' | 'retrieval' | 'orchestration'. */
export const AMS_FAILURE_TYPE = 'ams.failure.type';
/** On that event: a short machine code ('timeout', 'schema', 'rate_limit', 'http_500', ...). */
export const AMS_FAILURE_CODE = 'ams.failure.code';
export const AMS_FAILURE_MESSAGE = 'ams.failure.message';
/** On that event: the step the failure belongs to (name). */
export const AMS_FAILURE_STEP = 'ams.failure.step';
/** On that event: the attempt number of the step that failed (retries). */
export const AMS_FAILURE_ATTEMPT = 'ams.failure.attempt';
/** What a generic step is: 'step' | 'retrieval' | 'stream' | ... (generic API). */
export const AMS_STEP_KIND = 'ams.step.kind';
/** Retries: attempt number (1 = first try) and the span id of the attempt this one retries. */
export const AMS_ATTEMPT = 'ams.attempt';
export const AMS_RETRY_OF = 'ams.retry_of';
/** JSON text of a generic step's input and output (traced(), decorators, step()). */
export const AMS_INPUT = 'ams.input';
export const AMS_OUTPUT = 'ams.output';
/** stream(): JSON array of kept events, and counts (seen, kept, dropped by the bound). */
export const AMS_STREAM_EVENTS = 'ams.stream.events';
export const AMS_STREAM_COUNT = 'ams.stream.count';
export const AMS_STREAM_DROPPED = 'ams.stream.dropped';

/** Deprecated GenAI forms (before gen_ai.input/output.messages and gen_ai.usage.input_tokens). */
export const GEN_AI_PROMPT_PREFIX = 'gen_ai.prompt.';
export const GEN_AI_COMPLETION_PREFIX = 'gen_ai.completion.';
export const GEN_AI_PROMPT = 'gen_ai.prompt';
export const GEN_AI_COMPLETION = 'gen_ai.completion';
export const GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens';
export const GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens';
/** Unofficial cache counters some instrumentations (OpenLLMetry) emit. */
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY = 'gen_ai.usage.cache_read_input_tokens';
export const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY = 'gen_ai.usage.cache_creation_input_tokens';
/** Span events of the 2024 GenAI conventions that carried content. */
export const EVENT_GEN_AI_CONTENT_PROMPT = 'gen_ai.content.prompt';
export const EVENT_GEN_AI_CONTENT_COMPLETION = 'gen_ai.content.completion';
/** OpenLLMetry: 'chat' | 'completion' | 'embedding'. */
export const LLM_REQUEST_TYPE = 'llm.request.type';

/** OpenInference (Arize Phoenix) names. */
export const OI_SPAN_KIND = 'openinference.span.kind';
export const OI_INPUT_VALUE = 'input.value';
export const OI_OUTPUT_VALUE = 'output.value';
export const OI_LLM_MODEL_NAME = 'llm.model_name';
export const OI_LLM_PROVIDER = 'llm.provider';
export const OI_LLM_SYSTEM = 'llm.system';
export const OI_LLM_INPUT_MESSAGES = 'llm.input_messages';
export const OI_LLM_OUTPUT_MESSAGES = 'llm.output_messages';
export const OI_TOKEN_PROMPT = 'llm.token_count.prompt';
export const OI_TOKEN_COMPLETION = 'llm.token_count.completion';
export const OI_TOKEN_CACHE_READ = 'llm.token_count.prompt_details.cache_read';
export const OI_TOKEN_CACHE_WRITE = 'llm.token_count.prompt_details.cache_write';
export const OI_LLM_RESPONSE_MODEL_NAME = 'llm.response.model_name';
export const OI_LLM_FINISH_REASON = 'llm.finish_reason';
export const OI_COST_TOTAL = 'llm.cost.total';
export const OI_TOOL_NAME = 'tool.name';
export const OI_TOOL_DESCRIPTION = 'tool.description';
export const OI_TOOL_CALL_ID = 'tool_call.id';
export const OI_AGENT_NAME = 'agent.name';
export const OI_SESSION_ID = 'session.id';
export const OI_USER_ID = 'user.id';
export const OI_METADATA = 'metadata';
export const OI_TAGS = 'tag.tags';

/** OpenLLMetry (Traceloop) span kinds and entity names, beside its gen_ai.* attributes. */
export const TRACELOOP_SPAN_KIND = 'traceloop.span.kind';
export const TRACELOOP_ENTITY_NAME = 'traceloop.entity.name';
export const TRACELOOP_ENTITY_INPUT = 'traceloop.entity.input';
export const TRACELOOP_ENTITY_OUTPUT = 'traceloop.entity.output';
