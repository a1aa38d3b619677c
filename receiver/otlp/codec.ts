/**
 * OTLP/HTTP trace codec: ExportTraceServiceRequest in (protobuf or JSON), ExportTraceServiceResponse
 * and google.rpc.Status out, in the request's encoding.
 *
 * Protobuf decoding is protobufjs reflection over receiver/proto/otlp_trace.proto
 * (@opentelemetry/otlp-transformer only encodes), then receiver/otlp/records.ts turns either encoding
 * into SpanRecords.
 */
import protobuf from 'protobufjs';
import { OtlpShapeError, otlpToSpanRecords } from './records.js';
import type { OtlpConversion, UnknownFieldsHook } from './records.js';
import { OTLP_TRACE_PROTO } from './proto-source.js';

export type OtlpEncoding = 'protobuf' | 'json';

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
const RequestType = root.lookupType(`${PKG}ExportTraceServiceRequest`);
const ResponseType = root.lookupType(`${PKG}ExportTraceServiceResponse`);
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

/** Decodes a protobuf ExportTraceServiceRequest (unknown fields kept); the adapter's input shape. */
export function decodeProtobufRequest(body: Uint8Array): unknown {
  try {
    const reader = protobuf.Reader.create(body);
    reader.discardUnknown = false;
    return RequestType.decode(reader);
  } catch (err) {
    throw new OtlpDecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
}

/** Parses an OTLP/JSON request body. Shape errors surface later, from the adapter. */
export function decodeJsonRequest(body: Buffer): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OtlpDecodeError('malformed JSON: expected an ExportTraceServiceRequest object');
  }
  return parsed;
}

/**
 * Body (already decompressed) -> span records, plus what was rejected. Throws OtlpDecodeError with
 * a message for the 400 answer when the body is not an ExportTraceServiceRequest.
 */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding): OtlpConversion {
  if (encoding === 'protobuf') {
    const msg = decodeProtobufRequest(body);
    try {
      return otlpToSpanRecords(msg, { onUnknownFields: refuseMistypedFields });
    } catch (err) {
      if (err instanceof OtlpShapeError) throw new OtlpDecodeError(`malformed protobuf: ${err.message}`);
      throw err;
    }
  }
  const parsed = decodeJsonRequest(body);
  try {
    return otlpToSpanRecords(parsed);
  } catch (err) {
    if (err instanceof OtlpShapeError) throw new OtlpDecodeError(`malformed OTLP/JSON: ${err.message}`);
    throw err;
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage?: string;
}

/** ExportTraceServiceResponse; `partial_success` only when something was rejected (OTLP spec). */
export function encodeResponse(encoding: OtlpEncoding, partial?: PartialSuccess): Buffer {
  const rejected = partial !== undefined && partial.rejectedSpans > 0 ? partial : undefined;
  if (encoding === 'json') {
    // OTLP/JSON spells int64 as a decimal string.
    const json =
      rejected === undefined
        ? {}
        : { partialSuccess: { rejectedSpans: String(rejected.rejectedSpans), errorMessage: rejected.errorMessage ?? '' } };
    return Buffer.from(JSON.stringify(json));
  }
  const body =
    rejected === undefined
      ? {}
      : { partialSuccess: { rejectedSpans: rejected.rejectedSpans, errorMessage: rejected.errorMessage ?? '' } };
  const w = ResponseType.encode(ResponseType.fromObject(body)).finish();
  return Buffer.from(w.buffer, w.byteOffset, w.length);
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
