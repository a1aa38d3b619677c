/**
 * Conditional writes and multi-trace sessions through real storage: LocalStorage on disk (two
 * instances, and two processes, on one folder) and S3Storage on s3rver behind the one fake
 * (test/support/s3-conditional.ts: s3rver does not enforce If-Match / If-None-Match on PUT).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage, withPrivacy } from '../src/index.js';
import type { Session } from '../src/index.js';
import { mergeSessions } from '../src/session/merge.js';
import { isPreconditionFailed, PreconditionFailedError } from '../src/storage/conditional.js';
import type { ConditionalStorage } from '../src/storage/conditional.js';
import { lockKey, sessionKey } from '../src/storage/keys.js';
import { ReliableStorage } from '../src/storage/reliable.js';
import { SessionWriter } from '../src/writer/SessionWriter.js';
import { interaction, interactionBatch } from './support/interaction.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { ConditionalS3Proxy } from './support/s3-conditional.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
const trace = (i: number) => i.toString(16).padStart(32, '0');
const turn = (i: number, sessionId = 'conv-1', extra: Partial<Parameters<typeof interaction>[0]> = {}) => ({
  traceId: trace(i),
  at: AT + i * 1000,
  sessionId,
  prompt: `prompt ${i}`,
  ...extra,
});

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

function prompts(s: Session): string[] {
  return s.events.flatMap((e) => (e.type === 'user_prompt' ? [e.prompt] : []));
}

/** Storage-neutral checks every conditional storage must pass. */
function contract(name: string, make: () => ConditionalStorage & { getSession(id: string): Promise<Session | undefined> }) {
  describe(`${name}: conditional writes`, () => {
    it('creates only when absent, overwrites only the version read, and refuses a stale version', async () => {
      const storage = make();
      const one = interaction(turn(1));
      const created = await storage.putSessionConditional(one, { ifNoneMatch: '*' });
      expect(created.key).toBe(sessionKey((storage as unknown as { prefix: string }).prefix, one));
      const again = await rejection(storage.putSessionConditional(one, { ifNoneMatch: '*' }));
      expect(isPreconditionFailed(again)).toBe(true);
      expect(again).toBeInstanceOf(PreconditionFailedError);

      const read = (await storage.getSessionVersioned('conv-1'))!;
      expect(read.etag).toBe(created.etag);
      const both = mergeSessions(read.session, interaction(turn(2)));
      const next = await storage.putSessionConditional(both, { ifMatch: read.etag });
      expect(next.etag).not.toBe(read.etag);

      // Another writer still holding the first version is refused, and nothing changes.
      const stale = mergeSessions(read.session, interaction(turn(3)));
      expect(isPreconditionFailed(await rejection(storage.putSessionConditional(stale, { ifMatch: read.etag })))).toBe(true);
      const stored = (await storage.getSession('conv-1'))!;
      expectValidSession(stored);
      expect(stored.revision).toBe(2);
      expect(prompts(stored)).toEqual(['prompt 1', 'prompt 2']);
    });
  });
}

contract('LocalStorage', () => new LocalStorage({ dir: tempDir('cond-local'), env: {} }));

