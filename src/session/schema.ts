/**
 * JSON Schema (draft-07) for the session document and the index entry. This is the authority on
 * the written format; types.ts mirrors it for TypeScript, and tests validate every document the
 * project writes against it with ajv.
 */

const iso = { type: 'string', format: 'date-time' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const nonNeg = { type: 'number', minimum: 0 } as const;
const status = { enum: ['ok', 'error', 'incomplete'] } as const;
const scalar = { type: ['string', 'number', 'boolean'] } as const;

const usageProps = {
  input_tokens: nonNeg,
  output_tokens: nonNeg,
  cache_read_input_tokens: nonNeg,
  cache_creation_input_tokens: nonNeg,
} as const;
const usageRequired = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'];

const usage = { type: 'object', required: usageRequired, properties: usageProps, additionalProperties: false } as const;
const modelUsage = {
  type: 'object',
  required: [...usageRequired, 'cost_usd'],
  properties: { ...usageProps, cost_usd: nonNeg },
  additionalProperties: false,
} as const;
const truncated = { type: 'object', additionalProperties: count } as const;
const source = { enum: ['events', 'sdk', 'reported'] } as const;

const totals = {
  type: 'object',
  required: [...usageRequired, 'cost_usd', 'turns', 'tool_calls', 'subagents', 'errors', 'duration_ms', 'api_duration_ms', 'sources'],
  properties: {
    ...usageProps,
    cost_usd: nonNeg,
    turns: count,
    tool_calls: count,
    subagents: count,
    errors: count,
    duration_ms: nonNeg,
    api_duration_ms: nonNeg,
    sources: {
      type: 'object',
      properties: { tokens: source, cost_usd: source, turns: source, duration_ms: source, api_duration_ms: source },
      additionalProperties: false,
    },
    event_sums: modelUsage,
  },
  additionalProperties: false,
} as const;

const agent = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, version: { type: 'string' } },
  additionalProperties: false,
} as const;
const metadata = { type: 'object', additionalProperties: scalar } as const;
const tags = { type: 'array', items: { type: 'string' } } as const;
const spanId = { type: 'string' } as const;
const optionalError = { type: ['string', 'null'] } as const;

const userPrompt = {
  type: 'object',
  required: ['type', 'at', 'prompt'],
  properties: { type: { const: 'user_prompt' }, span_id: spanId, at: iso, prompt: { type: 'string' }, synthetic: { type: 'boolean' } },
  additionalProperties: false,
} as const;

const llmMessage = {
  type: 'object',
  required: ['type', 'at', 'ended_at', 'duration_ms', 'usage'],
  properties: {
    type: { const: 'llm_message' },
    span_id: spanId,
    at: iso,
    ended_at: iso,
    duration_ms: nonNeg,
    model: { type: 'string' },
    response_id: { type: 'string' },
    thinking: { type: 'string' },
    text: { type: 'string' },
    tool_uses: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, input: {} },
        additionalProperties: false,
      },
    },
    finish_reasons: { type: 'array', items: { type: 'string' } },
    usage,
    cost_usd: nonNeg,
    error: optionalError,
    truncated,
  },
  additionalProperties: false,
} as const;

const toolCall = {
  type: 'object',
  required: ['type', 'name', 'error', 'status', 'started_at', 'ended_at', 'duration_ms'],
  properties: {
    type: { const: 'tool_call' },
    span_id: spanId,
    tool_use_id: { type: 'string' },
    name: { type: 'string' },
    input: {},
    result: {},
    error: optionalError,
    status: { enum: ['ok', 'error', 'interrupted'] },
    mcp_server: { type: 'string' },
    truncated,
    started_at: iso,
    ended_at: iso,
    duration_ms: nonNeg,
  },
  additionalProperties: false,
} as const;

const subagent = {
  type: 'object',
  required: ['type', 'status', 'started_at', 'ended_at', 'duration_ms', 'events'],
  properties: {
    type: { const: 'subagent' },
    span_id: spanId,
    agent_id: { type: 'string' },
    agent_type: { type: 'string' },
    name: { type: 'string' },
    why: { type: 'string' },
    description: { type: 'string' },
    transcript_path: { type: 'string' },
    tool_use_id: { type: 'string' },
    status,
    error: optionalError,
    started_at: iso,
    ended_at: iso,
    duration_ms: nonNeg,
    events: { type: 'array', items: { $ref: '#/definitions/event' } },
  },
  additionalProperties: false,
} as const;

const notification = {
  type: 'object',
  required: ['type', 'at', 'message'],
  properties: { type: { const: 'notification' }, span_id: spanId, at: iso, message: { type: 'string' }, kind: { type: 'string' } },
  additionalProperties: false,
} as const;

const failure = {
  type: 'object',
  required: ['type', 'at', 'category', 'code'],
  properties: {
    type: { const: 'failure' },
    span_id: spanId,
    at: iso,
    category: { enum: ['tool', 'model', 'retrieval', 'orchestration'] },
    code: { type: 'string' },
    message: { type: 'string' },
    step: { type: 'string' },
    attempt: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const;

const step = {
  type: 'object',
  required: ['type', 'name', 'kind', 'status', 'attributes', 'started_at', 'ended_at', 'duration_ms'],
  properties: {
    type: { const: 'step' },
    span_id: spanId,
    name: { type: 'string' },
    kind: { enum: ['internal', 'server', 'client', 'producer', 'consumer'] },
    status: { enum: ['ok', 'error'] },
    error: optionalError,
    attributes: { type: 'object' },
    started_at: iso,
    ended_at: iso,
    duration_ms: nonNeg,
    events: { type: 'array', items: { $ref: '#/definitions/event' } },
  },
  additionalProperties: false,
} as const;

const common = {
  schema_version: { const: 1 },
  id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 },
  trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  conversation_id: { type: 'string' },
  revision: { type: 'integer', minimum: 1 },
  status,
  agent,
  environment: { type: 'string' },
  tags,
  metadata,
  model: { type: 'string' },
  started_at: iso,
  ended_at: iso,
  totals,
} as const;

export const sessionSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ams-otel.dev/schema/session.v1.json',
  title: 'ams-otel session',
  type: 'object',
  required: ['schema_version', 'id', 'trace_id', 'revision', 'status', 'agent', 'tags', 'metadata', 'models', 'started_at', 'ended_at', 'totals', 'spans', 'events'],
  properties: {
    ...common,
    root_span_id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    status_reason: { type: 'string' },
    service: { type: 'string' },
    models: { type: 'object', additionalProperties: modelUsage },
    spans: {
      type: 'object',
      required: ['kept', 'dropped'],
      properties: { kept: count, dropped: count },
      additionalProperties: false,
    },
    events: { type: 'array', items: { $ref: '#/definitions/event' } },
  },
  additionalProperties: false,
  definitions: {
    event: {
      oneOf: [userPrompt, llmMessage, toolCall, subagent, notification, failure, step],
    },
  },
} as const;

export const sessionIndexSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ams-otel.dev/schema/session-index.v1.json',
  title: 'ams-otel session index entry',
  type: 'object',
  required: ['schema_version', 'id', 'trace_id', 'revision', 'status', 'agent', 'tags', 'metadata', 'started_at', 'ended_at', 'totals', 'key'],
  properties: {
    ...common,
    prompt_preview: { type: 'string' },
    key: { type: 'string' },
  },
  additionalProperties: false,
} as const;
