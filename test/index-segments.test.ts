/**
 * The index as time-partitioned segments (issue 13), through real local folders and a real
 * S3-protocol server (s3rver): what each AMS_INDEX_LAYOUT writes, when entries become visible
 * (flush, close, AMS_INDEX_FLUSH_MS, AMS_INDEX_FLUSH_ENTRIES), mixed layouts and revisions read
 * whole, sessions of several traces in the segment layout, the segment writer's faults (spooled,
 * replayed), corrupt segments read by the real `ams`, and readers that read only the partitions a
 * question needs (ls / export --since, tail, the viewer API), counted at the S3 protocol.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import http from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionIndexEntry } from '../src/index.js';
import { toIndexEntry } from '../src/session/index-entry.js';
import { sessionKey } from '../src/storage/keys.js';
import { mergeAndWrite } from '../src/storage/merge-write.js';
import { encodeSegment, partitionOf } from '../src/storage/segments.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { SessionWriter } from '../src/writer/SessionWriter.js';
import { BUILT_CLI, cleanEnv, runCli } from './support/ams-cli.js';
import { interaction, interactionBatch } from './support/interaction.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { ConditionalS3Proxy } from './support/s3-conditional.js';
import { tempDir } from './support/tmp.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEGMENT = /^index\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[A-Za-z0-9._-]+-\d{6}\.ndjson\.gz$/;
const trace = (i: number) => i.toString(16).padStart(32, '0');

let traceNo = 0;
/** A one-trace session (a real assembled document) started `at`. */
function session(id: string, at = Date.now() - 60_000, prompt = `prompt of ${id}`): Session {
  return interaction({ traceId: trace(++traceNo), at, sessionId: id, prompt });
}

type Kind = 'local' | 's3';
type Store = LocalStorage | S3Storage;

let s3: TestS3;
let prefixNo = 0;

/** Where one test's store lives: its storages, its raw listing and the CLI's environment. */
interface Place {
  kind: Kind;
  /** A storage over the place (a new writer each call), in the layout `env` says. */
  open(env?: Record<string, string>, extra?: { writerId?: string; endpoint?: string }): Store;
  /** Every object key under the place, relative to its prefix, sorted. */
  keys(): Promise<string[]>;
  /** The full key of a key relative to the place. */
  full(rel: string): string;
  cliEnv: Record<string, string>;
  /** Where the place's storages spool index segments. */
  spool: string;
}

function place(kind: Kind): Place {
  const spool = tempDir('seg-spool');
  if (kind === 'local') {
    const dir = tempDir('seg-local');
    const walk = (rel: string): string[] => {
      let names: string[];
      try {
        names = readdirSync(path.join(dir, rel));
      } catch {
        return [];
      }
      return names.flatMap((n) => {
        const r = rel ? `${rel}/${n}` : n;
        return statSync(path.join(dir, r)).isDirectory() ? walk(r) : [r];
      });
    };
    return {
      kind,
      open: (env = {}, extra = {}) => new LocalStorage({ dir, env, indexSpoolDir: spool, writerId: extra.writerId }),
      keys: async () => walk('').sort(),
      full: (rel) => rel,
      cliEnv: { AMS_LOCAL_DIR: dir },
      spool,
    };
  }
  const prefix = `p${++prefixNo}`;
  return {
    kind,
    open: (env = {}, extra = {}) =>
      new S3Storage({ bucket: s3.bucket, prefix, endpoint: extra.endpoint ?? s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: spool, env, writerId: extra.writerId }),
    keys: async () => (await s3.keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1)),
    full: (rel) => `${prefix}/${rel}`,
    cliEnv: s3.cliEnv(prefix),
    spool: path.join(spool, 'index', s3.bucket),
  };
}

async function listed(store: Store, options: { since?: number; onRequest?(kind: 'list' | 'get'): void } = {}): Promise<SessionIndexEntry[]> {
  const out: SessionIndexEntry[] = [];
  for await (const e of store.listIndex(undefined, options)) out.push(e);
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}
const ids = (entries: readonly SessionIndexEntry[]) => entries.map((e) => e.id);

const ams = (args: string[], env: Record<string, string>) => runCli(args, { env: cleanEnv(env) });

beforeAll(async () => {
  s3 = await new TestS3('segments').start();
});
afterAll(async () => {
  await s3.stop();
});

