import { readFileSync } from 'node:fs';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fromReadableSpan } from '../src/spans/readable.js';
import { OtlpShapeError, otlpToSpanRecords } from '../receiver/otlp/records.js';
import type { SpanRecord } from '../src/spans/record.js';
import { OTLP_TRACE_PROTO } from '../receiver/otlp/proto-source.js';
import { OtlpDecodeError, decodeJsonRequest, decodeProtobufRequest, decodeStatus, decodeTraceRequest, encodeResponse, encodeStatus } from '../receiver/otlp/codec.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';

/** Drops keys whose value is undefined and an empty status message: both mean "absent". */
function normalize(records: SpanRecord[]): unknown {
  const copy = JSON.parse(JSON.stringify(records)) as Array<SpanRecord>;
  for (const r of copy) if (r.status.message === '') delete r.status.message;
  return copy.sort((a, b) => a.spanId.localeCompare(b.spanId));
}

const protoRoot = protobuf.parse(OTLP_TRACE_PROTO).root;
const SpanType = protoRoot.lookupType('opentelemetry.proto.Span');
const RequestType = protoRoot.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

function requestWithSpans(spans: Array<Record<string, unknown>>): Uint8Array {
  return RequestType.encode(RequestType.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish();
}

const TRACE = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const SPAN = Buffer.from('b7ad6b7169203331', 'hex');

describe('OTLP proto', () => {
  it('the embedded proto text is receiver/proto/otlp_trace.proto (regenerate: node receiver/proto/embed.mjs)', () => {
    expect(OTLP_TRACE_PROTO).toBe(readFileSync(new URL('../receiver/proto/otlp_trace.proto', import.meta.url), 'utf8'));
  });
});

describe('OTLP -> SpanRecord round trips against @opentelemetry/otlp-transformer', () => {
  it('protobuf and JSON decode to the records the in-process adapter builds, ids and times exact', async () => {
    const { spans } = await captureAgentTrace();
    const expected = normalize(spans.map(fromReadableSpan));

    const proto = otlpToSpanRecords(decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(spans)!));
    expect(proto.rejectedSpans).toBe(0);
    expect(normalize(proto.records)).toEqual(expected);

    const json = otlpToSpanRecords(decodeJsonRequest(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!)));
    expect(json.rejectedSpans).toBe(0);
    expect(normalize(json.records)).toEqual(expected);
    // Exact, not approximately equal: the same doubles as HrTime arithmetic gives in-process.
    const root = proto.records.find((r) => r.parentSpanId === undefined)!;
    expect(root.startTimeMs).toBe(1_780_000_000_123.456);
  });

  it('converts fixed64 nanoseconds exactly across the whole range', () => {
    const values = [0n, 1n, 999_999n, 1_000_000n, 4_294_967_295n, 4_294_967_296n, 1_780_000_000_123_456_789n, 18_446_744_073_709_551_615n];
    for (let i = 0; i < 200; i++) values.push(BigInt(Math.floor(Math.random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(Math.random() * 2 ** 32)));
    for (const ns of values) {
      const low = Number(ns & 0xffffffffn);
      const high = Number(ns >> 32n);
      const body = requestWithSpans([{ traceId: TRACE, spanId: SPAN, startTimeUnixNano: { low, high, unsigned: true } }]);
      const [rec] = otlpToSpanRecords(decodeProtobufRequest(body)).records;
      const expected = Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6;
      expect(rec!.startTimeMs).toBe(expected);
      const [fromJson] = otlpToSpanRecords({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('hex'), spanId: SPAN.toString('hex'), startTimeUnixNano: ns.toString() }] }] }],
      }).records;
      expect(fromJson!.startTimeMs).toBe(expected);
    }
  });

  it('maps every AnyValue kind, span kind, status and the remote-parent flag', () => {
    const body = requestWithSpans([
      {
        traceId: TRACE,
        spanId: SPAN,
        parentSpanId: Buffer.from('00f067aa0ba902b7', 'hex'),
        flags: 0x301,
        kind: 3,
        name: 'x',
        status: { code: 2, message: 'boom' },
        attributes: [
          { key: 's', value: { stringValue: 'v' } },
          { key: 'empty', value: { stringValue: '' } },
          { key: 'b', value: { boolValue: false } },
          { key: 'i', value: { intValue: -42 } },
          { key: 'big', value: { intValue: '9007199254740993' } },
          { key: 'd', value: { doubleValue: 0.5 } },
          { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}] } } },
          { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
          { key: 'bytes', value: { bytesValue: Buffer.from('hi') } },
          { key: 'none', value: {} },
        ],
      },
    ]);
    const [rec] = otlpToSpanRecords(decodeProtobufRequest(body)).records;
    expect(rec).toMatchObject({
      parentSpanId: '00f067aa0ba902b7',
      parentIsRemote: true,
      kind: 'client',
      status: { code: 'error', message: 'boom' },
      attributes: { s: 'v', empty: '', b: false, i: -42, big: '9007199254740993', d: 0.5, arr: ['a', 1, null], kv: '{"k":true}', bytes: 'aGk=' },
    });
    expect('none' in rec!.attributes).toBe(false);
  });
});

