/**
 * OTLP logs -> LogRecordInput: the receiver's adapter for ExportLogsServiceRequest (POST /v1/logs),
 * decoded protobuf or parsed OTLP/JSON, with the readers of records.ts (same leaf rules, same
 * shape errors, same unknown-field check).
 *
 * A log record with a malformed trace or span id (present, not all zero, wrong length or not hex)
 * is rejected alone (partial_success `rejectedLogRecords`); an all-zero or empty id means "no trace
 * context", which OTLP allows for logs. A request whose shape is wrong throws OtlpShapeError (400).
 * What becomes of each record (its SpanRecord, or nothing without a session) is
 * src/spans/log-record.ts's call, not this file's.
 */
import type { LogRecordInput } from '../../src/spans/log-record.js';
import type { Attributes } from '../../src/spans/record.js';
import {
  PathFail,
  anyValueToJson,
  asString,
  describe,
  field,
  idHex,
  nanosToMs,
  toAttributes,
  withConversion,
  walkOtlpRequest,
  within,
} from './records.js';
import type { OtlpConversionOptions, OtlpLevels } from './records.js';

export interface OtlpLogsConversion {
  logs: LogRecordInput[];
  /** Log records refused (malformed ids); reported through OTLP partial_success. */
  rejectedLogRecords: number;
  /** Why, when rejectedLogRecords > 0. */
  errorMessage?: string;
}

/** SeverityNumber names (logs.proto), index = number, for OTLP/JSON senders that spell the enum. */
const SEVERITY_NAMES: readonly string[] = [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((l) => [l, `${l}2`, `${l}3`, `${l}4`]),
].map((n) => `SEVERITY_NUMBER_${n}`);

function toSeverity(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = SEVERITY_NAMES.indexOf(v);
    if (i >= 0) return i;
  }
  throw new PathFail('.severityNumber', `expected a SeverityNumber, got ${describe(v)}`);
}

/** True for an id that says "no trace context": empty or all zero bytes / hex digits. */
function isZeroId(v: unknown): boolean {
  if (typeof v === 'string') return /^0*$/.test(v);
  if (v instanceof Uint8Array) return v.every((b) => b === 0);
  return false;
}

/** Converts one ExportLogsServiceRequest; throws OtlpShapeError when its shape is wrong. */
export function otlpToLogRecords(request: unknown, options: OtlpConversionOptions = {}): OtlpLogsConversion {
  return withConversion(options, () => convert(request));
}

const LOG_LEVELS: OtlpLevels = {
  request: 'ExportLogsServiceRequest',
  resources: ['resourceLogs', 'resource_logs', 'ResourceLogs'],
  scopes: ['scopeLogs', 'scope_logs', 'ScopeLogs'],
  items: ['logRecords', 'log_records', 'LogRecord'],
};

function convert(request: unknown): OtlpLogsConversion {
  const walk = walkOtlpRequest(request, LOG_LEVELS, toLog);
  const out: OtlpLogsConversion = { logs: walk.items, rejectedLogRecords: walk.rejected };
  if (walk.rejected > 0) out.errorMessage = `${walk.rejected} log record(s) rejected: ${walk.reasons.join('; ')}`;
  return out;
}

function toLog(lr: Record<string, unknown>, resource: Attributes, scope: LogRecordInput['scope'], reject: (reason: string) => void): LogRecordInput | undefined {
  const rawTrace = field(lr, 'traceId', 'trace_id');
  const rawSpan = field(lr, 'spanId', 'span_id');
  const traceId = idHex(rawTrace, 16, '.traceId');
  const spanId = idHex(rawSpan, 8, '.spanId');
  if (traceId === null && !isZeroId(rawTrace)) {
    reject('invalid trace_id (need empty, all zero or 16 bytes / 32 hex characters)');
    return undefined;
  }
  if (spanId === null && !isZeroId(rawSpan)) {
    reject('invalid span_id (need empty, all zero or 8 bytes / 16 hex characters)');
    return undefined;
  }
  const time = nanosToMs(field(lr, 'timeUnixNano', 'time_unix_nano'), '.timeUnixNano');
  const observed = nanosToMs(field(lr, 'observedTimeUnixNano', 'observed_time_unix_nano'), '.observedTimeUnixNano');
  let body: unknown;
  const bodyObj = lr.body;
  if (bodyObj !== undefined && bodyObj !== null) {
    try {
      body = anyValueToJson(bodyObj, 0);
    } catch (err) {
      throw within(err, '.body');
    }
  }
  const log: LogRecordInput = {
    timeMs: time > 0 ? time : observed,
    attributes: toAttributes(lr.attributes, '.attributes'),
    resource,
  };
  if (traceId) log.traceId = traceId;
  if (spanId) log.spanId = spanId;
  if (body !== undefined && body !== null) log.body = body;
  const severityText = asString(field(lr, 'severityText', 'severity_text'), '.severityText');
  if (severityText) log.severityText = severityText;
  const severityNumber = toSeverity(field(lr, 'severityNumber', 'severity_number'));
  if (severityNumber) log.severityNumber = severityNumber;
  const eventName = asString(field(lr, 'eventName', 'event_name'), '.eventName');
  if (eventName) log.eventName = eventName;
  if (scope !== undefined) log.scope = scope;
  return log;
}
