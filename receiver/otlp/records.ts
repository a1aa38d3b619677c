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
import { setOwn } from '../../src/spans/own.js';
import type { AttributeValue, Attributes, SpanEventRecord, SpanKindName, SpanRecord, SpanStatusCode } from '../../src/spans/record.js';

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
export const MAX_REJECTION_MESSAGES = 3;

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

/**
 * Where a shape error happened, built only when one is thrown: the walk passes constant field
 * names down and each enclosing level prepends its own segment while the error unwinds, so a
 * well-formed request allocates no path strings at all.
 */
export class PathFail extends Error {
  readonly segments: string[];
  constructor(segment: string, readonly detail: string) {
    super(detail);
    this.segments = segment ? [segment] : [];
  }
}

export function within(err: unknown, segment: string): unknown {
  if (err instanceof PathFail) err.segments.unshift(segment);
  return err;
}

/**
 * Receives protobufjs's preserved unknown fields of a message, by message kind (see the codec);
 * returns an error detail to refuse the request, undefined to accept.
 */
export type UnknownFieldsHook = (kind: OtlpMessageKind, raw: readonly Uint8Array[]) => string | undefined;
export type OtlpMessageKind =
  | 'ExportTraceServiceRequest'
  | 'ResourceSpans'
  | 'Resource'
  | 'ScopeSpans'
  | 'InstrumentationScope'
  | 'Span'
  | 'Span.Event'
  | 'Status'
  | 'KeyValue'
  | 'AnyValue'
  | 'ArrayValue'
  | 'KeyValueList'
  | 'ExportLogsServiceRequest'
  | 'ResourceLogs'
  | 'ScopeLogs'
  | 'LogRecord'
  | 'ExportMetricsServiceRequest'
  | 'ResourceMetrics'
  | 'ScopeMetrics'
  | 'Metric'
  | 'Gauge'
  | 'Sum'
  | 'Histogram'
  | 'ExponentialHistogram'
  | 'Summary'
  | 'NumberDataPoint'
  | 'HistogramDataPoint'
  | 'ExponentialHistogramDataPoint'
  | 'SummaryDataPoint';

let unknownHook: UnknownFieldsHook | undefined;

/** protobufjs keeps unknown fields (when asked to) in a non-enumerable `$unknowns` array. */
export function checkUnknowns(o: Record<string, unknown>, kind: OtlpMessageKind): void {
  const raw = o.$unknowns;
  if (raw === undefined || unknownHook === undefined) return;
  const problem = unknownHook(kind, raw as Uint8Array[]);
  if (problem !== undefined) throw new PathFail('', problem);
}

/** `o.camel`, or `o.snake` for JSON senders that use the proto field names. */
export function field(o: Record<string, unknown>, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined || snake === undefined) return v;
  return o[snake];
}

