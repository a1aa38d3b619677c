import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { OTLP_TRACE_PROTO } from '../receiver/otlp/proto-source.js';
import { decodeTraceRequest } from '../receiver/otlp/codec.js';

// The codec swaps in a cheaper oneof setter for AnyValue (receiver/otlp/codec.ts): it must keep
// protobuf's rule that the last member read wins.
const root = protobuf.parse(OTLP_TRACE_PROTO).root;
const KeyValue = root.lookupType('opentelemetry.proto.KeyValue');
const Span = root.lookupType('opentelemetry.proto.Span');
const ScopeSpans = root.lookupType('opentelemetry.proto.ScopeSpans');
const ResourceSpans = root.lookupType('opentelemetry.proto.ResourceSpans');
const Request = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** A request whose one span has attribute `k` encoded from the given AnyValue fields, in order. */
function requestWithValueFields(write: (w: protobuf.Writer) => void): Buffer {
  const value = protobuf.Writer.create();
  write(value);
  const kv = KeyValue.encode({ key: 'k' }).uint32((2 << 3) | 2).bytes(value.finish()).finish();
  const span = Span.encode({ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 's' }).uint32((9 << 3) | 2).bytes(kv).finish();
  const scope = ScopeSpans.encode({}).uint32((2 << 3) | 2).bytes(span).finish();
  const resource = ResourceSpans.encode({}).uint32((2 << 3) | 2).bytes(scope).finish();
  return Buffer.from(Request.encode({}).uint32((1 << 3) | 2).bytes(resource).finish());
}

describe('AnyValue oneof decoding', () => {
  it('keeps the last member when a value carries two', () => {
    const stringThenInt = requestWithValueFields((w) => w.uint32((1 << 3) | 2).string('text').uint32((3 << 3) | 0).int64(5));
    expect(decodeTraceRequest(stringThenInt, 'protobuf').records[0]!.attributes).toEqual({ k: 5 });
    const intThenString = requestWithValueFields((w) => w.uint32((3 << 3) | 0).int64(5).uint32((1 << 3) | 2).string('text'));
    expect(decodeTraceRequest(intThenString, 'protobuf').records[0]!.attributes).toEqual({ k: 'text' });
  });

  it('decodes a single member of each kind', () => {
    const bool = requestWithValueFields((w) => w.uint32((2 << 3) | 0).bool(true));
    expect(decodeTraceRequest(bool, 'protobuf').records[0]!.attributes).toEqual({ k: true });
    const dbl = requestWithValueFields((w) => w.uint32((4 << 3) | 1).double(1.5));
    expect(decodeTraceRequest(dbl, 'protobuf').records[0]!.attributes).toEqual({ k: 1.5 });
  });
});
