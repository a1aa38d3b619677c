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
