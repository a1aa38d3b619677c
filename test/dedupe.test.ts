/**
 * dedupeModelCalls (src/spans/dedupe.ts): one model call described by two instrumentations is one
 * record; anything else is left alone. The live cases (OpenInference around the Anthropic SDK's own
 * spans) are in producers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { dedupeModelCalls } from '../src/spans/dedupe.js';
import type { Attributes, SpanRecord } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
function span(spanId: string, parentSpanId: string | undefined, start: number, end: number, attributes: Attributes, extra: Partial<SpanRecord> = {}): SpanRecord {
  return { traceId: TRACE, spanId, ...(parentSpanId ? { parentSpanId } : {}), name: 'span', kind: 'client', startTimeMs: start, endTimeMs: end, status: { code: 'unset' }, attributes, events: [], resource: {}, ...extra };
}
const chat = (usage: [number, number] | undefined, more: Attributes = {}): Attributes => ({
  [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT,
  ...(usage ? { [sc.GEN_AI_USAGE_INPUT_TOKENS]: usage[0], [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: usage[1] } : {}),
  ...more,
});
const root = span('a000000000000001', undefined, 0, 100, { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT });

describe('dedupeModelCalls', () => {
  it('same response id, overlapping: one record where the earlier was, the richer one\'s attributes with what the other alone had', () => {
    const thin = span('c000000000000001', root.spanId, 10, 40, chat([5, 2], { [sc.GEN_AI_RESPONSE_ID]: 'msg_1', [sc.AMS_COST_USD]: 0.5 }));
    const rich = span('c000000000000002', root.spanId, 12, 41, chat([5, 2], { [sc.GEN_AI_RESPONSE_ID]: 'msg_1', [sc.GEN_AI_OUTPUT_MESSAGES]: '[]', [sc.GEN_AI_INPUT_MESSAGES]: '[]', [sc.GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'] }));
    const out = dedupeModelCalls([root, thin, rich]);
    expect(out.map((r) => r.spanId)).toEqual([root.spanId, thin.spanId]);
    expect(out[1]!.attributes).toEqual({ ...rich.attributes, [sc.AMS_COST_USD]: 0.5 });
    expect([out[1]!.startTimeMs, out[1]!.endTimeMs]).toEqual([10, 41]);
  });

  it('a chat nested in a chat with the same usage: one record in the outer place with the inner richer attributes; the inner children move to it; an error is kept', () => {
    const outer = span('c000000000000001', root.spanId, 10, 50, chat([7, 3]), { status: { code: 'error', message: 'boom' } });
    const inner = span('c000000000000002', outer.spanId, 11, 49, chat([7, 3], { [sc.GEN_AI_OUTPUT_MESSAGES]: '[]', [sc.GEN_AI_RESPONSE_ID]: 'msg_2' }));
    const child = span('d000000000000001', inner.spanId, 20, 30, { 'http.request.method': 'POST' });
    const out = dedupeModelCalls([root, outer, inner, child]);
    expect(out.map((r) => [r.spanId, r.parentSpanId])).toEqual([
      [root.spanId, undefined],
      [outer.spanId, root.spanId],
      [child.spanId, outer.spanId],
    ]);
    expect(out[1]!.attributes).toEqual(inner.attributes);
    expect(out[1]!.status).toEqual({ code: 'error', message: 'boom' });
  });

  it('leaves apart: distinct calls reusing a response id (no overlap), nested chats that disagree on usage or model', () => {
    const a = span('c000000000000001', root.spanId, 10, 20, chat([5, 2], { [sc.GEN_AI_RESPONSE_ID]: 'msg_x' }));
    const b = span('c000000000000002', root.spanId, 30, 40, chat([5, 2], { [sc.GEN_AI_RESPONSE_ID]: 'msg_x' }));
    const outer = span('c000000000000003', root.spanId, 50, 90, chat([9, 9]));
    const inner = span('c000000000000004', outer.spanId, 51, 60, chat([1, 1]));
    const m1 = span('c000000000000005', root.spanId, 91, 99, chat(undefined, { [sc.GEN_AI_REQUEST_MODEL]: 'm1' }));
    const m2 = span('c000000000000006', m1.spanId, 92, 98, chat(undefined, { [sc.GEN_AI_REQUEST_MODEL]: 'm2' }));
    const input = [root, a, b, outer, inner, m1, m2];
    expect(dedupeModelCalls(input)).toBe(input);
  });
});