describe('invalid spans and malformed requests', () => {
  it('rejects spans with invalid ids one by one, keeping the rest', () => {
    const body = requestWithSpans([
      { traceId: TRACE, spanId: SPAN, name: 'good' },
      { traceId: Buffer.alloc(16), spanId: SPAN, name: 'zero trace id' },
      { traceId: TRACE.subarray(0, 8), spanId: SPAN, name: 'short trace id' },
      { traceId: TRACE, name: 'no span id' },
      { traceId: TRACE, spanId: SPAN, parentSpanId: Buffer.from('abc'), name: 'bad parent' },
    ]);
    const out = otlpToSpanRecords(decodeProtobufRequest(body));
    expect(out.records.map((r) => r.name)).toEqual(['good']);
    expect(out.rejectedSpans).toBe(4);
    expect(out.errorMessage).toMatch(/^4 span\(s\) rejected: invalid trace_id .*; invalid span_id .*; invalid parent_span_id/);
  });

  it('rejects JSON ids that are not 32/16 hex characters (base64 is not OTLP/JSON)', () => {
    const out = otlpToSpanRecords({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('base64'), spanId: SPAN.toString('hex') }, { traceId: TRACE.toString('hex').toUpperCase(), spanId: SPAN.toString('hex') }] }] }],
    });
    expect(out.rejectedSpans).toBe(1);
    expect(out.records[0]!.traceId).toBe(TRACE.toString('hex'));
  });

  it('names the path of a JSON shape error', () => {
    expect(() => otlpToSpanRecords({ resourceSpans: {} })).toThrow(new OtlpShapeError('resourceSpans', 'expected an array, got an object'));
    expect(() =>
      otlpToSpanRecords({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('hex'), spanId: SPAN.toString('hex'), startTimeUnixNano: 'soon' }] }] }] }),
    ).toThrow(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: expected unsigned nanoseconds/);
    expect(() => otlpToSpanRecords({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 7 }] }] }] })).toThrow(/spans\[0\]\.traceId: expected a hex string/);
    expect(() => decodeJsonRequest(Buffer.from('{"resourceSpans": ['))).toThrow(OtlpDecodeError);
    expect(() => decodeTraceRequest(Buffer.from(`{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "${TRACE.toString('hex')}", "spanId": "${SPAN.toString('hex')}", "attributes": [{"key": "k", "value": {"intValue": "x"}}]}]}]}]}`), 'json')).toThrow(
      'malformed OTLP/JSON: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: expected an integer, got string "x"',
    );
    expect(() => decodeJsonRequest(Buffer.from('[]'))).toThrow(/expected an ExportTraceServiceRequest object/);
  });

  it('refuses truncated protobuf and known fields with the wrong wire type', () => {
    const good = Buffer.from(requestWithSpans([{ traceId: TRACE, spanId: SPAN, name: 'a span' }]));
    expect(() => decodeTraceRequest(good.subarray(0, good.length - 3), 'protobuf')).toThrow(/^malformed protobuf: index out of range/);
    // resource_spans (field 1) sent as a varint instead of a length-delimited message
    expect(() => decodeTraceRequest(Buffer.from([0x08, 0x05]), 'protobuf')).toThrow(
      'malformed protobuf: request: field 1 (resourceSpans) has wire type 0, which does not fit its type ResourceSpans',
    );
    // Span.trace_id (field 1) as fixed32, nested three levels deep
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 5).fixed32(7);
    const badSpan = w.finish();
    const nested = protobuf.Writer.create();
    nested.uint32((1 << 3) | 2).fork().uint32((2 << 3) | 2).fork().uint32((2 << 3) | 2).bytes(badSpan).ldelim().ldelim();
    expect(() => decodeTraceRequest(Buffer.from(nested.finish()), 'protobuf')).toThrow(
      /^malformed protobuf: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: field 1 \(traceId\) has wire type 5/,
    );
    // Unknown field numbers are forward compatibility, not an error.
    const unknown = protobuf.Writer.create();
    unknown.uint32((99 << 3) | 0).uint32(1);
    expect(decodeTraceRequest(Buffer.from(unknown.finish()), 'protobuf').records).toEqual([]);
    // The untruncated request decodes whole: the span's name and ids come back as sent.
    const decoded = decodeProtobufRequest(good) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: Uint8Array; spanId: Uint8Array }> }> }> };
    expect(decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).map((s) => [s.name, Buffer.from(s.traceId).toString('hex'), Buffer.from(s.spanId).toString('hex')])).toEqual([
      ['a span', TRACE.toString('hex'), SPAN.toString('hex')],
    ]);
    void SpanType;
  });

  it('names where a protobuf attribute value is mistyped', () => {
    // AnyValue.string_value (field 1) as a varint, inside span attribute 0
    const anyValue = Uint8Array.from([0x08, 0x01]);
    const keyValue = protobuf.Writer.create().uint32((1 << 3) | 2).string('k').uint32((2 << 3) | 2).bytes(anyValue).finish();
    const span = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(TRACE).uint32((2 << 3) | 2).bytes(SPAN).uint32((9 << 3) | 2).bytes(keyValue).finish();
    const scopeSpans = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(span).finish();
    const resourceSpans = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(scopeSpans).finish();
    const req = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(resourceSpans).finish();
    expect(() => decodeTraceRequest(Buffer.from(req), 'protobuf')).toThrow(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value: field 1 \(stringValue\) has wire type 0/,
    );
  });
});

