/**
 * Public surface of `ams-otel`: what users call and the types of what they pass and get back.
 * Internals (trace buffer, id and key helpers, span normalization, renderers) are imported from
 * their modules by the code and tests that need them; they are not part of the API. Every export
 * is named, types use `export type`; test/package-surface.test.ts fails when this list changes.
 */

// The in-process processor.
export { SessionSpanProcessor } from './processor/SessionSpanProcessor.js';
export type { SessionSpanProcessorOptions, SessionSpanProcessorStats } from './processor/SessionSpanProcessor.js';

// The session document: the pure assembler, its JSON Schema and types.
export { assembleSession } from './session/assemble.js';
export type { AssembleOptions } from './session/assemble.js';
export { mergeSessions } from './session/merge.js';
export { sessionSchema, sessionIndexSchema } from './session/schema.js';
export { SCHEMA_VERSION } from './session/types.js';
export type {
  AgentInfo,
  FailureCategory,
  FailureEvent,
  JsonValue,
  LlmMessageEvent,
  ModelEntry,
  ModelUsage,
  NotificationEvent,
  Session,
  SessionEvent,
  SessionIndexEntry,
  SessionStatus,
  SessionTrace,
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

// Span records, the assembler's input (fromReadableSpan turns an SDK span into one).
export { fromReadableSpan } from './spans/readable.js';
export type { AttributeValue, Attributes, SpanEventRecord, SpanKindName, SpanRecord, SpanStatusCode } from './spans/record.js';

// Storage: local files, S3 (its SDK loads on first use), the retry/spool wrapper, env selection.
export { LocalStorage } from './storage/local.js';
export type { LocalStorageOptions } from './storage/local.js';
export { S3Storage } from './storage/s3.js';
export type { S3StorageOptions } from './storage/s3.js';
export { ReliableStorage } from './storage/reliable.js';
export type { ReliableStorageStats, RetryOptions } from './storage/reliable.js';
export { storageFromEnv } from './storage/from-env.js';
export type { SessionReader, SessionStorage } from './storage/types.js';
export { PreconditionFailedError } from './storage/conditional.js';
export type { ConditionalStorage, ConditionalWriteResult, VersionedSession, WriteCondition } from './storage/conditional.js';

// The generic tracing API (any agent) and failures.
export { startSession, step, toolCall, llmCall, stream, retry, traced, traceMethod, logEvent, recordFailure, createTracing, configureTracing } from './generic/index.js';
export type {
  AgentTracing,
  CallOptions,
  EventTime,
  LlmHandle,
  LlmOptions,
  LlmOutput,
  LoggedEvent,
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

// Privacy: the options users set, the placeholders they see, and the same function as a storage wrapper.
export { applyPrivacy, REDACTED, MASK_FAILED, OMITTED } from './privacy/redact.js';
export { DEFAULT_REDACT_KEYS } from './privacy/options.js';
export type { MaskArgs, PrivacyOptions } from './privacy/options.js';
export type { ModelPrices, PricingOptions } from './session/pricing.js';
export { DEFAULT_PATTERNS, redactText } from './privacy/patterns.js';
export type { RedactionPattern } from './privacy/patterns.js';
export { withPrivacy } from './privacy/storage.js';
export type { PrivacyStorage, WithPrivacyOptions } from './privacy/storage.js';

// Sinks: storages that print, append or fan out.
export { ConsoleSink } from './sinks/console.js';
export type { ConsoleSinkOptions } from './sinks/console.js';
export { JsonlSink } from './sinks/jsonl.js';
export type { JsonlSinkOptions } from './sinks/jsonl.js';
export { fanOut } from './sinks/fan-out.js';
