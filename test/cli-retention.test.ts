/**
 * `ams prune` and `ams reindex` through the built CLI, against a local folder and a real s3rver:
 * prune removes exactly the sessions that ended before the cut (document and index entry) and
 * keeps the rest; --dry-run removes nothing; reindex restores lost entries, rewrites an old-shape
 * entry with the current fields, and names and skips a corrupt document.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionIndexEntry } from '../src/index.js';
import { toIndexEntry } from '../src/session/index-entry.js';
import { sessionKey } from '../src/storage/keys.js';
import { goldenSession } from './fixtures/stores/build.js';
import { cleanEnv, runCli } from './support/ams-cli.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const ams = (args: string[], env: Record<string, string>) => runCli(args, { env: cleanEnv(env), cwd: tempDir('retention-cwd') });

/** Sessions started at 09:00 on the day given, ending an hour later (or with no usable end). */
function session(id: string, day: string, ended = true): Session {
  const s = goldenSession('agent-with-subagent');
  s.id = id;
  s.trace_id = id.replace(/[^0-9a-f]/g, '').padEnd(32, 'a').slice(0, 32);
  delete s.conversation_id;
  s.started_at = `${day}T09:00:00.000Z`;
  s.ended_at = ended ? `${day}T10:00:00.000Z` : ''; // not a time: started_at counts
  return s;
}

// The cut is 2026-11-01: two sessions end before it, one starts before it with no usable end, one
// starts the day before and ends after it (kept: the end counts), two are after it.
const SESSIONS = [
  session('old-1', '2026-10-01'),
  session('old-2', '2026-10-30'),
  session('old-open', '2026-10-15', false),
  (() => {
    const s = session('crosses-cut', '2026-10-31');
    s.ended_at = '2026-11-01T01:00:00.000Z';
    return s;
  })(),
  session('new-1', '2026-11-02'),
  session('new-2', '2026-11-20'),
];
const GONE = ['old-1', 'old-2', 'old-open'];
const KEPT = ['crosses-cut', 'new-1', 'new-2'];

interface Store {
  env: Record<string, string>;
  storage: LocalStorage | S3Storage;
  /** Every key stored under the prefix, relative to it, sorted. */
  keys(): Promise<string[]>;
  putRaw(key: string, body: string): Promise<void>;
  readRaw(key: string): Promise<string | undefined>;
  deleteRaw(key: string): Promise<void>;
}

/** The per-session layout (`index/{id}.json`) these key-level assertions describe. */
const PER_SESSION = { AMS_INDEX_LAYOUT: 'per-session' } as const;

function localStore(): Store {
  const dir = tempDir('retention-local');
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)])) : [];
  return {
    env: { AMS_LOCAL_DIR: dir, ...PER_SESSION },
    storage: new LocalStorage({ dir, indexLayout: 'per-session' }),
    keys: async () => walk(dir).map((f) => path.relative(dir, f).split(path.sep).join('/')).filter((k) => !k.startsWith('locks/')).sort(),
    putRaw: async (key, body) => {
      mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
      writeFileSync(path.join(dir, key), body);
    },
    readRaw: async (key) => (existsSync(path.join(dir, key)) ? readFileSync(path.join(dir, key), 'utf8') : undefined),
    deleteRaw: async (key) => rmSync(path.join(dir, key)),
  };
}

function s3Store(s3: TestS3, prefix: string): Store {
  return {
    env: { ...s3.cliEnv(prefix), ...PER_SESSION },
    storage: new S3Storage({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('retention-spool'), indexLayout: 'per-session' }),
    keys: async () => (await s3.keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1)),
    putRaw: async (key, body) => {
      await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${key}`, Body: body }));
    },
    readRaw: async (key) => JSON.stringify(await s3.json(`${prefix}/${key}`).catch(() => undefined)),
    deleteRaw: async (key) => {
      await s3.client().send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${key}` }));
    },
  };
}

const docKey = (s: Session) => sessionKey('', s);
const keysOf = (ids: string[]) =>
  ids.flatMap((id) => [docKey(SESSIONS.find((s) => s.id === id)!), `index/${id}.json`]).sort();

