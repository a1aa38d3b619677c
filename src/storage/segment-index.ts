/**
 * The index as rolled-up segments (segments.ts has the layout): writers buffer index entries and
 * write them as one object every AMS_INDEX_FLUSH_MS or AMS_INDEX_FLUSH_ENTRIES and on flush /
 * close, so a session costs one object of its own; readers list only the partitions they need and
 * keep the highest revision per session. A segment that cannot be written is retried, then spooled
 * to local disk and replayed, like session writes (nothing acknowledged is lost to an outage).
 */
import { diag } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionIndexEntry } from '../session/types.js';
import { indexFolder } from './keys.js';
import { dayFolderOf, dayStart, decodeSegment, encodeSegment, folderOfKey, HOUR_MS, LatestEntries, partitionOf, partitionStart, sanitizeWriterId, SEGMENT_SUFFIX } from './segments.js';
import type { OnCorruptSegment } from './segments.js';

const log = diag.createComponentLogger({ namespace: 'ams-otel/storage/index' });

/** One object as listed. */
export interface ListedObject {
  key: string;
  /** Size in bytes; null when the listing does not say. */
  bytes: number | null;
  /** Epoch ms of the last write; null when unknown. */
  modified: number | null;
  /** Changes whenever the content does (S3 ETag; local mtime + size). */
  version: string;
}

