/**
 * Repair of sessions written but never indexed (docs/storage.md "Compaction and repair"): a
 * writer that dies between a document's write and its segment's flush (up to AMS_INDEX_FLUSH_MS)
 * leaves documents no index entry names. The receiver runs this on start and `ams compact` before
 * compacting: the documents written since the index's high-water mark (the newest segment's
 * write, less a lookback) are read, and each one the index does not list at its revision gets its
 * entry. Bounded: only the date folders from two days before that mark are listed (every document
 * once, when the mark is over a month old), and only the partitions since it are read. A session that started earlier and was rewritten just before a
 * crash is outside that bound: `ams reindex` (every document) finds it.
 */
import type { Session, SessionIndexEntry } from '../session/types.js';
import { toIndexEntry } from '../session/index-entry.js';
import { sessionsDayFolder } from './keys.js';
import type { StorageIndex } from './index-layout.js';
import { listSegments, readSegments } from './segment-index.js';
import type { ListedObject, ObjectStore } from './segment-index.js';
import { isCompacted } from './compact.js';
import { folderOfKey, HOUR_MS, LatestEntries, partitionStart, revisionOf } from './segments.js';
import type { OnCorruptSegment } from './segments.js';
import type { SessionMaintenance } from './types.js';

/** Default lookback before the high-water mark: far above the 5 s flush, and cheap (minutes of documents). */
export const REPAIR_LOOKBACK_MS = 10 * 60_000;
/** Documents are filed by their session's start: a session this much older than the mark is still found. */
const START_SLACK_MS = 2 * 86_400_000;
const DAY_MS = 86_400_000;
/** Past this many date folders, one listing of every document is cheaper. */
const MAX_DAY_LISTINGS = 31;
/** Documents read at once. */
const READ_CONCURRENCY = 16;

/** What repair needs: LocalStorage and S3Storage have it all. */
export type RepairableStorage = ObjectStore & Pick<SessionMaintenance, 'listDocuments' | 'readDocument'> & { readonly prefix: string; readonly index: StorageIndex };

export interface RepairOptions {
  /** How far before the high-water mark documents are checked (ms; default 10 minutes). */
  lookbackMs?: number;
  /** Hears of unreadable segments and documents (object, problem, line). */
  onCorrupt?: OnCorruptSegment;
  /** Find and count, write nothing. */
  dryRun?: boolean;
  /** Stops between steps when aborted (the receiver stopping); what was found so far is still written. */
  signal?: AbortSignal;
  /** The clock (epoch ms; default now): the last date folder listed is the day after it. */
  now?: number;
  /**
   * Index writes at or after this time do not count for the mark (epoch ms): the caller's own
   * (a receiver started at this time may flush segments before its repair lists them, which would
   * move the mark past the documents its crashed predecessor left unindexed).
   */
  ignoreWritesSince?: number;
}

export interface RepairResult {
  /** Epoch ms of the newest index write (segment or per-session file); null when there is none (every document was checked). */
  highWaterMark: number | null;
  /** Documents written in the window (at or after the mark less the lookback). */
  candidates: number;
  /** Of those, documents read. */
  documentsRead: number;
  /** Entries written for documents the index did not list at their revision. */
  repaired: number;
  /** Documents that are not sessions (named through onCorrupt) and were skipped. */
  corrupt: number;
}

