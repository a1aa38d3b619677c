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
import { decodeSegment, encodeSegment, folderOfKey, HOUR_MS, LatestEntries, partitionOf, partitionStart, sanitizeWriterId, SEGMENT_SUFFIX } from './segments.js';
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

/** Which keys a listing wants, in S3's lexicographic key order. */
export interface KeyRange {
  /** Only keys after this one (S3 ListObjectsV2 StartAfter). */
  startAfter?: string;
  /** Stop listing at the first key at or after this one (it is not returned). */
  stopAt?: string;
}

/** The few object operations the segment index needs; LocalStorage and S3Storage have them. */
export interface ObjectStore {
  putObject(key: string, body: Buffer, signal?: AbortSignal): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  getObject(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /**
   * Objects under `prefix` (a folder, ending in `/`) in key order, within `range`; with `shallow`,
   * only what is directly in it, and its sub-folders (each ending in `/`). (Sub-folders are worked
   * out from the keys, not asked of the server with a delimiter: s3rver, the S3 server the tests
   * use, finds no common prefix more than one level down.)
   */
  listObjects(prefix: string, shallow?: boolean, range?: KeyRange): Promise<{ objects: ListedObject[]; folders: string[] }>;
  /** Removing what is gone is not an error. */
  deleteObject(key: string): Promise<void>;
}

/** Splits a deep listing into what is directly under `prefix` and its sub-folders. */
export function shallowOf(prefix: string, objects: ListedObject[]): { objects: ListedObject[]; folders: string[] } {
  const folders = new Set<string>();
  const direct: ListedObject[] = [];
  for (const o of objects) {
    const slash = o.key.indexOf('/', prefix.length);
    if (slash < 0) direct.push(o);
    else folders.add(o.key.slice(0, slash + 1));
  }
  return { objects: direct, folders: [...folders] };
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

/**
 * Instances with entries waiting. The flush timer does not keep a process alive (tracing never
 * holds the agent's process open), so what waits is flushed when the event loop runs empty
 * (`beforeExit`: a script that ends without calling shutdown still gets its index entries). A
 * process killed or ended with process.exit() loses them from the index only: `ams compact` and
 * the receiver's start find the documents and index them again (repair).
 */
const waiting = new Set<SegmentIndex>();
let exitHook = false;
function flushBeforeExit(index: SegmentIndex): void {
  waiting.add(index);
  if (exitHook) return;
  exitHook = true;
  process.on('beforeExit', () => {
    const all = [...waiting];
    waiting.clear();
    for (const i of all) void i.flush();
  });
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
  /** Batches taken by a flush whose segment is not written yet. */
  private readonly inFlight = new Set<SessionIndexEntry[]>();
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
    if (this.buffer.length === 1) flushBeforeExit(this);
    if (!this.spoolChecked) {
      this.spoolChecked = true;
      this.scheduleReplay(0); // segments a crashed or cut-off run left in the spool
    }
    // After close (a write abandoned at shutdown that landed late): written at once, no timer.
    if (this.buffer.length >= this.options.flushEntries || this.closed) void this.flush();
    else if (!this.timer) {
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
    waiting.delete(this);
    if (entries.length > 0) this.inFlight.add(entries);
    const run = this.writing.then(async () => {
      try {
        if (entries.length > 0) await this.writeSegment(this.nextKey(), encodeSegment(entries), entries.length);
      } finally {
        this.inFlight.delete(entries);
      }
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

  /** The entries not yet in a written segment: buffered, or being written (what this writer's own reads add). */
  buffered(): readonly SessionIndexEntry[] {
    return this.inFlight.size === 0 ? this.buffer : [...[...this.inFlight].flat(), ...this.buffer];
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

/**
 * The segment objects of the partitions a reader needs (oldest first) and the per-session index
 * files. Two ranged listings: the keys before `index/dt=` (per-session files named by ids, which
 * cannot contain `=`; it stops at the first segment key, so one request when there are none), then
 * from the first partition needed on. With `since`, the partitions before are never listed.
 */
export async function listSegments(store: ObjectStore, prefix: string, options: ReadIndexOptions = {}): Promise<{ segments: ListedObject[]; legacy: ListedObject[] }> {
  const root = indexFolder(prefix);
  const partitions = `${root}dt=`;
  options.onRequest?.('list');
  const before = await store.listObjects(root, false, { stopAt: partitions });
  const from = options.since === undefined ? -Infinity : Math.floor((options.since - SKEW_MS) / HOUR_MS) * HOUR_MS;
  options.onRequest?.('list');
  const rest = await store.listObjects(root, false, { startAfter: Number.isFinite(from) ? partitionOf(prefix, from) : partitions });
  const legacy = before.objects.filter((o) => o.key.endsWith('.json') && !o.key.includes('/', root.length));
  const segments: ListedObject[] = [];
  for (const o of rest.objects) {
    if (!o.key.startsWith(partitions)) {
      if (o.key.endsWith('.json') && !o.key.includes('/', root.length)) legacy.push(o);
      continue;
    }
    if (!o.key.endsWith(SEGMENT_SUFFIX)) continue;
    const start = partitionStart(folderOfKey(o.key));
    if (start !== undefined && start + HOUR_MS > from) segments.push(o);
  }
  segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { segments, legacy };
}

/** Objects fetched at once. */
const READ_CONCURRENCY = 16;

/**
 * The entries of some index objects, in the order given: segments, and per-session files (`.json`,
 * one entry each); unreadable ones are reported and skipped.
 */
export async function readSegments(store: ObjectStore, segments: readonly ListedObject[], options: ReadIndexOptions = {}): Promise<SessionIndexEntry[][]> {
  const out: SessionIndexEntry[][] = new Array(segments.length);
  for (let i = 0; i < segments.length; i += READ_CONCURRENCY) {
    await Promise.all(
      segments.slice(i, i + READ_CONCURRENCY).map(async (o, j) => {
        options.onRequest?.('get');
        const body = await store.getObject(o.key);
        if (body === undefined) out[i + j] = [];
        else if (o.key.endsWith(SEGMENT_SUFFIX)) out[i + j] = decodeSegment(body, o.key, options.onCorrupt);
        else {
          const e = parseLegacyEntry(body, o.key, options.onCorrupt);
          out[i + j] = e ? [e] : [];
        }
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
  for (const entries of await readSegments(store, [...legacy, ...segments], options)) for (const e of entries) latest.add(e);
  return latest.values();
}
