/**
 * The index of a storage, in the layout AMS_INDEX_LAYOUT chooses: `segments` (the default; one
 * object per session, entries rolled up, segment-index.ts), `per-session` (`index/{id}.json`, the
 * older layout, for tools that read those files) or `both`. Readers always read both layouts, so
 * switching either way needs no migration of what is stored (docs/storage.md, "Index layout").
 * One instance per LocalStorage / S3Storage.
 */
import { resolve, SETTINGS } from '../config/env.js';
import type { Env, IndexLayout } from '../config/env.js';
import type { SessionIndexEntry } from '../session/types.js';
import { indexKey } from './keys.js';
import { parseLegacyEntry, readIndex, readSegments, listSegments, SegmentIndex } from './segment-index.js';
import type { ObjectStore, ReadIndexOptions, SegmentIndexStats } from './segment-index.js';
import { encodeSegment, LatestEntries, revisionOf } from './segments.js';

export interface IndexLayoutOptions {
  /** Default AMS_INDEX_LAYOUT, else `segments`. */
  indexLayout?: IndexLayout;
  /** Default AMS_INDEX_FLUSH_MS, else 5000. */
  indexFlushMs?: number;
  /** Default AMS_INDEX_FLUSH_ENTRIES, else 1000. */
  indexFlushEntries?: number;
  /** Names this writer's segments; default AMS_WRITER_ID, else the host name. */
  writerId?: string;
}

/** Ids whose document key this writer knows, newest kept (a bound against unbounded growth). */
const RECENT_KEYS = 10_000;

export class StorageIndex {
  readonly layout: IndexLayout;
  /** Present unless the layout is `per-session`; created on the first entry written. */
  #segments: SegmentIndex | undefined;
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    readonly prefix: string,
    private readonly options: IndexLayoutOptions & { env?: Env; spoolDir?: string; timeoutMs: number },
  ) {
    this.layout = resolve(SETTINGS.indexLayout, options.indexLayout, options.env);
  }

  get writesSegments(): boolean {
    return this.layout !== 'per-session';
  }

  get writesPerSession(): boolean {
    return this.layout !== 'segments';
  }

  private segments(): SegmentIndex {
    this.#segments ??= new SegmentIndex(this.store, this.prefix, {
      writerId: resolve(SETTINGS.writerId, this.options.writerId, this.options.env),
      flushMs: resolve(SETTINGS.indexFlushMs, this.options.indexFlushMs, this.options.env),
      flushEntries: resolve(SETTINGS.indexFlushEntries, this.options.indexFlushEntries, this.options.env),
      spoolDir: this.options.spoolDir,
      timeoutMs: this.options.timeoutMs,
    });
    return this.#segments;
  }

  /** Where this writer last wrote a session's document (undefined when it does not know). */
  knownKey(id: string): string | undefined {
    return this.recent.get(id);
  }

  /**
   * Where a session's document was before this write (to remove it when a rewrite moves it to
   * another date): what this writer knows, else the per-session file where that layout is written.
   */
  async previousKey(id: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.knownKey(id) ?? (this.writesPerSession ? (await this.perSessionEntry(id, signal))?.key : undefined);
  }

  /** Remembers where a session's document is. */
  remember(id: string, key: string): void {
    this.recent.delete(id);
    this.recent.set(id, key);
    if (this.recent.size > RECENT_KEYS) this.recent.delete(this.recent.keys().next().value as string);
  }

  /**
   * Records an entry in the layout written: the per-session file now (awaited: it is what that
   * layout's readers follow), the segment buffered (written within AMS_INDEX_FLUSH_MS).
   */
  async record(entry: SessionIndexEntry, signal?: AbortSignal): Promise<void> {
    this.remember(entry.id, entry.key);
    if (this.writesPerSession) await this.store.putObject(indexKey(this.prefix, entry.id), Buffer.from(JSON.stringify(entry) + '\n'), signal);
    if (this.writesSegments) this.segments().add(entry);
  }

  /** Adds the entry to the next segment only (layouts that write segments); no per-session file. */
  addToSegments(entry: SessionIndexEntry): void {
    this.remember(entry.id, entry.key);
    if (this.writesSegments) this.segments().add(entry);
  }

  /**
   * The entry of a document found stored and complete (an abandoned write's, see
   * ConditionalStorage.indexStored): a segment line, and the per-session file only where it is
   * missing or older, so an entry of a newer revision written meanwhile is never replaced.
   */
  async recordStored(entry: SessionIndexEntry): Promise<void> {
    this.addToSegments(entry);
    if (!this.writesPerSession) return;
    const current = await this.perSessionEntry(entry.id).catch(() => undefined);
    if (!current || revisionOf(current) < revisionOf(entry)) await this.store.putObject(indexKey(this.prefix, entry.id), Buffer.from(JSON.stringify(entry) + '\n'));
  }

  /** The per-session file of an id, when that layout has one. */
  async perSessionEntry(id: string, signal?: AbortSignal): Promise<SessionIndexEntry | undefined> {
    const key = indexKey(this.prefix, id);
    const body = await this.store.getObject(key, signal);
    return body === undefined ? undefined : parseLegacyEntry(body, key);
  }

  /**
   * Every session's newest entry, both layouts, only the partitions `since` needs; with what this
   * instance buffers for its next segment (its own writes are read back before they are flushed).
   */
  async list(options: ReadIndexOptions = {}): Promise<SessionIndexEntry[]> {
    // Taken before listing too: a flush between the listing and the end would otherwise hide them.
    const before = [...this.buffered()];
    const stored = await readIndex(this.store, this.prefix, options);
    const buffered = [...before, ...this.buffered()];
    if (buffered.length === 0) return stored;
    const latest = new LatestEntries();
    for (const e of stored) latest.add(e);
    for (const e of buffered) latest.add(e);
    return latest.values();
  }

  /** Entries this instance has not written to a segment yet (its own reads include them). */
  buffered(): readonly SessionIndexEntry[] {
    return this.#segments?.buffered() ?? [];
  }

  /** One session's newest entry: buffered here, its per-session file, else the segments (read whole: a CLI lookup). */
  async find(id: string): Promise<SessionIndexEntry | undefined> {
    const direct = await this.perSessionEntry(id).catch(() => undefined);
    if (this.layout === 'per-session' && direct) return direct;
    const all = await this.list();
    return all.find((e) => e.id === id) ?? direct;
  }

  /**
   * Removes sessions' entries from every segment holding them (each such segment is rewritten at
   * its own key without them, or deleted when nothing is left) and their per-session files.
   */
  async drop(ids: ReadonlySet<string>): Promise<void> {
    if (ids.size === 0) return;
    await this.flush();
    const { segments } = await listSegments(this.store, this.prefix);
    const contents = await readSegments(this.store, segments);
    for (let i = 0; i < segments.length; i++) {
      const kept = contents[i].filter((e) => !ids.has(e.id));
      if (kept.length === contents[i].length) continue;
      if (kept.length === 0) await this.store.deleteObject(segments[i].key);
      else await this.store.putObject(segments[i].key, encodeSegment(kept));
    }
    for (const id of ids) {
      await this.store.deleteObject(indexKey(this.prefix, id));
      this.recent.delete(id);
    }
  }

  flush(): Promise<void> {
    return this.#segments?.flush() ?? Promise.resolve();
  }

  /** Flushes and stops the timers; an entry recorded later (a write landing late) is written at once. */
  close(): Promise<void> {
    return this.writesSegments ? this.segments().close() : Promise.resolve();
  }

  stats(): SegmentIndexStats | undefined {
    return this.#segments?.stats();
  }
}