describe('LocalStorage: writers on one folder', () => {
  it('two writers (two storage instances) merging interactions of one session concurrently lose nothing', async () => {
    const dir = tempDir('two-writers');
    const a = new SessionWriter({ storage: new LocalStorage({ dir, env: {} }), env: {}, spoolDir: tempDir('spool-a') });
    const b = new SessionWriter({ storage: new LocalStorage({ dir, env: {} }), env: {}, spoolDir: tempDir('spool-b') });
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).write(interactionBatch(turn(i + 1)))));
    expect(outcomes).toEqual(Array(12).fill('written'));
    await Promise.all([a.settle(), b.settle()]); // their index segments, for other readers
    const doc = (await new LocalStorage({ dir, env: {} }).getSession('conv-1'))!;
    expectValidSession(doc);
    expect(doc.traces!.map((t) => t.trace_id)).toEqual(Array.from({ length: 12 }, (_, i) => trace(i + 1)));
    expect(prompts(doc)).toEqual(Array.from({ length: 12 }, (_, i) => `prompt ${i + 1}`));
    // One write per interaction, whoever won each race: the revision counts them all.
    expect(doc.revision).toBe(12);
    expect(doc.totals).toMatchObject({ turns: 12, tool_calls: 12, input_tokens: 1200 });
    const entry = (await new LocalStorage({ dir, env: {} }).getIndexEntry('conv-1'))!;
    expectValidIndexEntry(entry);
    expect(entry).toMatchObject({ revision: 12, totals: { turns: 12, input_tokens: 1200 }, trace_id: trace(1) });
    expect(readdirSync(path.join(dir, 'locks'))).toEqual([]);
  });

  it('two processes merging into one folder lose nothing (the O_EXCL lock works across processes)', async () => {
    const dir = tempDir('two-procs');
    const run = promisify(execFile);
    const child = (first: number) =>
      run(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'support/merge-child.ts'), dir, 'conv-procs', String(first), '25', '2'], {
        cwd: path.join(import.meta.dirname, '..'),
      });
    const [one, two] = await Promise.all([child(1), child(26)]);
    expect(JSON.parse(one.stdout)).toEqual(Array(25).fill('written'));
    expect(JSON.parse(two.stdout)).toEqual(Array(25).fill('written'));
    const doc = (await new LocalStorage({ dir, env: {} }).getSession('conv-procs'))!;
    expect(doc.traces).toHaveLength(50);
    expect(doc.revision).toBe(50);
    expect(prompts(doc)).toEqual(Array.from({ length: 50 }, (_, i) => `prompt ${i + 1}`));
  }, 60_000);

  it('withPrivacy keeps conditional writes: interactions merge behind it, redacted', async () => {
    const dir = tempDir('privacy');
    const writers = [0, 1].map(() => new SessionWriter({ storage: withPrivacy(new LocalStorage({ dir, env: {} }), { redact: true, env: {} }), env: {}, spoolDir: tempDir('spool') }));
    await Promise.all([1, 2, 3, 4].map((i) => writers[i % 2]!.write(interactionBatch(turn(i, 'conv-p', { prompt: `mail me at user${i}@example.com` })))));
    await Promise.all(writers.map((w) => w.settle()));
    const doc = (await new LocalStorage({ dir, env: {} }).getSession('conv-p'))!;
    expect(doc.traces).toHaveLength(4);
    expect(prompts(doc).join(' ')).not.toMatch(/@example\.com/);
  });

  it('a restarted writer (empty cache) merges with the stored document', async () => {
    const dir = tempDir('restart');
    const before = new SessionWriter({ storage: new LocalStorage({ dir, env: {} }), env: {}, spoolDir: tempDir('spool') });
    expect(await before.write(interactionBatch(turn(1)))).toBe('written');
    const after = new SessionWriter({ storage: new LocalStorage({ dir, env: {} }), env: {}, spoolDir: tempDir('spool') });
    const events: Session[] = [];
    const third = new SessionWriter({ storage: new LocalStorage({ dir, env: {} }), env: {}, spoolDir: tempDir('spool'), onSessionWritten: (e) => events.push(e.session) });
    expect(await after.write(interactionBatch(turn(2)))).toBe('written');
    expect(await third.write(interactionBatch(turn(3)))).toBe('written');
    await Promise.all([before, after, third].map((w) => w.settle()));
    const doc = (await new LocalStorage({ dir, env: {} }).getSession('conv-1'))!;
    expect(prompts(doc)).toEqual(['prompt 1', 'prompt 2', 'prompt 3']);
    expect(doc.revision).toBe(3);
    // The event carries the merged document, as stored.
    expect(events[0]).toEqual(doc);
  });

  it('a late re-send of an interaction replaces its events; the writer uses its cache (no read) for its own last write', async () => {
    const dir = tempDir('late');
    const storage = new LocalStorage({ dir, env: {} });
    let reads = 0;
    const counted = Object.assign(Object.create(storage) as LocalStorage, {
      getSessionVersioned: (id: string) => {
        reads += 1;
        return storage.getSessionVersioned(id);
      },
    });
    const writer = new SessionWriter({ storage: counted, env: {}, spoolDir: tempDir('spool') });
    await writer.write(interactionBatch(turn(1)));
    await writer.write(interactionBatch(turn(2)));
    await writer.write(interactionBatch(turn(1, 'conv-1', { extraTools: 2 }), 2));
    expect(reads).toBe(1); // the first write read (nothing stored); the next two merged from the cache
    const doc = (await storage.getSession('conv-1'))!;
    expect(doc.revision).toBe(3);
    expect(doc.traces!.map((t) => [t.trace_id, t.revision])).toEqual([
      [trace(1), 2],
      [trace(2), 1],
    ]);
    expect(doc.events.filter((e) => e.type === 'tool_call')).toHaveLength(4);
    expect(prompts(doc)).toEqual(['prompt 1', 'prompt 2']);
  });

  it('a session whose id is its own trace id is written directly: no read, single-trace shape', async () => {
    const dir = tempDir('hot');
    const storage = new LocalStorage({ dir, env: {} });
    let reads = 0;
    const counted = Object.assign(Object.create(storage) as LocalStorage, {
      getSessionVersioned: (id: string) => {
        reads += 1;
        return storage.getSessionVersioned(id);
      },
    });
    const writer = new SessionWriter({ storage: counted, env: {}, spoolDir: tempDir('spool') });
    const spec = { traceId: trace(7), at: AT };
    expect(await writer.write(interactionBatch(spec))).toBe('written');
    expect(await writer.write(interactionBatch({ ...spec, extraTools: 1 }, 2))).toBe('written');
    expect(reads).toBe(0);
    const doc = (await storage.getSession(trace(7)))!;
    expect(doc).toMatchObject({ id: trace(7), revision: 2 });
    expect(doc.traces).toBeUndefined();
  });

  it('a stale lock left by a crashed writer is broken; a live one makes the write wait, then fail', async () => {
    const dir = tempDir('locks');
    const storage = new LocalStorage({ dir, env: {}, lockWaitMs: 30 });
    const lock = storage.pathOf(lockKey('', 'conv-1'));
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, `999999 another-host ${Date.now() - 60_000} crashed`);
    await storage.putSessionConditional(interaction(turn(1)), { ifNoneMatch: '*' });
    expect(readdirSync(path.dirname(lock))).toEqual([]);

    writeFileSync(lock, `${process.pid} another-host ${Date.now()} alive`);
    const read = (await storage.getSessionVersioned('conv-1'))!;
    const err = await rejection(storage.putSessionConditional(mergeSessions(read.session, interaction(turn(2))), { ifMatch: read.etag }));
    expect(String(err)).toMatch(/locked by another writer/);
    expect(readFileSync(lock, 'utf8')).toMatch(/alive$/);
    expect((await storage.getSession('conv-1'))!.revision).toBe(1);
  });

  it('an old revision spooled by an earlier process, replayed after a newer one was written, does not overwrite it', async () => {
    const dir = tempDir('spool-old');
    const spoolDir = tempDir('spool');
    const good = new LocalStorage({ dir, env: {} });
    const keyOf = (s: Session) => sessionKey('', s);
    // Storage unreachable (a folder that cannot exist): interaction 1, revision 1 goes to the spool.
    const blocked = path.join(dir, 'not-a-dir');
    writeFileSync(blocked, '');
    const down = new ReliableStorage(new LocalStorage({ dir: path.join(blocked, 'x'), env: {} }), keyOf, spoolDir, { attempts: 1 });
    await down.putSession(interaction(turn(1)));
    await down.close();
    expect(readdirSync(spoolDir)).toEqual(['conv-1.json']);

    // Meanwhile another writer stored revision 2 of interaction 1 and interaction 2.
    const newer = mergeSessions(interaction(turn(1, 'conv-1', { extraTools: 2 }), 2), interaction(turn(2)));
    await good.putSessionConditional(newer, { ifNoneMatch: '*' });

    const up = new ReliableStorage(good, keyOf, spoolDir);
    await up.flush();
    expect(readdirSync(spoolDir)).toEqual([]);
    const doc = (await good.getSession('conv-1'))!;
    expect(doc).toEqual(newer);
    await up.close();
  });
});

