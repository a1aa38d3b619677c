/**
 * OTLP/HTTP trace codec: ExportTraceServiceRequest in (protobuf or JSON), ExportTraceServiceResponse
 * and google.rpc.Status out, in the request's encoding.
 *
 * Protobuf decoding is protobufjs reflection over receiver/proto/otlp_trace.proto
 * (@opentelemetry/otlp-transformer only encodes). protobufjs skips a known field that arrives with
 * the wrong wire type as if it were unknown; an exporter never does that, so the receiver keeps
 * unknown fields and refuses such a payload (400) rather than silently dropping spans.
 */
import protobuf from 'protobufjs';
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

/** Message types whose decoded instances the wire-type check walks, by the field that holds them. */
interface Walk {
  type: protobuf.Type;
  children: Array<{ field: string; walk: () => Walk }>;
}

function walkOf(typeName: string, children: Array<[string, () => Walk]>): Walk {
  return { type: root.lookupType(`${PKG}${typeName}`), children: children.map(([field, walk]) => ({ field, walk })) };
}

const anyValueWalk: Walk = walkOf('AnyValue', [
  ['arrayValue', () => arrayValueWalk],
  ['kvlistValue', () => kvlistWalk],
]);
const keyValueWalk: Walk = walkOf('KeyValue', [['value', () => anyValueWalk]]);
const arrayValueWalk: Walk = walkOf('ArrayValue', [['values', () => anyValueWalk]]);
const kvlistWalk: Walk = walkOf('KeyValueList', [['values', () => keyValueWalk]]);
const requestWalk: Walk = walkOf('ExportTraceServiceRequest', [
  [
    'resourceSpans',
    () =>
      walkOf('ResourceSpans', [
        ['resource', () => walkOf('Resource', [['attributes', () => keyValueWalk]])],
        [
          'scopeSpans',
          () =>
            walkOf('ScopeSpans', [
              ['scope', () => walkOf('InstrumentationScope', [['attributes', () => keyValueWalk]])],
              [
                'spans',
                () =>
                  walkOf('Span', [
                    ['attributes', () => keyValueWalk],
                    ['events', () => walkOf('Span.Event', [['attributes', () => keyValueWalk]])],
                    ['links', () => walkOf('Span.Link', [['attributes', () => keyValueWalk]])],
                    ['status', () => walkOf('Status', [])],
                  ]),
              ],
            ]),
        ],
      ]),
  ],
]);

// Resolve the lazy children once, so the walk itself allocates nothing.
const resolved = new Map<Walk, Array<{ field: string; walk: Walk }>>();
function childrenOf(w: Walk): Array<{ field: string; walk: Walk }> {
  let c = resolved.get(w);
  if (c === undefined) {
    c = w.children.map((x) => ({ field: x.field, walk: x.walk() }));
    resolved.set(w, c);
  }
  return c;
}

interface MaybeUnknowns {
  $unknowns?: Uint8Array[];
}

/** Throws when a message kept an unknown field whose number is known: a wire-type mismatch. */
function checkWireTypes(msg: unknown, w: Walk, path: string): void {
  if (msg === null || typeof msg !== 'object') return;
  const unknowns = (msg as MaybeUnknowns).$unknowns;
  if (unknowns !== undefined) {
    for (const raw of unknowns) {
      const tag = new protobuf.Reader(raw).uint32();
      const fieldNo = tag >>> 3;
      const known = w.type.fieldsById[fieldNo];
      if (known !== undefined) {
        throw new OtlpDecodeError(
          `malformed protobuf: ${path} field ${fieldNo} (${known.name}) has wire type ${tag & 7}, which does not fit its type ${known.type}`,
        );
      }
    }
  }
  for (const child of childrenOf(w)) {
    const v = (msg as Record<string, unknown>)[child.field];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) checkWireTypes(v[i], child.walk, `${path}.${child.field}[${i}]`);
    } else if (v !== undefined && v !== null) {
      checkWireTypes(v, child.walk, `${path}.${child.field}`);
    }
  }
}

/** Decodes a protobuf ExportTraceServiceRequest; the result is the adapter's input shape. */
export function decodeProtobufRequest(body: Uint8Array): unknown {
  let msg: protobuf.Message;
  try {
    const reader = protobuf.Reader.create(body);
    reader.discardUnknown = false;
    msg = RequestType.decode(reader);
  } catch (err) {
    throw new OtlpDecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
  checkWireTypes(msg, requestWalk, 'ExportTraceServiceRequest');
  return msg;
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

export function decodeRequest(body: Buffer, encoding: OtlpEncoding): unknown {
  return encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
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