describe.each(['local', 's3'] as const)('index segments over a %s store', (kind) => {
  it('the default layout writes one object per session; entries are listed once flush() or close() writes their segment', async () => {
    const p = place(kind);
    const writer = p.open({}, { writerId: 'test-writer' });
    const before = Date.now();
    for (const id of ['a-1', 'a-2', 'a-3']) await writer.putSession(session(id));
    expect(await p.keys()).toEqual([expect.stringMatching(/^sessions\//), expect.stringMatching(/^sessions\//), expect.stringMatching(/^sessions\//)]);
    expect(await listed(p.open())).toEqual([]);

    await writer.flush();
    const after = Date.now();
    const keys = await p.keys();
    const index = keys.filter((k) => k.startsWith('index/'));
    expect(index).toHaveLength(1);
    expect(index[0]).toMatch(SEGMENT);
    expect(index[0]).toMatch(/\/test-writer-[0-9a-z]+-000001\.ndjson\.gz$/);
    // The partition is the hour the segment was written in.
    expect([partitionOf('', before), partitionOf('', after)]).toContain(index[0]!.slice(0, index[0]!.lastIndexOf('/') + 1));
    expect(keys.filter((k) => k.startsWith('sessions/'))).toHaveLength(3);
    expect(keys.filter((k) => /^index\/[^/]+\.json$/.test(k))).toEqual([]);
    expect(ids(await listed(p.open()))).toEqual(['a-1', 'a-2', 'a-3']);

    await writer.putSession(session('a-4'));
    await writer.close();
    expect((await p.keys()).filter((k) => k.startsWith('index/'))).toEqual([index[0], expect.stringMatching(/-000002\.ndjson\.gz$/)]);
    expect(ids(await listed(p.open()))).toEqual(['a-1', 'a-2', 'a-3', 'a-4']);
    // The CLI lists them too.
    const r = await ams(['ls', '--json', '--limit', '0'], p.cliEnv);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SessionIndexEntry[]).map((e) => e.id).sort()).toEqual(['a-1', 'a-2', 'a-3', 'a-4']);
  });

  it('AMS_INDEX_FLUSH_ENTRIES and AMS_INDEX_FLUSH_MS write the segment without a flush', async () => {
    const p = place(kind);
    const byCount = p.open({ AMS_INDEX_FLUSH_ENTRIES: '2', AMS_INDEX_FLUSH_MS: '3600000' });
    await byCount.putSession(session('n-1'));
    expect(byCount.index.stats()).toMatchObject({ pending: 1, segmentsWritten: 0 });
    await byCount.putSession(session('n-2'));
    await expect.poll(async () => ids(await listed(p.open()))).toEqual(['n-1', 'n-2']);
    await byCount.putSession(session('n-3'));
    expect(byCount.index.stats()).toMatchObject({ pending: 1, segmentsWritten: 1, entriesWritten: 2 });

    const byTime = p.open({ AMS_INDEX_FLUSH_MS: '100' });
    await byTime.putSession(session('t-1'));
    await expect.poll(async () => ids(await listed(p.open()))).toEqual(['n-1', 'n-2', 't-1']);
    expect(byTime.index.stats()).toMatchObject({ pending: 0, segmentsWritten: 1 });
    await byCount.close();
    await byTime.close();
  });

  it('per-session writes index/{id}.json and no segment; both writes both', async () => {
    const p = place(kind);
    const per = p.open({ AMS_INDEX_LAYOUT: 'per-session' });
    await per.putSession(session('ps-1'));
    // Listed at once: the per-session file is written with the document.
    expect(ids(await listed(p.open()))).toEqual(['ps-1']);
    await per.close();
    expect((await p.keys()).filter((k) => k.startsWith('index/'))).toEqual(['index/ps-1.json']);

    const both = p.open({ AMS_INDEX_LAYOUT: 'both' });
    await both.putSession(session('b-1'));
    await both.close();
    const index = (await p.keys()).filter((k) => k.startsWith('index/'));
    expect(index.filter((k) => k.endsWith('.json'))).toEqual(['index/b-1.json', 'index/ps-1.json']);
    expect(index.filter((k) => SEGMENT.test(k))).toHaveLength(1);
    expect(ids(await listed(p.open()))).toEqual(['b-1', 'ps-1']);
  });

  it('a store written half in one layout and half in the other is read whole; switching back and forth loses nothing; the highest revision wins', async () => {
    const p = place(kind);
    const a = session('m-a');
    const b = session('m-b');
    const write = async (layout: string, ...sessions: Session[]) => {
      const s = p.open({ AMS_INDEX_LAYOUT: layout });
      for (const x of sessions) await s.putSession(x);
      await s.close();
    };
    await write('per-session', a, b);
    await write('segments', session('m-c'), { ...a, revision: 2, tags: ['rev2'] });
    await write('per-session', session('m-d'));
    await write('segments', { ...b, revision: 3, tags: ['rev3'] });
    // b again at revision 2 in a later segment than its revision 3: still revision 3.
    await write('segments', { ...b, revision: 2, tags: ['late rev2'] });

    const index = (await p.keys()).filter((k) => k.startsWith('index/'));
    expect(index.filter((k) => k.endsWith('.json'))).toEqual(['index/m-a.json', 'index/m-b.json', 'index/m-d.json']);
    expect(index.filter((k) => SEGMENT.test(k))).toHaveLength(3);

    const reader = p.open();
    const entries = await listed(reader);
    expect(entries.map((e) => [e.id, e.revision, e.tags])).toEqual([
      ['m-a', 2, ['rev2']],
      ['m-b', 3, ['rev3']],
      ['m-c', 1, []],
      ['m-d', 1, []],
    ]);
    expect((await reader.getIndexEntry('m-a'))?.revision).toBe(2);
    expect((await reader.getSession('m-b'))?.revision).toBe(2); // the document is the last written, the index keeps the highest revision listed
    const r = await ams(['ls', '--json', '--limit', '0'], p.cliEnv);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SessionIndexEntry[]).map((e) => `${e.id}@${e.revision}`).sort()).toEqual(['m-a@2', 'm-b@3', 'm-c@1', 'm-d@1']);
  });

  it('migration both ways with ams reindex: per-session entries rolled into segments (then index/*.json deleted), and back', async () => {
    const p = place(kind);
    const old = p.open({ AMS_INDEX_LAYOUT: 'per-session' });
    for (const id of ['mig-1', 'mig-2', 'mig-3']) await old.putSession(session(id));
    await old.close();
    const perSession = ['index/mig-1.json', 'index/mig-2.json', 'index/mig-3.json'];
    expect((await p.keys()).filter((k) => k.startsWith('index/'))).toEqual(perSession);

    const toSegments = await ams(['reindex'], p.cliEnv); // the default layout
    expect(toSegments.code, toSegments.stderr).toBe(0);
    expect(toSegments.stdout).toContain('wrote 3 index entries');
    const raw = p.open();
    for (const k of perSession) await raw.deleteObject(p.full(k));
    expect((await p.keys()).filter((k) => k.startsWith('index/')).every((k) => SEGMENT.test(k))).toBe(true);
    const ls = await ams(['ls', '--json', '--limit', '0'], p.cliEnv);
    expect((JSON.parse(ls.stdout) as SessionIndexEntry[]).map((e) => e.id).sort()).toEqual(['mig-1', 'mig-2', 'mig-3']);

    const back = await ams(['reindex'], { ...p.cliEnv, AMS_INDEX_LAYOUT: 'per-session' });
    expect(back.code, back.stderr).toBe(0);
    expect((await p.keys()).filter((k) => /^index\/[^/]+\.json$/.test(k))).toEqual(perSession);
    expect((await p.open().index.perSessionEntry('mig-2'))?.id).toBe('mig-2');
  });

  it.each(['segments', 'both', 'per-session'])('a session of several traces (one ams.session.id) is one document with every trace merged, found by id near its start across midnight (%s)', async (layout) => {
    const p = place(kind);
    const midnight = Math.floor(Date.now() / DAY) * DAY;
    // Three interactions: before midnight, just after, and later; each by a new writer (a restart:
    // nothing cached), so each finds the stored document by id around its own start.
    const starts = [midnight - 30_000, midnight + 30_000, midnight + 90_000].map((t) => t - DAY);
    for (const [i, at] of starts.entries()) {
      const storage = p.open({ AMS_INDEX_LAYOUT: layout });
      const writer = new SessionWriter({ storage, env: {}, spoolDir: tempDir('seg-writer-spool') });
      expect(await writer.write(interactionBatch({ traceId: trace(900 + i), at, sessionId: 'multi', prompt: `turn ${i}` }))).toBe('written');
      await writer.settle();
      await storage.close();
    }
    const keys = await p.keys();
    expect(keys.filter((k) => k.startsWith('sessions/'))).toEqual([sessionKey('', { id: 'multi', started_at: new Date(starts[0]!).toISOString() })]);
    expect(keys.filter((k) => /^index\/[^/]+\.json$/.test(k))).toEqual(layout === 'segments' ? [] : ['index/multi.json']);
    expect(keys.some((k) => SEGMENT.test(k))).toBe(layout !== 'per-session');
    const reader = p.open();
    const doc = (await reader.getSession('multi'))!;
    expect(doc.traces!.map((t) => t.trace_id)).toEqual([trace(900), trace(901), trace(902)]);
    expect(doc.revision).toBe(3);
    expect(doc.events.flatMap((e) => (e.type === 'user_prompt' ? [e.prompt] : []))).toEqual(['turn 0', 'turn 1', 'turn 2']);
    expect((await listed(reader)).map((e) => [e.id, e.revision, e.totals.turns])).toEqual([['multi', 3, 3]]);
  });

  it('a corrupt or truncated segment is reported (object and line) and skipped: ams ls and ams query exit 0 with the good lines', async () => {
    const p = place(kind);
    const writer = p.open();
    for (const id of ['ok-1', 'ok-2']) await writer.putSession(session(id));
    await writer.close();
    const folder = partitionOf('', Date.now());
    const entry = (id: string, preview = '') => ({ ...toIndexEntry(session(id), `sessions/x/${id}.json`), prompt_preview: preview });
    // Truncated: the gzip trailer and the end of the last line cut off (that line is long and
    // incompressible enough that the cut stays inside it).
    const noise = Array.from({ length: 40 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join('');
    const whole = encodeSegment([entry('tr-1'), entry('tr-2'), entry('tr-3', noise)]);
    const truncated = `${folder}bad-truncated-000001.ndjson.gz`;
    const lines = `${folder}bad-lines-000001.ndjson.gz`;
    const writerStore = p.open();
    await writerStore.putObject(p.full(truncated), whole.subarray(0, whole.length - 30));
    await writerStore.putObject(p.full(lines), gzipSync(`${JSON.stringify(entry('ln-1'))}\nnot json at all\n{"key":"sessions/no-id.json"}\n${JSON.stringify(entry('ln-4'))}\n`));

    const name = (rel: string) => (kind === 's3' ? `s3://${s3.bucket}/${p.full(rel)}` : path.join(p.cliEnv.AMS_LOCAL_DIR!, rel));
    const expected = ['ln-1', 'ln-4', 'ok-1', 'ok-2', 'tr-1', 'tr-2'];
    const ls = await ams(['ls', '--json', '--limit', '0'], p.cliEnv);
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as SessionIndexEntry[]).map((e) => e.id).sort()).toEqual(expected);
    expect(ls.stderr).toContain(`ams ls: skipped ${name(truncated)}: not a whole gzip stream`);
    expect(ls.stderr).toContain(`ams ls: skipped ${name(lines)} line 2: not valid JSON`);
    expect(ls.stderr).toContain(`ams ls: skipped ${name(lines)} line 3: not an index entry`);

    const q = await ams(['query', '--json', 'SELECT id FROM sessions ORDER BY id'], p.cliEnv);
    expect(q.code, q.stderr).toBe(0);
    expect((JSON.parse(q.stdout) as Array<{ id: string }>).map((r) => r.id)).toEqual(expected);
    expect(q.stderr).toContain(`ams query: skipped ${name(truncated)}: not a whole gzip stream`);
    expect(q.stderr).toContain(`ams query: skipped ${name(lines)} line 2: not valid JSON`);
    expect(q.stderr).toContain(`ams query: skipped ${name(lines)} line 3: not an index entry`);
  });
});