/** The few object operations the segment index needs; LocalStorage and S3Storage have them. */
export interface ObjectStore {
  putObject(key: string, body: Buffer, signal?: AbortSignal): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  getObject(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /**
   * Everything under `prefix` (a folder, ending in `/`); with `shallow`, only what is directly in
   * it, and its sub-folders (each ending in `/`).
   */
  listObjects(prefix: string, shallow?: boolean): Promise<{ objects: ListedObject[]; folders: string[] }>;
  /** Removing what is gone is not an error. */
  deleteObject(key: string): Promise<void>;
}

export interface SegmentIndexOptions {
  /** Names the segments (sanitized); default the host name. */
  writerId?: string;
  /** Longest wait between an entry and its segment's write (ms). */
  flushMs: number;
  /** A segment is written when this many entries wait. */
  flushEntries: number;
  /** Where segments wait while storage is unreachable; default a folder under the OS temp dir. */
  spoolDir?: string;
  /** Deadline of one segment write (ms; 0 = none). */
  timeoutMs: number;
}

export interface SegmentIndexStats {
  /** Segments written (spool replays included). */
  segmentsWritten: number;
  /** Entries in them. */
  entriesWritten: number;
  /** Segments that went to the spool after their retries failed. */
  segmentsSpooled: number;
  /** Entries that could be neither written nor spooled (the spool's disk failed too): lost to the index (`ams reindex` restores them). */
  entriesDropped: number;
  /** Entries buffered now. */
  pending: number;
  /** Segments not written yet that wait in the spool (on disk, or in memory when the disk failed too). */
  segmentsWaiting: number;
}

const ATTEMPTS = 3;
const RETRY_BASE_MS = 100;
const REPLAY_MIN_MS = 1000;
const REPLAY_MAX_MS = 60_000;
/** Spooled segments kept in memory when even the spool's disk fails (then entries are dropped, counted). */
const MEMORY_HELD = 32;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function withTimeout<T>(ms: number, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  if (!(ms > 0)) return fn();
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    fn(ac.signal),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort(new Error(`ams-otel: index segment write took longer than ${ms} ms`));
        reject(new Error(`ams-otel: index segment write took longer than ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Segment keys in file names of the spool: reversible and safe. */
const spoolName = (key: string): string => `${Buffer.from(key).toString('base64url')}.seg`;
const keyOfSpoolName = (name: string): string => Buffer.from(name.slice(0, -'.seg'.length), 'base64url').toString('utf8');

/**
 * A spooled segment's key moved to the partition of `now`: the invariant allows any partition from
 * the one first chosen on (it only says "at or after the write"), and readers that watch the
 * newest hours (`ams tail`) then see what an outage held back. The prefix and file name stay.
 */
export function replayKey(key: string, now: number): string {
  return key.replace(/index\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/(?=[^/]+$)/, partitionOf('', now));
}

export class SegmentIndex {
  /** `<writer>-<start>`: unique per instance, so two processes of one writer id never share a key. */
  readonly writerName: string;
  private seq = 0;
  private buffer: SessionIndexEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private replayDelay = REPLAY_MIN_MS;
  private writing: Promise<void> = Promise.resolve();
  private readonly held: Array<{ key: string; body: Buffer; entries: number }> = [];
  private spoolChecked = false;
  private closed = false;
  private readonly counters = { segmentsWritten: 0, entriesWritten: 0, segmentsSpooled: 0, entriesDropped: 0 };
  readonly spoolDir: string;

  constructor(
    private readonly store: ObjectStore,
    readonly prefix: string,
    private readonly options: SegmentIndexOptions,
  ) {
    const start = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    this.writerName = `${sanitizeWriterId(options.writerId ?? os.hostname())}-${start}`;
    this.spoolDir = options.spoolDir ?? path.join(os.tmpdir(), 'ams-otel-spool', 'index');
  }

  /** Buffers one entry; the segment is written within flushMs, or now when flushEntries wait. */
  add(entry: SessionIndexEntry): void {
    this.buffer.push(entry);
    if (!this.spoolChecked) {
      this.spoolChecked = true;
      this.scheduleReplay(0); // segments a crashed or cut-off run left in the spool
    }
    if (this.buffer.length >= this.options.flushEntries) void this.flush();
    else if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.timer.unref?.();
    }
  }

  /** Writes what is buffered (and retries what is spooled); resolves when both are done. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.buffer;
    this.buffer = [];
    const run = this.writing.then(async () => {
      if (entries.length > 0) await this.writeSegment(this.nextKey(), encodeSegment(entries), entries.length);
      await this.replaySpool();
    });
    this.writing = run.catch(() => undefined);
    return this.writing;
  }

  /** Flushes, then stops the timers. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
  }

  stats(): SegmentIndexStats {
    let onDisk = 0;
    try {
      onDisk = readdirSync(this.spoolDir).filter((n) => n.endsWith('.seg')).length;
    } catch {
      // no spool folder: nothing waits on disk
    }
    return { ...this.counters, pending: this.buffer.length, segmentsWaiting: this.held.length + onDisk };
  }

  private nextKey(): string {
    this.seq += 1;
    return `${partitionOf(this.prefix, Date.now())}${this.writerName}-${String(this.seq).padStart(6, '0')}${SEGMENT_SUFFIX}`;
  }

  /** Tries ATTEMPTS times under the deadline, then spools. Never rejects. */
  private async writeSegment(key: string, body: Buffer, entries: number): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await withTimeout(this.options.timeoutMs, (signal) => this.store.putObject(key, body, signal));
        this.counters.segmentsWritten += 1;
        this.counters.entriesWritten += entries;
        return;
      } catch (err) {
        last = err;
        if (attempt < ATTEMPTS) await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
    this.spool(key, body, entries, last);
  }

  private spool(key: string, body: Buffer, entries: number, cause: unknown): void {
    this.counters.segmentsSpooled += 1;
    try {
      mkdirSync(this.spoolDir, { recursive: true });
      const file = path.join(this.spoolDir, spoolName(key));
      writeFileSync(`${file}.tmp`, body);
      renameSync(`${file}.tmp`, file);
      log.warn(`index segment ${key} (${entries} entries) not written (${String((cause as Error)?.message ?? cause)}); spooled to ${this.spoolDir}, retried later`);
    } catch (err) {
      if (this.held.length >= MEMORY_HELD) {
        const lost = this.held.shift()!;
        this.counters.entriesDropped += lost.entries;
        log.error(`index segment ${lost.key}: ${lost.entries} entries dropped (storage and the spool's disk both failed); \`ams reindex\` restores them`);
      }
      this.held.push({ key, body, entries });
      log.error(`index segment ${key} could not be spooled either (${String((err as Error)?.message ?? err)}); held in memory`);
    }
    this.scheduleReplay(this.replayDelay);
  }

  private scheduleReplay(ms: number): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      this.writing = this.writing.then(() => this.replaySpool()).catch(() => undefined);
    }, ms);
    this.replayTimer.unref?.();
  }

  /** One pass over what waits (memory, then the spool folder); failures back off and come again. */
  private async replaySpool(): Promise<void> {
    let failed = false;
    for (const seg of [...this.held]) {
      try {
        await withTimeout(this.options.timeoutMs, (signal) => this.store.putObject(replayKey(seg.key, Date.now()), seg.body, signal));
        this.held.splice(this.held.indexOf(seg), 1);
        this.counters.segmentsWritten += 1;
        this.counters.entriesWritten += seg.entries;
      } catch {
        failed = true;
        break;
      }
    }
    let names: string[];
    try {
      names = failed ? [] : readdirSync(this.spoolDir).filter((n) => n.endsWith('.seg'));
    } catch {
      names = []; // no spool folder: nothing waits
    }
    for (const name of names) {
      const file = path.join(this.spoolDir, name);
      let body: Buffer;
      try {
        body = readFileSync(file);
      } catch {
        continue; // another writer replayed it
      }
      try {
        await withTimeout(this.options.timeoutMs, (signal) => this.store.putObject(replayKey(keyOfSpoolName(name), Date.now()), body, signal));
        rmSync(file, { force: true });
        this.counters.segmentsWritten += 1;
      } catch {
        failed = true;
        break;
      }
    }
    if (failed) {
      this.replayDelay = Math.min(REPLAY_MAX_MS, this.replayDelay * 2);
      this.scheduleReplay(this.replayDelay);
    } else this.replayDelay = REPLAY_MIN_MS;
  }
}

