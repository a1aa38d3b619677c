/**
 * The index kept in memory for a long-running reader (the viewer, the receiver's /ui). A refresh
 * re-reads what may have changed and nothing else:
 *   - LocalStorage and S3Storage: a listing of the partitions written since the last refresh (two
 *     ranged LISTs, as `ams tail` polls), and at most every FULL_LISTING_MS one of the whole
 *     index (segments rewritten or removed in old partitions: prune, compaction); only segments
 *     (and per-session files) whose version is new are read, so a refresh costs a few LIST
 *     requests and the segments written since the last one, however many partitions there are;
 *   - any other SessionReader: listIndex().
 * Concurrent callers share one refresh; entries are served for maxAgeMs before the next.
 */
import type { SessionIndexEntry } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import type { S3Storage } from '../storage/s3.js';
import { listSegments, readSegments, SKEW_MS } from '../storage/segment-index.js';
import { folderOfKey, HOUR_MS, LatestEntries, partitionStart } from '../storage/segments.js';
import type { SessionReader } from '../storage/types.js';
import { readAllIndex } from './scan.js';

/** Longest time between two listings of the whole index (between them, only recent partitions are listed). */
export const FULL_LISTING_MS = 60_000;

export interface IndexCacheStats {
  /** Refreshes done. */
  refreshes: number;
  /** Index objects (segments, per-session files) read. */
  fetched: number;
}

export class IndexCache {
  private entries: SessionIndexEntry[] = [];
  private at = -Infinity;
  private refreshing?: Promise<SessionIndexEntry[]>;
  private readonly byKey = new Map<string, { version: string; entries: SessionIndexEntry[] }>();
  /** When the last listing of the whole index started, and the last listing of any kind. */
  private fullAt = -Infinity;
  private listedAt = -Infinity;
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
    if (this.reader instanceof LocalStorage) entries = await this.refreshStore(this.reader);
    else {
      const { S3Storage } = await import('../storage/s3.js');
      entries = this.reader instanceof S3Storage ? await this.refreshStore(this.reader) : await readAllIndex(this.reader);
    }
    this.counters.refreshes += 1;
    this.entries = entries;
    this.at = started;
    return entries;
  }

  private async refreshStore(storage: LocalStorage | S3Storage): Promise<SessionIndexEntry[]> {
    const started = Date.now();
    // This storage's own unflushed entries, taken before listing too (a flush meanwhile would hide them).
    const pending = [...storage.index.buffered()];
    const full = started - this.fullAt >= FULL_LISTING_MS;
    // Between full listings: the partitions written since the last listing (listSegments takes
    // an hour more), and every per-session file (they have no partitions).
    const since = full ? undefined : this.listedAt;
    const { segments, legacy } = await listSegments(storage, storage.prefix, { since });
    const listed = new Map([...segments, ...legacy].map((o) => [o.key, o.version]));
    const from = since === undefined ? -Infinity : Math.floor((since - SKEW_MS) / HOUR_MS) * HOUR_MS;
    for (const key of this.byKey.keys()) {
      if (listed.has(key)) continue;
      // Gone, if it is a per-session file or in a partition this listing covered (a partition
      // ahead of this clock may not have been: the next full listing settles it).
      const start = partitionStart(folderOfKey(key));
      if (start === undefined || (start + HOUR_MS > from && start <= started)) this.byKey.delete(key);
    }
    if (full) this.fullAt = started;
    this.listedAt = started;
    const stale = [...segments, ...legacy].filter((o) => this.byKey.get(o.key)?.version !== o.version);
    const contents = await readSegments(storage, stale);
    stale.forEach((o, i) => this.byKey.set(o.key, { version: o.version, entries: contents[i] }));
    this.counters.fetched += stale.length;
    const latest = new LatestEntries();
    for (const { entries } of this.byKey.values()) for (const e of entries) latest.add(e);
    // What this very storage wrote and has not flushed yet (a viewer mounted on the writer's storage).
    for (const e of [...pending, ...storage.index.buffered()]) latest.add(e);
    return latest.values();
  }
}
