/**
 * Issue 15, point 3 and the rest of point 7: what a hostile or overloaded client can make the
 * receiver hold. JSON nested past MAX_JSON_DEPTH is refused before any parse (workers or not, with
 * /health answering meanwhile); a byte bound covers written spans kept for retainMs too; the
 * connection count is capped; an attribute named `__proto__` survives. Real loopback HTTP, real
 * LocalStorage in a temp folder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import type { ReceiverApp } from '../receiver/index.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../receiver/http/json-depth.js';
import { decodeStatus, decodeTraceRequest } from '../receiver/otlp/codec.js';
import { shardOfTraceIdHex, splitJsonByTrace, splitJsonParsed } from '../receiver/otlp/split.js';
import { splitJsonRaw } from '../receiver/otlp/split-json.js';
import type { SpanRecord } from '../src/spans/record.js';
import * as sc from '../src/spans/semconv.js';
import { LocalStorage } from '../src/storage/local.js';
import { captureAgentTrace, emitAgentTrace, providerWith } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Finished spans of `n` agent runs (distinct trace ids). */
async function manyRuns(n: number, options: { rounds?: number } = {}): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('ams-otel-test', '1.2.3');
  for (let i = 0; i < n; i++) emitAgentTrace(tracer, { startMs: 1_780_000_000_000 + i * 1000, ...options });
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().slice();
  await provider.shutdown();
  return spans;
}

describe('JSON nesting depth is checked before parsing', () => {
  it('counts [ and { outside strings only', () => {
    expect(jsonDepth(Buffer.from('{"a":[{"b":"[[[{{{\\"[["}]}'))).toBe(3);
    expect(jsonDepth(Buffer.from('[[[[[[[[[['), 4)).toBe(5); // stops past the limit
  });

  // 14 MB of `[`: JSON.parse would build 7,000,000 nested arrays (~0.9 GB) before finding it wrong.
  const deep = Buffer.alloc(14 * 1024 * 1024, '[');

  describe.each([{ workers: 0 }, { workers: 2 }])('workers: $workers', ({ workers }) => {
    let dir: string;
    let receiver: ReceiverApp;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ams-recv-deep-'));
      receiver = createReceiver({ storage: workers ? undefined : new LocalStorage({ dir: join(dir, 'data') }), workers, walDir: false, env: { AMS_LOCAL_DIR: join(dir, 'data') } });
      expect(receiver.config.workers).toBe(workers);
      url = (await receiver.start({ port: 0 })).url;
    });

    afterAll(async () => {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a 14 MB body nested 7,000,000 deep is a 400 naming the limit, and /health answers meanwhile', async () => {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const bodies = [1, 2, 3].map(() => post(`${url}/v1/traces`, deep, JSON_HEADERS));
      const health = await fetch(`${url}/health`);
      const replies = await Promise.all(bodies);
      delay.disable();
      expect(health.status).toBe(200);
      for (const r of replies) {
        expect(r.status).toBe(400);
        expect((JSON.parse(r.body.toString()) as { message: string }).message).toBe(
          `malformed OTLP/JSON: nested deeper than ${MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH); OTLP/JSON needs far fewer`,
        );
      }
      // Three such bodies used to stall the event loop for seconds (parsed on the main thread).
      expect(delay.max / 1e6).toBeLessThan(1000);
      expect(receiver.stats().sessionsWritten).toBe(0);
      // Logs and metrics take the same check.
      for (const path of ['/v1/logs', '/v1/metrics']) expect((await post(`${url}${path}`, deep, JSON_HEADERS)).status).toBe(400);
    });
  });
});

