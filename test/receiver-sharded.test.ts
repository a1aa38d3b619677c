/**
 * The receiver with shard workers (real worker threads): the split by trace id at the wire level,
 * then the whole path with the real OTLP exporters into S3 (s3rver) configured through the
 * environment, as `ams receiver` runs. The HTTP contract table runs in both modes in
 * receiver-http.test.ts; kill -9 durability in receiver-durability.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assembleSession } from '../src/session/assemble.js';
import type { Session } from '../src/session/types.js';
import type { SpanRecord } from '../src/spans/record.js';
import { S3Client } from '@aws-sdk/client-s3';
import { LocalStorage } from '../src/storage/local.js';
import { S3Storage } from '../src/storage/s3.js';
import { createReceiver } from '../receiver/index.js';
import { resolveReceiverOptions } from '../receiver/options.js';
import { ReceiverCore } from '../receiver/pipeline.js';
import type { ReceiverApp, ReceiverOptions } from '../receiver/index.js';
import { decodeTraceRequest } from '../receiver/otlp/codec.js';
import { shardOfTraceIdHex, splitJsonByTrace, splitProtobufByTrace } from '../receiver/otlp/split.js';
import { emitAgentTrace, providerWith } from './fixtures/otlp/agent-trace.js';
import { WrittenSessions, exportAgentRunBothWays, post } from './fixtures/otlp/http.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { repairOnStart } from '../receiver/repair-on-start.js';
import { readIndexSync } from './support/store.js';

/** Finished spans of `n` agent runs (distinct trace ids), in one batch. */
async function agentRuns(n: number): Promise<{ spans: ReadableSpan[]; traceIds: string[] }> {
  const exporter = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('ams-otel-test', '1.2.3');
  const traceIds = Array.from({ length: n }, (_, i) => emitAgentTrace(tracer, { startMs: 1_780_000_000_000 + i * 1000 }));
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().slice();
  await provider.shutdown();
  return { spans, traceIds };
}

const bySpanId = (records: SpanRecord[]): SpanRecord[] => [...records].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));

describe('split by trace id', () => {
  it.each([
    ['protobuf', 'protobuf' as const, (s: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(s)!), splitProtobufByTrace],
    ['JSON', 'json' as const, (s: ReadableSpan[]) => Buffer.from(JsonTraceSerializer.serializeRequest(s)!), splitJsonByTrace],
  ])('%s: each shard gets exactly the spans of its traces, resource and scope included', async (_name, encoding, encode, split) => {
    const { spans, traceIds } = await agentRuns(12);
    const body = encode(spans);
    const whole = decodeTraceRequest(body, encoding).records;
    const parts = split(body, 3);
    expect(parts).toHaveLength(3);
    // The shards that get a body are exactly those the trace ids map to.
    const shardsUsed = new Set(traceIds.map((id) => shardOfTraceIdHex(id, 3)));
    expect(parts.map((p, i) => (p ? i : -1)).filter((i) => i >= 0)).toEqual([...shardsUsed].sort());
    const fromParts: SpanRecord[] = [];
    parts.forEach((part, shard) => {
      if (!part) return;
      const records = decodeTraceRequest(Buffer.from(part), encoding).records;
      for (const r of records) expect(shardOfTraceIdHex(r.traceId, 3)).toBe(shard);
      fromParts.push(...records);
    });
    // Same records, resource attributes and scope included: nothing lost, nothing changed.
    expect(bySpanId(fromParts)).toEqual(bySpanId(whole));
    expect(fromParts[0]!.resource).toMatchObject({ 'service.name': 'support-bot' });
  });

  it('JSON: empty or null lists and proto (snake_case) names are read as the decoder reads them', async () => {
    const { spans } = await agentRuns(12);
    const parsed = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString()) as { resourceSpans: Array<Record<string, unknown>> };
    const rs = parsed.resourceSpans[0]!;
    const snake = { resource_spans: [{ resource: {} }, null, { scopeSpans: null }, { resource: rs.resource, scope_spans: rs.scopeSpans }] };
    const body = Buffer.from(JSON.stringify(snake));
    const whole = decodeTraceRequest(body, 'json').records;
    const parts = splitJsonByTrace(body, 3);
    // Still split by trace (not sent whole to shard 0), and nothing lost or changed.
    expect(parts.filter(Boolean).length).toBeGreaterThan(1);
    const fromParts = parts.flatMap((p, shard) => (p ? decodeTraceRequest(Buffer.from(p), 'json').records.map((r) => (expect(shardOfTraceIdHex(r.traceId, 3)).toBe(shard), r)) : []));
    expect(bySpanId(fromParts)).toEqual(bySpanId(whole));
  });

  it('one shard, or every span in one shard: the body itself; malformed: whole to shard 0 for its decoder', async () => {
    const { spans, traceIds } = await agentRuns(1);
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(splitProtobufByTrace(body, 1)).toEqual([body]);
    const parts = splitProtobufByTrace(body, 4);
    expect(parts[shardOfTraceIdHex(traceIds[0], 4)]).toBe(body);
    expect(parts.filter(Boolean)).toHaveLength(1);
    const truncated = body.subarray(0, body.length - 7);
    expect(splitProtobufByTrace(truncated, 4)).toEqual([truncated, undefined, undefined, undefined]);
    // resource_spans (field 1) sent as a varint after good ones: the decoder refuses it, so must the split.
    const mistyped = Buffer.concat([Buffer.from(ProtobufTraceSerializer.serializeRequest((await agentRuns(6)).spans)!), Buffer.from([0x08, 0x01])]);
    expect(splitProtobufByTrace(mistyped, 4)).toEqual([mistyped, undefined, undefined, undefined]);
    expect(() => decodeTraceRequest(mistyped, 'protobuf')).toThrow(/wire type 0/);
    expect(() => decodeTraceRequest(truncated, 'protobuf')).toThrow(/^malformed protobuf: index out of range/);
  });
});