export function asObject(v: unknown, segment: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new PathFail(segment, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

const NONE: readonly unknown[] = [];

export function asArray(v: unknown, segment: string): readonly unknown[] {
  if (v === undefined || v === null) return NONE;
  if (!Array.isArray(v)) throw new PathFail(segment, `expected an array, got ${describe(v)}`);
  return v;
}

export function asString(v: unknown, segment: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new PathFail(segment, `expected a string, got ${describe(v)}`);
  return v;
}

export function describe(v: unknown): string {
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
export function idHex(v: unknown, bytes: number, segment: string): string | undefined | null {
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
    throw new PathFail(segment, `expected a hex string, got ${describe(v)}`);
  }
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return hex;
  return null;
}

// ---- time -----------------------------------------------------------------------------------

/**
 * Epoch milliseconds from [seconds, nanoseconds], with the same arithmetic as the SDK's HrTime
 * (src/spans/readable.ts), so a receiver-side record carries the very same double as in-process.
 */
export function secondsNanosToMs(seconds: number, nanos: number): number {
  return seconds * 1e3 + nanos / 1e6;
}

/** 2^32 = 4294 * 1e6 + 967296: splits a {low, high} nanosecond count exactly, without BigInt. */
const TWO32_MS = 4294;
const TWO32_REM = 967296;
const NANOS_RE = /^\d{1,20}$/;

/**
 * Largest time OTLP can carry: its timestamps are fixed64 nanoseconds, so 2^64 - 1 ns (year 2554).
 * OTLP/JSON can spell larger numbers (`1e30`); they are refused at decode with the field's path
 * (400), not accepted and then lost when no date can hold them.
 */
const MAX_OTLP_MS = (2 ** 64 - 1) / 1e6;

export function nanosToMs(v: unknown, segment: string): number {
  const ms = nanosToMsUnchecked(v, segment);
  if (ms > MAX_OTLP_MS) throw new PathFail(segment, `out of range: more than 2^64 - 1 nanoseconds (OTLP timestamps are fixed64), got ${describe(v)}`);
  return ms;
}

function nanosToMsUnchecked(v: unknown, segment: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'object' && typeof (v as OtlpLongBits).low === 'number' && typeof (v as OtlpLongBits).high === 'number') {
    const low = (v as OtlpLongBits).low >>> 0;
    const high = (v as OtlpLongBits).high >>> 0;
    // ns = high * 2^32 + low = (high * 4294 + floor(t / 1e6)) ms + (t % 1e6) ns, with t < 2^53
    const t = high * TWO32_REM + low;
    const ms = high * TWO32_MS + Math.floor(t / 1e6);
    const subMsNanos = t % 1e6;
    const s = Math.floor(ms / 1e3);
    return secondsNanosToMs(s, (ms - s * 1e3) * 1e6 + subMsNanos);
  }
  if (typeof v === 'string') {
    if (!NANOS_RE.test(v)) throw new PathFail(segment, `expected unsigned nanoseconds, got ${describe(v)}`);
    if (v.length <= 9) return secondsNanosToMs(0, Number(v));
    return secondsNanosToMs(Number(v.slice(0, -9)), Number(v.slice(-9)));
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new PathFail(segment, `expected unsigned nanoseconds, got ${describe(v)}`);
    const s = Math.floor(v / 1e9);
    return secondsNanosToMs(s, v - s * 1e9);
  }
  throw new PathFail(segment, `expected nanoseconds, got ${describe(v)}`);
}

function int64ToNumberOrString(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (!/^-?\d+$/.test(v)) throw new PathFail('.intValue', `expected an integer, got ${describe(v)}`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (typeof v === 'object' && v !== null && typeof (v as OtlpLongBits).low === 'number') {
    const { low, high } = v as OtlpLongBits;
    // int64 two's complement: high is signed.
    const n = (high | 0) * 4294967296 + (low >>> 0);
    if (Number.isSafeInteger(n)) return n;
    return ((BigInt(high | 0) << 32n) + BigInt(low >>> 0)).toString();
  }
  throw new PathFail('.intValue', `expected an integer, got ${describe(v)}`);
}

// ---- attributes -----------------------------------------------------------------------------

type Scalar = string | number | boolean | null;

export function anyValueToJson(v: unknown, depth: number): unknown {
  const o = asObject(v, '');
  if (o === undefined) return null;
  checkUnknowns(o, 'AnyValue');
  // Protobuf-decoded values hold exactly one own property; JSON ones too, unless malformed.
  const s = o.stringValue;
  // (protobufjs puts '' on the prototype for unset string members: '' needs the own-property check)
  if (typeof s === 'string' && s !== '') return s;
  if (hasOwn(o, 'stringValue') || hasOwn(o, 'string_value')) return asString(field(o, 'stringValue', 'string_value'), '.stringValue') ?? '';
  if (hasOwn(o, 'boolValue') || hasOwn(o, 'bool_value')) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new PathFail('.boolValue', `expected a boolean, got ${describe(b)}`);
    return b;
  }
  if (hasOwn(o, 'intValue') || hasOwn(o, 'int_value')) return int64ToNumberOrString(field(o, 'intValue', 'int_value'));
  if (hasOwn(o, 'doubleValue') || hasOwn(o, 'double_value')) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') return d;
    // proto3 JSON spells non-finite doubles as strings.
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return Number(d);
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d))) return Number(d);
    throw new PathFail('.doubleValue', `expected a number, got ${describe(d)}`);
  }
  if (hasOwn(o, 'bytesValue') || hasOwn(o, 'bytes_value')) {
    const b = field(o, 'bytesValue', 'bytes_value');
    if (typeof b === 'string') return b;
    if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
    throw new PathFail('.bytesValue', `expected base64 bytes, got ${describe(b)}`);
  }
  if (hasOwn(o, 'arrayValue') || hasOwn(o, 'array_value')) {
    try {
      const arr = asObject(field(o, 'arrayValue', 'array_value'), '');
      if (arr) checkUnknowns(arr, 'ArrayValue');
      const values = asArray(arr?.values, '.values');
      if (depth >= MAX_VALUE_DEPTH) return '[nested too deep]';
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) {
        try {
          out.push(anyValueToJson(values[i], depth + 1));
        } catch (err) {
          throw within(err, `.values[${i}]`);
        }
      }
      return out;
    } catch (err) {
      throw within(err, '.arrayValue');
    }
  }
  if (hasOwn(o, 'kvlistValue') || hasOwn(o, 'kvlist_value')) {
    try {
      const kv = asObject(field(o, 'kvlistValue', 'kvlist_value'), '');
      if (kv) checkUnknowns(kv, 'KeyValueList');
      const values = asArray(kv?.values, '.values');
      if (depth >= MAX_VALUE_DEPTH) return '{nested too deep}';
      const out: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) {
        try {
          const e = asObject(values[i], '');
          if (e === undefined) continue;
          checkUnknowns(e, 'KeyValue');
          const key = asString(e.key, '.key') ?? '';
          try {
            setOwn(out, key, anyValueToJson(e.value, depth + 1));
          } catch (err) {
            throw within(err, '.value');
          }
        } catch (err) {
          throw within(err, `.values[${i}]`);
        }
      }
      return out;
    } catch (err) {
      throw within(err, '.kvlistValue');
    }
  }
  return null;
}

