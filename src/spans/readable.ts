import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes, SpanEventRecord, SpanKindName, SpanRecord, SpanStatusCode as StatusName } from './record.js';

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

// Records are read, never mutated (normalization copies): what most spans share is allocated once.
// (Not the empty events array: a frozen array is slower to iterate, a shared mutable one a trap.)
const PLAIN_STATUS = new Map<SpanStatusCode, SpanRecord['status']>(
  (Object.entries(STATUS_NAMES) as unknown as Array<[string, StatusName]>).map(([code, name]) => [Number(code), Object.freeze({ code: name, message: undefined })]),
);
/** One scope record per SDK instrumentation scope (a tracer's spans share that object). */
const scopes = new WeakMap<object, NonNullable<SpanRecord['scope']>>();

function scopeOf(scope: ReadableSpan['instrumentationScope'] | undefined): SpanRecord['scope'] {
  if (!scope) return undefined;
  let record = scopes.get(scope);
  if (!record) scopes.set(scope, (record = { name: scope.name, version: scope.version }));
  return record;
}

/** Adapts an ended SDK span to a SpanRecord. Called off the hot path, at assembly time. */
export function fromReadableSpan(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const status = span.status;
  const record: SpanRecord = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'internal',
    startTimeMs: hrTimeToEpochMs(span.startTime),
    // A span still open (forced write at shutdown or a limit) ends "now" in the document.
    endTimeMs: span.ended ? hrTimeToEpochMs(span.endTime) : Date.now(),
    status: (status.message === undefined ? PLAIN_STATUS.get(status.code) : undefined) ?? { code: STATUS_NAMES[status.code] ?? 'unset', message: status.message },
    attributes: span.attributes as Attributes,
    events: span.events.map(toEventRecord),
    resource: (span.resource?.attributes ?? {}) as Attributes,
    scope: scopeOf(span.instrumentationScope),
  };
  if (parent && parent.spanId) {
    record.parentSpanId = parent.spanId;
    if (parent.isRemote) record.parentIsRemote = true;
  }
  return record;
}

function toEventRecord(e: ReadableSpan['events'][number]): SpanEventRecord {
  return { name: e.name, timeMs: hrTimeToEpochMs(e.time), attributes: (e.attributes ?? {}) as Attributes };
}