let s3: TestS3;
beforeAll(async () => {
  s3 = await new TestS3('retention').start();
});
afterAll(async () => {
  await s3?.stop();
});

describe.each([
  ['local folder', () => localStore()],
  ['s3', () => s3Store(s3, `r${Math.random().toString(36).slice(2, 8)}`)],
])('prune and reindex on a %s (per-session index layout)', (_name, make) => {
  let store: Store;
  beforeAll(async () => {
    store = make();
    for (const s of SESSIONS) await store.storage.putSession(s);
    if (store.storage instanceof S3Storage) await store.storage.flush();
  });

  it('--dry-run lists the sessions older than the cut and deletes nothing', async () => {
    const before = await store.keys();
    expect(before).toEqual(keysOf([...GONE, ...KEPT]));
    const r = await ams(['prune', '--older-than', '2026-11-01', '--dry-run'], store.env);
    expect(r.stderr).toMatch(/would delete 3 of 6 sessions \(\d+ bytes of documents\) ended before 2026-11-01T00:00:00.000Z/);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([...GONE].sort());
    expect(await store.keys()).toEqual(before);
  });

  it('reindex restores a lost entry, rewrites an old-shape one and skips a corrupt document', async () => {
    const lost = SESSIONS.find((s) => s.id === 'new-1')!;
    const old = SESSIONS.find((s) => s.id === 'new-2')!;
    await store.storage.deleteSession!('new-1', 'sessions/none.json'); // removes only the entry here
    const oldShape = { id: old.id, key: docKey(old), revision: old.revision, started_at: old.started_at, status: old.status };
    await store.putRaw(`index/${old.id}.json`, JSON.stringify(oldShape));
    await store.putRaw('sessions/2026/11/03/broken.json', '{"id": "broken", "started_');
    // A leftover of a rewrite whose start date moved: an older revision of new-1 under another day.
    const stale = { ...lost, revision: lost.revision - 1, started_at: '2026-10-05T09:00:00.000Z', ended_at: '2026-10-05T10:00:00.000Z' };
    await store.putRaw('sessions/2026/10/05/new-1.json', JSON.stringify(stale));
    expect(await store.keys()).not.toContain('index/new-1.json');

    const prefixed = (k: string) => (store.env.AMS_S3_PREFIX ? `${store.env.AMS_S3_PREFIX}/${k}` : k);
    const r = await ams(['reindex'], store.env);
    expect(r.stderr).toContain(`skipped ${prefixed('sessions/2026/11/03/broken.json')}: not valid JSON`);
    expect(r.stdout).toMatch(/^read 8 documents, wrote [67] index entries, skipped 1 corrupt: /);
    expect(r.stdout).toContain(`skipped 1 corrupt: ${prefixed('sessions/2026/11/03/broken.json')}`);
    expect(r.code).toBe(0);
    expect(JSON.parse((await store.readRaw(`index/${lost.id}.json`))!)).toEqual(toIndexEntry(lost, prefixed(docKey(lost))));
    const rewritten = JSON.parse((await store.readRaw(`index/${old.id}.json`))!) as SessionIndexEntry;
    expect(rewritten).toEqual(toIndexEntry(old, prefixed(docKey(old))));
    expect(rewritten.failed_tools).toBeDefined();
    expect(await store.keys()).toEqual([...keysOf([...GONE, ...KEPT]), 'sessions/2026/10/05/new-1.json', 'sessions/2026/11/03/broken.json'].sort());
    await store.deleteRaw('sessions/2026/10/05/new-1.json');
  });

  it('prune deletes exactly the sessions older than the cut, documents and index entries', async () => {
    // A prune that stopped halfway before: old-2's document is gone, its index entry is left.
    await store.deleteRaw(docKey(SESSIONS.find((s) => s.id === 'old-2')!));
    const r = await ams(['prune', '--older-than', '2026-11-01'], store.env);
    expect(r.stderr).toMatch(/deleted 3 of 6 sessions \(\d+ bytes of documents\) ended before 2026-11-01T00:00:00.000Z/);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([...GONE].sort());
    expect(await store.keys()).toEqual([...keysOf(KEPT), 'sessions/2026/11/03/broken.json'].sort());
    const ls = await ams(['ls', '--json', '--limit', '0'], store.env);
    expect((JSON.parse(ls.stdout) as SessionIndexEntry[]).map((e) => e.id).sort()).toEqual([...KEPT].sort());
    // Nothing older is left: a second run deletes nothing.
    const again = await ams(['prune', '--older-than', '2026-11-01'], store.env);
    expect(again.stderr).toContain('deleted 0 of 3 sessions');
  });
});

