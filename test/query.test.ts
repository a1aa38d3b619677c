/**
 * The read side over real fixture stores (written through the real processor into a local folder
 * and into s3rver): filters, ordering, pages, lookups by every id, and following new sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionIndexEntry, SessionReader, SessionStorage } from '../src/index.js';
import { FilterError, IndexCache, followIndex, lookupEntry, lookupSession, parseFilter, parseTime, querySessions, readAllIndex, readerFromEnv } from '../src/query/index.js';
import { BASE_MS, RUNS, XSS_ID, buildStore, goldenSession } from './fixtures/stores/build.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const ids = (entries: SessionIndexEntry[]) => entries.map((e) => e.id);

describe('parseFilter', () => {
  const now = Date.parse('2026-03-20T00:00:00Z');

  it('reads flags and query parameters into one filter', () => {
    expect(
      parseFilter({ agent: 'bot', env: 'prod', tag: ['a', 'b,c'], status: 'ok,error', model: 'claude', since: '2h', until: '2026-03-19', 'min-cost': '$0.5', q: 'build fails' }, now),
    ).toEqual({
      agent: 'bot',
      env: 'prod',
      tags: ['a', 'b', 'c'],
      status: ['ok', 'error'],
      model: 'claude',
      since: now - 2 * 3_600_000,
      until: Date.parse('2026-03-19'),
      minCost: 0.5,
      text: 'build fails',
    });
    expect(parseFilter({ min_cost: '1', search: 'x' }, now)).toEqual({ minCost: 1, text: 'x' });
  });

  it('rejects bad values with a message that says what is allowed', () => {
    expect(() => parseFilter({ status: 'done' })).toThrow(/status must be one of ok, error, incomplete/);
    expect(() => parseFilter({ since: 'yesterday' })).toThrow(FilterError);
    expect(() => parseFilter({ 'min-cost': '-1' })).toThrow(/min-cost/);
    expect(parseTime('7d', now)).toBe(now - 7 * 86_400_000);
  });
});

describe.each(['local', 's3'] as const)('query over a %s fixture store', (kind) => {
  let s3: TestS3 | undefined;
  let storage: SessionStorage & SessionReader;
  let written: Map<string, Session>;
  let entries: SessionIndexEntry[];

  beforeAll(async () => {
    if (kind === 's3') {
      s3 = await new TestS3('query-store').start();
      storage = new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('query-spool') });
    } else {
      storage = new LocalStorage({ dir: tempDir('query-store') });
    }
    written = await buildStore(storage);
    entries = await readAllIndex(storage);
  });
  afterAll(async () => {
    await (storage as { close?: () => Promise<void> }).close?.();
    await s3?.stop();
  });

  it('reads every index entry once, the same set listIndex yields', async () => {
    const viaList: string[] = [];
    for await (const e of storage.listIndex()) viaList.push(e.id);
    expect(ids(entries).sort()).toEqual(viaList.sort());
    expect(entries).toHaveLength(RUNS.length + 3);
    expect(new Set(ids(entries))).toEqual(new Set(written.keys()));
  });

  it('lists newest first and pages without overlap', () => {
    const all = querySessions(entries, {});
    const starts = all.sessions.map((e) => Date.parse(e.started_at));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(all.sessions[0]!.started_at).toBe(new Date(RUNS[RUNS.length - 1]!.startMs).toISOString());
    const p1 = querySessions(entries, {}, { limit: 3 });
    const p2 = querySessions(entries, {}, { limit: 3, offset: p1.next_offset! });
    const p3 = querySessions(entries, {}, { limit: 3, offset: p2.next_offset! });
    expect(p1.next_offset).toBe(3);
    expect(p3.next_offset).toBeNull();
    expect([...ids(p1.sessions), ...ids(p2.sessions), ...ids(p3.sessions)]).toEqual(ids(all.sessions));
    expect(p2.summary.sessions).toBe(all.total);
  });

  it('filters by agent, env, tag, status, model, time, cost and text', () => {
    const count = (raw: Parameters<typeof parseFilter>[0]) => querySessions(entries, parseFilter(raw)).total;
    expect(count({ agent: 'billing-bot' })).toBe(2);
    expect(count({ agent: 'BILLING-BOT' })).toBe(2);
    expect(count({ env: 'staging' })).toBe(1);
    expect(count({ tag: 'beta' })).toBe(3); // two runs + the golden session
    expect(count({ tag: ['beta', 'batch'] })).toBe(1);
    expect(count({ status: 'error' })).toBe(1);
    expect(count({ status: 'ok,error' })).toBe(entries.length);
    expect(count({ model: 'claude-haiku' })).toBe(2);
    expect(count({ since: new Date(BASE_MS + 2 * 86_400_000).toISOString() })).toBe(3);
    expect(count({ until: new Date(BASE_MS + 86_400_000).toISOString() })).toBe(4);
    expect(count({ 'min-cost': '0.02' })).toBe(RUNS.length);
    expect(count({ q: 'MARCH invoices' })).toBe(1);
    expect(count({ q: 'invoices lyon' })).toBe(0);
    const r = querySessions(entries, parseFilter({ agent: 'support-bot', env: 'prod', model: 'claude-sonnet' }));
    expect(r.sessions.every((e) => e.agent.name === 'support-bot' && e.environment === 'prod' && e.model!.startsWith('claude-sonnet'))).toBe(true);
    expect(r.summary.cost_usd).toBeCloseTo(r.sessions.reduce((a, e) => a + (e.totals.cost_usd as number), 0), 6);
  });

  it('finds a session by id, trace id, conversation id and unique id prefix', async () => {
    const run = [...written.values()].find((s) => s.agent.name === 'billing-bot')!;
    const byId = await lookupSession(storage, run.id);
    expect(byId.matchedBy).toBe('id');
    expect(byId.session).toEqual(run);

    const golden = goldenSession('agent-with-subagent');
    const byConv = await lookupEntry(storage, golden.conversation_id!);
    expect(byConv).toMatchObject({ matchedBy: 'conversation_id', entry: { id: golden.id } });
    const xss = await lookupEntry(storage, 'FEEDFACEFEEDFACEFEEDFACEFEEDFACE');
    expect(xss).toMatchObject({ matchedBy: 'trace_id', entry: { id: XSS_ID } });
    const byPrefix = await lookupEntry(storage, run.id.slice(0, 10));
    expect(byPrefix).toMatchObject({ matchedBy: 'id_prefix', entry: { id: run.id } });
  });

  it('opens nothing for an unknown id, a short prefix or an ambiguous one', async () => {
    expect((await lookupEntry(storage, 'no-such-session')).entry).toBeUndefined();
    expect((await lookupEntry(storage, run0().slice(0, 3))).entry).toBeUndefined();
    // Two ids with the same start: the prefix names both, so it opens neither and lists them.
    const twins = [{ ...entries[0]!, id: 'twin-prefix-a' }, { ...entries[1]!, id: 'twin-prefix-b' }];
    const ambiguous = await lookupEntry(storage, 'twin-prefix', twins);
    expect(ambiguous.entry).toBeUndefined();
    expect(ids(ambiguous.candidates).sort()).toEqual(['twin-prefix-a', 'twin-prefix-b']);
    expect((await lookupEntry(storage, '../../etc/passwd')).entry).toBeUndefined();
  });

  function run0(): string {
    return [...written.keys()][0]!;
  }

  it('IndexCache: a refresh sees new sessions and reads only the segment written since', async () => {
    const cache = new IndexCache(storage, 0);
    const first = await cache.get();
    expect(ids(first).sort()).toEqual(ids(await readAllIndex(storage)).sort());
    const before = cache.stats();
    const added = { ...goldenSession('agentless-error'), id: `cache-${kind}` };
    await storage.putSession(added);
    await storage.flush?.();
    const second = await cache.get();
    expect(second).toHaveLength(first.length + 1);
    expect(ids(second)).toContain(added.id);
    expect(cache.stats().refreshes).toBe(before.refreshes + 1);
    // The refresh read only the segment written since (one object), not the whole index again.
    expect(cache.stats().fetched - before.fetched).toBe(1);
    const held = new IndexCache(storage, 60_000);
    const [a, b] = await Promise.all([held.get(), held.get()]);
    expect(a).toBe(b);
    await held.get();
    expect(held.stats().refreshes).toBe(1);
  });

  it('follows: reports a session written after it started, not the ones before', async () => {
    const seen: SessionIndexEntry[] = [];
    const stop = new AbortController();
    let ready!: () => void;
    const baselined = new Promise<void>((resolve) => (ready = resolve));
    const following = followIndex(storage, { onEntry: (e) => seen.push(e), onReady: ready, signal: stop.signal, pollMs: 100 });
    // Write only once the follower has taken its snapshot of what exists (onReady), so the session
    // is news to it; a follower that stops first fails here instead of hanging.
    await Promise.race([baselined, following.then(() => Promise.reject(new Error('followIndex ended before onReady')))]);
    const fresh = { ...goldenSession('agent-with-subagent'), id: `fresh-${kind}`, started_at: new Date().toISOString() };
    await storage.putSession(fresh);
    await storage.flush?.();
    await expect.poll(() => ids(seen), { timeout: 8000, interval: 50 }).toContain(fresh.id);
    expect(ids(seen)).toEqual([fresh.id]);
    stop.abort();
    await following;
  });
});

describe('readerFromEnv', () => {
  it('reads the store the writers use: local by default, S3 when a bucket is set', async () => {
    const dir = tempDir('reader-env');
    const local = await readerFromEnv({ AMS_LOCAL_DIR: dir });
    expect(local).toBeInstanceOf(LocalStorage);
    expect((local as LocalStorage).dir).toBe(dir);
    const s3 = await readerFromEnv({ AMS_S3_BUCKET: 'b', AMS_S3_PREFIX: 'p', AMS_S3_ENDPOINT_URL: 'http://127.0.0.1:1' });
    expect(s3).toBeInstanceOf(S3Storage);
    expect((s3 as S3Storage).prefix).toBe('p');
    await expect(readerFromEnv({ AMS_STORAGE: 's3' })).rejects.toThrow(/AMS_S3_BUCKET/);
  });
});
