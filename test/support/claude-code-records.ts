/**
 * Test support: the committed Claude Code recordings (test/fixtures/claude-code/traces.json and
 * logs.json, OTLP/JSON request bodies) as SpanRecords, the way the receiver hands them to the
 * writer. Spans go through the receiver's own OTLP converter; log records are walked here into
 * LogRecordInput and carried by logRecordToSpanRecord (the receiver's /v1/logs has its own decoder).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { otlpToSpanRecords } from '../../receiver/otlp/records.js';
import { logRecordToSpanRecord } from '../../src/spans/log-record.js';
import type { LogRecordInput } from '../../src/spans/log-record.js';
import type { AttributeValue, Attributes, SpanRecord } from '../../src/spans/record.js';

export const CLAUDE_CODE_FIXTURES = path.join(import.meta.dirname, '../fixtures/claude-code');

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: AnyValue;
  attributes?: KeyValue[];
  traceId?: string;
  spanId?: string;
}
interface OtlpLogsRequest {
  resourceLogs?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeLogs?: Array<{ scope?: { name?: string; version?: string }; logRecords?: OtlpLogRecord[] }>;
  }>;
}

function anyValueToJson(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValueToJson);
  if (v.kvlistValue) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, anyValueToJson(kv.value)]));
  return null;
}

/** OTLP attributes as SpanRecord attributes: primitives as is, arrays of primitives, maps as JSON text. */
export function otlpAttributes(list: KeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) {
    const v = anyValueToJson(kv.value);
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out[kv.key] = v.map((x) => (x !== null && typeof x === 'object' ? JSON.stringify(x) : x)) as AttributeValue;
    else if (typeof v === 'object') out[kv.key] = JSON.stringify(v);
    else out[kv.key] = v as AttributeValue;
  }
  return out;
}

const nanosToMs = (n: string | undefined): number => (n ? Number(BigInt(n) / 1000n) / 1000 : 0);

/** The log records of an OTLP/JSON ExportLogsServiceRequest, as LogRecordInput. */
export function otlpLogsToInputs(request: unknown): LogRecordInput[] {
  const out: LogRecordInput[] = [];
  for (const rl of (request as OtlpLogsRequest).resourceLogs ?? []) {
    const resource = otlpAttributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      const scope = sl.scope?.name !== undefined ? (sl.scope.version ? { name: sl.scope.name, version: sl.scope.version } : { name: sl.scope.name }) : undefined;
      for (const r of sl.logRecords ?? []) {
        const input: LogRecordInput = {
          timeMs: nanosToMs(r.timeUnixNano && r.timeUnixNano !== '0' ? r.timeUnixNano : r.observedTimeUnixNano),
          attributes: otlpAttributes(r.attributes),
          resource,
        };
        if (r.traceId) input.traceId = r.traceId.toLowerCase();
        if (r.spanId) input.spanId = r.spanId.toLowerCase();
        if (r.body !== undefined) input.body = anyValueToJson(r.body);
        if (r.severityText) input.severityText = r.severityText;
        if (r.severityNumber !== undefined) input.severityNumber = r.severityNumber;
        if (r.eventName) input.eventName = r.eventName;
        if (scope) input.scope = scope;
        out.push(input);
      }
    }
  }
  return out;
}

const load = (name: string): unknown => JSON.parse(readFileSync(path.join(CLAUDE_CODE_FIXTURES, name), 'utf8'));

/** The recorded spans (traces.json) as SpanRecords. */
export function claudeCodeSpans(): SpanRecord[] {
  const { _meta: _ignored, ...request } = load('traces.json') as Record<string, unknown>;
  return otlpToSpanRecords(request).records;
}

/**
 * The recorded log records (logs.json) as SpanRecords. `withoutTraceContext` drops their trace
 * and span ids, as the CLI sends them with spans off (no CLAUDE_CODE_ENHANCED_TELEMETRY_BETA).
 */
export function claudeCodeLogs(options: { withoutTraceContext?: boolean } = {}): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const input of otlpLogsToInputs(load('logs.json'))) {
    if (options.withoutTraceContext) {
      delete input.traceId;
      delete input.spanId;
    }
    const record = logRecordToSpanRecord(input);
    if (record) out.push(record);
  }
  return out;
}

/** Records grouped by trace id (the unit the receiver assembles), in first-seen order. */
export function byTrace(records: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const out = new Map<string, SpanRecord[]>();
  for (const r of records) {
    let list = out.get(r.traceId);
    if (!list) out.set(r.traceId, (list = []));
    list.push(r);
  }
  return out;
}
