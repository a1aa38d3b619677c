import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes, SpanKindName, SpanRecord, SpanStatusCode as StatusName } from './record.js';

const KIND_NAMES: Record<SpanKind, SpanKindName> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const STATUS_NAMES: Record<SpanStatusCode, StatusName> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
};

export function hrTimeToEpochMs(t: HrTime): number {
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Adapts an ended SDK span to a SpanRecord. Called off the hot path, at assembly time. */
export function fromReadableSpan(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const record: SpanRecord = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'internal',
    startTimeMs: hrTimeToEpochMs(span.startTime),
    // A span still open (forced write at shutdown or a limit) ends "now" in the document.
    endTimeMs: span.ended ? hrTimeToEpochMs(span.endTime) : Date.now(),
    status: { code: STATUS_NAMES[span.status.code] ?? 'unset', message: span.status.message },
    attributes: span.attributes as Attributes,
    events: span.events.map((e) => ({
      name: e.name,
      timeMs: hrTimeToEpochMs(e.time),
      attributes: (e.attributes ?? {}) as Attributes,
    })),
    resource: (span.resource?.attributes ?? {}) as Attributes,
    scope: span.instrumentationScope
      ? { name: span.instrumentationScope.name, version: span.instrumentationScope.version }
      : undefined,
  };
  if (parent && parent.spanId) {
    record.parentSpanId = parent.spanId;
    if (parent.isRemote) record.parentIsRemote = true;
  }
  return record;
}
