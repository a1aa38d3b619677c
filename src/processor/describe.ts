/** O(1) reads of an SDK span for the buffer: ids, parentage, and whether it is GenAI. */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isClaudeCodeRecord } from '../spans/dialects/claude-code.js';
import { isLogRecord } from '../spans/log-record.js';
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
 * The same reads for a SpanRecord (the receiver's items). A log record without a parent span
 * (Claude Code with spans off, its startup logs) is not a session root of its own: the logs of
 * such a trace stay together and are written as one session.
 */
export function describeRecord(record: SpanRecord): SpanInfo {
  const op = record.attributes[sc.GEN_AI_OPERATION_NAME];
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    isLocalRoot: (!record.parentSpanId && !isLogRecord(record)) || record.parentIsRemote === true,
    isAgent: op === sc.OP_INVOKE_AGENT || (op === undefined && record.name.startsWith(`${sc.OP_INVOKE_AGENT} `)),
  };
}

/**
 * The same rule for a SpanRecord: a trace with no such span is not an agent session. Claude
 * Code's records count (its log records carry no gen_ai.* attribute; a log-only trace is a session).
 */
export const isGenAiRecord = (record: SpanRecord): boolean => isGenAiSdkSpan(record) || isClaudeCodeRecord(record);
