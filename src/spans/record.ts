/**
 * SpanRecord: the transport-neutral span every capture path produces and the assembler consumes.
 * The in-process processor adapts SDK ReadableSpans to it; the receiver adapts OTLP spans to it.
 */

export type AttributeValue =
  | string
  | number
  | boolean
  | ReadonlyArray<string | number | boolean | null | undefined>;

export type Attributes = Record<string, AttributeValue | undefined>;

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type SpanStatusCode = 'unset' | 'ok' | 'error';

export interface SpanEventRecord {
  name: string;
  /** Epoch milliseconds (fractional: microsecond precision survives). */
  timeMs: number;
  attributes: Attributes;
}

export interface SpanRecord {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** Absent for a trace root. */
  parentSpanId?: string;
  /** True when the parent lives in another process (the local root of a distributed trace). */
  parentIsRemote?: boolean;
  name: string;
  kind: SpanKindName;
  startTimeMs: number;
  endTimeMs: number;
  status: { code: SpanStatusCode; message?: string };
  attributes: Attributes;
  events: SpanEventRecord[];
  /** Resource attributes (service.name, deployment.environment.name, ...). */
  resource: Attributes;
  scope?: { name: string; version?: string };
}