describe('a session of several traces written by two writers at once (S3 with enforced preconditions, segment layout)', () => {
  it('one document, every trace merged, one listed entry at the highest revision', async () => {
    const proxy = await new ConditionalS3Proxy(s3).start();
    const p = place('s3');
    try {
      const at = Date.now() - HOUR;
      const writers = [0, 1].map(() => {
        const storage = p.open({}, { endpoint: proxy.endpoint });
        return { storage, writer: new SessionWriter({ storage, env: {}, spoolDir: tempDir('seg-race-spool') }) };
      });
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => writers[i % 2]!.writer.write(interactionBatch({ traceId: trace(800 + i), at: at + i * 1000, sessionId: 'race', prompt: `turn ${i}` }))),
      );
      expect(outcomes).toEqual(Array(8).fill('written'));
      for (const w of writers) {
        await w.writer.settle();
        await w.storage.close();
      }
      expect(proxy.counts.conditional).toBeGreaterThanOrEqual(8);
      expect((await p.keys()).filter((k) => k.startsWith('sessions/'))).toHaveLength(1);
      const reader = p.open();
      const doc = (await reader.getSession('race'))!;
      expect(doc.traces!.map((t) => t.trace_id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => trace(800 + i)));
      expect(doc.revision).toBe(8);
      expect((await listed(reader)).map((e) => [e.id, e.revision])).toEqual([['race', 8]]);
    } finally {
      await proxy.stop();
    }
  });
});

