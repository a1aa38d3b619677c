/**
 * POST /v1/logs and /v1/metrics, over real loopback HTTP with the real OTLP exporters
 * (@opentelemetry/exporter-logs-otlp-http / -proto with sdk-logs, exporter-metrics-otlp-http /
 * -proto with sdk-metrics, exporter-trace-otlp-http for the spans) into LocalStorage in a temp
 * folder. Log records travel as SpanRecords with their trace's spans (src/spans/log-record.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { Attributes } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import type { ListeningReceiver, ReceiverApp, ReceiverOptions } from '../receiver/index.js';
import { decodeLogsRequest, decodeResponse, decodeStatus } from '../receiver/otlp/codec.js';
import { OTLP_TRACE_PROTO } from '../receiver/otlp/proto-source.js';
import { isGenAiRecord } from '../src/processor/describe.js';
import { logRecordToSpanRecord, syntheticTraceId } from '../src/spans/log-record.js';
import { LocalStorage } from '../src/storage/local.js';
import type { Session } from '../src/session/types.js';
import { emitAgentTrace, providerWith } from './fixtures/otlp/agent-trace.js';
import { WrittenSessions, post } from './fixtures/otlp/http.js';
import type { Reply } from './fixtures/otlp/http.js';
import { tempDir } from './support/tmp.js';
import { exited, killChildren, startReceiverChild } from './support/receiver-child.js';

const SESSION = '5e55e55e-0000-4000-8000-00000000c0de';
const PB = { 'content-type': 'application/x-protobuf' };
const JS = { 'content-type': 'application/json' };
const LIMITS = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024 };
const root = protobuf.parse(OTLP_TRACE_PROTO).root;
const LogsRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');

interface Running {
  receiver: ReceiverApp;
  listening: ListeningReceiver;
  url: string;
  written: WrittenSessions;
  /** A stored session as another process reads it, once the receiver has flushed its index segment. */
  read(id: string): Promise<Session | undefined>;
}