describe('an OTLP/JSON body is parsed once: the split by trace cuts its bytes', () => {
  const byId = (records: SpanRecord[]): SpanRecord[] => [...records].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));

  it.each([
    ['the OTLP exporter JSON of 12 runs', async () => Buffer.from(JsonTraceSerializer.serializeRequest(await manyRuns(12))!)],
    ['Claude Code recorded traces (pretty-printed, with _meta)', async () => readFileSync('test/fixtures/claude-code/traces.json')],
  ])('%s: parts cut from the bytes decode to exactly the records of the whole', async (_name, make) => {
    const body = await make();
    const whole = decodeTraceRequest(body, 'json').records;
    // Count the parses the split does: none.
    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => (parses++, parse(...args))) as typeof JSON.parse;
    let parts: Array<Uint8Array | undefined>;
    try {
      parts = splitJsonByTrace(body, 3);
    } finally {
      JSON.parse = parse;
    }
    expect(parses).toBe(0);
    const fromParts = parts.flatMap((p, shard) =>
      p ? decodeTraceRequest(Buffer.from(p), 'json').records.map((r) => (expect(shardOfTraceIdHex(r.traceId, 3)).toBe(shard), r)) : [],
    );
    expect(byId(fromParts)).toEqual(byId(whole));
  });

  it('what the byte walk does not handle goes to the parsing split, which reads it as the decoder does', async () => {
    const body = Buffer.from(JsonTraceSerializer.serializeRequest(await manyRuns(6))!);
    const text = body.toString();
    const cases = [
      text.replace('"resourceSpans"', '"resource\\u0053pans"'), // a key spelt with an escape
      text.replace('{', '{"resource_spans":null,'), // both spellings
      `${text} x`, // trailing bytes
      text.replace('"spans":[', '"spans":[1,'), // a span that is not an object
    ];
    for (const c of cases) {
      const b = Buffer.from(c);
      expect(splitJsonRaw(b, 3, (h) => shardOfTraceIdHex(h, 3))).toBeUndefined();
      expect(splitJsonByTrace(b, 3)).toEqual(splitJsonParsed(b, 3));
    }
  });
});

