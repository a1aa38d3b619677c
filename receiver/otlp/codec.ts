/**
 * OTLP/HTTP codec: Export{Trace,Logs,Metrics}ServiceRequest in (protobuf or JSON), the matching
 * Export*ServiceResponse and google.rpc.Status out, in the request's encoding.
 *
 * Protobuf decoding is protobufjs reflection over receiver/proto/otlp_trace.proto
 * (@opentelemetry/otlp-transformer only encodes), then receiver/otlp/records.ts turns either encoding
 * into SpanRecords (traces), logs.ts into LogRecordInputs (logs), and metrics.ts counts data points.
 */
import protobuf from 'protobufjs';
import { otlpToLogRecords } from './logs.js';
import type { OtlpLogsConversion } from './logs.js';
import { countMetricDataPoints } from './metrics.js';
import { OtlpShapeError, otlpToSpanRecords } from './records.js';
import type { OtlpConversion, OtlpConversionOptions, UnknownFieldsHook } from './records.js';
import { OTLP_TRACE_PROTO } from './proto-source.js';

export type OtlpEncoding = 'protobuf' | 'json';

/** Which OTLP export a request is (its path: /v1/traces, /v1/logs, /v1/metrics). */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

export const CONTENT_TYPE: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The body is not a valid ExportTraceServiceRequest in its declared encoding. */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

const root = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root;
const PKG = 'opentelemetry.proto.';
const REQUEST_NAME: Record<OtlpSignal, string> = {
  traces: 'ExportTraceServiceRequest',
  logs: 'ExportLogsServiceRequest',
  metrics: 'ExportMetricsServiceRequest',
};
const RequestTypes: Record<OtlpSignal, protobuf.Type> = {
  traces: root.lookupType(`${PKG}ExportTraceServiceRequest`),
  logs: root.lookupType(`${PKG}ExportLogsServiceRequest`),
  metrics: root.lookupType(`${PKG}ExportMetricsServiceRequest`),
};
const ResponseTypes: Record<OtlpSignal, protobuf.Type> = {
  traces: root.lookupType(`${PKG}ExportTraceServiceResponse`),
  logs: root.lookupType(`${PKG}ExportLogsServiceResponse`),
  metrics: root.lookupType(`${PKG}ExportMetricsServiceResponse`),
};
/** partial_success's count field per signal (OTLP spec), as protobufjs and OTLP/JSON name it. */
const REJECTED_FIELD: Record<OtlpSignal, string> = { traces: 'rejectedSpans', logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints' };
const RpcStatusType = root.lookupType(`${PKG}RpcStatus`);

/**
 * protobufjs's decoder names the member a oneof holds after reading it (`m.value = 'stringValue'`),
 * and the prototype setter behind that `delete`s every other member, present or not: six runtime
 * deletes per AnyValue, ~15% of decoding. A setter that deletes only own members does the same
 * thing; it is swapped in while the type builds its constructor (the accessor is not configurable
 * afterwards) and protobufjs's own factory is put back at once.
 */
function withCheaperOneofSetters(type: protobuf.Type): void {
  const util = protobuf.util as unknown as { oneOfSetter: (names: string[]) => (this: Record<string, unknown>, name: string) => void };
  const original = util.oneOfSetter;
  util.oneOfSetter = (names) =>
    function setOneOf(name) {
      for (const n of names) if (n !== name && Object.prototype.hasOwnProperty.call(this, n)) delete this[n];
    };
  try {
    void type.ctor; // builds the constructor and its oneof accessors
  } finally {
    util.oneOfSetter = original;
  }
}
withCheaperOneofSetters(root.lookupType(`${PKG}AnyValue`));

/**
 * protobufjs skips a known field that arrives with the wrong wire type as if it were unknown. The
 * receiver decodes with unknown fields kept, and the adapter hands them here per message: a field
 * number the message knows means a wire-type mismatch, and the request is refused.
 */
export const refuseMistypedFields: UnknownFieldsHook = (kind, raw) => {
  const type = root.lookupType(`${PKG}${kind}`);
  for (const bytes of raw) {
    const tag = new protobuf.Reader(bytes).uint32();
    const fieldNo = tag >>> 3;
    const known = type.fieldsById[fieldNo];
    if (known !== undefined) return `field ${fieldNo} (${known.name}) has wire type ${tag & 7}, which does not fit its type ${known.type}`;
  }
  return undefined;
};

/** Decodes a protobuf Export*ServiceRequest (unknown fields kept); the adapter's input shape. */
export function decodeProtobufRequest(body: Uint8Array, signal: OtlpSignal = 'traces'): unknown {
  try {
    const reader = protobuf.Reader.create(body);
    reader.discardUnknown = false;
    return RequestTypes[signal].decode(reader);
  } catch (err) {
    throw new OtlpDecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
}

/** Parses an OTLP/JSON request body. Shape errors surface later, from the adapter. */
export function decodeJsonRequest(body: Buffer, signal: OtlpSignal = 'traces'): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OtlpDecodeError(`malformed JSON: expected an ${REQUEST_NAME[signal]} object`);
  }
  return parsed;
}

