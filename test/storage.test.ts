import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSession, LocalStorage, S3Storage, SessionSpanProcessor, storageFromEnv } from '../src/index.js';
import type { Session, SessionIndexEntry, SpanRecord } from '../src/index.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';
import { tempDir } from './support/tmp.js';
import { readAllIndex } from '../src/query/scan.js';
import { MissingDependencyError, optionalDependency } from '../src/storage/optional-dependency.js';

const fixture = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8'),
) as SpanRecord[];
const baseSession = (): Session => assembleSession(fixture);
const withId = (id: string, revision = 1): Session => ({ ...baseSession(), id, revision });

const HOSTILE_IDS = ['../../etc/passwd', '..', '/abs/path', 'a'.repeat(1000), '会话/✓ ünïcödé', '', 'CON', '.hidden', 'a/../../b', 'x\u0000y'];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function s3Storage(s3: TestS3, extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}): S3Storage {
  return new S3Storage({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: S3_CREDENTIALS,
    spoolDir: tempDir('spool'),
    retry: { baseDelayMs: 10, replayIntervalMs: 50 },
    ...extra,
  });
}

describe('LocalStorage', () => {
  it('writes the document and its index entry in the layout, atomically', async () => {
    const dir = tempDir('local');
    const storage = new LocalStorage({ dir });
    const session = baseSession();
    const key = await storage.putSession(session);
    expect(key).toBe(`sessions/2026/01/01/${session.id}.json`);
    const doc = JSON.parse(readFileSync(path.join(dir, key), 'utf8')) as Session;
    expect(doc).toEqual(session);
    expectValidSession(doc);
    // Its entry goes to the next index segment (one object per session): none before the flush,
    // one gzip'd NDJSON segment under the hour's partition after it.
    expect(existsSync(path.join(dir, 'index', `${session.id}.json`))).toBe(false);
    await storage.flush();
    const segments = filesUnder(path.join(dir, 'index')).map((f) => path.relative(path.join(dir, 'index'), f).split(path.sep).join('/'));
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatch(/^dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[A-Za-z0-9._-]+-\d{6}\.ndjson\.gz$/);
    const lines = gunzipSync(readFileSync(path.join(dir, 'index', segments[0]!))).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as SessionIndexEntry;
    expectValidIndexEntry(entry);
    expect(entry).toMatchObject({ id: session.id, key, prompt_preview: 'The nightly build fails. Why?', status: 'ok' });
    expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await storage.getSession(session.id)).toEqual(session);
  });

  it('writes the same files with asynchronous I/O (syncWrites: false)', async () => {
    const dir = tempDir('local-async');
    const storage = new LocalStorage({ dir, syncWrites: false });
    const session = baseSession();
    const key = await storage.putSession(session);
    await storage.putSession({ ...withId(session.id, 2), started_at: '2026-01-02T00:00:00.000Z' });
    expect(existsSync(path.join(dir, key))).toBe(false); // moved by the rewrite
    expect((await storage.getSession(session.id))?.revision).toBe(2);
    expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('recreates its folders if they are removed while it runs', async () => {
    const dir = tempDir('local');
    const storage = new LocalStorage({ dir });
    await storage.putSession(withId('one'));
    rmSync(dir, { recursive: true, force: true });
    await storage.putSession(withId('two')); // the folder it remembered is gone: made again
    expect(await storage.getSession('two')).toBeDefined();
  });

  it('moves a rewritten session whose start date changed, leaving no stale copy', async () => {
    const dir = tempDir('local');
    const storage = new LocalStorage({ dir });
    const first = await storage.putSession(withId('moving'));
    const second = await storage.putSession({ ...withId('moving', 2), started_at: '2026-01-03T10:00:00.000Z' });
    expect(second).toBe('sessions/2026/01/03/moving.json');
    expect(existsSync(path.join(dir, first))).toBe(false);
    expect((await storage.getIndexEntry('moving'))?.revision).toBe(2);
  });

  it('keeps hostile ids inside its folder', async () => {
    const root = tempDir('hostile');
    const dir = path.join(root, 'store');
    const storage = new LocalStorage({ dir });
    const keys = new Set<string>();
    for (const id of HOSTILE_IDS) {
      const key = await storage.putSession(withId(id));
      expect(key).toMatch(/^sessions\/2026\/01\/01\/[A-Za-z0-9][A-Za-z0-9._-]*\.json$/);
      expect(key.length).toBeLessThan(200);
      keys.add(key);
    }
    expect(keys.size).toBe(HOSTILE_IDS.length); // no two hostile ids collapsed onto one key
    for (const f of filesUnder(root)) expect(f.startsWith(dir + path.sep)).toBe(true);
    expect(readdirSync(root)).toEqual(['store']);
  });

  it('sanitizes ids that arrive as span attributes', async () => {
    const dir = tempDir('local');
    const storage = new LocalStorage({ dir });
    const root = fixture.find((s) => !s.parentSpanId)!;
    const spans = [{ ...root, attributes: { ...root.attributes, 'ams.session.id': '../../../tmp/evil' } }, ...fixture.filter((s) => s !== root)];
    const key = await storage.putSession(assembleSession(spans));
    expect(key.startsWith('sessions/2026/01/01/')).toBe(true);
    expect(key).not.toContain('..');
  });
});

describe('S3Storage against a real S3-protocol server (s3rver)', () => {
  const s3 = new TestS3('ams-sessions');
  beforeAll(async () => {
    await s3.start();
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('writes the same layout under the prefix, as JSON, with a readable index', async () => {
    const storage = s3Storage(s3);
    const session = baseSession();
    const key = await storage.putSession(session);
    expect(key).toBe(`ams/sessions/2026/01/01/${session.id}.json`);
    // One object per session; its index entry goes to the next segment.
    expect(await s3.keys('ams/')).toEqual([key]);
    expect(await s3.contentType(key)).toMatch(/^application\/json/);
    const doc = await s3.json<Session>(key);
    expect(doc).toEqual(session);
    expectValidSession(doc);
    await storage.flush();
    const segment = (await s3.keys('ams/index/'))[0]!;
    expect(await s3.keys('ams/')).toEqual([segment, key]);
    expect(segment).toMatch(/^ams\/index\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[A-Za-z0-9._-]+-\d{6}\.ndjson\.gz$/);
    const lines = gunzipSync(await s3.bytes(segment)).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as SessionIndexEntry;
    expectValidIndexEntry(entry);
    expect(entry.key).toBe(key);
    const listed: SessionIndexEntry[] = [];
    for await (const e of storage.listIndex()) listed.push(e);
    expect(listed.map((e) => e.id)).toContain(session.id);
    expect(await storage.getSession(session.id)).toEqual(session);
    expect(await storage.getSession('missing')).toBeUndefined();
    await storage.close();
  });

  it('keeps hostile ids inside the prefix', async () => {
    const storage = s3Storage(s3, { prefix: 'tenant-a' });
    for (const id of HOSTILE_IDS) await storage.putSession(withId(id));
    await storage.flush();
    const keys = await s3.keys();
    const written = keys.filter((k) => k.startsWith('tenant-a/sessions/'));
    expect(written).toHaveLength(HOSTILE_IDS.length);
    for (const k of written) expect(k).toMatch(/^tenant-a\/sessions\/2026\/01\/01\/[A-Za-z0-9][A-Za-z0-9._-]*\.json$/);
    const index = keys.filter((k) => k.startsWith('tenant-a/index/'));
    expect(index.length).toBeGreaterThan(0);
    for (const k of index) expect(k).toMatch(/^tenant-a\/index\/dt=[0-9-]+\/hour=\d{2}\/[A-Za-z0-9._-]+\.ndjson\.gz$/);
    expect((await readAllIndex(storage)).map((e) => e.id).sort()).toHaveLength(HOSTILE_IDS.length);
    expect(keys.filter((k) => !k.startsWith('tenant-a/') && !k.startsWith('ams/'))).toEqual([]);
    await storage.close();
  });

  it('is what storageFromEnv builds when AMS_S3_BUCKET is set', async () => {
    const storage = storageFromEnv({
      AMS_S3_BUCKET: s3.bucket,
      AMS_S3_ENDPOINT_URL: s3.endpoint,
      AMS_S3_PREFIX: 'from-env',
      AMS_SPOOL_DIR: tempDir('spool'),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    expect(storage).toBeInstanceOf(S3Storage);
    expect(storageFromEnv({ AMS_LOCAL_DIR: tempDir('x') })).toBeInstanceOf(LocalStorage);
  });

  it('writes sessions from a real provider + processor to the bucket', async () => {
    const storage = s3Storage(s3, { prefix: 'e2e' });
    const processor = new SessionSpanProcessor({ storage });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const run = emitAgentRun(provider.getTracer('t'));
    await provider.shutdown();
    const keys = await s3.keys('e2e/');
    expect(keys).toHaveLength(2);
    const doc = await s3.json<Session>(keys.find((k) => k.includes('/sessions/'))!);
    expect(doc.trace_id).toBe(run.traceId);
    expect(doc.totals.subagents).toBe(1);
    expectValidSession(doc);
  });
});

describe('optional dependencies load on first use', () => {
  it('turns a package that is not installed into an error naming it and the install command, and tries again next time', async () => {
    const name = 'ams-otel-package-that-does-not-exist';
    let attempts = 0;
    const load = optionalDependency(name, 'TestStorage', () => {
      attempts += 1;
      return import(name);
    });
    const err = await load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect((err as Error).message).toBe(`ams-otel: TestStorage needs the package ${name}, which is not installed; install it with: npm install ${name}`);
    await expect(load()).rejects.toThrow(MissingDependencyError);
    expect(attempts).toBe(2);
  });

  it('imports an installed package once and shares it', async () => {
    let attempts = 0;
    const load = optionalDependency('@aws-sdk/client-s3', 'S3Storage', () => {
      attempts += 1;
      return import('@aws-sdk/client-s3');
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect(a.S3Client).toBeTypeOf('function');
    expect(b).toBe(a);
    expect(await load()).toBe(a);
    expect(attempts).toBe(1);
  });
});

describe('an S3 outage loses nothing', () => {
  it('spools while the server is down and replays every session exactly once when it is back', async () => {
    const s3 = await new TestS3('ams-outage').start();
    const spoolDir = tempDir('spool');
    const storage = s3Storage(s3, { spoolDir });
    const processor = new SessionSpanProcessor({ storage });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('agent');
    const traceIds: string[] = [];
    const agentErrors: unknown[] = [];
    const runAgent = (i: number) => {
      try {
        traceIds.push(emitAgentRun(tracer, { agent: `bot-${i}` }).traceId);
      } catch (err) {
        agentErrors.push(err);
      }
    };

    // What a reader (another process) lists.
    const listed = async () => (await readAllIndex(s3Storage(s3, { spoolDir: tempDir('reader-spool') }))).map((e) => e.id);
    for (let i = 0; i < 5; i++) runAgent(i);
    await processor.forceFlush();
    expect(await listed()).toHaveLength(5);

    await s3.stop(); // outage
    for (let i = 5; i < 20; i++) runAgent(i);
    await processor.forceFlush();
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toHaveLength(15);
    expect(storage.stats().pendingInSpool).toBe(15);

    await s3.start(); // back, same port and data
    for (let i = 20; i < 25; i++) runAgent(i);
    await processor.forceFlush();
    await provider.shutdown();

    expect(agentErrors).toEqual([]);
    // Entries are recorded as their documents are written (the replay's included): all 25 listed.
    expect((await listed()).sort()).toEqual([...traceIds].sort());
    const sessions = (await s3.keys('ams/sessions/')).length;
    expect(sessions).toBe(25); // exactly once: no duplicates under other keys
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toEqual([]);
    // Sessions that came while the outage was still assumed went to the spool too; all replayed.
    const st = storage.stats();
    expect(st.spooled).toBeGreaterThanOrEqual(15);
    expect(st).toMatchObject({ replayed: st.spooled, dropped: 0, pendingInSpool: 0 });
    await s3.stop();
  });

  it('replays a spool left behind by an earlier process', async () => {
    const s3 = await new TestS3('ams-restart').start();
    const spoolDir = tempDir('spool');
    await s3.stop();
    const before = s3Storage(s3, { spoolDir });
    await before.putSession(withId('left-behind'));
    await before.close();
    expect(readdirSync(spoolDir)).toEqual(['left-behind.json']);

    await s3.start();
    const after = s3Storage(s3, { spoolDir });
    await after.flush();
    expect((await readAllIndex(s3Storage(s3, { spoolDir: tempDir('reader') }))).map((e) => e.id)).toEqual(['left-behind']);
    expect(readdirSync(spoolDir)).toEqual([]);
    await after.close();
    await s3.stop();
  });
});