describe('a custom storage with only putSession', () => {
  it('gets the merge with what the writer wrote itself (no read, plain writes; last writer wins between writers)', async () => {
    const written: Session[] = [];
    const writer = new SessionWriter({ storage: { putSession: async (s) => (written.push(s), `mem/${s.id}`) }, env: {}, spoolDir: tempDir('spool') });
    expect(await writer.write(interactionBatch(turn(1, 'conv-c')))).toBe('written');
    expect(await writer.write(interactionBatch(turn(2, 'conv-c')))).toBe('written');
    expect(written.map((s) => [s.id, s.revision, s.traces?.length ?? 1])).toEqual([
      ['conv-c', 1, 1],
      ['conv-c', 2, 2],
    ]);
    expect(prompts(written[1]!)).toEqual(['prompt 1', 'prompt 2']);
  });
});

describe('S3Storage (s3rver behind the precondition proxy)', () => {
  const s3 = new TestS3('ams-conditional');
  const proxy = new ConditionalS3Proxy(s3);
  const make = (extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}) =>
    new S3Storage({
      bucket: s3.bucket,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: S3_CREDENTIALS,
      spoolDir: tempDir('spool'),
      retry: { baseDelayMs: 10, replayIntervalMs: 50 },
      ...extra,
    });
  beforeAll(async () => {
    await s3.start();
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
    await s3.stop();
  });

  contract('S3Storage', () => make({ prefix: `contract-${Date.now()}` }));

  it('two writers over two storage instances merging one session concurrently lose nothing', async () => {
    const prefix = 'two-writers';
    const a = new SessionWriter({ storage: make({ prefix }), env: {} });
    const b = new SessionWriter({ storage: make({ prefix }), env: {} });
    const refusedBefore = proxy.counts.refused;
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).write(interactionBatch(turn(i + 1, 'conv-s3')))));
    expect(outcomes).toEqual(Array(10).fill('written'));
    await Promise.all([a.settle(), b.settle()]);
    const doc = (await make({ prefix }).getSession('conv-s3'))!;
    expectValidSession(doc);
    expect(doc.traces!.map((t) => t.trace_id)).toEqual(Array.from({ length: 10 }, (_, i) => trace(i + 1)));
    expect(doc.revision).toBe(10);
    const entry = (await make({ prefix }).getIndexEntry('conv-s3'))!;
    expect(entry).toMatchObject({ revision: 10, totals: { turns: 10 } });
    // The writers did race: some conditional writes were refused and merged again.
    expect(proxy.counts.refused).toBeGreaterThan(refusedBefore);
    expect((await s3.keys(`${prefix}/sessions/`)).length).toBe(1);
  });

  it('a restarted writer merges with the stored document', async () => {
    const prefix = 'restart';
    const first = new SessionWriter({ storage: make({ prefix }), env: {} });
    expect(await first.write(interactionBatch(turn(1, 'conv-r')))).toBe('written');
    const second = new SessionWriter({ storage: make({ prefix }), env: {} });
    expect(await second.write(interactionBatch(turn(2, 'conv-r')))).toBe('written');
    await Promise.all([first.settle(), second.settle()]);
    const doc = (await make({ prefix }).getSession('conv-r'))!;
    expect(prompts(doc)).toEqual(['prompt 1', 'prompt 2']);
    expect(doc.revision).toBe(2);
  });

  it('an old revision spooled during an outage, replayed after a newer one, does not overwrite it', async () => {
    const prefix = 'spool-old';
    const spoolDir = tempDir('spool');
    await proxy.stop();
    const down = make({ prefix, spoolDir, retry: { attempts: 1, baseDelayMs: 1 } });
    await down.putSession(interaction(turn(1, 'conv-o')));
    await down.close();
    expect(readdirSync(spoolDir)).toEqual(['conv-o.json']);
    await proxy.start();

    const newer = mergeSessions(interaction(turn(1, 'conv-o', { extraTools: 2 }), 2), interaction(turn(2, 'conv-o')));
    const other = make({ prefix });
    await other.putSessionConditional(newer, { ifNoneMatch: '*' });
    await other.flush();
    const up = make({ prefix, spoolDir });
    await up.flush();
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(await make({ prefix }).getSession('conv-o')).toEqual(newer);
    await up.close();
  });
});
