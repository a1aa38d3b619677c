/**
 * Issue 15, points 2 and 6: storage calls have a real deadline, shutdown and SIGTERM are bounded
 * whatever the storage does, and what storage could not take is spooled, then replayed.
 *
 * The stalled S3 is a "black hole": a loopback TCP server that accepts connections and never
 * answers (what a hung load balancer or a half-dead endpoint does). The full disk is injected:
 * a LocalStorage subclass whose writes fail with an ENOSPC-coded error, because this machine
 * cannot mount a small tmpfs; the error is the one Node's fs raises, and the writer only looks at
 * its code. No test waits on the wall clock: each awaits the outcome (shutdown resolving, a file
 * appearing, a status changing) and the test's own timeout is the generous outer bound.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createReceiver } from '../receiver/app.js';
import type { ReceiverApp } from '../receiver/app.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';
import { assembleSession, LocalStorage, S3Storage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionStorage, SpanRecord } from '../src/index.js';
import { ReliableStorage } from '../src/storage/reliable.js';
import type { StorageCallOptions } from '../src/storage/types.js';
import type { ConditionalWriteResult, WriteCondition } from '../src/storage/conditional.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';
import { exited, killChildren, startReceiverChild } from './support/receiver-child.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

/** Accepts TCP connections and never answers; closes them all on close(). */
class BlackHole {
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((s) => {
    this.sockets.add(s);
    s.resume(); // reads and discards the request (so it sees the client hang up), never answers
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  });
  port = 0;
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get connections(): number {
    return this.sockets.size;
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const BUCKET = 'ams-test';
/** Small deadlines so a test takes a second, not minutes; the defaults are 10 s each. */
const STORAGE_TIMEOUT_MS = 200;
const SHUTDOWN_TIMEOUT_MS = 2000;

function s3At(endpoint: string, spoolDir: string): S3Storage {
  return new S3Storage({
    bucket: BUCKET,
    endpoint,
    region: 'us-east-1',
    credentials: S3_CREDENTIALS,
    spoolDir,
    retry: { attempts: 2, baseDelayMs: 10, replayIntervalMs: 50, timeoutMs: STORAGE_TIMEOUT_MS },
  });
}

/** Spooled sessions under `dir` (receiver workers spool to `<dir>/shard-<n>`). */
const spooled = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.json')) : []);
const sessionDocs = async (s3: TestS3): Promise<string[]> => (await s3.keys('ams/sessions/')).filter((k) => k.endsWith('.json'));

let s3: TestS3;
let hole: BlackHole;
beforeAll(async () => {
  s3 = await new TestS3(BUCKET).start();
  hole = await new BlackHole().start();
});
afterAll(async () => {
  await s3.stop();
  await hole.close();
});
afterEach(() => {
  killChildren();
  vi.unstubAllEnvs();
});

describe('a stalled S3 (accepts, never answers)', () => {
  it('processor: writes are aborted at the deadline and spooled, shutdown resolves, and a restart replays them into S3', async () => {
    const spoolDir = tempDir('spool-hole');
    const storage = s3At(hole.endpoint, spoolDir);
    const processor = new SessionSpanProcessor({ storage, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 3; i++) emitAgentRun(tracer, { agent: `agent-${i}` });
    // Today's code: the SDK's requestTimeout only warns, so this never resolves (the test times out).
    await provider.shutdown();
    await expect.poll(() => hole.connections, { timeout: 5000, interval: 20 }).toBe(0); // every request was aborted: no socket left open
    expect(spooled(spoolDir)).toHaveLength(3);
    expect(await sessionDocs(s3)).toEqual([]);

    // Restart against a live S3 with the same spool: replayed on start.
    const restarted = s3At(s3.endpoint, spoolDir);
    await expect.poll(() => sessionDocs(s3), { timeout: 15_000, interval: 50 }).toHaveLength(3);
    await restarted.flush();
    // The replay deletes each spool file after its write: awaited, not raced.
    await expect.poll(() => spooled(spoolDir), { timeout: 15_000, interval: 50 }).toEqual([]);
    await restarted.close();
  }, 30_000);

  it('receiver: /ready reports the degraded store, stop() resolves within the bound with the session spooled, and a restart replays it', async () => {
    const spoolDir = tempDir('spool-hole-recv');
    const dir = tempDir('recv-hole');
    const { spans, traceId } = await captureAgentTrace();
    const receiver: ReceiverApp = createReceiver({
      storage: s3At(hole.endpoint, spoolDir),
      workers: 0,
      waitMs: 0,
      walDir: path.join(dir, 'wal'),
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      env: {},
    });
    const { url } = await receiver.start({ port: 0 });
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect((await post(`${url}/v1/traces`, body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    await expect.poll(async () => (await fetch(`${url}/ready`)).status, { timeout: 15_000, interval: 50 }).toBe(503);
    const ready = (await (await fetch(`${url}/ready`)).json()) as { status: string };
    expect(ready.status).toBe('degraded');
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await receiver.stop();
    expect(spooled(spoolDir)).toHaveLength(1);

    const restarted = s3At(s3.endpoint, spoolDir);
    await expect.poll(() => restarted.getSession(traceId), { timeout: 15_000, interval: 50 }).toBeDefined();
    await restarted.close();
  }, 30_000);

  it.each([['0'], ['2']])('SIGTERM of `ams receiver` exits within the bound, keeps what it acknowledged, and a restart writes it to S3 (workers: %s)', async (workers) => {
    const dir = tempDir('recv-term-hole');
    const spoolDir = path.join(dir, 'spool');
    const wal = path.join(dir, 'wal');
    // The child takes its S3 credentials from the standard AWS chain (the environment).
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3_CREDENTIALS.secretAccessKey);
    const args = (endpoint: string): string[] => [
      '--s3-bucket', BUCKET, '--s3-endpoint-url', endpoint, '--s3-region', 'us-east-1', '--spool-dir', spoolDir, '--wal-dir', wal,
      '--storage-timeout-ms', String(STORAGE_TIMEOUT_MS), '--shutdown-timeout-ms', String(SHUTDOWN_TIMEOUT_MS), '--workers', workers,
    ];
    const { spans, traceId } = await captureAgentTrace();
    const first = await startReceiverChild([...args(hole.endpoint), '--wait-ms', '600000', '--idle-ms', '600000']);
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect((await post(`${first.url}/v1/traces`, body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    first.child.kill('SIGTERM');
    // Today's code: the write hangs on the black hole and the process ignores SIGTERM for minutes.
    expect(await exited(first.child)).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/SIGTERM, writing pending sessions[\s\S]*stopped/);
    // What was acknowledged is on local disk: spooled at shutdown, or still in the WAL.
    const walRecords = existsSync(wal) ? readdirSync(wal).filter((n) => n.endsWith('.log')).length : 0;
    expect(spooled(spoolDir).length + walRecords).toBeGreaterThan(0);

    const second = await startReceiverChild([...args(s3.endpoint), '--wait-ms', '0']);
    const reader = s3At(s3.endpoint, tempDir('spool-unused'));
    await expect.poll(() => reader.getSession(traceId), { timeout: 20_000, interval: 100 }).toBeDefined();
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
    await reader.close();
  }, 60_000);
});

describe('a storage whose write never returns', () => {
  it('is abandoned at the deadline and spooled; shutdown resolves; the next writer of that storage replays it', async () => {
    const spoolDir = tempDir('spool-never');
    vi.stubEnv('AMS_SPOOL_DIR', spoolDir);
    const calls: string[] = [];
    const signals: AbortSignal[] = [];
    const never: SessionStorage = {
      putSession: (s: Session, o?: StorageCallOptions) => {
        calls.push(s.id);
        if (o?.signal) signals.push(o.signal);
        return new Promise<string>(() => {});
      },
    };
    const processor = new SessionSpanProcessor({ storage: never, storageTimeoutMs: STORAGE_TIMEOUT_MS, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    emitAgentRun(provider.getTracer('t'));
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ sessionsSpooled: 1, writeFailures: 0, storageFailing: 1 });
    expect(signals[0]?.aborted).toBe(true); // the storage was told to stop
    // Today's code: shutdown() is still pending long after its deadline.
    await provider.shutdown();
    expect(calls).toHaveLength(1);

    // The next processor of this storage (same process: the overflow spool is per storage) replays it.
    const written = new Map<string, Session>();
    const working: SessionStorage = { putSession: async (s) => (written.set(s.id, s), `sessions/${s.id}.json`) };
    const next = new SessionSpanProcessor({ storage: working, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    // (The overflow spool is named after the storage; a storage without toSpec() after the process.)
    await expect.poll(() => written.size, { timeout: 15_000, interval: 50 }).toBe(1);
    await next.shutdown();
  }, 30_000);

  it('a revision written after one that hung never lands under it, even when the hung one lands late', async () => {
    const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];
    const rev = (revision: number): Session => ({ ...assembleSession(fixture), id: 'late-landing', revision });
    const stored = new Map<string, Session>();
    let land!: () => void;
    let first = true;
    // Ignores the abort signal on purpose: its first write hangs, then lands when told to.
    const inner: SessionStorage = {
      putSession: (s) => {
        if (first) {
          first = false;
          return new Promise<string>((r) => (land = () => (stored.set(s.id, s), r('k'))));
        }
        stored.set(s.id, s);
        return Promise.resolve('k');
      },
    };
    const reliable = new ReliableStorage(inner, (s) => `sessions/${s.id}.json`, tempDir('spool-late'), {
      attempts: 1,
      timeoutMs: STORAGE_TIMEOUT_MS,
      replayIntervalMs: 20,
    });
    await reliable.putSession(rev(1)); // missed its deadline: spooled, id held
    await reliable.putSession(rev(2)); // held: spooled (merged over revision 1), not written
    expect(reliable.stats()).toMatchObject({ abandoned: 1, pendingInSpool: 1 });
    await reliable.replay();
    expect(stored.size).toBe(0); // the replay leaves a held session alone
    land(); // revision 1 lands late...
    await expect.poll(() => stored.get('late-landing')?.revision, { timeout: 10_000, interval: 20 }).toBe(2); // ...then revision 2 over it
    await reliable.flush();
    expect(reliable.stats()).toMatchObject({ abandoned: 0, pendingInSpool: 0 });
    await reliable.close();
  }, 20_000);
});

/**
 * Local storage on a full disk: every write fails with the ENOSPC error Node's fs raises, until
 * `full` is lifted. A fake, because no small tmpfs can be mounted on this machine.
 */
class FullDisk extends LocalStorage {
  full = true;
  private check(): void {
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  }
  override async putSession(session: Session): Promise<string> {
    this.check();
    return super.putSession(session);
  }
  override async putSessionConditional(session: Session, condition: WriteCondition): Promise<ConditionalWriteResult> {
    this.check();
    return super.putSessionConditional(session, condition);
  }
}

describe('local storage on a full disk (ENOSPC)', () => {
  it('processor: sessions are spooled, not lost, and written once the disk has room, without a restart', async () => {
    vi.stubEnv('AMS_SPOOL_DIR', tempDir('spool-enospc'));
    const dir = tempDir('full-disk');
    const storage = new FullDisk({ dir, env: {} });
    const processor = new SessionSpanProcessor({ storage, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 5; i++) emitAgentRun(tracer, { agent: `agent-${i}` });
    await processor.forceFlush();
    // Today's code: 5 write failures, sessions gone.
    expect(processor.stats()).toMatchObject({ writeFailures: 0, sessionsSpooled: 5, storageFailing: 1 });
    storage.full = false;
    const count = async (): Promise<number> => {
      let n = 0;
      for await (const _ of storage.listIndex()) n++;
      return n;
    };
    await expect.poll(count, { timeout: 15_000, interval: 50 }).toBe(5);
    await expect.poll(() => processor.stats().storageFailing, { timeout: 15_000, interval: 50 }).toBe(0);
    await provider.shutdown();
  }, 30_000);

  it('receiver: /ready is degraded (503) while writes fail, /health stays 200, and the session is written after recovery without a restart', async () => {
    const dir = tempDir('recv-full-disk');
    const storage = new FullDisk({ dir: path.join(dir, 'data'), env: {} });
    const { spans, traceId } = await captureAgentTrace();
    const receiver = createReceiver({
      storage,
      workers: 0,
      waitMs: 0,
      walDir: path.join(dir, 'wal'),
      env: { AMS_SPOOL_DIR: path.join(dir, 'spool') },
    });
    const { url } = await receiver.start({ port: 0 });
    try {
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[])!);
      expect((await post(`${url}/v1/traces`, body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
      // Today's code: /ready stays 200 and nothing is retried until a restart.
      await expect.poll(async () => (await fetch(`${url}/ready`)).status, { timeout: 15_000, interval: 50 }).toBe(503);
      expect(await (await fetch(`${url}/ready`)).json()).toMatchObject({ status: 'degraded' });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(receiver.stats()).toMatchObject({ writeFailures: 0, sessionsSpooled: 1 });
      storage.full = false;
      await expect.poll(() => storage.getSession(traceId), { timeout: 15_000, interval: 50 }).toBeDefined();
      await expect.poll(async () => (await fetch(`${url}/ready`)).status, { timeout: 15_000, interval: 50 }).toBe(200);
    } finally {
      await receiver.stop();
    }
  }, 30_000);
});
