/**
 * Every span, event and attribute name ams-otel reads or writes, in one place.
 *
 * `gen_ai.*` names follow the OpenTelemetry GenAI semantic conventions. They are still
 * "incubating" upstream, and @opentelemetry/semantic-conventions asks consumers to copy
 * incubating names rather than import them (they may change between minor releases), so they are
 * spelled out here. `ams.*` names cover what the conventions have no name for (cost, tags,
 * metadata, environment, subagent "why"). README's "Span and attribute mapping" documents them.
 */
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

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
export const ERROR_TYPE = ATTR_ERROR_TYPE;
export const SERVICE_NAME = ATTR_SERVICE_NAME;
export const EXCEPTION_TYPE = ATTR_EXCEPTION_TYPE;
export const EXCEPTION_MESSAGE = ATTR_EXCEPTION_MESSAGE;
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
