/**
 * The index kept in memory for a long-running reader (the viewer, the receiver's /ui). A refresh
 * re-reads what may have changed and nothing else:
 *   - S3: one listing of the index prefix (1,000 keys per request); only keys whose ETag is new
 *     are fetched, so 10,000 sessions cost ten LIST calls per refresh, not 10,000 GETs;
 *   - local folders: a full read, which is already cheap (see scan.ts);
 *   - any other SessionReader: listIndex().
 * Concurrent callers share one refresh; entries are served for maxAgeMs before the next.
 */
import type { SessionIndexEntry } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import { indexFolder } from '../storage/keys.js';
import type { S3Storage } from '../storage/s3.js';
import type { SessionReader } from '../storage/types.js';
import { readAllIndex } from './scan.js';

export interface IndexCacheStats {
  /** Refreshes done. */
  refreshes: number;
  /** Index entries fetched one by one (S3 only: new or changed keys). */
  fetched: number;
}

/** Index objects fetched at once from S3. */
const S3_FETCH_CONCURRENCY = 16;

export class IndexCache {
  private entries: SessionIndexEntry[] = [];
  private at = -Infinity;
  private refreshing?: Promise<SessionIndexEntry[]>;
  private readonly byKey = new Map<string, { etag: string; entry: SessionIndexEntry }>();
  private readonly counters: IndexCacheStats = { refreshes: 0, fetched: 0 };

  constructor(
    readonly reader: SessionReader,
    /** How long a refresh is served (0 = refresh on every call). */
    readonly maxAgeMs = 2000,
  ) {}

  /** Every index entry, at most maxAgeMs old. */
  get(): Promise<SessionIndexEntry[]> {
    if (Date.now() - this.at < this.maxAgeMs) return Promise.resolve(this.entries);
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The entries of the last refresh, if it is still fresh (no I/O). */
  fresh(): SessionIndexEntry[] | undefined {
    return Date.now() - this.at < this.maxAgeMs ? this.entries : undefined;
  }

  stats(): IndexCacheStats {
    return { ...this.counters };
  }

  private async refresh(): Promise<SessionIndexEntry[]> {
    const started = Date.now();
    let entries: SessionIndexEntry[];
    if (this.reader instanceof LocalStorage) {
      entries = await readAllIndex(this.reader);
    } else {
      const { S3Storage } = await import('../storage/s3.js');
      entries = this.reader instanceof S3Storage ? await this.refreshS3(this.reader) : await readAllIndex(this.reader);
    }
    this.counters.refreshes += 1;
    this.entries = entries;
    this.at = started;
    return entries;
  }

  private async refreshS3(storage: S3Storage): Promise<SessionIndexEntry[]> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await (await storage.getClient()).send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: indexFolder(storage.prefix), ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) listed.set(o.Key, `${o.ETag ?? ''}:${o.Size ?? ''}:${o.LastModified?.getTime() ?? ''}`);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    for (const key of this.byKey.keys()) if (!listed.has(key)) this.byKey.delete(key);
    const stale = [...listed].filter(([key, etag]) => this.byKey.get(key)?.etag !== etag);
    for (let i = 0; i < stale.length; i += S3_FETCH_CONCURRENCY) {
      await Promise.all(
        stale.slice(i, i + S3_FETCH_CONCURRENCY).map(async ([key, etag]) => {
          const id = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
          const entry = await storage.getIndexEntry(id);
          this.counters.fetched += 1;
          if (entry) this.byKey.set(key, { etag, entry });
          else this.byKey.delete(key);
        }),
      );
    }
    return [...this.byKey.values()].map((v) => v.entry);
  }
}