describe.each([
  ['local folder', () => ({ env: { AMS_LOCAL_DIR: tempDir('retention-seg') } as Record<string, string> })],
  ['s3', () => ({ env: s3.cliEnv(`g${Math.random().toString(36).slice(2, 8)}`) })],
])('prune and reindex on a %s (segment index layout, the default)', (_name, make) => {
  let env: Record<string, string>;
  let storage: LocalStorage | S3Storage;
  const reader = () => (env.AMS_S3_BUCKET ? new S3Storage({ env, credentials: S3_CREDENTIALS, spoolDir: tempDir('seg-reader') }) : new LocalStorage({ dir: env.AMS_LOCAL_DIR }));
  const listed = async () => {
    const out: SessionIndexEntry[] = [];
    for await (const e of reader().listIndex()) out.push(e);
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  };
  const documents = async () => {
    const out: string[] = [];
    for await (const d of reader().listDocuments()) out.push(d.key);
    return out.sort();
  };
  beforeAll(async () => {
    env = make().env;
    storage = reader();
    for (const s of SESSIONS) await storage.putSession(s);
    await storage.flush();
  });

  it('prune: --dry-run deletes nothing; then exactly the old sessions go, documents and their lines in the segments', async () => {
    const before = await documents();
    expect(before).toHaveLength(6);
    const dry = await ams(['prune', '--older-than', '2026-11-01', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n').sort()).toEqual([...GONE].sort());
    expect(await documents()).toEqual(before);
    expect((await listed()).map((e) => e.id)).toEqual([...GONE, ...KEPT].sort());

    const r = await ams(['prune', '--older-than', '2026-11-01'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deleted 3 of 6 sessions/);
    expect(await documents()).toEqual(before.filter((k) => KEPT.some((id) => k.endsWith(`/${id}.json`))));
    // The segments no longer name them: not listed, and not in any line.
    expect((await listed()).map((e) => e.id)).toEqual([...KEPT].sort());
  });

  it('reindex restores an entry missing from the segments (as after a crash before the flush)', async () => {
    const lost = SESSIONS.find((s) => s.id === 'new-1')!;
    await storage.dropIndexEntries(new Set([lost.id]));
    expect((await listed()).map((e) => e.id)).not.toContain(lost.id);
    const r = await ams(['reindex'], env);
    expect(r.code).toBe(0);
    const prefixed = (k: string) => (env.AMS_S3_PREFIX ? `${env.AMS_S3_PREFIX}/${k}` : k);
    expect((await listed()).find((e) => e.id === lost.id)).toEqual(toIndexEntry(lost, prefixed(docKey(lost))));
  });
});

describe('prune usage', () => {
  it('a missing or bad --older-than is exit 2; a missing store is exit 1', async () => {
    const dir = tempDir('retention-usage');
    const missing = await ams(['prune'], { AMS_LOCAL_DIR: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--older-than');
    const bad = await ams(['prune', '--older-than', 'last week'], { AMS_LOCAL_DIR: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a time: "last week"');
    const noStore = await ams(['prune', '--older-than', '30d'], { AMS_LOCAL_DIR: path.join(dir, 'nope') });
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain('no session store at');
    const noStoreReindex = await ams(['reindex'], { AMS_LOCAL_DIR: path.join(dir, 'nope') });
    expect(noStoreReindex.code).toBe(1);
  });
});
