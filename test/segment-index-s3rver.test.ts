/**
 * s3rver leaves out of a delimited listing the folders that hold only folders (`index/dt=…/`
 * holds `hour=…/`), so nothing here asks the server for common prefixes: the reader lists key
 * ranges (StartAfter) and works folders out from the keys. It finds every segment, with and
 * without `since`, and says how many requests it made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../src/index.js';
import type { SessionIndexEntry } from '../src/index.js';
import { encodeSegment, HOUR_MS, partitionOf, SEGMENT_SUFFIX } from '../src/storage/segments.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const entry = (id: string, startedMs: number): SessionIndexEntry => ({ id, key: `ams/sessions/${id}.json`, revision: 1, started_at: new Date(startedMs).toISOString() }) as SessionIndexEntry;

describe('index segments in s3rver', () => {
  const s3 = new TestS3('ams-segments');
  let storage: S3Storage;
  const now = Date.now();
  const oldMs = now - 5 * 24 * HOUR_MS;

  beforeAll(async () => {
    await s3.start();
    storage = new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: tempDir('spool'), env: {} });
    await storage.putObject(`${partitionOf('ams', oldMs)}w-old-000001${SEGMENT_SUFFIX}`, encodeSegment([entry('old-1', oldMs), entry('old-2', oldMs + 1000)]));
    await storage.putObject(`${partitionOf('ams', now)}w-new-000001${SEGMENT_SUFFIX}`, encodeSegment([entry('new-1', now - 60_000)]));
  });
  afterAll(() => s3.stop());

  it('a shallow listing of index/ gives the day folders, worked out from the keys', async () => {
    expect((await storage.listObjects('ams/index/', true)).folders.sort()).toEqual([`ams/index/dt=${new Date(oldMs).toISOString().slice(0, 10)}/`, `ams/index/dt=${new Date(now).toISOString().slice(0, 10)}/`]);
  });

  it('reads every segment without since', async () => {
    const requests: string[] = [];
    const ids: string[] = [];
    for await (const e of storage.listIndex(undefined, { onRequest: (k) => requests.push(k) })) ids.push(e.id);
    expect(ids.sort()).toEqual(['new-1', 'old-1', 'old-2']);
    expect(requests.sort()).toEqual(['get', 'get', 'list', 'list']);
  });

  it('with since, reads only the partitions it needs', async () => {
    const requests: string[] = [];
    const ids: string[] = [];
    for await (const e of storage.listIndex(undefined, { since: now - 24 * HOUR_MS, onRequest: (k) => requests.push(k) })) ids.push(e.id);
    expect(ids).toEqual(['new-1']);
    expect(requests.sort()).toEqual(['get', 'list', 'list']);
  });
});