describe('an attribute named __proto__ is kept', () => {
  /** An agent run whose one step span carries an attribute named `__proto__` (the SDK itself cannot set one). */
  async function runWithProtoAttribute(): Promise<{ traceId: string; spans: ReadableSpan[] }> {
    const exporter = new InMemorySpanExporter();
    const provider = providerWith(new SimpleSpanProcessor(exporter));
    const tracer = provider.getTracer('ams-otel-test');
    const root = tracer.startSpan('invoke_agent proto-bot', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: 'proto-bot' } });
    const step = tracer.startSpan('lookup', { attributes: { plain: 'yes' } }, trace.setSpan(context.active(), root));
    step.end();
    root.end();
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans().slice();
    await provider.shutdown();
    const lookup = spans.find((s) => s.name === 'lookup')!;
    Object.defineProperty(lookup.attributes, '__proto__', { value: 'kept', enumerable: true });
    return { traceId: root.spanContext().traceId, spans };
  }

  it.each(['json', 'protobuf'] as const)('through the receiver over OTLP/%s, into the session document (nested in a kvlist too, JSON)', async (encoding) => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-proto-'));
    const storage = new LocalStorage({ dir });
    const receiver = createReceiver({ storage, workers: 0, walDir: false, waitMs: 0, env: {} });
    const { url } = await receiver.start({ port: 0 });
    try {
      const { traceId, spans } = await runWithProtoAttribute();
      let body: Buffer;
      if (encoding === 'protobuf') body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
      else {
        const text = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString();
        // A map value with a `__proto__` key, beside the plain attribute.
        const nested = '{"key":"meta","value":{"kvlistValue":{"values":[{"key":"__proto__","value":{"stringValue":"inner"}}]}}},';
        body = Buffer.from(text.replace('{"key":"plain"', `${nested}{"key":"plain"`));
      }
      const r = await post(`${url}/v1/traces`, body, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' });
      expect(r.status).toBe(200);
      await receiver.flush();
      const session = await storage.getSession(traceId);
      const step = session!.events.find((e) => e.type === 'step' && e.name === 'lookup') as { attributes: Record<string, unknown> };
      expect(Object.getOwnPropertyDescriptor(step.attributes, '__proto__')?.value).toBe('kept');
      expect(step.attributes.plain).toBe('yes');
      // (A map value is kept as its JSON text: SpanRecord attributes have no map form.)
      if (encoding === 'json') expect(step.attributes.meta).toBe('{"__proto__":"inner"}');
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('connection count cap', () => {
  it('a connection past maxConnections is closed at once without an answer; once one closes, the next is served', async () => {
    const receiver = createReceiver({ storage: { putSession: async () => 'k' }, workers: 0, walDir: false, maxConnections: 2, env: {} });
    const { port } = await receiver.start({ port: 0 });
    const open = async (): Promise<net.Socket> => {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      return socket;
    };
    /** Sends GET /health on `socket`; resolves with what came back before the answer or the close. */
    const health = (socket: net.Socket): Promise<{ received: string; closed: boolean }> =>
      new Promise((resolve) => {
        let received = '';
        socket.on('data', (d: Buffer) => {
          received += d.toString();
          if (received.includes('\r\n\r\n')) resolve({ received, closed: false });
        });
        socket.once('close', () => resolve({ received, closed: true }));
        socket.on('error', () => {});
        socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
    try {
      const a = await open();
      const b = await open();
      expect((await health(a)).received).toMatch(/^HTTP\/1\.1 200 /);
      expect((await health(b)).received).toMatch(/^HTTP\/1\.1 200 /);
      const c = await open();
      expect(await health(c)).toEqual({ received: '', closed: true });
      a.destroy();
      await expect.poll(async () => (await health(await open())).received).toMatch(/^HTTP\/1\.1 200 /);
      b.destroy();
    } finally {
      await receiver.stop();
    }
  });
});

describe('the byte bound covers everything held, written spans retained for retainMs included', () => {
  it.each([0, 2])('retained traces are let go of to stay under maxBufferedBytes; unwritten bytes past 80 percent of it answer 503 + Retry-After (workers: %i)', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-bytes-'));
    const BOUND = 1_000_000;
    const receiver = createReceiver({
      storage: workers ? undefined : new LocalStorage({ dir: join(dir, 'data') }),
      workers,
      walDir: false,
      maxBufferedBytes: BOUND * Math.max(1, workers),
      maxBodyBytes: 400_000,
      retainMs: 600_000,
      waitMs: 600_000,
      retryAfterSeconds: 9,
      env: { AMS_LOCAL_DIR: join(dir, 'data') },
    });
    const { url } = await receiver.start({ port: 0 });
    // A ~300 KB request: one agent run with a large prompt (all its trace in one shard).
    const request = async (i: number): Promise<Buffer> => {
      const { spans } = await captureAgentTrace({ startMs: 1_780_000_000_000 + i * 1000, prompt: `${i} ${'p'.repeat(300_000)}` });
      return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    };
    const send = async (i: number) => post(`${url}/v1/traces`, await request(i), { 'content-type': 'application/x-protobuf' });
    // Each shard holds its share; workers: 2 sends traces to both, so the bound per shard is BOUND.
    const perShard = BOUND;
    try {
      // Written and retained: 12 x 300 KB is more than the bound. Each is written (flush), then kept for retainMs.
      for (let i = 0; i < 12; i++) {
        expect((await send(i)).status).toBe(200);
        await receiver.flush();
      }
      await expect.poll(() => receiver.stats().sessionsWritten).toBe(12);
      await expect.poll(() => receiver.stats().bufferedBytes).toBe(0);
      const held = receiver.stats().heldBytes;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(perShard * Math.max(1, workers));
      // Unwritten (waiting waitMs): the third 300 KB request in one shard passes 80% of 1 MB.
      const replies: number[] = [];
      let full: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 100; i < 120 && !full; i++) {
        const r = await send(i);
        replies.push(r.status);
        if (r.status === 503) full = r;
      }
      expect(full?.headers['retry-after']).toBe('9');
      expect(decodeStatus(full!.body).message).toMatch(/bytes not yet written \(80% of maxBufferedBytes/);
      expect(receiver.stats().rejectedFull).toBe(1);
      expect(receiver.stats().heldBytes).toBeLessThanOrEqual(perShard * Math.max(1, workers));
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