describe('a document stored by a write abandoned at its deadline (stored, never indexed)', () => {
  it.each([['local'], ['s3']] as const)('%s: the merge that finds it complete records its index entry', async (kind) => {
    const s3 = kind === 's3' ? await new TestS3('ams-abandoned').start() : undefined;
    try {
      const dir = tempDir('abandoned');
      const make = () =>
        s3 ? new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: tempDir('spool'), env: {} }) : new LocalStorage({ dir, env: {} });
      const session = interaction({ traceId: trace(900), at: Date.now() - 60_000, sessionId: 'abandoned-1', prompt: 'p' });
      const first = make();
      const key = sessionKey(first.prefix, session);
      // What an abandoned write leaves: the document, no entry (its response came after the deadline).
      await first.putObject(key, Buffer.from(JSON.stringify(session, null, 2) + '\n'));
      const retry = make();
      const result = await mergeAndWrite(retry, session);
      expect(result.changed).toBe(false);
      await retry.flush();
      const listed: string[] = [];
      for await (const e of make().listIndex()) listed.push(e.id);
      expect(listed).toEqual(['abandoned-1']);
    } finally {
      await s3?.stop();
    }
  });
});

describe('an entry recorded after close (a write that landed after shutdown)', () => {
  it('is written at once, not left in a buffer nothing flushes', async () => {
    const dir = tempDir('after-close');
    const storage = new LocalStorage({ dir, env: { AMS_INDEX_FLUSH_MS: '600000' } });
    await storage.close();
    await storage.putSession(session('late-landing'));
    const listed = async () => {
      const out: string[] = [];
      for await (const e of new LocalStorage({ dir, env: {} }).listIndex()) out.push(e.id);
      return out;
    };
    await expect.poll(listed).toEqual(['late-landing']);
  });
});

