/**
 * End to end, collector-side: the real OTLP exporters in a real NodeTracerProvider post to the
 * receiver over loopback, which writes sessions to a real S3-protocol server (s3rver). The same
 * spans also go through the in-process SessionSpanProcessor: both documents must be equal.
 * Then out-of-order arrivals and rootless traces, with fake timers for the wait windows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Session } from '../src/session/types.js';
import { LocalStorage } from '../src/storage/local.js';
import { S3Storage } from '../src/storage/s3.js';
import { createReceiver } from '../receiver/index.js';
import type { ReceiverApp } from '../receiver/index.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { WrittenSessions, exportAgentRunBothWays, post } from './fixtures/otlp/http.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';

describe('OTLP exporters -> receiver -> S3', () => {
  let s3: TestS3;
  let receiver: ReceiverApp;
  let url: string;
  let storage: S3Storage;
  const dir = mkdtempSync(join(tmpdir(), 'ams-recv-e2e-'));
  const written = new WrittenSessions();

  beforeAll(async () => {
    s3 = await new TestS3('ams-recv').start();
    storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
      spoolDir: join(dir, 'spool'),
      env: {},
    });
    // In-thread here; receiver-sharded.test.ts runs the same comparison through worker threads.
    receiver = createReceiver({ storage, workers: 0, walDir: join(dir, 'wal'), waitMs: 100, env: {}, onSessionWritten: written.onSessionWritten });
    url = `${(await receiver.start({ port: 0 })).url}/v1/traces`;
  });

  afterAll(async () => {
    await receiver.stop();
    await storage.close?.();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['protobuf', () => new OTLPProtoExporter({ url })],
    ['JSON', () => new OTLPHttpJsonExporter({ url })],
  ])('%s exporter: the receiver writes the session the in-process processor writes', async (_name, exporter) => {
    const { traceId, event, inProcess } = await exportAgentRunBothWays(exporter(), written);

    expect(event).toMatchObject({ revision: 1, status: 'ok', spans: 8 });
    expect(event.key).toMatch(new RegExp(`^ams/sessions/\\d{4}/\\d{2}/\\d{2}/${traceId}\\.json$`));
    const fromS3 = await s3.json<Session>(event.key);
    expect(inProcess).toHaveLength(1);
    // No field differs between the two paths for these spans (see README, "Collector-side capture").
    expect(fromS3).toEqual(inProcess[0]);
    expect(fromS3.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'llm_message', 'tool_call', 'tool_call', 'subagent', 'notification']);
    // Its index entry is in the segment the receiver's flush writes (one object per session).
    await receiver.flush();
    const listed: string[] = [];
    for await (const e of storage.listIndex()) listed.push(e.id);
    expect(listed).toContain(traceId);
    expect(await s3.keys('ams/index/')).not.toContain(`ams/index/${traceId}.json`);
  });
});

describe('out of order, late and rootless (fake timers)', () => {
  const WAIT = 2000;
  const IDLE = 30_000;
  let dir: string;
  let receiver: ReceiverApp;
  let url: string;
  let local: LocalStorage;
  let written: WrittenSessions;
  let spans: ReadableSpan[];
  let traceId: string;

  const send = async (s: ReadableSpan[]): Promise<void> => {
    const r = await post(url, Buffer.from(ProtobufTraceSerializer.serializeRequest(s)!), { 'content-type': 'application/x-protobuf' });
    expect(r.status).toBe(200);
  };
  const isRoot = (s: ReadableSpan): boolean => s.parentSpanContext === undefined;

  async function setup(): Promise<void> {
    // Spans first, on real timers (the SDK's export path uses them).
    ({ spans, traceId } = await captureAgentTrace());
    // Only the clock and timers the buffer uses are faked; I/O callbacks and setImmediate stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    dir = mkdtempSync(join(tmpdir(), 'ams-recv-order-'));
    local = new LocalStorage({ dir: join(dir, 'data'), env: {} });
    written = new WrittenSessions();
    // workers: 0 — the fake clock reaches this thread's timers only.
    receiver = createReceiver({ storage: local, workers: 0, walDir: join(dir, 'wal'), waitMs: WAIT, idleMs: IDLE, env: {}, onSessionWritten: written.onSessionWritten });
    url = `${(await receiver.start({ port: 0 })).url}/v1/traces`;
  }

  afterEach(async () => {
    await receiver.stop();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('children first, root in a later request: one session once the root has waited waitMs', async () => {
    await setup();
    await send(spans.filter((s) => !isRoot(s)));
    await vi.advanceTimersByTimeAsync(IDLE - 1);
    expect(written.events).toHaveLength(0);
    await send(spans.filter(isRoot));
    await vi.advanceTimersByTimeAsync(WAIT - 1);
    expect(written.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const e = await written.next();
    expect(e).toMatchObject({ traceId, revision: 1, status: 'ok', spans: 8 });
    const session = (await local.getSession(traceId))!;
    expect(session.spans).toEqual({ kept: 8, dropped: 0 });
    expect(session.status).toBe('ok');
  });

  it('root first, children late: the session is rewritten as revision 2 with every span', async () => {
    await setup();
    const root = spans.find(isRoot)!;
    const firstChildren = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId).slice(0, 2);
    await send([root, ...firstChildren]);
    await vi.advanceTimersByTimeAsync(WAIT);
    expect(await written.next()).toMatchObject({ revision: 1, spans: 3 });
    expect((await local.getSession(traceId))!.spans.kept).toBe(3);

    const late = spans.filter((s) => s !== root && !firstChildren.includes(s));
    await send(late);
    await vi.advanceTimersByTimeAsync(WAIT);
    const e2 = await written.next();
    expect(e2).toMatchObject({ traceId, revision: 2, spans: 8, status: 'ok' });
    const session = (await local.getSession(traceId))!;
    expect(session).toMatchObject({ id: traceId, revision: 2, status: 'ok', spans: { kept: 8, dropped: 0 } });
    expect(written.events).toHaveLength(2);
  });

  it('a rootless trace is written as incomplete after the idle timeout', async () => {
    await setup();
    await send(spans.filter((s) => !isRoot(s)));
    await vi.advanceTimersByTimeAsync(IDLE - 1);
    expect(written.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const e = await written.next();
    expect(e).toMatchObject({ traceId, status: 'incomplete', revision: 1, rootReceivedAt: undefined });
    const session = (await local.getSession(e.sessionId))!;
    expect(session.status).toBe('incomplete');
    expect(session.status_reason).toMatch(/idle timeout: the root span never arrived/);
    expect(session.spans.kept).toBe(7);
  });

  it('everything pending is written on stop, unfinished sessions as incomplete', async () => {
    await setup();
    await send(spans.filter((s) => !isRoot(s)));
    await receiver.stop();
    const e = await written.next();
    expect(e).toMatchObject({ traceId, status: 'incomplete' });
    expect((await local.getSession(e.sessionId))!.status_reason).toMatch(/receiver shut down before the session ended/);
  });
});
