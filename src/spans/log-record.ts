/**
 * Log records (OpenTelemetry LogRecords / events) as SpanRecords.
 *
 * Producers such as the Claude Code CLI send most of a session's content as log events (the
 * prompt, the model's text, tokens and cost, tool input), not as span attributes. Rather than a
 * second path through the buffer, the WAL replay, the shards and the writer, a log record becomes
 * a zero-length SpanRecord marked with `ams.log.*` attributes and travels with its trace's spans.
 * The dialect mapping (src/spans/dialects/) joins it to the span it belongs to before assembly; the
 * assembler never sees a log record as a span of its own.
 *
 * The record:
 * - `traceId`: the log's trace id; when it has none, one derived from `session.id` + `prompt.id`
 *   (so a prompt's logs meet in one buffer entry even with spans off), and without `session.id`
 *   the log cannot join a session: logRecordToSpanRecord returns undefined.
 * - `parentSpanId`: the log's span id (the span it was emitted under), if any.
 * - `spanId`: derived from the record's content, so a record delivered twice (exporter retry, WAL
 *   replay) gets the same id.
 * - `name`: `log <event name>` (the event name: `event.name` attribute, else the body when it is a
 *   short string, else `log`).
 * - attributes: the log's own, plus `ams.log.event_name`, `ams.log.body` (JSON text when the body
 *   is structured), `ams.log.severity_text`, `ams.log.severity_number`, `ams.log.synthetic_trace`
 *   (true when the trace id was derived).
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, Attributes, SpanRecord } from './record.js';
import { readString } from './read.js';
import * as sc from './semconv.js';

export const LOG_EVENT_NAME = 'ams.log.event_name';
export const LOG_BODY = 'ams.log.body';
export const LOG_SEVERITY_TEXT = 'ams.log.severity_text';
export const LOG_SEVERITY_NUMBER = 'ams.log.severity_number';
export const LOG_SYNTHETIC_TRACE = 'ams.log.synthetic_trace';
/** Span name prefix of a log record carried as a SpanRecord. */
export const LOG_SPAN_PREFIX = 'log ';

/** A decoded log record, transport-neutral (the receiver's OTLP logs adapter produces these). */
export interface LogRecordInput {
  /** 32 lowercase hex characters, or absent/empty when the log has no trace context. */
  traceId?: string;
  /** 16 lowercase hex characters, or absent/empty. */
  spanId?: string;
  /** Epoch ms (fractional); the record's time, else its observed time. */
  timeMs: number;
  /** The log body: a string, or structured (an OTLP AnyValue converted to JSON). */
  body?: unknown;
  severityText?: string;
  severityNumber?: number;
  /** OTLP LogRecord.event_name (newer exporters), preferred over the `event.name` attribute. */
  eventName?: string;
  attributes: Attributes;
  resource: Attributes;
  scope?: { name: string; version?: string };
}

const SESSION_ID = 'session.id';
const PROMPT_ID = 'prompt.id';
const EVENT_NAME_ATTR = 'event.name';
/** Claude Code's event names (`claude_code.user_prompt`, `claude_code.api_request`, ...). */
const CLAUDE_CODE_EVENT_PREFIX = 'claude_code.';
const ZERO_TRACE = /^0*$/;

const hex = (text: string, chars: number): string => createHash('sha256').update(text).digest('hex').slice(0, chars);

/** The trace a log without trace context belongs to: one per session.id + prompt.id. */
export function syntheticTraceId(sessionId: string, promptId: string | undefined): string {
  return hex(`ams-log-trace\u0000${sessionId}\u0000${promptId ?? ''}`, 32);
}

function eventNameOf(log: LogRecordInput): string {
  if (log.eventName) return log.eventName;
  const attr = readString(log.attributes, EVENT_NAME_ATTR);
  if (attr) return attr;
  if (typeof log.body === 'string' && log.body.length > 0 && log.body.length <= 128 && !/\s/.test(log.body)) return log.body;
  return 'log';
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body);
  } catch {
    return String(body);
  }
}

/**
 * The SpanRecord that carries `log`, or undefined when it can join no session (no trace id and
 * no `session.id`).
 */
export function logRecordToSpanRecord(log: LogRecordInput): SpanRecord | undefined {
  const hasTrace = log.traceId !== undefined && log.traceId.length === 32 && !ZERO_TRACE.test(log.traceId);
  let traceId = log.traceId ?? '';
  let synthetic = false;
  if (!hasTrace) {
    const session = readString(log.attributes, SESSION_ID) ?? readString(log.resource, SESSION_ID);
    if (!session) return undefined;
    traceId = syntheticTraceId(session, readString(log.attributes, PROMPT_ID));
    synthetic = true;
  }
  const parent = log.spanId && log.spanId.length === 16 && !ZERO_TRACE.test(log.spanId) ? log.spanId : undefined;
  const eventName = eventNameOf(log);
  const body = bodyText(log.body);
  const attributes: Attributes = { ...log.attributes, [LOG_EVENT_NAME]: eventName };
  if (body !== undefined) attributes[LOG_BODY] = body;
  if (log.severityText) attributes[LOG_SEVERITY_TEXT] = log.severityText;
  if (log.severityNumber !== undefined && log.severityNumber !== 0) attributes[LOG_SEVERITY_NUMBER] = log.severityNumber;
  if (synthetic) attributes[LOG_SYNTHETIC_TRACE] = true;
  const identity = [traceId, parent ?? '', log.timeMs, eventName, readString(log.attributes, 'event.sequence') ?? '', body ?? '', JSON.stringify(log.attributes)].join('\u0000');
  return {
    traceId,
    spanId: hex(identity, 16),
    parentSpanId: parent,
    name: `${LOG_SPAN_PREFIX}${eventName}`,
    kind: 'internal',
    startTimeMs: log.timeMs,
    endTimeMs: log.timeMs,
    status: { code: 'unset' },
    attributes,
    events: [],
    resource: log.resource,
    scope: log.scope,
  };
}

/** True for a SpanRecord that carries a log record. */
export function isLogRecord(record: { attributes: Attributes }): boolean {
  return record.attributes[LOG_EVENT_NAME] !== undefined;
}

/**
 * The GenAI rule for log records (the writer keeps a trace only if one of its records is GenAI):
 * a log-carrying record counts when it has a `session.id` (on the record or its resource), a
 * Claude Code event name (`event.name` or the body starting `claude_code.`), or any `gen_ai.*`
 * attribute. False for a real span (the span rule is src/processor/describe.ts's).
 */
export function isGenAiLikeLog(record: { attributes: Attributes; resource?: Attributes }): boolean {
  const a = record.attributes;
  if (!isLogRecord(record)) return false;
  if (readString(a, SESSION_ID) || (record.resource && readString(record.resource, SESSION_ID))) return true;
  for (const name of [a[EVENT_NAME_ATTR], a[LOG_EVENT_NAME], a[LOG_BODY]]) {
    if (typeof name === 'string' && name.startsWith(CLAUDE_CODE_EVENT_PREFIX)) return true;
  }
  for (const key in a) if (key.startsWith(sc.GEN_AI_PREFIX)) return true;
  return false;
}

/** The event name of a log-carrying record (undefined for a real span). */
export function logEventName(record: { attributes: Attributes }): string | undefined {
  const v: AttributeValue | undefined = record.attributes[LOG_EVENT_NAME];
  return typeof v === 'string' ? v : undefined;
}