describe('the segment writer when storage fails', () => {
  it('S3 down: the flush retries, spools the segment to disk; back up, it is replayed and listed (nothing lost)', async () => {
    const p = place('s3');
    const writer = p.open() as S3Storage;
    for (const id of ['down-1', 'down-2']) await writer.putSession(session(id));
    await s3.stop();
    try {
      await writer.flush();
      expect(writer.index.stats()).toMatchObject({ segmentsSpooled: 1, segmentsWritten: 0, entriesDropped: 0, pending: 0 });
      expect(readdirSync(p.spool).filter((n) => n.endsWith('.seg'))).toHaveLength(1);
      // Written meanwhile: buffered again, spooled again at the next flush.
      await writer.putSession(session('down-3')).catch(() => undefined);
    } finally {
      await s3.start(); // same port, same data
    }
    await writer.flush(); // replays the session spool (down-3's document, then its entry) and the segment spool
    await writer.close();
    // The documents went through the session spool, the entries through the segment spool.
    expect(ids(await listed(p.open()))).toEqual(['down-1', 'down-2', 'down-3']);
    expect(readdirSync(p.spool).filter((n) => n.endsWith('.seg'))).toEqual([]);
    expect(writer.index.stats()).toMatchObject({ entriesDropped: 0, pending: 0 });
    expect((await p.keys()).filter((k) => SEGMENT.test(k)).length).toBeGreaterThanOrEqual(1);
    expect((await p.open().getSession('down-3'))?.id).toBe('down-3');
  });

  it('a local folder whose index/ cannot be written: spooled, then replayed once it can', async () => {
    const p = place('local');
    const dir = p.cliEnv.AMS_LOCAL_DIR!;
    const writer = p.open() as LocalStorage;
    await writer.putSession(session('blocked-1'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'index'), 'a file where the index folder goes');
    await writer.flush();
    expect(writer.index.stats()).toMatchObject({ segmentsSpooled: 1, segmentsWritten: 0 });
    expect(readdirSync(p.spool).filter((n) => n.endsWith('.seg'))).toHaveLength(1);
    rmSync(path.join(dir, 'index'));
    await writer.flush();
    expect(readdirSync(p.spool).filter((n) => n.endsWith('.seg'))).toEqual([]);
    expect(ids(await listed(p.open()))).toEqual(['blocked-1']);
    await writer.close();
  });
});

describe('a segment spooled hours ago (a writer that died during an outage)', () => {
  it('is replayed by the next writer into the current partition, where ams tail looks', async () => {
    const p = place('local');
    const stranded = session('held', Date.now() - 5 * HOUR);
    const oldKey = `${partitionOf('', Date.now() - 5 * HOUR)}crashed-writer-mx0-000001.ndjson.gz`;
    mkdirSync(p.spool, { recursive: true });
    writeFileSync(path.join(p.spool, `${Buffer.from(oldKey).toString('base64url')}.seg`), encodeSegment([toIndexEntry(stranded, 'sessions/x/held.json')]));
    const writer = p.open();
    await writer.putSession(session('next'));
    const before = Date.now();
    await writer.close();
    const index = (await p.keys()).filter((k) => k.startsWith('index/'));
    expect(index).not.toContain(oldKey);
    expect(index).toContainEqual(expect.stringMatching(/\/crashed-writer-mx0-000001\.ndjson\.gz$/));
    expect([partitionOf('', before), partitionOf('', Date.now())]).toContain(index.find((k) => k.includes('crashed-writer'))!.replace(/[^/]+$/, ''));
    expect(readdirSync(p.spool)).toEqual([]);
    // What a tail polls (the last hours): the replayed entry is there.
    expect(ids(await listed(p.open(), { since: Date.now() }))).toEqual(['held', 'next']);
  });
});