/** Session ids the bucket's index lists (segments and per-session files), as another process reads them. */
async function indexedIds(s3: TestS3): Promise<string[]> {
  const reader = new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: mkdtempSync(join(tmpdir(), 'ams-reader-')), env: {} });
  const ids: string[] = [];
  for await (const e of reader.listIndex()) ids.push(e.id);
  return ids;
}

describe('receiver with shard workers -> S3 (configured through the environment)', () => {
  let s3: TestS3;
  let receiver: ReceiverApp;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'ams-recv-shard-'));
  const written = new WrittenSessions();

  beforeAll(async () => {
    s3 = await new TestS3('ams-shard').start();
    // The workers build their own S3 client from these settings; credentials come from the
    // standard AWS chain, which the workers read from the process environment.
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
    receiver = createReceiver({
      workers: 2,
      walDir: join(dir, 'wal'),
      waitMs: 150,
      env: { AMS_S3_BUCKET: s3.bucket, AMS_S3_ENDPOINT_URL: s3.endpoint, AMS_S3_REGION: 'us-east-1', AMS_SPOOL_DIR: join(dir, 'spool') },
      onSessionWritten: written.onSessionWritten,
    });
    expect(receiver.config.workers).toBe(2);
    url = `${(await receiver.start({ port: 0 })).url}/v1/traces`;
  });

  afterAll(async () => {
    await receiver.stop();
    await s3.stop();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['protobuf', () => new OTLPProtoExporter({ url })],
    ['JSON', () => new OTLPHttpJsonExporter({ url })],
  ])('%s exporter: the session in S3 equals the in-process processor one', async (_name, exporter) => {
    const { event, inProcess } = await exportAgentRunBothWays(exporter(), written);
    expect(event).toMatchObject({ revision: 1, status: 'ok', spans: 8 });
    expect(await s3.json<Session>(event.key)).toEqual(inProcess[0]);
  });

  it('many traces in one request: each written once by its shard; stats add up; the WAL is released', async () => {
    const { spans, traceIds } = await agentRuns(16);
    await receiver.flush(); // fresh figures from every shard
    const before = receiver.stats().sessionsWritten;
    const r = await post(url, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' });
    expect(r.status).toBe(200);
    const events = await Promise.all(traceIds.map((id) => written.next((e) => e.traceId === id)));
    expect(events.map((e) => e.spans)).toEqual(traceIds.map(() => 8));
    await receiver.flush(); // the workers' index segments
    const indexed = await indexedIds(s3);
    for (const id of traceIds) expect(indexed).toContain(id);
    // Both shards did work (16 random ids over 2 shards).
    expect(new Set(traceIds.map((id) => shardOfTraceIdHex(id, 2))).size).toBe(2);
    await receiver.flush();
    const stats = receiver.stats();
    expect(stats.sessionsWritten - before).toBe(16);
    expect(stats.openTraces).toBe(0);
    expect(stats.openSpans).toBe(0);
    // Released records leave at most the active segment.
    await expect.poll(() => readdirSync(join(dir, 'wal')).filter((n) => n.endsWith('.log')).length, { timeout: 5000 }).toBeLessThanOrEqual(1);
  });

  it('root first, children late: the owning shard rewrites the session as revision 2', async () => {
    const { spans, traceIds } = await agentRuns(1);
    const isRoot = (s: ReadableSpan): boolean => s.parentSpanContext === undefined;
    const send = (s: ReadableSpan[]) => post(url, Buffer.from(ProtobufTraceSerializer.serializeRequest(s)!), { 'content-type': 'application/x-protobuf' });
    const root = spans.find(isRoot)!;
    expect((await send([root])).status).toBe(200);
    expect(await written.next((e) => e.traceId === traceIds[0])).toMatchObject({ revision: 1, spans: 1 });
    expect((await send(spans.filter((s) => !isRoot(s)))).status).toBe(200);
    expect(await written.next((e) => e.traceId === traceIds[0])).toMatchObject({ revision: 2, spans: 8, status: 'ok' });
  });
});