const running: ReceiverApp[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function start(options: ReceiverOptions = {}): Promise<Running> {
  const dir = tempDir('recv-logs');
  const written = new WrittenSessions();
  const data = join(dir, 'data');
  const workers = options.workers ?? 0;
  const receiver = createReceiver({
    storage: workers ? undefined : new LocalStorage({ dir: data, env: {} }),
    env: { AMS_LOCAL_DIR: data },
    walDir: join(dir, 'wal'),
    workers: 0,
    waitMs: 50,
    onSessionWritten: written.onSessionWritten,
    ...LIMITS,
    ...options,
  });
  running.push(receiver);
  const listening = await receiver.start({ port: 0 });
  const reader = new LocalStorage({ dir: data, env: {} });
  const read = async (id: string) => {
    await receiver.flush();
    return reader.getSession(id);
  };
  return { receiver, listening, url: listening.url, written, read };
}

/** A log exporter that remembers each export's result (the SDK's processors only log failures). */
function recording(inner: LogRecordExporter): LogRecordExporter & { results: ExportResult[] } {
  const results: ExportResult[] = [];
  return {
    results,
    export: (logs: ReadableLogRecord[], done: (r: ExportResult) => void) => inner.export(logs, (r) => (results.push(r), done(r))),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

type Encoding = 'json' | 'protobuf';

/** Claude Code-shaped log events, sent through the real logs SDK and exporter. */
async function sendLogs(
  url: string,
  encoding: Encoding,
  events: Array<{ name: string; attributes?: Attributes; traceId?: string; spanId?: string; timeMs?: number }>,
): Promise<ExportResult[]> {
  const Exporter = encoding === 'json' ? JsonLogExporter : ProtoLogExporter;
  const exporter = recording(new Exporter({ url: `${url}/v1/logs` }));
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.330' }),
    // One request per call, as Claude Code's batching processor sends its events.
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 600_000 })],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.330');
  let t = 1_780_000_000_500;
  for (const e of events) {
    const ctx = e.traceId ? trace.setSpanContext(ROOT_CONTEXT, { traceId: e.traceId, spanId: e.spanId ?? '00f067aa0ba902b7', traceFlags: 1 }) : ROOT_CONTEXT;
    logger.emit({
      eventName: `claude_code.${e.name}`,
      body: `claude_code.${e.name}`,
      timestamp: e.timeMs ?? (t += 10),
      context: ctx,
      attributes: { 'event.name': e.name, 'session.id': SESSION, 'prompt.id': 'p-1', ...e.attributes },
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return exporter.results;
}

/** One agent run (gen_ai invoke_agent root, 8 spans) through the real OTLP/JSON trace exporter. */
async function sendSpans(url: string): Promise<{ traceId: string; rootSpanId: string; spans: number }> {
  const memory = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` })), new SimpleSpanProcessor(memory));
  const traceId = emitAgentTrace(provider.getTracer('ams-otel-test', '1.2.3'));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans().slice();
  await provider.shutdown();
  const rootSpan = spans.find((s) => s.parentSpanContext === undefined)!;
  return { traceId, rootSpanId: rootSpan.spanContext().spanId, spans: spans.length };
}

const ok = (results: ExportResult[]): void => {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) expect(r).toEqual({ code: ExportResultCode.SUCCESS });
};

function message(reply: Reply): string {
  const type = String(reply.headers['content-type'] ?? '');
  if (type.startsWith('application/x-protobuf')) return decodeStatus(reply.body).message;
  return (JSON.parse(reply.body.toString()) as { message: string }).message;
}

const EVENTS = [
  { name: 'user_prompt', attributes: { prompt: 'count the files' } },
  { name: 'api_request', attributes: { model: 'claude-sonnet-4-5', input_tokens: 1200, output_tokens: 80, cost_usd: 0.0048 } },
  { name: 'assistant_response', attributes: { text: 'There are 3 files.' } },
];

describe('POST /v1/logs with the real exporters', () => {
  it.each([['json'], ['protobuf']] as const)('logs before their spans join the session (%s)', async (encoding) => {
    const r = await start({ waitMs: 50, idleMs: 600_000 });
    // The trace id is known up front: emitAgentTrace's run is sent after the logs.
    const memory = new InMemorySpanExporter();
    const otlp = new OTLPTraceExporter({ url: `${r.url}/v1/traces` });
    const provider = providerWith(new SimpleSpanProcessor(memory));
    const traceId = emitAgentTrace(provider.getTracer('ams-otel-test', '1.2.3'));
    const spans = memory.getFinishedSpans();
    const rootSpanId = spans.find((s) => s.parentSpanContext === undefined)!.spanContext().spanId;
    ok(await sendLogs(r.url, encoding, EVENTS.map((e) => ({ ...e, traceId, spanId: rootSpanId }))));
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: 3, logRecordsRejected: 0, openTraces: 1 });
    expect(r.written.events).toHaveLength(0);
    const exported = await new Promise<ExportResult>((resolve) => otlp.export(spans.slice(), resolve));
    expect(exported.code).toBe(ExportResultCode.SUCCESS);
    const event = await r.written.next((e) => e.traceId === traceId);
    // The buffered records of the trace: its 8 spans and the 3 log records.
    expect(event.spans).toBe(spans.length + 3);
    expect(event.session).toMatchObject({ id: traceId, trace_id: traceId });
    expect(await r.read(traceId)).toMatchObject({ id: traceId, revision: 1 });
    await provider.shutdown();
  });

  it('a log after its session was written rewrites it (revision 2)', async () => {
    const r = await start({ waitMs: 50, idleMs: 600_000 });
    const { traceId, rootSpanId, spans } = await sendSpans(r.url);
    const first = await r.written.next((e) => e.traceId === traceId);
    expect(first).toMatchObject({ revision: 1, spans });
    ok(await sendLogs(r.url, 'protobuf', [{ name: 'api_request', traceId, spanId: rootSpanId, attributes: { cost_usd: 0.01 } }]));
    const second = await r.written.next((e) => e.traceId === traceId);
    expect(second).toMatchObject({ revision: 2, spans: spans + 1 });
    expect(await r.read(traceId)).toMatchObject({ id: traceId, revision: 2 });
  });

  it('logs without spans (no trace context) are written after the idle timeout, under the trace derived from session.id + prompt.id', async () => {
    const r = await start({ waitMs: 20, idleMs: 100 });
    ok(await sendLogs(r.url, 'json', EVENTS));
    const traceId = syntheticTraceId(SESSION, 'p-1');
    const event = await r.written.next((e) => e.traceId === traceId);
    expect(event.spans).toBe(3);
    expect(event.session.trace_id).toBe(traceId);
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: 3, logRecordsRejected: 0, sessionsSkippedNotGenAi: 0 });
    expect(await r.read(event.session.id)).toBeDefined();
  });

  it('with shard workers, logs and spans of one trace meet in one shard', async () => {
    const r = await start({ workers: 2, waitMs: 50, idleMs: 600_000 });
    expect(r.receiver.config.workers).toBe(2);
    const { traceId, rootSpanId, spans } = await sendSpans(r.url);
    const first = await r.written.next((e) => e.traceId === traceId);
    expect(first.spans).toBe(spans);
    // A late log with the trace's id, and a log-only prompt routed by its derived id.
    ok(await sendLogs(r.url, 'protobuf', [{ name: 'api_request', traceId, spanId: rootSpanId }, { name: 'user_prompt', attributes: { 'prompt.id': 'p-9' } }]));
    expect(await r.written.next((e) => e.traceId === traceId)).toMatchObject({ revision: 2, spans: spans + 1 });
    await r.receiver.flush();
    await r.receiver.stop();
    const derived = syntheticTraceId(SESSION, 'p-9');
    expect(r.written.events.find((e) => e.traceId === derived)).toMatchObject({ spans: 1 });
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: 2, logRecordsRejected: 0 });
  });

  it('a log with neither trace id nor session.id is acknowledged, counted and reported in partial_success', async () => {
    const r = await start();
    const body = LogsRequest.encode(
      LogsRequest.fromObject({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1_780_000_000_000_000_000, body: { stringValue: 'hello' }, attributes: [{ key: 'a', value: { intValue: 1 } }] }] }] }],
      }),
    ).finish();
    const reply = await post(`${r.url}/v1/logs`, Buffer.from(body), PB);
    expect(reply.status).toBe(200);
    expect(decodeResponse(reply.body, 'logs')).toEqual({
      partialSuccess: { rejectedLogRecords: 1, errorMessage: '1 log record(s) rejected: 1 without trace id or session.id (no session to join)' },
    });
    const json = await post(`${r.url}/v1/logs`, Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' }, traceId: 'abc' }] }] }] })), JS);
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.toString())).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record(s) rejected: invalid trace_id (need empty, all zero or 16 bytes / 32 hex characters)' },
    });
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: 2, logRecordsRejected: 2 });
  });

  it('replays the recorded Claude Code logs fixture (OTLP/JSON, posted raw): 200, every record accepted', async () => {
    const r = await start({ waitMs: 20, idleMs: 100 });
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/claude-code/logs.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const { _meta: _ignored, ...request } = fixture;
    let records = 0;
    for (const rl of request.resourceLogs as Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }>) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
    expect(records).toBeGreaterThan(0);
    const reply = await post(`${r.url}/v1/logs`, gzipSync(JSON.stringify(request)), { ...JS, 'content-encoding': 'gzip' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString())).toEqual({});
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: records, logRecordsRejected: 0 });
    await r.receiver.flush();
    await r.receiver.stop();
    // Every written session is kept (none skipped as not GenAI), and all the records are in them.
    expect(r.receiver.stats().sessionsSkippedNotGenAi).toBe(0);
    expect(r.written.events.length).toBeGreaterThan(0);
    const latest = new Map<string, number>();
    for (const e of r.written.events) latest.set(e.traceId, e.spans);
    expect([...latest.values()].reduce((a, b) => a + b, 0)).toBe(records);
  });
});

describe('POST /v1/metrics with the real exporters', () => {
  it.each([['json'], ['protobuf']] as const)('acknowledged (200), counted, discarded (%s)', async (encoding) => {
    const r = await start();
    const Exporter = encoding === 'json' ? JsonMetricExporter : ProtoMetricExporter;
    const inner = new Exporter({ url: `${r.url}/v1/metrics` });
    const results: ExportResult[] = [];
    const exporter: PushMetricExporter = {
      export: (m: ResourceMetrics, done: (r: ExportResult) => void) => inner.export(m, (res) => (results.push(res), done(res))),
      forceFlush: () => inner.forceFlush(),
      shutdown: () => inner.shutdown(),
      selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    };
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'claude-code' }), readers: [reader] });
    const meter = provider.getMeter('com.anthropic.claude_code', '2.1.330');
    meter.createCounter('claude_code.cost.usage', { unit: 'USD' }).add(0.01, { 'session.id': SESSION, model: 'claude-sonnet-4-5' });
    meter.createCounter('claude_code.token.usage', { unit: 'tokens' }).add(1200, { 'session.id': SESSION, type: 'input' });
    meter.createCounter('claude_code.token.usage', { unit: 'tokens' }).add(80, { 'session.id': SESSION, type: 'output' });
    meter.createHistogram('claude_code.api.duration', { unit: 'ms' }).record(840, { 'session.id': SESSION });
    await provider.forceFlush();
    await provider.shutdown();
    ok(results);
    // Four points (a cost counter, two token series, a histogram) in every export (cumulative).
    expect(r.receiver.stats()).toMatchObject({ metricDataPoints: 4 * results.length, openTraces: 0, logRecordsReceived: 0 });
    expect(r.written.events).toHaveLength(0);
  });

  it('replays the recorded Claude Code metrics fixture: 200 with an empty ExportMetricsServiceResponse', async () => {
    const r = await start();
    const { _meta: _ignored, ...request } = JSON.parse(readFileSync(new URL('./fixtures/claude-code/metrics.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const reply = await post(`${r.url}/v1/metrics`, Buffer.from(JSON.stringify(request)), JS);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString())).toEqual({});
    expect(r.receiver.stats().metricDataPoints).toBeGreaterThan(0);
  });
});

describe('malformed logs and metrics get the traces 400/413/415 table', () => {
  const bomb = gzipSync(Buffer.alloc(LIMITS.maxDecompressedBytes + 1024));
  const cases = [
    { name: 'bad JSON', body: Buffer.from('{"resourceLogs": ['), headers: JS, status: 400, msg: /^malformed JSON: /, signal: 'logs' },
    { name: 'JSON array', body: Buffer.from('[]'), headers: JS, status: 400, msg: /^malformed JSON: expected an ExportLogsServiceRequest object$/, signal: 'logs' },
    { name: 'wrong shape', body: Buffer.from('{"resourceLogs": {"x": 1}}'), headers: JS, status: 400, msg: /^malformed OTLP\/JSON: resourceLogs: expected an array, got an object$/, signal: 'logs' },
    {
      name: 'wrong shape deep',
      body: Buffer.from('{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"attributes": 3}]}]}]}'),
      headers: JS,
      status: 400,
      msg: /^malformed OTLP\/JSON: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.attributes: expected an array/,
      signal: 'logs',
    },
    { name: 'bad protobuf', body: Buffer.from([0x0a, 0xff, 0xff, 0x01]), headers: PB, status: 400, msg: /^malformed protobuf: /, signal: 'logs' },
    // LogRecord.trace_id (field 9) sent as a varint: a known field with the wrong wire type.
    { name: 'mistyped field', body: Buffer.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x48, 0x01]), headers: PB, status: 400, msg: /^malformed protobuf: .*field 9 \(traceId\) has wire type 0/, signal: 'logs' },
    { name: 'wrong content type', body: Buffer.from('{}'), headers: { 'content-type': 'text/plain' }, status: 415, msg: /^unsupported Content-Type "text\/plain"/, signal: 'logs' },
    { name: 'wrong content encoding', body: Buffer.from('{}'), headers: { ...JS, 'content-encoding': 'br' }, status: 415, msg: /^unsupported Content-Encoding "br"/, signal: 'logs' },
    { name: 'oversized', body: Buffer.alloc(LIMITS.maxBodyBytes + 1), headers: PB, status: 413, msg: /exceeds MAX_BODY_BYTES/, signal: 'logs' },
    { name: 'gzip bomb', body: bomb, headers: { ...PB, 'content-encoding': 'gzip' }, status: 413, msg: /decompressed body exceeds MAX_DECOMPRESSED_BYTES/, signal: 'logs' },
    { name: 'corrupt gzip', body: Buffer.from('not gzip'), headers: { ...JS, 'content-encoding': 'gzip' }, status: 400, msg: /^malformed gzip body/, signal: 'logs' },
    { name: 'metrics: bad JSON', body: Buffer.from('{'), headers: JS, status: 400, msg: /^malformed JSON: /, signal: 'metrics' },
    {
      name: 'metrics: wrong shape',
      body: Buffer.from('{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "m", "sum": {"dataPoints": 1}}]}]}]}'),
      headers: JS,
      status: 400,
      msg: /^malformed OTLP\/JSON: resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.sum\.dataPoints: expected an array/,
      signal: 'metrics',
    },
    { name: 'metrics: bad protobuf', body: Buffer.from([0x0a, 0xff, 0xff, 0x01]), headers: PB, status: 400, msg: /^malformed protobuf: /, signal: 'metrics' },
    { name: 'metrics: wrong content type', body: Buffer.from('{}'), headers: { 'content-type': 'text/plain' }, status: 415, msg: /^unsupported Content-Type/, signal: 'metrics' },
    { name: 'metrics: gzip bomb', body: bomb, headers: { ...JS, 'content-encoding': 'gzip' }, status: 413, msg: /decompressed body exceeds MAX_DECOMPRESSED_BYTES/, signal: 'metrics' },
    { name: 'GET on the logs path', body: Buffer.alloc(0), headers: JS, status: 405, msg: /^use POST \/v1\/logs$/, signal: 'logs', method: 'GET' },
  ];

  it.each(cases)('$name -> $status', async ({ body, headers, status, msg, signal, method }) => {
    const r = await start();
    const reply = await post(`${r.url}/v1/${signal}`, body, headers, method);
    expect(reply.status).toBe(status);
    expect(message(reply)).toMatch(msg);
    const expectedType = headers['content-type'] === 'application/x-protobuf' ? /^application\/x-protobuf/ : /^application\/json/;
    expect(reply.headers['content-type']).toMatch(expectedType);
    expect(r.receiver.stats()).toMatchObject({ logRecordsReceived: 0, metricDataPoints: 0, openTraces: 0 });
  });

  it('the bearer token guards /v1/logs and /v1/metrics too', async () => {
    const r = await start({ token: 't0ken' });
    for (const signal of ['logs', 'metrics']) {
      const reply = await post(`${r.url}/v1/${signal}`, Buffer.from('{}'), JS);
      expect(reply.status).toBe(401);
      expect(message(reply)).toMatch(/missing bearer token/);
      expect((await post(`${r.url}/v1/${signal}`, Buffer.from('{}'), { ...JS, authorization: 'Bearer t0ken' })).status).toBe(200);
    }
  });

  it('logs wait for capacity like spans: 503 with Retry-After when the receiver is full', async () => {
    const r = await start({ maxTraces: 1, waitMs: 600_000, idleMs: 600_000 });
    ok(await sendLogs(r.url, 'json', [{ name: 'user_prompt', attributes: { 'prompt.id': 'a' } }]));
    const other = LogsRequest.encode(
      LogsRequest.fromObject({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 'session.id', value: { stringValue: 'another' } }] }] }] }],
      }),
    ).finish();
    const reply = await post(`${r.url}/v1/logs`, Buffer.from(other), PB);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBeDefined();
    expect(message(reply)).toMatch(/receiver is at capacity: 1 traces open \(maxTraces 1\)/);
  });
});

describe('durability: acknowledged logs survive kill -9 (child process, as test/receiver-durability.test.ts)', () => {
  it.each([['0'], ['2']])('restarted on the same WAL, the receiver writes the logs it acknowledged (workers: %s)', async (workers) => {
    const dir = tempDir('recv-logs-kill');
    const data = join(dir, 'data');
    const wal = join(dir, 'wal');
    const first = await startReceiverChild(['--local-dir', data, '--wal-dir', wal, '--wait-ms', '600000', '--idle-ms', '600000', '--workers', workers]);
    ok(await sendLogs(first.url, 'protobuf', EVENTS));
    ok(await sendLogs(first.url, 'json', [{ name: 'tool_result', attributes: { tool_name: 'Bash' } }]));
    first.child.kill('SIGKILL');
    expect((await exited(first.child)).signal).toBe('SIGKILL');
    const storage = new LocalStorage({ dir: data, env: {} });
    const traceId = syntheticTraceId(SESSION, 'p-1');
    expect(await indexEntries(storage, traceId)).toHaveLength(0);

    const second = await startReceiverChild(['--local-dir', data, '--wal-dir', wal, '--wait-ms', '20', '--idle-ms', '100', '--workers', workers]);
    expect(second.output()).toMatch(/replayed 2 request\(s\)/);
    await expect.poll(async () => (await indexEntries(storage, traceId)).length, { timeout: 20_000, interval: 50 }).toBe(1);
    const [entry] = await indexEntries(storage, traceId);
    const session = await storage.getSession(entry!.id);
    expect(session).toMatchObject({ trace_id: traceId, revision: 1 });
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
  });
});

async function indexEntries(storage: LocalStorage, traceId: string): Promise<Array<{ id: string; trace_id: string }>> {
  const out: Array<{ id: string; trace_id: string }> = [];
  for await (const e of storage.listIndex()) if (e.trace_id === traceId) out.push(e);
  return out;
}

afterEach(killChildren);

describe('the GenAI rule for log records', () => {
  const base = { timeMs: 1, resource: {} };
  it('keeps Claude Code log events, events with session.id or gen_ai.* attributes', () => {
    const tid = '0af7651916cd43dd8448eb211c80319c';
    const rec = (attributes: Attributes, body?: string): boolean =>
      isGenAiRecord(logRecordToSpanRecord({ ...base, traceId: tid, attributes: attributes as never, body })!);
    expect(rec({ 'session.id': 's' })).toBe(true);
    expect(rec({ 'event.name': 'claude_code.api_request' })).toBe(true);
    expect(rec({}, 'claude_code.user_prompt')).toBe(true);
    expect(rec({ 'gen_ai.request.model': 'm' })).toBe(true);
    expect(rec({ 'http.method': 'GET' }, 'GET /health')).toBe(false);
  });
});

describe('the logs adapter (decodeLogsRequest)', () => {
  const traceHex = '0af7651916cd43dd8448eb211c80319c';
  const spanHex = '00f067aa0ba902b7';
  const expected = {
    traceId: traceHex,
    spanId: spanHex,
    timeMs: 1_780_000_000_123.456,
    body: { text: 'hi', n: 2 },
    severityText: 'INFO',
    severityNumber: 9,
    eventName: 'claude_code.api_request',
    attributes: { 'session.id': SESSION, cost_usd: 0.5 },
    resource: { 'service.name': 'claude-code' },
    scope: { name: 'com.anthropic.claude_code.events', version: '2.1.330' },
  };

  it('reads every LogRecord field from protobuf, event_name (12) included', () => {
    const body = LogsRequest.encode(
      LogsRequest.fromObject({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
            scopeLogs: [
              {
                scope: { name: 'com.anthropic.claude_code.events', version: '2.1.330' },
                logRecords: [
                  {
                    timeUnixNano: '1780000000123456000',
                    observedTimeUnixNano: '1780000000999000000',
                    severityNumber: 9,
                    severityText: 'INFO',
                    body: { kvlistValue: { values: [{ key: 'text', value: { stringValue: 'hi' } }, { key: 'n', value: { intValue: 2 } }] } },
                    attributes: [
                      { key: 'session.id', value: { stringValue: SESSION } },
                      { key: 'cost_usd', value: { doubleValue: 0.5 } },
                    ],
                    traceId: Buffer.from(traceHex, 'hex'),
                    spanId: Buffer.from(spanHex, 'hex'),
                    eventName: 'claude_code.api_request',
                  },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    expect(decodeLogsRequest(Buffer.from(body), 'protobuf')).toEqual({ logs: [expected], rejectedLogRecords: 0 });
  });

  it('reads OTLP/JSON, enum names and proto field names included; all-zero ids mean no trace context', () => {
    const json = {
      resource_logs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
          scope_logs: [
            {
              scope: { name: 'com.anthropic.claude_code.events', version: '2.1.330' },
              log_records: [
                {
                  time_unix_nano: '1780000000123456000',
                  severity_number: 'SEVERITY_NUMBER_INFO',
                  severity_text: 'INFO',
                  body: { kvlistValue: { values: [{ key: 'text', value: { stringValue: 'hi' } }, { key: 'n', value: { intValue: '2' } }] } },
                  attributes: [
                    { key: 'session.id', value: { stringValue: SESSION } },
                    { key: 'cost_usd', value: { doubleValue: 0.5 } },
                  ],
                  trace_id: traceHex,
                  span_id: spanHex,
                  event_name: 'claude_code.api_request',
                },
                { observedTimeUnixNano: '1780000000999000000', traceId: '0'.repeat(32), spanId: '', body: { stringValue: 'claude_code.user_prompt' }, attributes: [] },
              ],
            },
          ],
        },
      ],
    };
    const out = decodeLogsRequest(Buffer.from(JSON.stringify(json)), 'json');
    expect(out.rejectedLogRecords).toBe(0);
    expect(out.logs[0]).toEqual(expected);
    expect(out.logs[1]).toEqual({ timeMs: 1_780_000_000_999, body: 'claude_code.user_prompt', attributes: {}, resource: expected.resource, scope: expected.scope });
  });

  it.each([['protobuf'], ['json']] as const)('reads what the SDK serializer sends (%s): event name, trace context, severity, body', (encoding) => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    provider.getLogger('com.anthropic.claude_code.events', '2.1.330').emit({
      eventName: 'claude_code.tool_decision',
      body: { decision: 'accept' },
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      timestamp: 1_780_000_000_123,
      context: trace.setSpanContext(ROOT_CONTEXT, { traceId: traceHex, spanId: spanHex, traceFlags: 1 }),
      attributes: { 'session.id': SESSION },
    });
    const records = memory.getFinishedLogRecords();
    const body = encoding === 'json' ? JsonLogsSerializer.serializeRequest(records)! : ProtobufLogsSerializer.serializeRequest(records)!;
    const [log] = decodeLogsRequest(Buffer.from(body), encoding).logs;
    expect(log).toMatchObject({
      traceId: traceHex,
      spanId: spanHex,
      timeMs: 1_780_000_000_123,
      eventName: 'claude_code.tool_decision',
      body: { decision: 'accept' },
      severityNumber: 9,
      severityText: 'INFO',
      attributes: { 'session.id': SESSION },
      scope: { name: 'com.anthropic.claude_code.events', version: '2.1.330' },
    });
    expect(logRecordToSpanRecord(log!)).toMatchObject({ traceId: traceHex, parentSpanId: spanHex, name: 'log claude_code.tool_decision' });
  });
});
