/**
 * OTLP -> SpanRecord: the receiver's adapter, the counterpart of the ReadableSpan adapter.
 *
 * One function serves both OTLP/HTTP encodings, because they share a shape and differ only in
 * leaf representations:
 * - protobuf, decoded by protobufjs: ids are bytes (Uint8Array), 64-bit numbers are Long-like
 *   `{ low, high }` objects, enums are numbers;
 * - JSON (OTLP/JSON): ids are hex strings, 64-bit numbers are decimal strings (or numbers), enums
 *   are numbers or their names, bytes are base64.
 * Field names are lowerCamelCase in both; snake_case keys are accepted for JSON too.
 *
 * A span with an invalid trace or span id is not an error for the whole request: it is counted in
 * `rejectedSpans` (the receiver reports it through OTLP `partial_success`). A request whose shape
 * is wrong (e.g. `resourceSpans` is not an array) throws OtlpShapeError: the receiver answers 400.
 */
import type { AttributeValue, Attributes, SpanEventRecord, SpanKindName, SpanRecord, SpanStatusCode } from './record.js';

/** Long-like 64-bit integer as protobufjs decodes fixed64/int64 (with the `long` package). */
export interface OtlpLongBits {
  low: number;
  high: number;
  unsigned?: boolean;
}

export type OtlpInt64 = number | string | OtlpLongBits;
export type OtlpBytes = Uint8Array | string;

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: OtlpInt64;
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: OtlpBytes;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId?: OtlpBytes;
  spanId?: OtlpBytes;
  parentSpanId?: OtlpBytes;
  flags?: number;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: OtlpInt64;
  endTimeUnixNano?: OtlpInt64;
  attributes?: OtlpKeyValue[];
  events?: Array<{ timeUnixNano?: OtlpInt64; name?: string; attributes?: OtlpKeyValue[] }>;
  status?: { code?: number | string; message?: string };
}

export interface OtlpExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{
      scope?: { name?: string; version?: string };
      spans?: OtlpSpan[];
    }>;
  }>;
}

export interface OtlpConversion {
  records: SpanRecord[];
  /** Spans refused (invalid ids); reported through OTLP partial_success. */
  rejectedSpans: number;
  /** Human-readable reason for the first rejections, when rejectedSpans > 0. */
  errorMessage?: string;
}

/** The request does not have the OTLP shape; `path` says where (e.g. `resourceSpans[0].scopeSpans`). */
export class OtlpShapeError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'OtlpShapeError';
  }
}

/** OTLP Span.flags bits (trace.proto): whether the parent's is-remote is known, and its value. */
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x200;
/** kvlist / array nesting deeper than this is kept as a JSON string rather than walked. */
const MAX_VALUE_DEPTH = 16;
/** How many distinct rejection reasons the partial_success message lists. */
const MAX_REJECTION_MESSAGES = 3;

const KINDS: readonly SpanKindName[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const KIND_NAMES: Record<string, SpanKindName> = {
  SPAN_KIND_UNSPECIFIED: 'internal',
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};
const STATUS: readonly SpanStatusCode[] = ['unset', 'ok', 'error'];
const STATUS_NAMES: Record<string, SpanStatusCode> = {
  STATUS_CODE_UNSET: 'unset',
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
};

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** `o.camel`, or `o.snake` for JSON senders that use the proto field names. */
function field(o: Record<string, unknown>, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined || snake === undefined) return v;
  return o[snake];
}