export interface ReadIndexOptions {
  /** Epoch ms: only entries that may have started since then are needed (partitions before are skipped). */
  since?: number;
  onCorrupt?: OnCorruptSegment;
  /** Counts the requests made (LIST and GET), for benches and tests. */
  onRequest?(kind: 'list' | 'get'): void;
}

/** Readers take this much before `since` too: a producer's clock ahead of the writer's. */
export const SKEW_MS = HOUR_MS;

const DAY_MS = 24 * HOUR_MS;
/** Past this many days a reader lists index/ whole (fewer requests than a listing per day). */
const MAX_DAYS_LISTED = 31;
/** Up to this many hours a reader lists hour folders, not day folders (ams tail: a busy day holds thousands of segments). */
const MAX_HOURS_LISTED = 6;

/**
 * The segment objects of the partitions a reader needs, oldest partition first, and the
 * per-session files (`index/{id}.json`). Without `since` (or one more than MAX_DAYS_LISTED days
 * back): one listing of everything under index/. With it: a shallow listing of index/
 * (per-session files, day folders), then one listing per partition folder from `since`'s hour
 * (less SKEW_MS) on: the hour folders up to the next hour when that is at most MAX_HOURS_LISTED
 * of them (what `ams tail` polls), else the day folders up to tomorrow. Day folders are those
 * the shallow listing names and, as well, every day of the range: some S3-protocol servers
 * (s3rver) leave folders two levels deep out of a delimited listing, and a missing day must not
 * hide its sessions.
 */