describe('ams reindex when the index cannot be written', () => {
  it('exits 1 saying so (not a success line), and a run once the store takes writes restores the index', async () => {
    const p = place('local');
    const dir = p.cliEnv.AMS_LOCAL_DIR!;
    const writer = p.open();
    for (const id of ['ri-1', 'ri-2']) await writer.putSession(session(id));
    await writer.close();
    rmSync(path.join(dir, 'index'), { recursive: true });
    writeFileSync(path.join(dir, 'index'), 'a file where the index folder goes');
    // The CLI's index spool is under the temp folder: one of this test's own.
    const env = { ...p.cliEnv, TMPDIR: tempDir('seg-reindex-tmp') };
    const refused = await ams(['reindex'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`ams reindex: 1 index segment(s) could not be written to ${dir}`);
    rmSync(path.join(dir, 'index'));
    const again = await ams(['reindex'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('wrote 2 index entries');
    expect(ids(await listed(p.open()))).toEqual(['ri-1', 'ri-2']);
  });
});

/** A loopback proxy in front of s3rver that records every request (method and decoded path, query). */
class RequestLog {
  private server?: Server;
  readonly requests: string[] = [];
  endpoint = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      const up = http.request({ host: '127.0.0.1', port: s3.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Object GETs (not listings) since `from`, keys only. */
  gets(from = 0): string[] {
    return this.requests
      .slice(from)
      .filter((r) => r.startsWith('GET ') && !r.includes('list-type='))
      .map((r) => r.slice(`GET /${s3.bucket}/`.length).split('?')[0]!);
  }

  lists(from = 0): number {
    return this.requests.slice(from).filter((r) => r.startsWith('GET ') && r.includes('list-type=')).length;
  }
}

describe('readers read only the partitions they need (S3, requests counted)', () => {
  let p: Place;
  let log: RequestLog;
  const now = Date.now();
  /** Segments a writer wrote 3, 5 and 10 days ago (partition = the hour written). */
  const OLD_DAYS = [3, 5, 10];
  const oldSegments: string[] = [];

  beforeAll(async () => {
    p = place('s3');
    log = await new RequestLog().start();
    const raw = p.open();
    for (const d of OLD_DAYS) {
      const at = now - d * DAY;
      const old = session(`old-${d}d`, at - 60_000);
      const key = sessionKey(p.full(''), old).replace(/^\//, '');
      await raw.putObject(key, Buffer.from(JSON.stringify(old)));
      // The canary breaks the invariant on purpose (started now, listed 10 days ago): a reader
      // that reads an old partition would list it with --since.
      const entries = [toIndexEntry(old, key), ...(d === 10 ? [toIndexEntry(session('canary', now - 60_000), 'sessions/none.json')] : [])];
      const seg = `${partitionOf(p.full(''), at)}old-writer-${d}-000001.ndjson.gz`;
      await raw.putObject(seg, encodeSegment(entries));
      oldSegments.push(seg);
    }
    const writer = p.open();
    for (const id of ['new-1', 'new-2']) await writer.putSession(session(id, now - HOUR));
    await writer.close();
  });
  afterAll(async () => {
    await log.stop();
  });

  /** Every listing is of index/, either before the partitions or from one a few hours back on. */
  const expectRecentListings = (requests: string[]): void => {
    const listings = requests.filter((r) => r.includes('list-type='));
    expect(listings.length).toBeGreaterThan(1);
    for (const r of listings) {
      expect(decodeURIComponent(/[?&]prefix=([^&]*)/.exec(r)?.[1] ?? '')).toBe(p.full('index/'));
      const after = /[?&]start-after=([^&]*)/.exec(r)?.[1];
      if (after === undefined) continue; // the per-session files, before index/dt=
      const m = /dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/$/.exec(decodeURIComponent(after));
      expect(m, r).not.toBeNull();
      expect(Date.parse(`${m![1]}T${m![2]}:00:00Z`)).toBeGreaterThan(Date.now() - 4 * 3_600_000);
    }
  };

  it('listIndex with since GETs only the recent segments (and lists whole without it)', async () => {
    const reader = p.open();
    const counts = { list: 0, get: 0 };
    const recent = await listed(reader, { since: now - DAY, onRequest: (k) => void counts[k]++ });
    expect(ids(recent)).toEqual(['new-1', 'new-2']);
    expect(counts.get).toBe(1);
    expect(counts.list).toBe(2); // two ranged listings of index/: before the partitions, and from since's hour on
    const all = { list: 0, get: 0 };
    expect(ids(await listed(reader, { onRequest: (k) => void all[k]++ }))).toEqual(['canary', 'new-1', 'new-2', 'old-10d', 'old-3d', 'old-5d']);
    expect(all).toEqual({ list: 2, get: 4 });
  });

  it('ams ls, export and stats --since 1d: the recent sessions, no old segment read', async () => {
    const env = { ...p.cliEnv, AMS_S3_ENDPOINT_URL: log.endpoint };
    for (const args of [['ls', '--json', '--since', '1d'], ['export', '--since', '1d'], ['stats', '--json', '--since', '1d']]) {
      const from = log.requests.length;
      const r = await ams(args, env);
      expect(r.code, r.stderr).toBe(0);
      if (args[0] === 'stats') expect((JSON.parse(r.stdout) as { total: { sessions: number } }).total.sessions).toBe(2);
      else {
        const entries = args[0] === 'ls' ? (JSON.parse(r.stdout) as SessionIndexEntry[]) : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionIndexEntry);
        expect(entries.map((e) => e.id).sort()).toEqual(['new-1', 'new-2']);
      }
      const gets = log.gets(from);
      expect(gets).toHaveLength(1);
      expect(gets[0]).toMatch(/\.ndjson\.gz$/);
      expect(gets.filter((k) => oldSegments.includes(k))).toEqual([]);
      expect(log.lists(from)).toBeLessThanOrEqual(4);
    }
    // --full: the documents read at their entries' keys, each segment read once.
    const from = log.requests.length;
    const full = await ams(['export', '--full', '--since', '1d'], env);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout.trim().split('\n').map((l) => (JSON.parse(l) as Session).id).sort()).toEqual(['new-1', 'new-2']);
    const gets = log.gets(from);
    expect(gets.filter((k) => k.startsWith(`${p.full('sessions/')}`))).toHaveLength(2);
    expect(gets.filter((k) => k.endsWith('.ndjson.gz'))).toHaveLength(1);
    // ams show: one pass over the index for the id, then the document (not a second pass).
    const shown = log.requests.length;
    const show = await ams(['show', 'new-2', '--json'], env);
    expect(show.code, show.stderr).toBe(0);
    expect((JSON.parse(show.stdout) as Session).id).toBe('new-2');
    const segmentGets = log.gets(shown).filter((k) => k.endsWith('.ndjson.gz'));
    expect(new Set(segmentGets).size).toBe(segmentGets.length);
    expect(log.gets(shown).filter((k) => k.startsWith(`${p.full('sessions/')}`))).toHaveLength(1);
    // Without --since: every partition is read (the canary shows up, the old sessions too).
    const whole = await ams(['ls', '--json', '--limit', '0'], env);
    expect((JSON.parse(whole.stdout) as SessionIndexEntry[]).map((e) => e.id).sort()).toEqual(['canary', 'new-1', 'new-2', 'old-10d', 'old-3d', 'old-5d']);
  });

  it('ams tail polls only the newest partitions and prints a session once its segment is written', async () => {
    const env = cleanEnv({ ...p.cliEnv, AMS_S3_ENDPOINT_URL: log.endpoint });
    const from = log.requests.length;
    const child = spawn(process.execPath, [BUILT_CLI, 'tail', '-n', '0', '--json', '--poll-ms', '100'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await expect.poll(() => stderr, { timeout: 15_000 }).toContain('following');
      const writer = p.open();
      await writer.putSession(session('tailed', Date.now() - 1000));
      await writer.close();
      await expect.poll(() => stdout, { timeout: 15_000 }).toContain('"id":"tailed"');
    } finally {
      child.kill();
    }
    expect(stdout.trim().split('\n').map((l) => (JSON.parse(l) as SessionIndexEntry).id)).toEqual(['tailed']);
    // Each poll: two ranged listings of index/ (the per-session files before the partitions, then
    // from the newest partitions on: StartAfter at most a few hours back), never the old ones.
    expectRecentListings(log.requests.slice(from));
    const gets = log.gets(from);
    expect(gets.filter((k) => oldSegments.includes(k))).toEqual([]);
    expect(gets.every((k) => k.endsWith('.ndjson.gz'))).toBe(true);
  });

  it('the viewer API answers over segments; a refresh reads only the segments written since, not the old partitions', async () => {
    const reader = new S3Storage({ bucket: s3.bucket, prefix: p.full('').replace(/\/$/, ''), endpoint: log.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('viewer-spool') });
    const app = express();
    app.use('/', createViewerRouter({ reader, cacheMs: 0 }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (q: string) => {
      const res = await fetch(`${base}/api/sessions${q}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { total: number; indexed: number; sessions: SessionIndexEntry[] };
    };
    try {
      const since = encodeURIComponent(new Date(now - DAY).toISOString());
      const first = await get(`?since=${since}`);
      // The first read is whole (the page's totals and facets cover every session): the canary of
      // the 10-day-old partition is listed, filtered by its start like any entry.
      const stored = await listed(p.open());
      expect(first.indexed).toBe(stored.length);
      expect(first.sessions.map((e) => e.id).sort()).toEqual(ids(stored.filter((e) => Date.parse(e.started_at) >= now - DAY)));
      expect(first.sessions.map((e) => e.id)).toEqual(expect.arrayContaining(['canary', 'new-1', 'new-2']));
      expect(first.sessions.map((e) => e.id)).not.toContain('old-3d');
      const writer = p.open();
      await writer.putSession(session('viewer-new', Date.now() - 1000));
      await writer.close();
      const from = log.requests.length;
      const second = await get(`?since=${since}`);
      expect(second.sessions.map((e) => e.id)).toContain('viewer-new');
      expect(second.total).toBe(first.total + 1);
      const gets = log.gets(from);
      expect(gets).toHaveLength(1); // the new segment only
      expect(gets.filter((k) => oldSegments.includes(k))).toEqual([]);
      // The refresh listed only the partitions written since the last one, not the whole index.
      expectRecentListings(log.requests.slice(from));
      // A session dropped from the index (ams prune rewrites or removes its segment) leaves the list.
      await p.open().dropIndexEntries(new Set(['viewer-new']));
      expect((await get(`?since=${since}`)).sessions.map((e) => e.id)).not.toContain('viewer-new');
      // Opening a session: the cached index (nothing new to read) and its document at the entry's key.
      const opened = log.requests.length;
      const res = await fetch(`${base}/api/sessions/new-1`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Session).id).toBe('new-1');
      expect(log.gets(opened)).toEqual([second.sessions.find((e) => e.id === 'new-1')!.key]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('DuckDB over the partitions of a local folder (the read_ndjson view of docs/query.md)', () => {
  it('reads the segments with hive partitioning; the view keeps the highest revision; the example questions answer', async () => {
    const dir = tempDir('seg-duckdb');
    const storage = new LocalStorage({ dir, env: {} });
    const now = Date.now();
    const made = [0, 1, 2].map((i) => interaction({ traceId: trace(700 + i), at: now - (i + 1) * 60_000, sessionId: `dk-${i}`, prompt: 'p', tool: i === 1 ? 'Bash' : 'Read', toolError: i === 1 ? 'exit 1' : undefined }));
    for (const s of made) await storage.putSession(s);
    await storage.flush();
    await storage.putSession({ ...made[0]!, revision: 2, agent: { name: 'bot', version: '2.0' } });
    await storage.close();

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
    try {
      // As written in docs/query.md ("DuckDB on a folder"), with the folder filled in.
      await c.run(
        `CREATE VIEW sessions AS SELECT * FROM read_ndjson('${dir}/index/dt=*/hour=*/*.ndjson.gz', hive_partitioning = true, union_by_name = true)
         QUALIFY row_number() OVER (PARTITION BY id ORDER BY revision DESC) = 1`,
      );
      expect(await rows(`SELECT id, revision, agent.version AS version, typeof(dt) AS dt FROM sessions ORDER BY id`)).toEqual([
        { id: 'dk-0', revision: '2', version: '2.0', dt: 'DATE' },
        { id: 'dk-1', revision: '1', version: null, dt: 'DATE' },
        { id: 'dk-2', revision: '1', version: null, dt: 'DATE' },
      ]);
      expect(await rows(`SELECT agent.version AS agent_version, count(*) AS sessions, sum(totals.cost_usd) AS cost FROM sessions GROUP BY ALL ORDER BY ALL NULLS LAST`)).toEqual([
        { agent_version: '2.0', sessions: '1', cost: 0.01 },
        { agent_version: null, sessions: '2', cost: 0.02 },
      ]);
      expect(await rows(`SELECT id, failed_tools FROM sessions WHERE len(failed_tools) > 0`)).toEqual([{ id: 'dk-1', failed_tools: ['Bash'] }]);
      expect(await rows(`SELECT count(*) AS n FROM read_ndjson('${dir}/index/dt=*/hour=*/*.ndjson.gz', hive_partitioning = true) WHERE dt >= current_date - 1`)).toEqual([{ n: '4' }]);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