/**
 * Decodes a body (already decompressed) with `convert`; throws OtlpDecodeError with a message for
 * the 400 answer when it is not the signal's request.
 */
function decodeWith<T>(body: Buffer, encoding: OtlpEncoding, signal: OtlpSignal, convert: (msg: unknown, options: OtlpConversionOptions) => T): T {
  const protobufBody = encoding === 'protobuf';
  const msg = protobufBody ? decodeProtobufRequest(body, signal) : decodeJsonRequest(body, signal);
  try {
    return convert(msg, protobufBody ? { onUnknownFields: refuseMistypedFields } : {});
  } catch (err) {
    if (err instanceof OtlpShapeError) throw new OtlpDecodeError(`${protobufBody ? 'malformed protobuf' : 'malformed OTLP/JSON'}: ${err.message}`);
    throw err;
  }
}

/** Trace body -> span records, plus what was rejected. */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding): OtlpConversion {
  return decodeWith(body, encoding, 'traces', otlpToSpanRecords);
}

/** Logs body -> transport-neutral log records, plus what was rejected. */
export function decodeLogsRequest(body: Buffer, encoding: OtlpEncoding): OtlpLogsConversion {
  return decodeWith(body, encoding, 'logs', otlpToLogRecords);
}

/** Metrics body -> how many data points it holds (checked whole, not kept). */
export function decodeMetricsRequest(body: Buffer, encoding: OtlpEncoding): number {
  return decodeWith(body, encoding, 'metrics', countMetricDataPoints);
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage?: string;
}

/**
 * Export{Trace,Logs,Metrics}ServiceResponse; `partial_success` only when something was rejected
 * (OTLP spec). `rejectedSpans` counts the signal's items: spans, log records or data points.
 */
export function encodeResponse(encoding: OtlpEncoding, partial?: PartialSuccess, signal: OtlpSignal = 'traces'): Buffer {
  const rejected = partial !== undefined && partial.rejectedSpans > 0 ? partial : undefined;
  const countField = REJECTED_FIELD[signal];
  if (encoding === 'json') {
    // OTLP/JSON spells int64 as a decimal string.
    const json = rejected === undefined ? {} : { partialSuccess: { [countField]: String(rejected.rejectedSpans), errorMessage: rejected.errorMessage ?? '' } };
    return Buffer.from(JSON.stringify(json));
  }
  const body = rejected === undefined ? {} : { partialSuccess: { [countField]: rejected.rejectedSpans, errorMessage: rejected.errorMessage ?? '' } };
  const type = ResponseTypes[signal];
  const w = type.encode(type.fromObject(body)).finish();
  return Buffer.from(w.buffer, w.byteOffset, w.length);
}

/** For tests and tools: decode a protobuf Export*ServiceResponse as plain JSON-like values. */
export function decodeResponse(body: Uint8Array, signal: OtlpSignal): Record<string, unknown> {
  const type = ResponseTypes[signal];
  return type.toObject(type.decode(body), { longs: Number }) as Record<string, unknown>;
}

/** gRPC status codes used in error bodies (google.rpc.Code). */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  UNAVAILABLE: 14,
  INTERNAL: 13,
  UNIMPLEMENTED: 12,
} as const;

/** google.rpc.Status, the OTLP/HTTP error body. */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const w = RpcStatusType.encode(RpcStatusType.fromObject({ code, message })).finish();
  return Buffer.from(w.buffer, w.byteOffset, w.length);
}

/** For tests and tools: decode a protobuf google.rpc.Status body. */
export function decodeStatus(body: Uint8Array): { code: number; message: string } {
  const m = RpcStatusType.toObject(RpcStatusType.decode(body), { defaults: true }) as { code: number; message: string };
  return { code: m.code, message: m.message };
}