export async function listSegments(store: ObjectStore, prefix: string, options: ReadIndexOptions = {}): Promise<{ segments: ListedObject[]; legacy: ListedObject[] }> {
  const root = indexFolder(prefix);
  const isLegacy = (key: string) => key.endsWith('.json') && !key.slice(root.length).includes('/');
  const from = options.since === undefined ? -Infinity : Math.floor((options.since - SKEW_MS) / HOUR_MS) * HOUR_MS;
  const segments: ListedObject[] = [];
  const keep = (objects: readonly ListedObject[]) => {
    for (const o of objects) {
      if (!o.key.endsWith(SEGMENT_SUFFIX)) continue;
      const start = partitionStart(folderOfKey(o.key));
      if (start !== undefined && start + HOUR_MS > from) segments.push(o);
    }
  };
  let legacy: ListedObject[];
  if (options.since === undefined || Date.now() - from > MAX_DAYS_LISTED * DAY_MS) {
    options.onRequest?.('list');
    const all = await store.listObjects(root);
    legacy = all.objects.filter((o) => isLegacy(o.key));
    keep(all.objects);
  } else {
    options.onRequest?.('list');
    const top = await store.listObjects(root, true);
    legacy = top.objects.filter((o) => isLegacy(o.key));
    const nextHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + HOUR_MS;
    const folders = new Set<string>();
    if ((nextHour - from) / HOUR_MS < MAX_HOURS_LISTED) {
      for (let t = from; t <= nextHour; t += HOUR_MS) folders.add(partitionOf(prefix, t));
    } else {
      for (const f of top.folders) {
        const d = dayStart(f);
        if (d !== undefined && d + DAY_MS > from) folders.add(f);
      }
      for (let t = Math.floor(from / DAY_MS) * DAY_MS; t <= Date.now() + DAY_MS; t += DAY_MS) folders.add(dayFolderOf(prefix, t));
    }
    for (const folder of [...folders].sort()) {
      options.onRequest?.('list');
      keep((await store.listObjects(folder)).objects);
    }
  }
  segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { segments, legacy };
}

/** Objects fetched at once. */
const READ_CONCURRENCY = 16;

/** The entries of some segments, in the order given; unreadable ones are reported and skipped. */
export async function readSegments(store: ObjectStore, segments: readonly ListedObject[], options: ReadIndexOptions = {}): Promise<SessionIndexEntry[][]> {
  const out: SessionIndexEntry[][] = new Array(segments.length);
  for (let i = 0; i < segments.length; i += READ_CONCURRENCY) {
    await Promise.all(
      segments.slice(i, i + READ_CONCURRENCY).map(async (o, j) => {
        options.onRequest?.('get');
        const body = await store.getObject(o.key);
        out[i + j] = body === undefined ? [] : decodeSegment(body, o.key, options.onCorrupt);
      }),
    );
  }
  return out;
}

/** Parses one per-session index file's bytes (the `per-session` layout); reports and skips what is not an entry. */
export function parseLegacyEntry(body: Buffer, object: string, onCorrupt?: OnCorruptSegment): SessionIndexEntry | undefined {
  try {
    const e = JSON.parse(body.toString('utf8')) as SessionIndexEntry;
    if (e !== null && typeof e === 'object' && typeof e.id === 'string') return e;
    onCorrupt?.(object, 'not an index entry (no string id)');
  } catch (err) {
    onCorrupt?.(object, `not valid JSON (${(err as Error).message})`);
  }
  return undefined;
}

/**
 * Every session's newest index entry from both layouts (per-session files and segments), reading
 * only the partitions `since` needs. Entries whose session started before `since` may be included
 * (callers filter); none started since then is left out.
 */
export async function readIndex(store: ObjectStore, prefix: string, options: ReadIndexOptions = {}): Promise<SessionIndexEntry[]> {
  const { segments, legacy } = await listSegments(store, prefix, options);
  const latest = new LatestEntries();
  for (let i = 0; i < legacy.length; i += READ_CONCURRENCY) {
    const bodies = await Promise.all(
      legacy.slice(i, i + READ_CONCURRENCY).map((o) => {
        options.onRequest?.('get');
        return store.getObject(o.key);
      }),
    );
    bodies.forEach((b, j) => {
      const e = b === undefined ? undefined : parseLegacyEntry(b, legacy[i + j].key, options.onCorrupt);
      if (e) latest.add(e);
    });
  }
  for (const entries of await readSegments(store, segments, options)) for (const e of entries) latest.add(e);
  return latest.values();
}
