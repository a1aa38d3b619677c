/**
 * Follows the index as sessions are written (what `ams tail` prints). LocalStorage and S3Storage:
 * each poll lists only the newest partitions (this hour's and the hour before, plus any
 * per-session index files) and reads only the segments it has not seen, so a poll costs a few LIST
 * requests however large the bucket. Polls are quick while sessions arrive, slower while idle,
 * slower still after errors. An entry with a higher revision than the one reported (a receiver
 * rewrite) is reported again. A session shows up when its writer flushes its segment
 * (AMS_INDEX_FLUSH_MS, default 5 s).
 */
import type { SessionIndexEntry } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import type { S3Storage } from '../storage/s3.js';
import { listSegments, readSegments } from '../storage/segment-index.js';
import { revisionOf } from '../storage/segments.js';
import type { SessionReader } from '../storage/types.js';

export interface FollowOptions {
  /** Called once per new (or rewritten) entry, in the order they are seen. */
  onEntry(entry: SessionIndexEntry): void;
  /** Called for listing errors (the follower keeps going, backing off). */
  onError?(err: unknown): void;
  /** Called once the entries already there have been listed: anything written after it is reported. */
  onReady?(): void;
  /** Stops following. */
  signal?: AbortSignal;
  /** First poll interval (default 1000 ms). */
  pollMs?: number;
  /** Longest poll interval while idle or failing (default 15000 ms). */
  maxPollMs?: number;
  /** Counts the requests made (LIST and GET), for tests. */
  onRequest?(kind: 'list' | 'get'): void;
}

type Versions = Map<string, string>;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Follows until the signal aborts. Entries present when it starts are not reported. */
export async function followIndex(reader: SessionReader, o: FollowOptions): Promise<void> {
  if (reader instanceof LocalStorage) return followStore(reader, o);
  // Loaded here, not at the top: local commands do not pay for the AWS SDK.
  const { S3Storage } = await import('../storage/s3.js');
  if (reader instanceof S3Storage) return followStore(reader, o);
  return followGeneric(reader, o);
}

async function followStore(storage: LocalStorage | S3Storage, o: FollowOptions): Promise<void> {
  const base = o.pollMs ?? 1000;
  const max = o.maxPollMs ?? 15_000;
  const seenObjects: Versions = new Map();
  const reported = new Map<string, number>();
  let ready = false;
  let delay = base;
  while (!o.signal?.aborted) {
    try {
      const { segments, legacy } = await listSegments(storage, storage.prefix, { since: Date.now(), onRequest: o.onRequest });
      const fresh = [...segments, ...legacy].filter((obj) => seenObjects.get(obj.key) !== obj.version);
      const entries: SessionIndexEntry[] = [];
      if (ready) for (const list of await readSegments(storage, fresh, { onRequest: o.onRequest })) entries.push(...list);
      for (const obj of fresh) seenObjects.set(obj.key, obj.version);
      const news = entries.filter((e) => {
        const had = reported.get(e.id);
        if (had !== undefined && had >= revisionOf(e)) return false;
        reported.set(e.id, revisionOf(e));
        return true;
      });
      news.sort((a, b) => Date.parse(a.ended_at) - Date.parse(b.ended_at));
      for (const e of news) if (!o.signal?.aborted) o.onEntry(e);
      if (!ready) {
        ready = true;
        o.onReady?.();
      }
      delay = news.length > 0 || !ready ? base : Math.min(max, Math.round(delay * 1.5));
    } catch (err) {
      o.onError?.(err);
      delay = Math.min(max, delay * 2);
    }
    await sleep(delay, o.signal);
  }
}

/** Any other SessionReader: list the whole index with backoff, diff by id + revision. */
async function followGeneric(reader: SessionReader, o: FollowOptions): Promise<void> {
  const base = o.pollMs ?? 1000;
  const max = o.maxPollMs ?? 15_000;
  let seen: Versions | undefined;
  let delay = base;
  while (!o.signal?.aborted) {
    try {
      const now: Versions = new Map();
      const fresh: SessionIndexEntry[] = [];
      for await (const e of reader.listIndex()) {
        const v = `${e.revision}:${e.ended_at}`;
        now.set(e.id, v);
        if (seen && seen.get(e.id) !== v) fresh.push(e);
      }
      fresh.sort((a, b) => Date.parse(a.ended_at) - Date.parse(b.ended_at));
      for (const e of fresh) if (!o.signal?.aborted) o.onEntry(e);
      delay = seen && fresh.length === 0 ? Math.min(max, Math.round(delay * 1.5)) : base;
      if (!seen) o.onReady?.();
      seen = now;
    } catch (err) {
      o.onError?.(err);
      delay = Math.min(max, delay * 2);
    }
    await sleep(delay, o.signal);
  }
}
