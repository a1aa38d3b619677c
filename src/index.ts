// Public surface of `ams-otel`. Every export is named; types use `export type`.
export { SessionSpanProcessor } from './processor/SessionSpanProcessor.js';
export type { SessionSpanProcessorOptions, SessionSpanProcessorStats } from './processor/SessionSpanProcessor.js';
export { TraceBuffer } from './processor/trace-buffer.js';
export { describeRecord } from './processor/describe.js';
export type { SessionBatch, SpanInfo, TraceBufferOptions, TraceBufferStats, DropReason } from './processor/trace-buffer.js';

export { assembleSession } from './session/assemble.js';
export type { AssembleOptions } from './session/assemble.js';
export { toIndexEntry, PROMPT_PREVIEW_CHARS } from './session/index-entry.js';
export { sanitizeId, isSafeId } from './session/ids.js';
export { sessionSchema, sessionIndexSchema } from './session/schema.js';
export { SCHEMA_VERSION } from './session/types.js';
export type {
  AgentInfo,
  JsonValue,
  LlmMessageEvent,
  ModelUsage,
  NotificationEvent,
  Session,
  SessionEvent,
  SessionIndexEntry,
  SessionStatus,
  SpanCounts,
  StepEvent,
  SubagentEvent,
  ToolCallEvent,
  ToolUsePart,
  Totals,
  TotalsSource,
  Usage,
  UserPromptEvent,
} from './session/types.js';

export { fromReadableSpan } from './spans/readable.js';
export type { AttributeValue, Attributes, SpanEventRecord, SpanKindName, SpanRecord, SpanStatusCode } from './spans/record.js';

export { LocalStorage } from './storage/local.js';
export type { LocalStorageOptions } from './storage/local.js';
export { S3Storage } from './storage/s3.js';
export type { S3StorageOptions } from './storage/s3.js';
export { ReliableStorage } from './storage/reliable.js';
export type { ReliableStorageStats, RetryOptions } from './storage/reliable.js';
export { storageFromEnv } from './storage/from-env.js';
export { sessionKey, indexKey } from './storage/keys.js';
export type { SessionReader, SessionStorage } from './storage/types.js';

// Generic tracing API (any agent), failures, privacy, sinks, other instrumentations.
export { startSession, step, toolCall, llmCall, stream, retry, traced, traceMethod, recordFailure, createTracing, configureTracing } from './generic/index.js';
export { AgentTracing, TRACER_NAME, fromLlmResponse } from './generic/tracing.js';
export type {
  CallOptions,
  LlmHandle,
  LlmOptions,
  LlmOutput,
  RetryOptions as RetryStepOptions,
  SessionHandle,
  SessionOptions,
  SpanHandle,
  StepOptions,
  ToolOptions,
  TracedKind,
  TracedOptions,
  TracingOptions,
  Usage as LlmUsage,
} from './generic/tracing.js';
export { classifyError } from './generic/failure.js';
export type { FailureInfo } from './generic/failure.js';
export type { StreamHandle, StreamOptions } from './generic/stream.js';
export type { FailureCategory, FailureEvent } from './session/types.js';

export { applyPrivacy, REDACTED, MASK_FAILED, OMITTED } from './privacy/redact.js';
export { resolvePrivacy, DEFAULT_REDACT_KEYS } from './privacy/options.js';
export type { MaskArgs, PrivacyOptions, ResolvedPrivacy } from './privacy/options.js';
export { DEFAULT_PATTERNS, redactText } from './privacy/patterns.js';
export type { RedactionPattern } from './privacy/patterns.js';
export { withPrivacy } from './privacy/storage.js';
export type { PrivacyStorage, WithPrivacyOptions } from './privacy/storage.js';

export { ConsoleSink, summarizeSession } from './sinks/console.js';
export type { ConsoleSinkOptions } from './sinks/console.js';
export { JsonlSink } from './sinks/jsonl.js';
export type { JsonlSinkOptions } from './sinks/jsonl.js';
export { fanOut } from './sinks/fan-out.js';

export { normalizeRecords, normalizeSpan, isGenAiLikeRecord } from './spans/normalize.js';
