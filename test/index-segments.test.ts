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
import { encodeSegment, partitionOf } from '../src/storage/segments.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { SessionWriter } from '../src/writer/SessionWriter.js';
import { BUILT_CLI, cleanEnv, runCli } from './support/ams-cli.js';
import { interaction, interactionBatch } from './support/interaction.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
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
    spool: path.join(spool, 'index'),
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

  it('a session of several traces (one ams.session.id) is one document with every trace merged, found by id near its start across midnight', async () => {
    const p = place(kind);
    const midnight = Math.floor(Date.now() / DAY) * DAY;
    // Three interactions: before midnight, just after, and later; each by a new writer (a restart:
    // nothing cached), so each finds the stored document by id around its own start.
    const starts = [midnight - 30_000, midnight + 30_000, midnight + 90_000].map((t) => t - DAY);
    for (const [i, at] of starts.entries()) {
      const storage = p.open();
      const writer = new SessionWriter({ storage, env: {}, spoolDir: tempDir('seg-writer-spool') });
      expect(await writer.write(interactionBatch({ traceId: trace(900 + i), at, sessionId: 'multi', prompt: `turn ${i}` }))).toBe('written');
      await writer.settle();
      await storage.close();
    }
    const keys = await p.keys();
    expect(keys.filter((k) => k.startsWith('sessions/'))).toEqual([sessionKey('', { id: 'multi', started_at: new Date(starts[0]!).toISOString() })]);
    expect(keys.filter((k) => /^index\/[^/]+\.json$/.test(k))).toEqual([]);
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
