/** O(1) reads of an SDK span for the buffer: ids, parentage, and whether it is GenAI. */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isGenAiLikeLog, isLogRecord } from '../spans/log-record.js';
import type { SpanRecord } from '../spans/record.js';
import * as sc from '../spans/semconv.js';
import type { SpanInfo } from './trace-buffer.js';

type SpanLike = Pick<ReadableSpan, 'spanContext' | 'parentSpanContext' | 'attributes' | 'name'>;

export function isAgentSpan(span: Pick<ReadableSpan, 'attributes' | 'name'>): boolean {
  const op = span.attributes[sc.GEN_AI_OPERATION_NAME];
  return op === sc.OP_INVOKE_AGENT || (op === undefined && span.name.startsWith(`${sc.OP_INVOKE_AGENT} `));
}

export function describeSdkSpan(span: SpanLike): SpanInfo {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: parent?.spanId || undefined,
    isLocalRoot: !parent || !parent.spanId || parent.isRemote === true,
    isAgent: isAgentSpan(span),
  };
}

/** A GenAI span carries at least one `gen_ai.*` attribute (checked without allocating). */
export function isGenAiSdkSpan(span: { readonly attributes: Readonly<Record<string, unknown>>; readonly name: string }): boolean {
  const a = span.attributes;
  if (a[sc.GEN_AI_OPERATION_NAME] !== undefined || a[sc.GEN_AI_PROVIDER_NAME] !== undefined || a[sc.GEN_AI_SYSTEM] !== undefined) return true;
  // OpenInference marks its spans with a kind or a model name instead (see spans/normalize.ts).
  if (a[sc.OI_SPAN_KIND] !== undefined || a[sc.OI_LLM_MODEL_NAME] !== undefined) return true;
  for (const key in a) if (key.startsWith(sc.GEN_AI_PREFIX)) return true;
  return span.name.startsWith(`${sc.OP_INVOKE_AGENT} `);
}

/**
 * The same reads for a SpanRecord (the receiver's items). A record carrying a log event is never
 * a root: it does not start or end a session, so a trace of log records alone is written when it
 * goes idle (idleMs), and a log without a span id cannot split a trace into sessions.
 */
export function describeRecord(record: SpanRecord): SpanInfo {
  const op = record.attributes[sc.GEN_AI_OPERATION_NAME];
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    isLocalRoot: (!record.parentSpanId || record.parentIsRemote === true) && !isLogRecord(record),
    isAgent: op === sc.OP_INVOKE_AGENT || (op === undefined && record.name.startsWith(`${sc.OP_INVOKE_AGENT} `)),
  };
}

/**
 * The same rule for a SpanRecord: a trace with no such span is not an agent session. A record
 * carrying a log event (OTLP logs, src/spans/log-record.ts) counts by the log rule, so a trace of
 * Claude Code log events alone is kept.
 */
export function isGenAiRecord(record: SpanRecord): boolean {
  return isGenAiSdkSpan(record) || isGenAiLikeLog(record);
}