function asObject(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new OtlpShapeError(path, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpShapeError(path, `expected an array, got ${describe(v)}`);
  return v;
}

function asString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new OtlpShapeError(path, `expected a string, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

// ---- ids ------------------------------------------------------------------------------------

const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Id as lowercase hex, or undefined when absent/empty, or null when invalid
 * (wrong length, not hex, or all zero: OTLP and W3C both call an all-zero id invalid).
 */
function idHex(v: unknown, bytes: number, path: string): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  let hex: string;
  if (typeof v === 'string') {
    if (v.length === 0) return undefined;
    if (v.length !== bytes * 2 || !HEX_RE.test(v)) return null;
    hex = v.toLowerCase();
  } else if (v instanceof Uint8Array) {
    if (v.length === 0) return undefined;
    if (v.length !== bytes) return null;
    hex = Buffer.isBuffer(v) ? v.toString('hex') : Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  } else if (Array.isArray(v) && v.length === 0) {
    // protobufjs's prototype default for an unset bytes field.
    return undefined;
  } else {
    throw new OtlpShapeError(path, `expected a hex string, got ${describe(v)}`);
  }
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return hex;
  return null;
}

// ---- time -----------------------------------------------------------------------------------

/**
 * Epoch milliseconds from [seconds, nanoseconds], with the same arithmetic as the SDK's HrTime,
 * so a receiver-side record carries the very same double as the in-process one.
 */
export function secondsNanosToMs(seconds: number, nanos: number): number {
  return seconds * 1e3 + nanos / 1e6;
}

/** 2^32 = 4294 * 1e6 + 967296: splits a {low, high} nanosecond count exactly, without BigInt. */
const TWO32_MS = 4294;
const TWO32_REM = 967296;

function nanosToMs(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) throw new OtlpShapeError(path, `expected unsigned nanoseconds, got ${describe(v)}`);
    if (v.length <= 9) return secondsNanosToMs(0, Number(v));
    return secondsNanosToMs(Number(v.slice(0, -9)), Number(v.slice(-9)));
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new OtlpShapeError(path, `expected unsigned nanoseconds, got ${describe(v)}`);
    const s = Math.floor(v / 1e9);
    return secondsNanosToMs(s, v - s * 1e9);
  }
  if (typeof v === 'object' && typeof (v as OtlpLongBits).low === 'number' && typeof (v as OtlpLongBits).high === 'number') {
    const low = (v as OtlpLongBits).low >>> 0;
    const high = (v as OtlpLongBits).high >>> 0;
    // ns = high * 2^32 + low = (high * 4294 + floor(t / 1e6)) ms + (t % 1e6) ns, t < 2^53
    const t = high * TWO32_REM + low;
    const ms = high * TWO32_MS + Math.floor(t / 1e6);
    const subMsNanos = t % 1e6;
    const s = Math.floor(ms / 1e3);
    return secondsNanosToMs(s, (ms - s * 1e3) * 1e6 + subMsNanos);
  }
  throw new OtlpShapeError(path, `expected nanoseconds, got ${describe(v)}`);
}

function int64ToNumberOrString(v: unknown, path: string): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (!/^-?\d+$/.test(v)) throw new OtlpShapeError(path, `expected an integer, got ${describe(v)}`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (typeof v === 'object' && v !== null && typeof (v as OtlpLongBits).low === 'number') {
    const { low, high } = v as OtlpLongBits;
    // int64 two's complement: high is signed.
    const n = (high | 0) * 4294967296 + (low >>> 0);
    if (Number.isSafeInteger(n)) return n;
    const big = (BigInt(high | 0) << 32n) + BigInt(low >>> 0);
    return big.toString();
  }
  throw new OtlpShapeError(path, `expected an integer, got ${describe(v)}`);
}

// ---- attributes -----------------------------------------------------------------------------

type Scalar = string | number | boolean | null;

function anyValueToJson(v: unknown, path: string, depth: number): unknown {
  const o = asObject(v, path);
  if (o === undefined) return null;
  if (hasOwn(o, 'stringValue') || hasOwn(o, 'string_value')) return asString(field(o, 'stringValue', 'string_value'), path) ?? '';
  if (hasOwn(o, 'boolValue') || hasOwn(o, 'bool_value')) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new OtlpShapeError(path, `expected a boolean, got ${describe(b)}`);
    return b;
  }
  if (hasOwn(o, 'intValue') || hasOwn(o, 'int_value')) return int64ToNumberOrString(field(o, 'intValue', 'int_value'), path);
  if (hasOwn(o, 'doubleValue') || hasOwn(o, 'double_value')) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') return d;
    // proto3 JSON spells non-finite doubles as strings.
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return Number(d);
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d))) return Number(d);
    throw new OtlpShapeError(path, `expected a number, got ${describe(d)}`);
  }
  if (hasOwn(o, 'bytesValue') || hasOwn(o, 'bytes_value')) {
    const b = field(o, 'bytesValue', 'bytes_value');
    if (typeof b === 'string') return b;
    if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
    throw new OtlpShapeError(path, `expected base64 bytes, got ${describe(b)}`);
  }
  if (hasOwn(o, 'arrayValue') || hasOwn(o, 'array_value')) {
    const arr = asObject(field(o, 'arrayValue', 'array_value'), `${path}.arrayValue`);
    const values = asArray(arr?.values, `${path}.arrayValue.values`);
    if (depth >= MAX_VALUE_DEPTH) return '[nested too deep]';
    return values.map((x, i) => anyValueToJson(x, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if (hasOwn(o, 'kvlistValue') || hasOwn(o, 'kvlist_value')) {
    const kv = asObject(field(o, 'kvlistValue', 'kvlist_value'), `${path}.kvlistValue`);
    const values = asArray(kv?.values, `${path}.kvlistValue.values`);
    if (depth >= MAX_VALUE_DEPTH) return '{nested too deep}';
    const out: Record<string, unknown> = {};
    values.forEach((x, i) => {
      const p = `${path}.kvlistValue.values[${i}]`;
      const e = asObject(x, p);
      if (e === undefined) return;
      const key = asString(e.key, `${p}.key`) ?? '';
      out[key] = anyValueToJson(e.value, `${p}.value`, depth + 1);
    });
    return out;
  }
  return null;
}

/**
 * AnyValue -> AttributeValue. SpanRecord attributes hold what the SDK allows (scalars and
 * homogeneous arrays); OTLP maps (kvlist), nested arrays and bytes have no SDK form, so they are
 * kept as JSON / base64 strings rather than lost.
 */
function toAttributeValue(v: unknown, path: string): AttributeValue | undefined {
  const j = anyValueToJson(v, path, 0);
  if (j === null) return undefined;
  if (typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') return j;
  if (Array.isArray(j)) {
    const flat: Scalar[] = [];
    for (const x of j) {
      if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') flat.push(x);
      else return JSON.stringify(j);
    }
    return flat;
  }
  return JSON.stringify(j);
}

function toAttributes(list: unknown, path: string): Attributes {
  const out: Attributes = {};
  const arr = asArray(list, path);
  for (let i = 0; i < arr.length; i++) {
    const p = `${path}[${i}]`;
    const kv = asObject(arr[i], p);
    if (kv === undefined) continue;
    const key = asString(kv.key, `${p}.key`);
    if (key === undefined) continue;
    const value = toAttributeValue(kv.value, `${p}.value`);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

// ---- spans ----------------------------------------------------------------------------------

function toKind(v: unknown, path: string): SpanKindName {
  if (v === undefined || v === null) return 'internal';
  if (typeof v === 'number') return KINDS[v] ?? 'internal';
  if (typeof v === 'string' && KIND_NAMES[v] !== undefined) return KIND_NAMES[v];
  throw new OtlpShapeError(path, `expected a SpanKind, got ${describe(v)}`);
}

function toStatus(v: unknown, path: string): SpanRecord['status'] {
  const o = asObject(v, path);
  if (o === undefined) return { code: 'unset' };
  const c = o.code;
  let code: SpanStatusCode;
  if (c === undefined || c === null) code = 'unset';
  else if (typeof c === 'number') code = STATUS[c] ?? 'unset';
  else if (typeof c === 'string' && STATUS_NAMES[c] !== undefined) code = STATUS_NAMES[c];
  else throw new OtlpShapeError(`${path}.code`, `expected a StatusCode, got ${describe(c)}`);
  const message = asString(o.message, `${path}.message`);
  return message ? { code, message } : { code };
}

/**
 * Converts one ExportTraceServiceRequest (decoded protobuf or parsed JSON) to span records.
 * Throws OtlpShapeError for a malformed request; invalid ids only reject their span.
 */
export function otlpToSpanRecords(request: unknown): OtlpConversion {
  const req = asObject(request, 'request');
  const records: SpanRecord[] = [];
  let rejectedSpans = 0;
  const reasons: string[] = [];
  const reject = (reason: string): void => {
    rejectedSpans++;
    if (reasons.length < MAX_REJECTION_MESSAGES && !reasons.includes(reason)) reasons.push(reason);
  };
  if (req === undefined) return { records, rejectedSpans };

  const resourceSpans = asArray(field(req, 'resourceSpans', 'resource_spans'), 'resourceSpans');
  for (let r = 0; r < resourceSpans.length; r++) {
    const rPath = `resourceSpans[${r}]`;
    const rs = asObject(resourceSpans[r], rPath);
    if (rs === undefined) continue;
    const resourceObj = asObject(rs.resource, `${rPath}.resource`);
    const resource = toAttributes(resourceObj?.attributes, `${rPath}.resource.attributes`);
    const scopeSpans = asArray(field(rs, 'scopeSpans', 'scope_spans'), `${rPath}.scopeSpans`);
    for (let s = 0; s < scopeSpans.length; s++) {
      const sPath = `${rPath}.scopeSpans[${s}]`;
      const ss = asObject(scopeSpans[s], sPath);
      if (ss === undefined) continue;
      const scopeObj = asObject(ss.scope, `${sPath}.scope`);
      let scope: SpanRecord['scope'];
      if (scopeObj !== undefined) {
        const name = asString(scopeObj.name, `${sPath}.scope.name`) ?? '';
        const version = asString(scopeObj.version, `${sPath}.scope.version`);
        scope = version ? { name, version } : { name };
      }
      const spans = asArray(ss.spans, `${sPath}.spans`);
      for (let i = 0; i < spans.length; i++) {
        const path = `${sPath}.spans[${i}]`;
        const span = asObject(spans[i], path);
        if (span === undefined) continue;
        const record = toRecord(span, path, resource, scope, reject);
        if (record !== undefined) records.push(record);
      }
    }
  }
  const out: OtlpConversion = { records, rejectedSpans };
  if (rejectedSpans > 0) out.errorMessage = `${rejectedSpans} span(s) rejected: ${reasons.join('; ')}`;
  return out;
}

function toRecord(
  span: Record<string, unknown>,
  path: string,
  resource: Attributes,
  scope: SpanRecord['scope'],
  reject: (reason: string) => void,
): SpanRecord | undefined {
  const traceId = idHex(field(span, 'traceId', 'trace_id'), 16, `${path}.traceId`);
  const spanId = idHex(field(span, 'spanId', 'span_id'), 8, `${path}.spanId`);
  const parentSpanId = idHex(field(span, 'parentSpanId', 'parent_span_id'), 8, `${path}.parentSpanId`);
  if (traceId === undefined || traceId === null) {
    reject('invalid trace_id (need 16 bytes / 32 hex characters, not all zero)');
    return undefined;
  }
  if (spanId === undefined || spanId === null) {
    reject('invalid span_id (need 8 bytes / 16 hex characters, not all zero)');
    return undefined;
  }
  if (parentSpanId === null) {
    reject('invalid parent_span_id (need empty or 8 bytes / 16 hex characters)');
    return undefined;
  }

  const eventsIn = asArray(span.events, `${path}.events`);
  const events: SpanEventRecord[] = [];
  for (let e = 0; e < eventsIn.length; e++) {
    const ePath = `${path}.events[${e}]`;
    const ev = asObject(eventsIn[e], ePath);
    if (ev === undefined) continue;
    events.push({
      name: asString(ev.name, `${ePath}.name`) ?? '',
      timeMs: nanosToMs(field(ev, 'timeUnixNano', 'time_unix_nano'), `${ePath}.timeUnixNano`),
      attributes: toAttributes(ev.attributes, `${ePath}.attributes`),
    });
  }

  const record: SpanRecord = {
    traceId,
    spanId,
    name: asString(span.name, `${path}.name`) ?? '',
    kind: toKind(span.kind, `${path}.kind`),
    startTimeMs: nanosToMs(field(span, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    endTimeMs: nanosToMs(field(span, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    status: toStatus(span.status, `${path}.status`),
    attributes: toAttributes(span.attributes, `${path}.attributes`),
    events,
    resource,
  };
  if (parentSpanId !== undefined) {
    record.parentSpanId = parentSpanId;
    const flags = span.flags;
    if (typeof flags === 'number' && flags & SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK && flags & SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK) {
      record.parentIsRemote = true;
    }
  }
  if (scope !== undefined) record.scope = scope;
  return record;
}
