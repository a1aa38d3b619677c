/**
 * The receiver's HTTP contract: content types, encodings, limits, auth and error bodies, over real
 * loopback HTTP. Spans go through the real pipeline into LocalStorage in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/storage/local.js';
import { createReceiver } from '../receiver/index.js';
import type { ListeningReceiver, ReceiverApp } from '../receiver/index.js';
import { OTLP_TRACE_PROTO } from '../receiver/otlp/proto-source.js';
import { decodeStatus } from '../receiver/otlp/codec.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';
import type { Reply } from './fixtures/otlp/http.js';

const TOKEN = 's3cret-token';
const LIMITS = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024 };

const root = protobuf.parse(OTLP_TRACE_PROTO).root;
const RequestType = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const TRACE = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');

function message(reply: Reply): string {
  const type = String(reply.headers['content-type'] ?? '');
  if (type.startsWith('application/x-protobuf')) return decodeStatus(reply.body).message;
  return (JSON.parse(reply.body.toString()) as { message: string }).message;
}

const auth = { authorization: `Bearer ${TOKEN}` };
const PB = { 'content-type': 'application/x-protobuf', ...auth };
const JS = { 'content-type': 'application/json', ...auth };

// The same contract in-thread and with shard workers (storage from the environment there).
describe.each([{ workers: 0 }, { workers: 2 }])('receiver HTTP (workers: $workers)', ({ workers }) => {
  let dir: string;
  let receiver: ReceiverApp;
  let listening: ListeningReceiver;
  let url: string;
  let spans: ReadableSpan[];
  let goodProto: Buffer;
  let goodJson: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ams-recv-http-'));
    receiver = createReceiver({
      storage: workers ? undefined : new LocalStorage({ dir: join(dir, 'data') }),
      workers,
      walDir: join(dir, 'wal'),
      token: TOKEN,
      waitMs: 50,
      env: { AMS_LOCAL_DIR: join(dir, 'data') },
      ...LIMITS,
    });
    expect(receiver.config.workers).toBe(workers);
    listening = await receiver.start({ port: 0 });
    url = `${listening.url}/v1/traces`;
    spans = (await captureAgentTrace()).spans;
    goodProto = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    goodJson = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
  });

  afterAll(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback by default', () => {
    expect(createReceiver({ storage: { putSession: async () => '' }, walDir: false, env: {} }).config.host).toBe('127.0.0.1');
    expect(listening.host).toBe('127.0.0.1');
  });

  it('accepts protobuf and answers an ExportTraceServiceResponse in protobuf', async () => {
    const r = await post(url, goodProto, PB);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/x-protobuf/);
    expect(ProtobufTraceSerializer.deserializeResponse(r.body)).toEqual({});
  });

  it('accepts JSON and answers in JSON', async () => {
    const r = await post(url, goodJson, JS);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body.toString())).toEqual({});
  });

  it('accepts gzip bodies sent chunked, without Content-Length', async () => {
    const gz = gzipSync(goodProto);
    const parts = [gz.subarray(0, 10), gz.subarray(10, 200), gz.subarray(200)];
    const r = await post(url, parts, { ...PB, 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' });
    expect(r.status).toBe(200);
  });

  it('rejects only the spans with invalid ids, through partial_success', async () => {
    const body = RequestType.encode(
      RequestType.fromObject({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  { traceId: TRACE, spanId: Buffer.from('1111111111111111', 'hex'), name: 'ok', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }] },
                  { traceId: Buffer.alloc(16), spanId: Buffer.from('2222222222222222', 'hex'), name: 'zero trace id' },
                  { traceId: TRACE, spanId: Buffer.from('33', 'hex'), name: 'short span id' },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    const r = await post(url, Buffer.from(body), PB);
    expect(r.status).toBe(200);
    expect(ProtobufTraceSerializer.deserializeResponse(r.body)).toMatchObject({
      partialSuccess: { rejectedSpans: 2, errorMessage: expect.stringMatching(/^2 span\(s\) rejected: invalid trace_id .*; invalid span_id/) },
    });
    const j = await post(
      url,
      Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', spanId: '1111111111111111' }] }] }] })),
      JS,
    );
    expect(j.status).toBe(200);
    expect(JSON.parse(j.body.toString())).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('invalid trace_id') } });
  });

  const bomb = gzipSync(Buffer.alloc(LIMITS.maxDecompressedBytes + 1));
  const cases: Array<{ name: string; body: () => Buffer | Buffer[]; headers: Record<string, string>; status: number; msg: RegExp; method?: string }> = [
    { name: 'truncated protobuf', body: () => goodProto.subarray(0, goodProto.length - 7), headers: PB, status: 400, msg: /^malformed protobuf: index out of range/ },
    { name: 'wrong wire type', body: () => Buffer.from([0x08, 0x05]), headers: PB, status: 400, msg: /^malformed protobuf: request: field 1 \(resourceSpans\) has wire type 0/ },
    { name: 'not JSON', body: () => Buffer.from('{"resourceSpans": [ '), headers: JS, status: 400, msg: /^malformed JSON: / },
    { name: 'JSON array at the top', body: () => Buffer.from('[1,2]'), headers: JS, status: 400, msg: /expected an ExportTraceServiceRequest object/ },
    {
      name: 'JSON with the wrong shape',
      body: () => Buffer.from('{"resourceSpans": {"scopeSpans": []}}'),
      headers: JS,
      status: 400,
      msg: /^malformed OTLP\/JSON: resourceSpans: expected an array, got an object$/,
    },
    {
      name: 'JSON with a bad timestamp',
      body: () => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('hex'), spanId: '1111111111111111', endTimeUnixNano: -5 }] }] }] })),
      headers: JS,
      status: 400,
      msg: /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.endTimeUnixNano: expected unsigned nanoseconds/,
    },
    {
      // Accepted, it would be lost at assembly (no date holds it): refused here, naming the field.
      name: 'JSON with a timestamp beyond fixed64 (1e30 ns)',
      body: () => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('hex'), spanId: '1111111111111111', startTimeUnixNano: 1e30 }] }] }] })),
      headers: JS,
      status: 400,
      msg: /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: out of range: more than 2\^64 - 1 nanoseconds/,
    },
    {
      name: 'JSON with a 31-digit timestamp string',
      body: () => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE.toString('hex'), spanId: '1111111111111111', endTimeUnixNano: '1' + '0'.repeat(30) }] }] }] })),
      headers: JS,
      status: 400,
      msg: /spans\[0\]\.endTimeUnixNano: expected unsigned nanoseconds/,
    },
    { name: 'wrong content type', body: () => goodJson, headers: { ...auth, 'content-type': 'text/plain' }, status: 415, msg: /unsupported Content-Type "text\/plain"/ },
    { name: 'no content type', body: () => goodProto, headers: auth, status: 415, msg: /unsupported Content-Type ""/ },
    { name: 'unsupported Content-Encoding', body: () => goodProto, headers: { ...PB, 'content-encoding': 'br' }, status: 415, msg: /unsupported Content-Encoding "br"/ },
    { name: 'declared body too large', body: () => Buffer.alloc(LIMITS.maxBodyBytes + 1), headers: PB, status: 413, msg: /exceeds MAX_BODY_BYTES \(65536 bytes\)/ },
    {
      name: 'chunked body too large',
      body: () => [Buffer.alloc(40_000), Buffer.alloc(40_000)],
      headers: { ...PB, 'transfer-encoding': 'chunked' },
      status: 413,
      msg: /exceeds MAX_BODY_BYTES/,
    },
    { name: 'gzip bomb', body: () => bomb, headers: { ...PB, 'content-encoding': 'gzip' }, status: 413, msg: /decompressed body exceeds MAX_DECOMPRESSED_BYTES \(262144 bytes\)/ },
    { name: 'corrupt gzip', body: () => Buffer.from('not gzip at all'), headers: { ...PB, 'content-encoding': 'gzip' }, status: 400, msg: /^malformed gzip body/ },
    { name: 'missing token', body: () => goodProto, headers: { 'content-type': 'application/x-protobuf' }, status: 401, msg: /missing bearer token/ },
    { name: 'wrong token', body: () => goodProto, headers: { ...PB, authorization: 'Bearer s3cret-tokem' }, status: 401, msg: /^invalid bearer token$/ },
    { name: 'GET on the traces path', body: () => Buffer.alloc(0), headers: PB, status: 405, msg: /use POST \/v1\/traces/, method: 'GET' },
  ];

  it.each(cases)('$name -> $status', async ({ body, headers, status, msg, method }) => {
    const r = await post(url, body(), headers, method);
    expect(r.status).toBe(status);
    expect(message(r)).toMatch(msg);
    // Errors answer in the request's encoding (google.rpc.Status), JSON when it is unknown.
    const expectedType = headers['content-type'] === 'application/x-protobuf' ? /^application\/x-protobuf/ : /^application\/json/;
    expect(r.headers['content-type']).toMatch(expectedType);
    if (status === 401) expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('unknown paths are 404', async () => {
    const r = await post(`${listening.url}/v1/profiles`, goodProto, PB);
    expect(r.status).toBe(404);
    expect(message(r)).toMatch(/no route for POST \/v1\/profiles \(OTLP goes to POST \/v1\/traces, \/v1\/logs or \/v1\/metrics\)/);
  });

  it('is still healthy and accepting after all of that', async () => {
    expect((await fetch(`${listening.url}/health`)).status).toBe(200);
    const ready = await fetch(`${listening.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await post(url, goodProto, PB)).status).toBe(200);
  });
});

describe('receiver back-pressure', () => {
  it.each([0, 2])('answers 503 with Retry-After when full, and /ready says so (workers: %i)', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-full-'));
    const receiver = createReceiver({
      storage: new LocalStorage({ dir: join(dir, 'data') }),
      workers,
      walDir: join(dir, 'wal'),
      maxTraces: 1,
      retryAfterSeconds: 7,
      waitMs: 60_000,
      idleMs: 60_000,
      env: {},
    });
    const { url } = await receiver.start({ port: 0 });
    try {
      const a = await captureAgentTrace();
      const b = await captureAgentTrace();
      const send = (s: ReadableSpan[]): Promise<Reply> =>
        post(`${url}/v1/traces`, Buffer.from(ProtobufTraceSerializer.serializeRequest(s)!), { 'content-type': 'application/x-protobuf' });
      expect((await send(a.spans)).status).toBe(200);
      const full = await send(b.spans);
      expect(full.status).toBe(503);
      expect(full.headers['retry-after']).toBe('7');
      expect(message(full)).toMatch(/receiver is at capacity: 1 traces open \(maxTraces 1\)/);
      // More spans of an already open trace are still welcome.
      expect((await send(a.spans.slice(0, 1))).status).toBe(200);
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('7');
      // Once the open trace is written, there is room again.
      await receiver.flush();
      await new Promise((r) => setImmediate(r));
      expect((await send(b.spans)).status).toBe(200);
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 once stopping', async () => {
    const receiver = createReceiver({ storage: { putSession: async () => 'k' }, walDir: false, env: {} });
    const { url } = await receiver.start({ port: 0 });
    const stopped = receiver.stop();
    const r = await post(`${url}/v1/traces`, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' }).catch(() => undefined);
    if (r) {
      expect(r.status).toBe(503);
      expect(message(r)).toBe('receiver is shutting down');
    }
    await stopped;
  });
});

describe('receiver: slow clients', () => {
  it('answers 408 and closes a connection whose body stalls past requestTimeoutMs (it cannot hold the connection forever)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-slow-'));
    const receiver = createReceiver({ storage: new LocalStorage({ dir }), walDir: false, workers: 0, requestTimeoutMs: 400, env: {} });
    const { port } = await receiver.start({ port: 0 });
    try {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // Headers promise 1,000 bytes; 10 arrive, then nothing.
      socket.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"resource');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