/**
 * AnyValue -> AttributeValue. SpanRecord attributes hold what the SDK allows (scalars and
 * homogeneous arrays); OTLP maps (kvlist), nested arrays and bytes have no SDK form, so they are
 * kept as JSON / base64 strings rather than lost.
 */
function toAttributeValue(v: unknown): AttributeValue | undefined {
  const j = anyValueToJson(v, 0);
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

export function toAttributes(list: unknown, segment: string): Attributes {
  const out: Attributes = {};
  const arr = asArray(list, segment);
  for (let i = 0; i < arr.length; i++) {
    try {
      const kv = asObject(arr[i], '');
      if (kv === undefined) continue;
      checkUnknowns(kv, 'KeyValue');
      const key = asString(kv.key, '.key');
      if (key === undefined) continue;
      let value: AttributeValue | undefined;
      try {
        value = toAttributeValue(kv.value);
      } catch (err) {
        throw within(err, '.value');
      }
      if (value !== undefined) setOwn(out, key, value);
    } catch (err) {
      throw within(err, `${segment}[${i}]`);
    }
  }
  return out;
}

// ---- spans ----------------------------------------------------------------------------------

function toKind(v: unknown): SpanKindName {
  if (v === undefined || v === null) return 'internal';
  if (typeof v === 'number') return KINDS[v] ?? 'internal';
  if (typeof v === 'string' && KIND_NAMES[v] !== undefined) return KIND_NAMES[v];
  throw new PathFail('.kind', `expected a SpanKind, got ${describe(v)}`);
}

function toStatus(v: unknown): SpanRecord['status'] {
  const o = asObject(v, '.status');
  if (o === undefined) return { code: 'unset' };
  checkUnknowns(o, 'Status');
  const c = o.code;
  let code: SpanStatusCode;
  if (c === undefined || c === null) code = 'unset';
  else if (typeof c === 'number') code = STATUS[c] ?? 'unset';
  else if (typeof c === 'string' && STATUS_NAMES[c] !== undefined) code = STATUS_NAMES[c];
  else throw new PathFail('.status.code', `expected a StatusCode, got ${describe(c)}`);
  const message = asString(o.message, '.status.message');
  return message ? { code, message } : { code };
}

export interface OtlpConversionOptions {
  /**
   * Called with the unknown fields protobufjs preserved on a message (decode with
   * `discardUnknown = false`); the receiver's codec uses it to refuse mistyped known fields.
   */
  onUnknownFields?: UnknownFieldsHook;
}

/**
 * Converts one ExportTraceServiceRequest (decoded protobuf or parsed JSON) to span records.
 * Throws OtlpShapeError for a malformed request; invalid ids only reject their span.
 */
export function otlpToSpanRecords(request: unknown, options: OtlpConversionOptions = {}): OtlpConversion {
  return withConversion(options, () => convert(request));
}

/**
 * Runs one request's conversion (traces here; logs and metrics in logs.ts / metrics.ts, which share
 * this file's readers): the unknown-fields hook is set meanwhile, and a shape failure becomes an
 * OtlpShapeError naming where it happened.
 */
export function withConversion<T>(options: OtlpConversionOptions, run: () => T): T {
  unknownHook = options.onUnknownFields;
  try {
    return run();
  } catch (err) {
    if (err instanceof PathFail) {
      const path = err.segments.join('').replace(/^\./, '') || 'request';
      throw new OtlpShapeError(path, err.detail);
    }
    throw err;
  } finally {
    unknownHook = undefined;
  }
}

/** How one signal names its levels (OTLP/JSON camelCase, proto snake_case) and its message types. */
export interface OtlpLevels {
  request: OtlpMessageKind;
  resources: [camel: string, snake: string, message: OtlpMessageKind];
  scopes: [camel: string, snake: string, message: OtlpMessageKind];
  items: [camel: string, snake: string, message: OtlpMessageKind];
}

/** What a conversion collects: its items, and the ones it rejected with their reasons. */
export interface OtlpWalk<T> {
  items: T[];
  rejected: number;
  reasons: string[];
}

/**
 * Walks resource -> scope -> item of one OTLP export request (the shape traces and logs share),
 * checking unknown fields at each level, reading resource attributes and the scope once, and
 * turning each item with `toItem` (undefined: not kept, counted by its `reject`). A wrong shape
 * throws with the path of the offending field (`.resourceSpans[0].scopeSpans[1].spans[2]...`).
 */
export function walkOtlpRequest<T>(
  request: unknown,
  levels: OtlpLevels,
  toItem: (item: Record<string, unknown>, resource: Attributes, scope: SpanRecord['scope'], reject: (reason: string) => void) => T | undefined,
): OtlpWalk<T> {
  const out: OtlpWalk<T> = { items: [], rejected: 0, reasons: [] };
  const reject = (reason: string): void => {
    out.rejected++;
    if (out.reasons.length < MAX_REJECTION_MESSAGES && !out.reasons.includes(reason)) out.reasons.push(reason);
  };
  const req = asObject(request, '');
  if (req === undefined) return out;
  checkUnknowns(req, levels.request);
  const [rCamel, rSnake, rKind] = levels.resources;
  const [sCamel, sSnake, sKind] = levels.scopes;
  const [iCamel, iSnake, iKind] = levels.items;
  const resources = asArray(field(req, rCamel, rSnake), `.${rCamel}`);
  for (let r = 0; r < resources.length; r++) {
    try {
      const rs = asObject(resources[r], '');
      if (rs === undefined) continue;
      checkUnknowns(rs, rKind);
      const resourceObj = asObject(rs.resource, '.resource');
      if (resourceObj) checkUnknowns(resourceObj, 'Resource');
      let resource: Attributes;
      try {
        resource = toAttributes(resourceObj?.attributes, '.attributes');
      } catch (err) {
        throw within(err, '.resource');
      }
      const scopes = asArray(field(rs, sCamel, sSnake), `.${sCamel}`);
      for (let s = 0; s < scopes.length; s++) {
        try {
          const ss = asObject(scopes[s], '');
          if (ss === undefined) continue;
          checkUnknowns(ss, sKind);
          const scopeObj = asObject(ss.scope, '.scope');
          let scope: SpanRecord['scope'];
          if (scopeObj !== undefined) {
            checkUnknowns(scopeObj, 'InstrumentationScope');
            const name = asString(scopeObj.name, '.scope.name') ?? '';
            const version = asString(scopeObj.version, '.scope.version');
            scope = version ? { name, version } : { name };
          }
          const items = asArray(field(ss, iCamel, iSnake), `.${iCamel}`);
          for (let i = 0; i < items.length; i++) {
            try {
              const item = asObject(items[i], '');
              if (item === undefined) continue;
              checkUnknowns(item, iKind);
              const converted = toItem(item, resource, scope, reject);
              if (converted !== undefined) out.items.push(converted);
            } catch (err) {
              throw within(err, `.${iCamel}[${i}]`);
            }
          }
        } catch (err) {
          throw within(err, `.${sCamel}[${s}]`);
        }
      }
    } catch (err) {
      throw within(err, `.${rCamel}[${r}]`);
    }
  }
  return out;
}

const TRACE_LEVELS: OtlpLevels = {
  request: 'ExportTraceServiceRequest',
  resources: ['resourceSpans', 'resource_spans', 'ResourceSpans'],
  scopes: ['scopeSpans', 'scope_spans', 'ScopeSpans'],
  items: ['spans', 'spans', 'Span'],
};

function convert(request: unknown): OtlpConversion {
  const walk = walkOtlpRequest(request, TRACE_LEVELS, toRecord);
  const out: OtlpConversion = { records: walk.items, rejectedSpans: walk.rejected };
  if (walk.rejected > 0) out.errorMessage = `${walk.rejected} span(s) rejected: ${walk.reasons.join('; ')}`;
  return out;
}

function toRecord(
  span: Record<string, unknown>,
  resource: Attributes,
  scope: SpanRecord['scope'],
  reject: (reason: string) => void,
): SpanRecord | undefined {
  const traceId = idHex(field(span, 'traceId', 'trace_id'), 16, '.traceId');
  const spanId = idHex(field(span, 'spanId', 'span_id'), 8, '.spanId');
  const parentSpanId = idHex(field(span, 'parentSpanId', 'parent_span_id'), 8, '.parentSpanId');
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

  const eventsIn = asArray(span.events, '.events');
  const events: SpanEventRecord[] = [];
  for (let e = 0; e < eventsIn.length; e++) {
    try {
      const ev = asObject(eventsIn[e], '');
      if (ev === undefined) continue;
      checkUnknowns(ev, 'Span.Event');
      events.push({
        name: asString(ev.name, '.name') ?? '',
        timeMs: nanosToMs(field(ev, 'timeUnixNano', 'time_unix_nano'), '.timeUnixNano'),
        attributes: toAttributes(ev.attributes, '.attributes'),
      });
    } catch (err) {
      throw within(err, `.events[${e}]`);
    }
  }

  const record: SpanRecord = {
    traceId,
    spanId,
    name: asString(span.name, '.name') ?? '',
    kind: toKind(span.kind),
    startTimeMs: nanosToMs(field(span, 'startTimeUnixNano', 'start_time_unix_nano'), '.startTimeUnixNano'),
    endTimeMs: nanosToMs(field(span, 'endTimeUnixNano', 'end_time_unix_nano'), '.endTimeUnixNano'),
    status: toStatus(span.status),
    attributes: toAttributes(span.attributes, '.attributes'),
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