describe('responses', () => {
  it('encodes ExportTraceServiceResponse that the exporters themselves parse', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(encodeResponse('protobuf'))).toEqual({});
    expect(ProtobufTraceSerializer.deserializeResponse(encodeResponse('protobuf', { rejectedSpans: 2, errorMessage: 'bad ids' }))).toMatchObject({
      partialSuccess: { rejectedSpans: 2, errorMessage: 'bad ids' },
    });
    expect(JsonTraceSerializer.deserializeResponse(encodeResponse('json', { rejectedSpans: 2, errorMessage: 'bad ids' }))).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' },
    });
    expect(decodeStatus(encodeStatus('protobuf', 3, 'nope'))).toEqual({ code: 3, message: 'nope' });
  });
});

describe('OTLP/JSON variants', () => {
  it('accepts proto field names (snake_case) and enum names', () => {
    const out = otlpToSpanRecords({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }] },
          scope_spans: [
            {
              scope: { name: 'lib', version: '1.0' },
              spans: [
                {
                  trace_id: TRACE.toString('hex'),
                  span_id: SPAN.toString('hex'),
                  name: 's',
                  kind: 'SPAN_KIND_SERVER',
                  start_time_unix_nano: '1000000000000000001',
                  end_time_unix_nano: 1_000_000_000_500_000_000, // a JSON number: lossy above 2^53, still accepted
                  status: { code: 'STATUS_CODE_ERROR', message: 'x' },
                  attributes: [{ key: 'n', value: { int_value: '7' } }, { key: 'd', value: { double_value: 'Infinity' } }],
                  events: [{ name: 'e', time_unix_nano: '1000000000000000002', attributes: [] }],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(out.records).toHaveLength(1);
    expect(out.records[0]).toMatchObject({
      kind: 'server',
      status: { code: 'error', message: 'x' },
      resource: { 'service.name': 'svc' },
      scope: { name: 'lib', version: '1.0' },
      attributes: { n: 7, d: Infinity },
      startTimeMs: 1e12 + 1e-6,
      endTimeMs: 1_000_000_000_500,
      events: [{ name: 'e', timeMs: 1e12 + 2e-6 }],
    });
  });
});
