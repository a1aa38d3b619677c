/**
 * `ams compact` and the repair of unindexed sessions (src/storage/compact.ts, repair.ts), on real
 * local folders and a real S3-protocol server (s3rver): past partitions merged into one segment
 * each (hour and day), the highest revision kept, listings unchanged, reruns changing nothing,
 * compaction racing a writer, corrupt segments reported and skipped; a receiver killed before its
 * index flush, restarted, indexes what it had written; the CLI on both backends.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assembleSession } from '../src/index.js';
import type { Session, SessionIndexEntry, SpanRecord } from '../src/index.js';
import { toIndexEntry } from '../src/session/index-entry.js';
import { compactIndex } from '../src/storage/compact.js';
import { LocalStorage } from '../src/storage/local.js';
import { repairIndex } from '../src/storage/repair.js';
import { S3Storage } from '../src/storage/s3.js';
import { listSegments } from '../src/storage/segment-index.js';
import { decodeSegment, encodeSegment, folderOfKey, HOUR_MS, partitionOf } from '../src/storage/segments.js';
import { emitAgentTrace, providerWith } from './fixtures/otlp/agent-trace.js';
import { cleanEnv, runCli } from './support/ams-cli.js';
import { exited, killChildren, startReceiverChild } from './support/receiver-child.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];
const DAY_MS = 24 * HOUR_MS;
const NOW = Date.now();
const HOUR0 = Math.floor(NOW / HOUR_MS) * HOUR_MS;

/** A session of this id and revision, started at `startedAt` (default now: repair looks near the index's mark). */
const sessionOf = (id: string, revision = 1, startedAt = new Date().toISOString()): Session => ({ ...assembleSession(fixture), id, revision, started_at: startedAt });

type Store = LocalStorage | S3Storage;

const s3 = new TestS3();
let prefixes = 0;

const backends: Array<[string, (options?: { flushMs?: number; flushEntries?: number }) => Store]> = [
  ['local folder', (o = {}) => new LocalStorage({ dir: tempDir('compact'), env: {}, indexFlushMs: o.flushMs, indexFlushEntries: o.flushEntries, indexSpoolDir: tempDir('spool') })],
  [
    's3rver',
    (o = {}) =>
      new S3Storage({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        credentials: S3_CREDENTIALS,
        prefix: `compact-${++prefixes}`,
        spoolDir: tempDir('spool'),
        env: {},
        indexFlushMs: o.flushMs,
        indexFlushEntries: o.flushEntries,
      }),
  ],
];

/** A second handle on the same store (another process's view: nothing buffered, nothing known). */
function reopen(store: Store, options: { flushMs?: number } = {}): Store {
  if (store instanceof LocalStorage) return new LocalStorage({ dir: store.dir, env: {}, indexFlushMs: options.flushMs, indexSpoolDir: tempDir('spool') });
  return new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, prefix: store.prefix, spoolDir: tempDir('spool'), env: {}, indexFlushMs: options.flushMs });
}

const entry = (id: string, revision: number, startedAt = new Date(NOW - 6 * HOUR_MS).toISOString()): SessionIndexEntry =>
  toIndexEntry(sessionOf(id, revision, startedAt), `sessions/x/${id}.json`);

/** Writes a segment straight into the partition of `hourMs` (as a writer of that hour would have). */
async function putSegment(store: Store, hourMs: number, name: string, body: Buffer | SessionIndexEntry[]): Promise<string> {
  const key = `${partitionOf(store.prefix, hourMs)}${name}.ndjson.gz`;
  await store.putObject(key, Array.isArray(body) ? encodeSegment(body) : body);
  return key;
}