describe('receiver workers: defaults and fallbacks', () => {
  it('LocalStorage / S3Storage built from plain options are rebuilt in the workers; other storage objects keep the main thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-shard-opt-'));
    const receivers: ReceiverApp[] = [];
    const make = (o: Parameters<typeof createReceiver>[0]): ReceiverApp => (receivers.push(createReceiver({ walDir: false, ...o })), receivers.at(-1)!);
    try {
      expect(make({ storage: new LocalStorage({ dir, env: {} }), workers: 2, env: {} }).config.workers).toBe(2);
      expect(make({ storage: { putSession: async () => 'k' }, workers: 2, env: {} }).config.workers).toBe(0);
      class MyStorage extends LocalStorage {}
      expect(make({ storage: new MyStorage({ dir, env: {} }), workers: 2, env: {} }).config.workers).toBe(0);
      const client = new S3Client({ region: 'us-east-1' });
      expect(make({ storage: new S3Storage({ bucket: 'b-1', client, env: {} }), workers: 2, env: {} }).config.workers).toBe(0);
      expect(make({ env: { AMS_LOCAL_DIR: dir, AMS_RECEIVER_WORKERS: '3' } }).config.workers).toBe(3);
      expect(make({ env: { AMS_LOCAL_DIR: dir, AMS_RECEIVER_WORKERS: '0' } }).config.workers).toBe(0);
      // The LocalStorage's own options reach the workers: the session lands in its folder.
      const written = new WrittenSessions();
      const r = make({ storage: new LocalStorage({ dir: join(dir, 'own'), env: {} }), workers: 2, waitMs: 10, env: {}, onSessionWritten: written.onSessionWritten });
      const { url } = await r.start({ port: 0 });
      const { spans, traceIds } = await agentRuns(1);
      expect((await post(`${url}/v1/traces`, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
      await written.next((e) => e.traceId === traceIds[0]);
      await r.flush();
      expect((await new LocalStorage({ dir: join(dir, 'own'), env: {} }).getSession(traceIds[0]!))?.spans).toEqual({ kept: 8, dropped: 0 });
    } finally {
      await Promise.all(receivers.map((r) => r.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Trace ids emitted until two share `shard` of 2 (about four tries). */
async function twoOnOneShard(): Promise<{ a: { spans: ReadableSpan[]; traceId: string }; b: { spans: ReadableSpan[]; traceId: string }; shard: number }> {
  const seen = new Map<number, { spans: ReadableSpan[]; traceId: string }>();
  for (let i = 0; ; i++) {
    const { spans, traceIds } = await agentRuns(1);
    const run = { spans, traceId: traceIds[0]! };
    const shard = shardOfTraceIdHex(run.traceId, 2);
    const first = seen.get(shard);
    if (first) return { a: first, b: run, shard };
    seen.set(shard, run);
  }
}

describe('shard workers: a worker that dies, shutdown, per-worker bounds', () => {
  // The sharded pipeline itself, so a test can stop a worker as a crash would (its thread ends and
  // its memory with it); everything else is the real receiver path, into LocalStorage.
  const started: Array<{ pipeline: ReceiverCore; dir: string }> = [];
  afterEach(async () => {
    for (const { pipeline, dir } of started.splice(0)) {
      await pipeline.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  async function startPipeline(options: ReceiverOptions, written?: WrittenSessions) {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-shard-pipe-'));
    const o = resolveReceiverOptions({ walDir: join(dir, 'wal'), waitMs: 60_000, idleMs: 60_000, env: {}, ...options });
    const pipeline = new ReceiverCore(o, { workers: 2, env: { AMS_LOCAL_DIR: join(dir, 'data') }, onSessionWritten: written?.onSessionWritten });
    started.push({ pipeline, dir });
    await pipeline.start({ maxBodyBytes: o.maxBodyBytes, maxDecompressedBytes: o.maxDecompressedBytes });
    return { pipeline, local: new LocalStorage({ dir: join(dir, 'data'), env: {} }) };
  }
  const pb = (spans: ReadableSpan[]): Buffer => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const isRoot = (s: ReadableSpan): boolean => s.parentSpanContext === undefined;

  it('is replaced and its open traces are rebuilt from the write-ahead log: nothing acknowledged is lost', async () => {
    const written = new WrittenSessions();
    const { pipeline, local } = await startPipeline({}, written);
    const { spans, traceIds } = await agentRuns(8);
    const body = pb(spans);
    await pipeline.acceptBody(body, body, 'protobuf', 0);
    // Acknowledged, buffered in both workers, none written yet (waitMs is a minute).
    expect(pipeline.stats()).toMatchObject({ openTraces: 8, sessionsWritten: 0 });
    await pipeline.terminateWorker(shardOfTraceIdHex(traceIds[0], 2));
    // While it is replaced: not ready, and new spans get a retryable 503.
    expect(pipeline.hasCapacity()).toBe(false);
    await expect.poll(() => pipeline.hasCapacity(), { timeout: 10_000 }).toBe(true);
    expect(pipeline.problem).toBeUndefined();
    // flush() writes every session whose root has ended: all 8, the victim's rebuilt from the log.
    await pipeline.flush();
    expect(new Set(written.events.map((e) => e.traceId))).toEqual(new Set(traceIds));
    expect(written.events.every((e) => e.spans === 8 && e.status === 'ok')).toBe(true);
    for (const id of traceIds) expect((await local.getSession(id))?.spans).toEqual({ kept: 8, dropped: 0 });
  });

  it('a rebuild that sees only the tail of a trace already written whole does not overwrite it', async () => {
    const written = new WrittenSessions();
    const { pipeline, local } = await startPipeline({ waitMs: 50 }, written);
    const { a: x, b: y, shard } = await twoOnOneShard();
    const xChildren = x.spans.filter((s) => !isRoot(s));
    // Record 1: half of X. Record 2: Y without its root (stays open). Record 3: the rest of X.
    const bodies = [pb(xChildren.slice(0, 4)), pb(y.spans.filter((s) => !isRoot(s))), pb([...xChildren.slice(4), ...x.spans.filter(isRoot)])];
    for (const b of bodies) await pipeline.acceptBody(b, b, 'protobuf', 0);
    expect(await written.next((e) => e.traceId === x.traceId)).toMatchObject({ spans: 8, revision: 1 });
    // The worker dies with Y open: its rebuild replays records 2 and 3, which hold only X's tail.
    await pipeline.terminateWorker(shard);
    await expect.poll(() => pipeline.hasCapacity(), { timeout: 10_000 }).toBe(true);
    await pipeline.flush();
    expect((await local.getSession(x.traceId))?.spans).toEqual({ kept: 8, dropped: 0 });
    expect(written.events.filter((e) => e.traceId === x.traceId)).toHaveLength(1);
  });

  it('a worker that dies takes its unflushed index entries with it: the repair run when it is replaced indexes its written sessions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-shard-repair-'));
    const data = join(dir, 'data');
    const o = resolveReceiverOptions({ walDir: join(dir, 'wal'), waitMs: 20, idleMs: 60_000, env: {} });
    const written = new WrittenSessions();
    const repairs: Array<Promise<void>> = [];
    const main = new LocalStorage({ dir: data, env: {} });
    // The workers flush their index segments only at stop: a death loses what they buffered.
    const pipeline = new ReceiverCore(o, {
      workers: 2,
      env: { AMS_LOCAL_DIR: data, AMS_INDEX_FLUSH_MS: '600000' },
      onSessionWritten: written.onSessionWritten,
      // What createReceiver wires (receiver/app.ts): the repair of repair-on-start.ts.
      onWorkerReplaced: () => repairs.push(repairOnStart(main, new AbortController().signal)),
    });
    started.push({ pipeline, dir });
    await pipeline.start({ maxBodyBytes: o.maxBodyBytes, maxDecompressedBytes: o.maxDecompressedBytes });
    const { spans, traceIds } = await agentRuns(6);
    const body = pb(spans);
    await pipeline.acceptBody(body, body, 'protobuf', 0);
    await Promise.all(traceIds.map((id) => written.next((e) => e.traceId === id)));
    expect(readIndexSync(data)).toEqual([]); // documents written, entries still in the workers
    const victim = shardOfTraceIdHex(traceIds[0]!, 2);
    await pipeline.terminateWorker(victim);
    await expect.poll(() => repairs.length, { timeout: 10_000 }).toBe(1);
    await repairs[0];
    const indexed = readIndexSync(data).map((e) => e.id);
    for (const id of traceIds.filter((t) => shardOfTraceIdHex(t, 2) === victim)) expect(indexed).toContain(id);
    // The survivor's entries are written by its own flush, as usual.
    await pipeline.flush();
    expect(readIndexSync(data).map((e) => e.id).sort()).toEqual([...traceIds].sort());
  });

  it('stopping while a worker is being replaced still writes every acknowledged trace', async () => {
    const { pipeline, local } = await startPipeline({});
    const { spans, traceIds } = await agentRuns(8);
    const body = pb(spans);
    await pipeline.acceptBody(body, body, 'protobuf', 0);
    await pipeline.terminateWorker(0);
    await pipeline.shutdown();
    for (const id of traceIds) expect((await local.getSession(id))?.spans.kept).toBe(8);
  });

  it('bounds hold per worker: traces piling onto one shard get a 503 before it would evict', async () => {
    const { pipeline } = await startPipeline({ walDir: false, maxTraces: 4 });
    // Four traces on one shard: its share of maxTraces 4 is 2.
    const onShard: ReadableSpan[][] = [];
    let shard: number | undefined;
    while (onShard.length < 4) {
      const { spans, traceIds } = await agentRuns(1);
      const s = shardOfTraceIdHex(traceIds[0], 2);
      shard ??= s;
      if (s === shard) onShard.push(spans);
    }
    const first = pb(onShard.slice(0, 3).flat());
    await pipeline.acceptBody(first, first, 'protobuf', 0); // nothing open yet: let through
    const next = pb(onShard[3]!);
    // 4 traces in all is within maxTraces, but 4 on one shard is over its share.
    await expect(pipeline.acceptBody(next, next, 'protobuf', 0)).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/shard \d: 3 traces open \(maxTraces 2\)/) });
    expect(pipeline.stats().rejectedFull).toBe(1);
  });

  it('an S3 outage: each worker spools to its own folder and replays it when S3 is back; orphaned shard folders are taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-shard-spool-'));
    const spool = join(dir, 'spool');
    const s3 = await new TestS3('ams-shard-outage').start();
    // Left by an earlier run with 4 workers: shard-3's folder now belongs to worker 3 % 2 = 1.
    const runs = await agentRuns(1);
    const orphan: Session = { ...assembleSession(decodeTraceRequest(Buffer.from(ProtobufTraceSerializer.serializeRequest(runs.spans)!), 'protobuf').records), id: 'left-by-shard-3' };
    mkdirSync(join(spool, 'shard-3'), { recursive: true });
    writeFileSync(join(spool, 'shard-3', 'left-by-shard-3.json'), JSON.stringify(orphan));
    const storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: S3_CREDENTIALS,
      spoolDir: spool,
      retry: { attempts: 1, baseDelayMs: 10, replayIntervalMs: 50 },
      env: {},
    });
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage, workers: 2, walDir: false, waitMs: 10, env: {}, onSessionWritten: written.onSessionWritten });
    try {
      const { url } = await receiver.start({ port: 0 });
      await s3.stop(); // outage
      const { spans, traceIds } = await agentRuns(8);
      expect((await post(`${url}/v1/traces`, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
      await Promise.all(traceIds.map((id) => written.next((e) => e.traceId === id)));
      // Spooled by their owners, each in its own folder; the orphan folder was taken over.
      const spooled = (shard: number): string[] => readdirSync(join(spool, `shard-${shard}`)).filter((n) => n.endsWith('.json'));
      expect(readdirSync(spool).sort()).toEqual(['shard-0', 'shard-1']);
      for (const id of traceIds) expect(spooled(shardOfTraceIdHex(id, 2))).toContain(`${id}.json`);
      expect(spooled(1)).toContain('left-by-shard-3.json');
      await s3.start(); // back
      // Replay reads, merges and writes each session; a request that meets the S3 server still
      // starting stays spooled for the next replay tick, so wait for the outcome, not one flush.
      const expected = [...traceIds, 'left-by-shard-3'];
      await expect
        .poll(async () => {
          await receiver.flush();
          const index = await indexedIds(s3);
          return expected.filter((k) => !index.includes(k));
        }, { timeout: 20_000 })
        .toEqual([]);
      expect([...spooled(0), ...spooled(1)]).toEqual([]);
    } finally {
      await receiver.stop();
      await storage.close?.();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
