import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toIndexEntry } from '../session/index-entry.js';
import type { Session, SessionIndexEntry } from '../session/types.js';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import { packEtag, PreconditionFailedError, unpackEtag } from './conditional.js';
import type { ConditionalWriteResult, VersionedSession, WriteCondition } from './conditional.js';
import { indexKey, lockKey, safeId, sessionKey, sessionKeysAround, sessionsFolder } from './keys.js';
import { StorageIndex } from './index-layout.js';
import type { IndexLayoutOptions } from './index-layout.js';
import { shallowOf } from './segment-index.js';
import type { KeyRange, ListedObject, ObjectStore } from './segment-index.js';
import type { OnCorruptSegment } from './segments.js';
import type { StorageSpec } from './spec.js';
import type { ListIndexOptions, SessionMaintenance, SessionReader, SessionStorage, StorageCallOptions, StoredDocument } from './types.js';

export interface LocalStorageOptions extends IndexLayoutOptions {
  /** Root folder; default `AMS_LOCAL_DIR` or `./ams-data`. */
  dir?: string;
  /** Key prefix inside the folder; default none. */
  prefix?: string;
  /**
   * Write with synchronous file-system calls (default true). A session is two small files going to
   * the page cache: done synchronously that costs 3-6x less CPU than through the thread pool and
   * promises (measured: ~110 vs ~400-700 µs per session), and blocks the event loop for about as
   * long as assembling the session does. Set false for slow or network file systems, where a
   * stalled write must not stall the process.
   */
  syncWrites?: boolean;
  /**
   * Conditional writes hold a per-session lock file; a lock older than this is taken to be left by
   * a crashed writer and broken (default 30,000 ms; a lock whose process is gone on this host is
   * broken at once).
   */
  lockStaleMs?: number;
  /** How long a conditional write waits for another writer's lock before failing (default 10,000 ms). */
  lockWaitMs?: number;
  /** Where index segments wait when they cannot be written; default `<tmpdir>/ams-otel-spool/index-<hash of the folder>`. */
  indexSpoolDir?: string;
  env?: Env;
}

/**
 * Temp file names: unique per process and thread without a random draw per write. Each thread
 * evaluates this module once, so one random token per evaluation stands for the thread id
 * (node:worker_threads would add its loading to `import 'ams-otel'`; node:crypto is loaded anyway).
 */
const INSTANCE = randomBytes(6).toString('hex');
let tmpCounter = 0;
const tmpName = (file: string): string => `${file}.${process.pid}.${INSTANCE}.${(tmpCounter++).toString(36)}.tmp`;