async function listed(store: Store, since?: number): Promise<Array<[string, number | undefined]>> {
  const out: Array<[string, number | undefined]> = [];
  for await (const e of store.listIndex(undefined, since === undefined ? {} : { since })) out.push([e.id, e.revision]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

async function segmentKeys(store: Store): Promise<string[]> {
  return (await listSegments(store, store.prefix)).segments.map((o) => o.key);
}

async function segmentEntries(store: Store, key: string): Promise<Array<[string, number | undefined]>> {
  return decodeSegment((await store.getObject(key))!, key)
    .map((e): [string, number | undefined] => [e.id, e.revision])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

beforeAll(async () => {
  await s3.start();
});
afterAll(async () => {
  await s3.stop();
});

describe.each(backends)('compaction (%s)', (_name, open) => {
  it('hour: each past hour becomes one segment with the highest revisions; the current and previous hour are left alone; a rerun changes nothing', async () => {
    const store = open();
    const h5 = HOUR0 - 5 * HOUR_MS;
    const h2 = HOUR0 - 2 * HOUR_MS;
    const h1 = HOUR0 - HOUR_MS;
    await putSegment(store, h5, 'w1-a-000001', [entry('x', 1), entry('y', 1)]);
    await putSegment(store, h5, 'w1-a-000002', [entry('x', 2)]);
    await putSegment(store, h5, 'w2-b-000001', [entry('z', 1), entry('x', 1)]);
    await putSegment(store, h2, 'w1-a-000003', [entry('y', 3)]);
    await putSegment(store, h2, 'w2-b-000002', [entry('w', 1)]);
    const prev = [await putSegment(store, h1, 'w1-a-000004', [entry('v', 1)]), await putSegment(store, h1, 'w2-b-000003', [entry('v', 2)])];
    // The current hour, through a real writer.
    await store.putSession(sessionOf('now-1'));
    await store.putSession(sessionOf('now-2'));
    await store.flush();
    const current = (await segmentKeys(store)).filter((k) => folderOfKey(k) === partitionOf(store.prefix, Date.now()));
    expect(current).toHaveLength(1);
    const before = await listed(store);
    expect(before).toEqual([['now-1', 1], ['now-2', 1], ['v', 2], ['w', 1], ['x', 2], ['y', 3], ['z', 1]]);

    const result = await compactIndex(store, { scope: 'hour', before: NOW });
    expect(result).toEqual({ partitions: 2, segmentsRead: 5, segmentsWritten: 2, segmentsDeleted: 5, entries: 5, segmentsKept: 0 });

    const keys = await segmentKeys(store);
    const inFolder = (hour: number) => keys.filter((k) => folderOfKey(k) === partitionOf(store.prefix, hour));
    expect(inFolder(h5)).toEqual([expect.stringMatching(/\/compact-[0-9a-f]{16}\.ndjson\.gz$/)]);
    expect(await segmentEntries(store, inFolder(h5)[0])).toEqual([['x', 2], ['y', 1], ['z', 1]]);
    expect(await segmentEntries(store, inFolder(h2)[0])).toEqual([['w', 1], ['y', 3]]);
    expect(inFolder(h1).sort()).toEqual(prev.sort());
    expect(inFolder(Date.now())).toEqual(current);
    expect(await listed(store)).toEqual(before);
    // `since` still finds what moved into the merged segments.
    expect((await listed(store, NOW - 6 * HOUR_MS)).map(([id]) => id)).toEqual(before.map(([id]) => id));

    expect(await compactIndex(store, { scope: 'hour', before: NOW })).toEqual({ partitions: 0, segmentsRead: 0, segmentsWritten: 0, segmentsDeleted: 0, entries: 0, segmentsKept: 0 });
    expect(await segmentKeys(store)).toEqual(keys);
    await store.close();
  });

  it("day: each past day becomes one segment in its hour=23 folder (a day's single segment elsewhere moves there); the day in progress is left alone; a rerun changes nothing", async () => {
    const store = open();
    const day = Math.floor(NOW / DAY_MS) * DAY_MS - 2 * DAY_MS;
    const lone = day - DAY_MS;
    await putSegment(store, day + 3 * HOUR_MS, 'w1-a-000001', [entry('a', 1), entry('b', 1)]);
    await putSegment(store, day + 10 * HOUR_MS, 'w1-a-000002', [entry('a', 2)]);
    await putSegment(store, day + 10 * HOUR_MS, 'w2-b-000001', [entry('c', 1)]);
    await putSegment(store, day + 23 * HOUR_MS, 'w2-b-000002', [entry('b', 4)]);
    await putSegment(store, lone + 5 * HOUR_MS, 'w1-c-000001', [entry('d', 1)]);
    // Today's hours are not a whole day yet.
    const todayHour = Math.max(Math.floor(NOW / DAY_MS) * DAY_MS, HOUR0 - 3 * HOUR_MS);
    const today = [await putSegment(store, todayHour, 'w1-d-000001', [entry('e', 1)]), await putSegment(store, todayHour, 'w1-d-000002', [entry('e', 2)])];
    const before = await listed(store);

    const result = await compactIndex(store, { scope: 'day', before: NOW });
    expect(result).toEqual({ partitions: 2, segmentsRead: 5, segmentsWritten: 2, segmentsDeleted: 5, entries: 4, segmentsKept: 0 });
    const keys = await segmentKeys(store);
    const last = (d: number) => partitionOf(store.prefix, d + 23 * HOUR_MS);
    expect(keys.filter((k) => k.includes(`dt=${new Date(day).toISOString().slice(0, 10)}/`))).toEqual([expect.stringMatching(new RegExp(`^${last(day)}compact-[0-9a-f]{16}\\.ndjson\\.gz$`))]);
    expect(keys.filter((k) => k.includes(`dt=${new Date(lone).toISOString().slice(0, 10)}/`))).toEqual([expect.stringMatching(new RegExp(`^${last(lone)}compact-`))]);
    expect(await segmentEntries(store, keys.find((k) => k.startsWith(last(day)))!)).toEqual([['a', 2], ['b', 4], ['c', 1]]);
    for (const t of today) expect(keys).toContain(t);
    expect(await listed(store)).toEqual(before);
    // A listing since the day's morning reads its last hour, so it still lists the day's sessions.
    expect((await listed(store, day + 4 * HOUR_MS)).map(([id]) => id)).toEqual(expect.arrayContaining(['a', 'b', 'c']));

    expect((await compactIndex(store, { scope: 'day', before: NOW })).segmentsWritten).toBe(0);
    expect(await segmentKeys(store)).toEqual(keys);
    await store.close();
  });

  it('a rerun after a crash between the merged write and the deletes only deletes the sources', async () => {
    const store = open();
    const h = HOUR0 - 4 * HOUR_MS;
    await putSegment(store, h, 'w1-a-000001', [entry('x', 1)]);
    await putSegment(store, h, 'w1-a-000002', [entry('x', 2)]);
    const dry = await compactIndex(store, { scope: 'hour', before: NOW, dryRun: true });
    expect(dry).toMatchObject({ partitions: 1, segmentsWritten: 1, segmentsDeleted: 2 });
    const sources = await segmentKeys(store);
    expect(sources).toHaveLength(2);
    // Crash after the merged segment's write: its key is the one a rerun would write.
    const { compactKey } = await import('../src/storage/compact.js');
    const merged = compactKey(partitionOf(store.prefix, h), sources);
    await store.putObject(merged, encodeSegment([entry('x', 2)]));
    expect(await compactIndex(store, { scope: 'hour', before: NOW })).toEqual({ partitions: 1, segmentsRead: 0, segmentsWritten: 0, segmentsDeleted: 2, entries: 0, segmentsKept: 0 });
    expect(await segmentKeys(store)).toEqual([merged]);
    expect(await listed(store)).toEqual([['x', 2]]);
    await store.close();
  });

  it('compaction while a writer writes: every entry written meanwhile is still listed afterwards', async () => {
    // The clock given to compaction is 3 hours ahead, so the hour the writer is writing into is
    // compacted under it: the real race (listed sources deleted while new segments arrive).
    const store = open({ flushEntries: 1 });
    const ROUNDS = 6;
    const PER_ROUND = 8;
    const N = ROUNDS * PER_ROUND;
    const id = (i: number) => `live-${String(i).padStart(2, '0')}`;
    const runs: Array<{ segmentsWritten: number }> = [];
    // Each round: a writer's batch (one segment per entry) and a compaction, at the same time.
    for (let round = 0; round < ROUNDS; round++) {
      const writer = (async () => {
        for (let i = round * PER_ROUND; i < (round + 1) * PER_ROUND; i++) {
          await store.putSession(sessionOf(id(i), 1));
          if (i % 3 === 0) await store.putSession(sessionOf(id(i), 2));
        }
      })();
      const [, run] = await Promise.all([writer, compactIndex(store, { scope: 'hour', before: Date.now() + 3 * HOUR_MS })]);
      runs.push(run);
    }
    await store.flush();
    expect(runs.some((r) => r.segmentsWritten > 0)).toBe(true);
    const want = Array.from({ length: N }, (_, i): [string, number] => [id(i), i % 3 === 0 ? 2 : 1]);
    expect(await listed(store)).toEqual(want);
    await compactIndex(store, { scope: 'hour', before: Date.now() + 3 * HOUR_MS });
    expect(await listed(store)).toEqual(want);
    // One segment per partition (the writer's hour, and the next one if the test crossed an hour).
    const folders = (await segmentKeys(store)).map(folderOfKey);
    expect(new Set(folders).size).toBe(folders.length);
    await store.close();
  });

  it('corrupt segments: reported with object and line, readable lines kept, a segment with nothing readable kept in place; never a crash', async () => {
    const store = open();
    const h = HOUR0 - 3 * HOUR_MS;
    await putSegment(store, h, 'w1-a-000001', [entry('good', 1)]);
    const many = Array.from({ length: 200 }, (_, i) => entry(`t-${String(i).padStart(3, '0')}`, 1));
    const whole = encodeSegment(many);
    const truncated = await putSegment(store, h, 'w1-a-000002', whole.subarray(0, Math.floor(whole.length * 0.6)));
    const lines = `${JSON.stringify(entry('g1', 1))}\n{"id": oops\n${JSON.stringify(entry('g2', 2))}\n`;
    const garbageLine = await putSegment(store, h, 'w1-a-000003', gzipSync(lines));
    const garbage = await putSegment(store, h, 'w1-a-000004', Buffer.from('this is not gzip at all'));
    const reports: Array<[string, string, number | undefined]> = [];
    const result = await compactIndex(store, { scope: 'hour', before: NOW, onCorrupt: (o, p, l) => reports.push([o, p, l]) });
    expect(result).toMatchObject({ partitions: 1, segmentsRead: 4, segmentsWritten: 1, segmentsDeleted: 3, segmentsKept: 1 });
    expect(reports).toContainEqual([garbageLine, expect.stringMatching(/not valid JSON/), 2]);
    expect(reports).toContainEqual([truncated, expect.stringMatching(/not a whole gzip stream/), undefined]);
    expect(reports).toContainEqual([garbage, expect.stringMatching(/nothing readable in it: kept in place/), undefined]);
    const keys = await segmentKeys(store);
    expect(keys).toContain(garbage);
    expect(keys).toHaveLength(2);
    const merged = keys.find((k) => k !== garbage)!;
    const ids = (await segmentEntries(store, merged)).map(([id]) => id);
    expect(ids).toEqual(expect.arrayContaining(['good', 'g1', 'g2', 't-000']));
    // Rerun: the kept segment is reported again, nothing is rewritten.
    const again = await compactIndex(store, { scope: 'hour', before: NOW, onCorrupt: () => undefined });
    expect(again).toMatchObject({ segmentsWritten: 0, segmentsDeleted: 0, segmentsKept: 1 });
    expect(await segmentKeys(store)).toEqual(keys);
    await store.close();
  });

  it('repair: documents written after the last flush by a writer that died are indexed at their revision; indexed ones and corrupt documents are left alone', async () => {
    const first = open({ flushMs: 600_000 });
    await first.putSession(sessionOf('kept-1'));
    await first.putSession(sessionOf('moved-on', 1));
    await first.flush();
    // The writer goes on, then dies before its next flush (never flushed, never closed).
    await first.putSession(sessionOf('lost-1'));
    await first.putSession(sessionOf('lost-2', 3));
    await first.putSession(sessionOf('moved-on', 2));
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const bad = `${store0(first)}sessions/${day}/broken.json`;
    await first.putObject(bad, Buffer.from('{ not json'));

    const restarted = reopen(first, { flushMs: 600_000 });
    expect(await listed(restarted)).toEqual([['kept-1', 1], ['moved-on', 1]]);
    const reports: string[] = [];
    const result = await repairIndex(restarted, { onCorrupt: (o, p) => reports.push(`${o}: ${p}`) });
    expect(result).toMatchObject({ candidates: 5, documentsRead: 5, repaired: 3, corrupt: 1 });
    expect(result.highWaterMark).not.toBeNull();
    expect(reports).toEqual([expect.stringMatching(new RegExp(`^${bad}: not valid JSON`))]);
    // Flushed by repair: another reader sees them.
    expect(await listed(reopen(first))).toEqual([['kept-1', 1], ['lost-1', 1], ['lost-2', 3], ['moved-on', 2]]);
    // A second repair finds nothing more.
    expect(await repairIndex(reopen(first), { onCorrupt: () => undefined })).toMatchObject({ repaired: 0, corrupt: 1 });
    await restarted.close();
  });

  it('ams compact (CLI) repairs, then compacts; --dry-run changes nothing; a bad flag exits 2', async () => {
    const store = open();
    const h = Math.floor(NOW / DAY_MS) * DAY_MS - 2 * DAY_MS + 6 * HOUR_MS;
    await putSegment(store, h, 'w1-a-000001', [entry('x', 1)]);
    await putSegment(store, h, 'w1-a-000002', [entry('x', 2), entry('y', 1)]);
    await putSegment(store, h + HOUR_MS, 'w1-a-000003', [entry('z', 1)]);
    await putSegment(store, h + HOUR_MS, 'w1-a-000004', [entry('z', 5)]);
    // And a document written with no index entry (its writer died before the flush).
    const env =
      store instanceof LocalStorage ? cleanEnv({ AMS_LOCAL_DIR: store.dir }) : cleanEnv(s3.cliEnv(store.prefix));
    const writer = store instanceof LocalStorage ? new LocalStorage({ dir: store.dir, env: {}, indexFlushMs: 600_000, indexSpoolDir: tempDir('spool') }) : reopen(store, { flushMs: 600_000 });
    await writer.putSession(sessionOf('orphan', 2));
    const keys = await segmentKeys(store);

    const dry = await runCli(['compact', '--dry-run'], { env });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/repair: would index 1 unindexed sessions/);
    expect(dry.stdout).toMatch(/compact \(hour\): would merge 2 partitions: read 4 segments, would write 2 \(3 entries\), would delete 4/);
    expect(await segmentKeys(store)).toEqual(keys);

    const res = await runCli(['compact'], { env });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/repair: indexed 1 unindexed sessions/);
    expect(res.stdout).toMatch(/compact \(hour\): merged 2 partitions: read 4 segments, wrote 2 \(3 entries\), deleted 4/);
    expect(await listed(store)).toEqual([['orphan', 2], ['x', 2], ['y', 1], ['z', 5]]);

    const day = await runCli(['compact', '--day'], { env });
    expect(day.code).toBe(0);
    expect(day.stdout).toMatch(/repair: indexed 0 unindexed sessions[\s\S]*compact \(day\): merged 1 partitions: read 2 segments, wrote 1 \(3 entries\), deleted 2/);
    expect(await listed(store)).toEqual([['orphan', 2], ['x', 2], ['y', 1], ['z', 5]]);

    const again = await runCli(['compact', '--day'], { env });
    expect(again.stdout).toMatch(/merged 0 partitions: read 0 segments, wrote 0 \(0 entries\), deleted 0/);

    const bad = await runCli(['compact', '--hourly'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ams compact: unknown flag --hourly/);
    await store.close();
  });
});

/** The store's key prefix with its slash ('' for none). */
function store0(store: Store): string {
  return store.prefix ? `${store.prefix.replace(/\/+$/, '')}/` : '';
}

describe('a killed receiver', () => {
  afterEach(killChildren);

  it("repairs on restart: sessions written before a SIGKILL but never flushed to the index are listed again, at their revisions", async () => {
    const dir = tempDir('repair-recv');
    const data = path.join(dir, 'data');
    // An index with a high-water mark: a session written and flushed by another writer first.
    const seed = new LocalStorage({ dir: data, env: {}, indexSpoolDir: tempDir('spool') });
    await seed.putSession(sessionOf('seed'));
    await seed.close();
    const args = ['--local-dir', data, '--no-wal', '--wait-ms', '50', '--index-flush-ms', '600000', '--index-flush-entries', '100000'];
    const first = await startReceiverChild([...args, '--workers', '0']);

    const exporter = new OTLPTraceExporter({ url: `${first.url}/v1/traces` });
    const provider = providerWith(new SimpleSpanProcessor(exporter));
    const tracer = provider.getTracer('ams-otel-test', '1.2.3');
    const traceIds = [0, 1, 2].map((i) => emitAgentTrace(tracer, { startMs: Date.now() - 60_000 + i * 1000, prompt: `run ${i}` }));
    await provider.forceFlush();
    await provider.shutdown();

    const reader = new LocalStorage({ dir: data, env: {} });
    const documents = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const d of reader.listDocuments()) out.push(path.basename(d.key, '.json'));
      return out.sort();
    };
    await expect.poll(documents, { timeout: 20_000, interval: 50 }).toEqual([...traceIds, 'seed'].sort());
    first.child.kill('SIGKILL');
    expect((await exited(first.child)).signal).toBe('SIGKILL');
    // Nothing of theirs reached the index.
    expect(await listed(reader)).toEqual([['seed', 1]]);
    const revisions = new Map<string, number>();
    for (const id of traceIds) {
      const file = readdirSync(path.join(data, 'sessions'), { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(`${id}.json`))!;
      revisions.set(id, (JSON.parse(readFileSync(path.join(data, 'sessions', file), 'utf8')) as Session).revision);
    }

    const second = await startReceiverChild([...args, '--workers', '2']);
    const want = [...[...revisions].map(([id, r]): [string, number] => [id, r]), ['seed', 1] as [string, number]].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    await expect.poll(() => listed(reader), { timeout: 20_000, interval: 100 }).toEqual(want);
    expect(second.output()).toMatch(/indexed 3 session\(s\) written before the last stop but not indexed/);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
  });
});
