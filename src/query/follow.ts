/**
 * Follows the index as sessions are written (what `ams tail` prints). Local folders: fs.watch on
 * the index folder, plus a slow listing in case the platform drops watch events. S3 has no
 * notifications without extra infrastructure, so it lists the index prefix with backoff: quick
 * while sessions arrive, slower while idle, slower still after errors. A key whose ETag or
 * mtime changes (a receiver rewrite with a higher revision) is reported again.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SessionIndexEntry } from '../session/types.js';
import { indexFolder } from '../storage/keys.js';
import { LocalStorage } from '../storage/local.js';
import type { S3Storage } from '../storage/s3.js';
import type { SessionReader } from '../storage/types.js';
import { localIndexDir } from './scan.js';

export interface FollowOptions {
  /** Called once per new (or rewritten) entry, in the order they are seen. */
  onEntry(entry: SessionIndexEntry): void;
  /** Called for listing errors (the follower keeps going, backing off). */
  onError?(err: unknown): void;
  /** Called once the entries already there have been listed: anything written after it is reported. */
  onReady?(): void;
  /** Stops following. */
  signal?: AbortSignal;
  /** First poll interval (default 1000 ms); local storage uses it as the safety-net listing interval x2. */
  pollMs?: number;
  /** Longest poll interval while idle or failing (default 15000 ms). */
  maxPollMs?: number;
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
  if (reader instanceof LocalStorage) return followLocal(reader, o);
  // Loaded here, not at the top: local commands do not pay for the AWS SDK.
  const { S3Storage } = await import('../storage/s3.js');
  if (reader instanceof S3Storage) return followS3(reader, o);
  return followGeneric(reader, o);
}

async function followLocal(storage: LocalStorage, o: FollowOptions): Promise<void> {
  const dir = localIndexDir(storage);
  const seen: Versions = new Map();
  const versionOf = async (name: string): Promise<string | undefined> => {
    try {
      const s = await stat(path.join(dir, name));
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return undefined;
    }
  };
  const list = async (): Promise<string[]> => {
    try {
      return (await readdir(dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
  };
  // Baseline: what exists now is history, not news.
  for (const name of await list()) seen.set(name, (await versionOf(name)) ?? '');

  let queue = Promise.resolve();
  const check = (name: string): void => {
    queue = queue.then(async () => {
      const v = await versionOf(name);
      if (v === undefined || seen.get(name) === v) return;
      seen.set(name, v);
      try {
        const entry = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as SessionIndexEntry;
        if (!o.signal?.aborted) o.onEntry(entry);
      } catch (err) {
        // A torn read cannot happen with atomic renames; anything else is worth saying.
        seen.delete(name);
        o.onError?.(err);
      }
    });
  };

  let watcher: FSWatcher | undefined;
  const startWatch = (): void => {
    if (watcher) return;
    try {
      watcher = watch(dir, { persistent: true }, (_event, filename) => {
        const name = filename?.toString();
        if (name && name.endsWith('.json') && !name.endsWith('.tmp')) check(name);
      });
      watcher.on('error', (err) => {
        watcher?.close();
        watcher = undefined;
        o.onError?.(err);
      });
    } catch {
      watcher = undefined; // folder not there yet; the listing below retries
    }
  };
  startWatch();
  // Ready once the watcher runs too: a file written from now on is seen by it or by the listing.
  o.onReady?.();
  const interval = (o.pollMs ?? 1000) * 2;
  try {
    while (!o.signal?.aborted) {
      await sleep(interval, o.signal);
      if (o.signal?.aborted) break;
      startWatch();
      // Safety net: names the watcher missed (new files only; rewrites come from the watcher).
      for (const name of await list()) if (!seen.has(name)) check(name);
      await queue;
    }
  } finally {
    watcher?.close();
    await queue;
  }
}

async function followS3(storage: S3Storage, o: FollowOptions): Promise<void> {
  const base = o.pollMs ?? 1000;
  const max = o.maxPollMs ?? 15_000;
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const prefix = indexFolder(storage.prefix);
  const listVersions = async (): Promise<Versions> => {
    const out: Versions = new Map();
    let token: string | undefined;
    do {
      const page = await (await storage.getClient()).send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const obj of page.Contents ?? []) {
        if (obj.Key?.endsWith('.json')) out.set(obj.Key, `${obj.ETag ?? ''}:${obj.LastModified?.getTime() ?? ''}:${obj.Size ?? ''}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
  let seen: Versions | undefined;
  let delay = base;
  while (!o.signal?.aborted) {
    try {
      const now = await listVersions();
      if (!seen) {
        seen = now;
        o.onReady?.();
      } else {
        const changed = [...now].filter(([k, v]) => seen!.get(k) !== v).map(([k]) => k);
        const entries: SessionIndexEntry[] = [];
        for (const key of changed) {
          const id = path.posix.basename(key, '.json');
          const entry = await storage.getIndexEntry(id);
          if (entry) entries.push(entry);
        }
        entries.sort((a, b) => Date.parse(a.ended_at) - Date.parse(b.ended_at));
        for (const e of entries) if (!o.signal?.aborted) o.onEntry(e);
        seen = now;
        delay = changed.length > 0 ? base : Math.min(max, Math.round(delay * 1.5));
      }
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