/** writeFileAtomic's synchronous twin, for LocalStorage's default write path. */
function writeFileAtomicSync(file: string, data: string | Buffer, knownDirs: Set<string>): void {
  const dir = path.dirname(file);
  if (!knownDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    knownDirs.add(dir);
  }
  const tmp = tmpName(file);
  try {
    try {
      writeFileSync(tmp, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder was removed under us (cleanup job, rotation): make it again, once.
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, data);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    knownDirs.delete(dir);
    throw err;
  }
}

function readJsonSync<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a file so readers never see half of it: a temp file in the same folder, then rename. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

function readTextSync(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Content tag of a stored document: what a conditional write compares. */
const contentTag = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

const HOST = os.hostname();
let lockCounter = 0;
/** Not unref'd: a write waiting for a lock (bounded by lockWaitMs) must keep the process alive until it is done. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Sessions as files under a local folder (the default storage). */
export class LocalStorage implements SessionStorage, SessionReader, SessionMaintenance, ObjectStore {
  readonly dir: string;
  readonly prefix: string;
  private readonly syncWrites: boolean;
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;
  /** Folders known to exist: a day's sessions share one, so mkdir runs once a day, not per write. */
  private readonly knownDirs = new Set<string>();

  /** The options as given, for toSpec() (private: nothing prints or serializes them). */
  readonly #options: LocalStorageOptions;
  /** The index, in the layout AMS_INDEX_LAYOUT chooses. */
  readonly index: StorageIndex;

  constructor(options: LocalStorageOptions = {}) {
    this.#options = options;
    this.dir = path.resolve(resolve(SETTINGS.localDir, options.dir, options.env));
    this.prefix = options.prefix ?? '';
    this.syncWrites = options.syncWrites ?? true;
    this.lockStaleMs = options.lockStaleMs ?? 30_000;
    this.lockWaitMs = options.lockWaitMs ?? 10_000;
    const spoolDir = options.indexSpoolDir ?? path.join(os.tmpdir(), 'ams-otel-spool', `index-${createHash('sha256').update(this.dir).update('\0').update(this.prefix).digest('hex').slice(0, 16)}`);
    this.index = new StorageIndex(this, this.prefix, { ...options, env: options.env, spoolDir, timeoutMs: resolve(SETTINGS.storageTimeoutMs, undefined, options.env) });
  }

  /** This storage as data, to be built again on another thread (see storage/spec.ts). */
  toSpec(): StorageSpec {
    return { kind: 'local', options: this.#options };
  }

  /** Absolute path of a key, refusing anything that would land outside the root folder. */
  pathOf(key: string): string {
    const file = path.resolve(this.dir, key);
    if (file !== this.dir && !file.startsWith(this.dir + path.sep)) throw new Error(`ams-otel: key escapes the storage folder: ${key}`);
    return file;
  }

  async putSession(session: Session): Promise<string> {
    const key = sessionKey(this.prefix, session);
    const doc = JSON.stringify(session, null, 2) + '\n';
    // A rewrite whose start date moved would leave the old document behind: remove it.
    const previous = session.revision > 1 ? await this.index.previousKey(session.id) : undefined;
    if (previous && previous !== key) await this.deleteObject(previous);
    // The document first, then the index entry that points at it: a reader never follows an
    // index entry to a missing document.
    if (this.syncWrites) writeFileAtomicSync(this.pathOf(key), doc, this.knownDirs);
    else await writeFileAtomic(this.pathOf(key), doc);
    await this.index.record(toIndexEntry(session, key));
    return key;
  }

  /**
   * The key of the stored document of `id`: what this writer knows, else the per-session index
   * file, else the keys around `startedAt` (segment layout: no per-session pointer), else undefined.
   */
  private locate(id: string, startedAt?: string): string | undefined {
    const known = this.index.knownKey(id);
    if (known && existsSync(this.pathOf(known))) return known;
    const entry = readJsonSync<SessionIndexEntry>(this.pathOf(indexKey(this.prefix, safeId(id))));
    if (entry && typeof entry.key === 'string' && existsSync(this.pathOf(entry.key))) return entry.key;
    if (startedAt === undefined) return undefined;
    return sessionKeysAround(this.prefix, id, startedAt).find((k) => existsSync(this.pathOf(k)));
  }

  /**
   * The stored document with its version token (`<content hash>@<key>`), read through the index
   * entry; undefined when the id has no document.
   */
  async getSessionVersioned(id: string, options?: StorageCallOptions): Promise<VersionedSession | undefined> {
    const key = this.locate(id, options?.startedAt);
    const text = key === undefined ? undefined : readTextSync(this.pathOf(key));
    if (key === undefined || text === undefined) return undefined;
    return { session: JSON.parse(text) as Session, etag: packEtag(key, contentTag(text)) };
  }

  /**
   * Compare-and-swap on one session id, safe across processes sharing the folder: under the id's
   * lock file (created with O_EXCL), the stored document is compared with the condition, then the
   * document and its index entry are written (temp file + rename each). A document written this
   * way stays at the key of its first write (the version token names it).
   */
  async putSessionConditional(session: Session, condition: WriteCondition): Promise<ConditionalWriteResult> {
    const release = await this.lock(session.id);
    try {
      const found = this.locate(session.id, session.started_at);
      const text = found === undefined ? undefined : readTextSync(this.pathOf(found));
      const current = found !== undefined && text !== undefined ? { key: found, tag: contentTag(text) } : undefined;
      let key: string;
      if ('ifMatch' in condition) {
        const want = unpackEtag(condition.ifMatch);
        if (!current || !want || want.key !== current.key || want.tag !== current.tag) {
          throw new PreconditionFailedError(`session ${session.id} changed since it was read`);
        }
        key = current.key;
      } else {
        if (current) throw new PreconditionFailedError(`session ${session.id} already exists`);
        key = sessionKey(this.prefix, session);
      }
      const doc = JSON.stringify(session, null, 2) + '\n';
      writeFileAtomicSync(this.pathOf(key), doc, this.knownDirs);
      await this.index.record(toIndexEntry(session, key));
      return { key, etag: packEtag(key, contentTag(doc)) };
    } finally {
      release();
    }
  }

  /** See ConditionalStorage.indexStored: the entry of a document found complete, recorded again. */
  indexStored(session: Session, key: string): Promise<void> {
    return this.index.recordStored(toIndexEntry(session, key));
  }

  /**
   * Takes the id's lock file (O_EXCL create: atomic on local file systems, across processes).
   * A lock left by a crashed writer is broken: at once when its process is gone on this host, else
   * after lockStaleMs. Breaking renames the lock away first, so two writers that both found it
   * stale cannot both remove a fresh one (the second rename finds nothing); the window left is a
   * lock taken between one writer's look and its rename, which needs a writer crashed mid-write.
   */
  private async lock(id: string): Promise<() => void> {
    const file = this.pathOf(lockKey(this.prefix, id));
    const token = `${process.pid} ${HOST} ${Date.now()} ${INSTANCE}-${(lockCounter++).toString(36)}`;
    const deadline = Date.now() + this.lockWaitMs;
    let delay = 1;
    for (;;) {
      try {
        writeFileSync(file, token, { flag: 'wx' });
        return () => {
          if (readTextSync(file) === token) rmSync(file, { force: true });
        };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          mkdirSync(path.dirname(file), { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw err;
      }
      if (this.breakStaleLock(file)) continue;
      if (Date.now() > deadline) throw new Error(`ams-otel: session ${id} is locked by another writer (${file})`);
      await sleep(delay);
      delay = Math.min(50, delay * 2);
    }
  }

  /** True when the lock was stale and is gone now (take it again). */
  private breakStaleLock(file: string): boolean {
    let seen: string | undefined;
    let age: number;
    try {
      seen = readTextSync(file);
      if (seen === undefined) return true;
      const [pid, host, at] = seen.split(' ');
      const since = Number(at);
      age = Number.isFinite(since) ? Date.now() - since : Date.now() - statSync(file).mtimeMs;
      const gone = host === HOST && Number(pid) > 0 && processGone(Number(pid));
      if (!gone && age <= this.lockStaleMs) return false;
    } catch {
      return false;
    }
    const aside = `${file}.${process.pid}.${INSTANCE}.${(lockCounter++).toString(36)}.stale`;
    try {
      renameSync(file, aside);
    } catch {
      return true; // someone else broke it first
    }
    // Took a fresh lock by mistake (taken between our read and rename): put it back.
    if (readTextSync(aside) !== seen) {
      try {
        linkSync(aside, file);
      } catch {
        // a third writer holds the name now; nothing safe left to do but let the owner finish
      }
    }
    rmSync(aside, { force: true });
    return true;
  }

  /**
   * Every session's newest index entry (both layouts; with `since`, only the partitions needed).
   * Segments or lines that are not entries are skipped; `onCorrupt` hears which and where.
   */
  async *listIndex(onCorrupt?: OnCorruptSegment, options: ListIndexOptions = {}): AsyncIterable<SessionIndexEntry> {
    // Named by their path on disk, as S3Storage names them s3://bucket/key.
    const named: OnCorruptSegment | undefined = onCorrupt && ((object, problem, line) => onCorrupt(this.pathOf(object), problem, line));
    yield* await this.index.list({ ...options, onCorrupt: named });
  }

  /** The document first, then its index entry (see SessionStorage.deleteSession). */
  async deleteSession(id: string, key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
    await rm(this.pathOf(indexKey(this.prefix, id)), { force: true });
  }

  dropIndexEntries(ids: ReadonlySet<string>): Promise<void> {
    return this.index.drop(ids);
  }

  /** Writes the index entries buffered for the next segment. */
  flush(): Promise<void> {
    return this.index.flush();
  }

  close(): Promise<void> {
    return this.index.close();
  }

  /** Every `.json` file under `sessions/` (temp files of writes in flight are not listed). */
  async *listDocuments(): AsyncIterable<StoredDocument> {
    const root = this.pathOf(sessionsFolder(this.prefix));
    const walk = async function* (dir: string): AsyncIterable<string> {
      let names: Dirent[];
      try {
        names = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const d of names) {
        const file = path.join(dir, d.name);
        if (d.isDirectory()) yield* walk(file);
        else if (d.isFile() && d.name.endsWith('.json')) yield file;
      }
    };
    for await (const file of walk(root)) {
      const st = await stat(file).catch(() => null);
      if (st === null) continue; // removed since listed
      yield { key: path.relative(this.dir, file).split(path.sep).join('/'), bytes: st.size, modified: st.mtimeMs };
    }
  }

  async readDocument(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** In the layout written (a segment entry waits for the next flush). */
  putIndexEntry(entry: SessionIndexEntry): Promise<void> {
    return this.index.record(entry);
  }

  getIndexEntry(id: string): Promise<SessionIndexEntry | undefined> {
    return this.index.find(safeId(id));
  }

  // ObjectStore (segment-index.ts): keys are relative to the root folder.

  async putObject(key: string, body: Buffer): Promise<void> {
    if (this.syncWrites) writeFileAtomicSync(this.pathOf(key), body, this.knownDirs);
    else await writeFileAtomic(this.pathOf(key), body);
  }

  async getObject(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') return undefined;
      throw err;
    }
  }

  async listObjects(prefix: string, shallow = false, range: KeyRange = {}): Promise<{ objects: ListedObject[]; folders: string[] }> {
    const { startAfter, stopAt } = range;
    const objects: ListedObject[] = [];
    let stopped = false;
    // Depth first in key order, skipping folders wholly before startAfter or at/after stopAt.
    const walk = async (rel: string): Promise<void> => {
      let names: Dirent[];
      try {
        names = await readdir(this.pathOf(rel), { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw err;
      }
      const keyed = names.map((d) => ({ d, key: d.isDirectory() ? `${rel}${d.name}/` : `${rel}${d.name}` })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { d, key } of keyed) {
        if (stopped) return;
        if (stopAt !== undefined && key >= stopAt) {
          stopped = true;
          return;
        }
        if (d.isDirectory()) {
          if (startAfter !== undefined && key < startAfter && !startAfter.startsWith(key)) continue;
          await walk(key);
        } else if (d.isFile() && !d.name.endsWith('.tmp')) {
          if (startAfter !== undefined && key <= startAfter) continue;
          const st = await stat(this.pathOf(key)).catch(() => null);
          if (st) objects.push({ key, bytes: st.size, modified: st.mtimeMs, version: `${st.mtimeMs}:${st.size}` });
        }
      }
    };
    await walk(prefix);
    return shallow ? shallowOf(prefix, objects) : { objects, folders: [] };
  }

  async deleteObject(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async getSession(id: string): Promise<Session | undefined> {
    const entry = await this.getIndexEntry(id);
    return entry ? this.getSessionOf(entry) : undefined;
  }

  getSessionOf(entry: SessionIndexEntry): Promise<Session | undefined> {
    return readJson<Session>(this.pathOf(entry.key));
  }
}