/** A stored document as a session, or why it is not one. */
export function parseSessionDocument(text: string): { session?: Session; problem?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message})` };
  }
  const s = doc as Partial<Session> | null;
  if (s === null || typeof s !== 'object' || typeof s.id !== 'string' || s.id === '' || typeof s.started_at !== 'string') {
    return { problem: 'not a session (no string id and started_at)' };
  }
  return { session: s as Session };
}


/** The documents written at or after `from`: whole when unbounded, else the date folders it may be in. */
async function candidatesOf(storage: RepairableStorage, from: number, now: number): Promise<Array<{ key: string; modified: number | null }>> {
  const out: Array<{ key: string; modified: number | null }> = [];
  const first = Math.floor((from - START_SLACK_MS) / DAY_MS) * DAY_MS;
  // One day past now: a producer's clock ahead of ours files a session under tomorrow.
  const last = now + DAY_MS;
  // No mark, or one so old that a listing per day costs more than one listing of everything.
  if (from === -Infinity || (last - first) / DAY_MS > MAX_DAY_LISTINGS) {
    for await (const d of storage.listDocuments()) if (d.modified === null || d.modified >= from) out.push({ key: d.key, modified: d.modified });
    return out;
  }
  for (let day = first; day <= last; day += DAY_MS) {
    const { objects } = await storage.listObjects(sessionsDayFolder(storage.prefix, day));
    for (const o of objects) {
      if (o.key.endsWith('.json') && (o.modified === null || o.modified >= from)) out.push({ key: o.key, modified: o.modified });
    }
  }
  return out;
}

/**
 * Epoch ms of the newest index write: the newest segment of the last day's partitions, else (none
 * there: a writer idle for a day) of all of them, or of the per-session files; null when the index
 * is empty.
 */
async function highWaterMark(storage: RepairableStorage, now: number, ignoreSince = Infinity): Promise<number | null> {
  const newest = (objects: readonly ListedObject[]): number | null => {
    let hwm: number | null = null;
    for (const o of objects) {
      if (o.modified === null || o.modified >= ignoreSince) continue;
      // A merged segment is written after the fact: what it holds was written by its partition's end.
      const start = partitionStart(folderOfKey(o.key));
      const at = isCompacted(o.key) && start !== undefined ? Math.min(o.modified, start + HOUR_MS) : o.modified;
      if (hwm === null || at > hwm) hwm = at;
    }
    return hwm;
  };
  let listed = await listSegments(storage, storage.prefix, { since: now - DAY_MS });
  if (listed.segments.length === 0) listed = await listSegments(storage, storage.prefix);
  return newest([...listed.segments, ...listed.legacy]);
}

/**
 * Indexes the sessions written since the index's high-water mark that it does not list (see the
 * file comment); returns what it found. Corrupt documents are reported and skipped; storage
 * errors reject (the receiver logs them).
 */
export async function repairIndex(storage: RepairableStorage, options: RepairOptions = {}): Promise<RepairResult> {
  const lookback = options.lookbackMs ?? REPAIR_LOOKBACK_MS;
  const now = options.now ?? Date.now();
  // The mark: the newest index write of either layout (a store written per-session until now has
  // no segment yet, and must not be read whole on every start).
  const hwm = await highWaterMark(storage, now, options.ignoreWritesSince);
  const from = hwm === null ? -Infinity : hwm - lookback;
  const result: RepairResult = { highWaterMark: hwm, candidates: 0, documentsRead: 0, repaired: 0, corrupt: 0 };
  if (options.signal?.aborted) return result;

  const docs = await candidatesOf(storage, from, now);
  result.candidates = docs.length;
  if (docs.length === 0 || options.signal?.aborted) return result;

  // What the segments hold for sessions written since `from`: their entries are in the partitions
  // from `from`'s hour on (segments.ts); listSegments adds an hour before for skew.
  const { segments: recent } = await listSegments(storage, storage.prefix, from === -Infinity ? {} : { since: from });
  const indexed = new LatestEntries();
  for (const entries of await readSegments(storage, recent, { onCorrupt: options.onCorrupt })) for (const e of entries) indexed.add(e);

  const found: Array<{ session: Session; key: string }> = [];
  for (let i = 0; i < docs.length && !options.signal?.aborted; i += READ_CONCURRENCY) {
    const batch = docs.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(batch.map((d) => storage.readDocument(d.key)));
    for (let j = 0; j < batch.length; j++) {
      const text = texts[j];
      if (text === undefined) continue; // removed since listed
      result.documentsRead += 1;
      const { session, problem } = parseSessionDocument(text);
      if (!session) {
        result.corrupt += 1;
        options.onCorrupt?.(batch[j].key, problem!);
        continue;
      }
      // This process wrote it: its entry is buffered, or already flushed.
      if (storage.index.knownKey(session.id) !== undefined) continue;
      const have = indexed.get(session.id);
      if (have && revisionOf(have) >= revisionOf(session)) continue;
      // The older layout's file, when there is one (read only for what the segments lack).
      const legacy = await storage.index.perSessionEntry(session.id).catch(() => undefined);
      if (legacy && revisionOf(legacy) >= revisionOf(session)) continue;
      found.push({ session, key: batch[j].key });
    }
  }

  // Two documents of one id (a leftover of a moved start date): the higher revision wins.
  const best = new Map<string, { session: Session; key: string }>();
  for (const f of found) {
    const seen = best.get(f.session.id);
    if (!seen || revisionOf(f.session) > revisionOf(seen.session)) best.set(f.session.id, f);
  }
  for (const { session, key } of best.values()) {
    let entry: SessionIndexEntry;
    try {
      entry = toIndexEntry(session, key);
    } catch (err) {
      result.corrupt += 1;
      options.onCorrupt?.(key, `not a session (${(err as Error).message})`);
      continue;
    }
    if (!options.dryRun) await storage.index.record(entry);
    result.repaired += 1;
  }
  if (!options.dryRun && result.repaired > 0) await storage.index.flush();
  return result;
}
