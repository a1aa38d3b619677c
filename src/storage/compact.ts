/**
 * Compaction of the index segments (`ams compact`, docs/storage.md "Compaction and repair"): the
 * many small segments writers leave in a past hour (or a whole past day) become one, holding the
 * highest revision of each session. Safe while writers write: writers only add segments to the
 * current hour, and only the segments this run listed and read are deleted, after the merged one
 * is written. Idempotent: the merged segment's key is a hash of its sources' keys, so a rerun
 * after a crash rewrites the same key or finds it already holds every source and only deletes
 * them; a partition already down to one segment is left alone.
 */
import { createHash } from 'node:crypto';
import type { SessionIndexEntry } from '../session/types.js';
import { listSegments, readSegments } from './segment-index.js';
import type { ListedObject, ObjectStore } from './segment-index.js';
import { encodeSegment, folderOfKey, HOUR_MS, LatestEntries, partitionStart, SEGMENT_SUFFIX } from './segments.js';
import type { OnCorruptSegment } from './segments.js';

/** Merged segments are named `compact-<16 hex>.ndjson.gz`. */
export const COMPACT_PREFIX = 'compact-';
const DAY_MS = 24 * HOUR_MS;

export interface CompactOptions {
  /** `hour`: each past hour's segments become one; `day`: each past day's become one, in its `hour=23`. */
  scope: 'hour' | 'day';
  /**
   * The clock (epoch ms; default now). Only partitions that ended at least an hour before it are
   * compacted: the current and the previous hour are left to the writers and to `ams tail`.
   */
  before?: number;
  /** Hears of unreadable segments and lines (object, problem, line). */
  onCorrupt?: OnCorruptSegment;
  /** Read and count, write and delete nothing. */
  dryRun?: boolean;
}

export interface CompactResult {
  /** Partitions (hours, or days with scope `day`) merged. */
  partitions: number;
  /** Segments read. */
  segmentsRead: number;
  /** Merged segments written. */
  segmentsWritten: number;
  /** Source segments deleted. */
  segmentsDeleted: number;
  /** Entries in the merged segments (one per session per partition). */
  entries: number;
  /** Segments with nothing readable in them, left in place for a human to look at (reported through onCorrupt). */
  segmentsKept: number;
}

const nameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);
/** True for a merged segment's key. */
export const isCompacted = (key: string): boolean => nameOf(key).startsWith(COMPACT_PREFIX);

/** The key of the segment merging `sources`: in `folder`, named by a hash of the sorted source keys. */
export function compactKey(folder: string, sources: readonly string[]): string {
  const hash = createHash('sha256');
  for (const k of [...sources].sort()) hash.update(k).update('\n');
  return `${folder}${COMPACT_PREFIX}${hash.digest('hex').slice(0, 16)}${SEGMENT_SUFFIX}`;
}

interface Group {
  /** Where the merged segment goes. */
  target: string;
  segments: ListedObject[];
}

/** The partitions to compact: past hours (or past days) with something to merge. */
function groupsOf(segments: readonly ListedObject[], scope: 'hour' | 'day', cut: number): Group[] {
  const groups = new Map<string, Group>();
  for (const o of segments) {
    const folder = folderOfKey(o.key);
    const start = partitionStart(folder);
    if (start === undefined) continue;
    if (scope === 'hour') {
      if (start + HOUR_MS > cut) continue;
      const g = groups.get(folder) ?? { target: folder, segments: [] };
      g.segments.push(o);
      groups.set(folder, g);
    } else {
      const day = Math.floor(start / DAY_MS) * DAY_MS;
      if (day + DAY_MS > cut) continue;
      // The day's last hour: an entry may move to a later partition, never an earlier one (segments.ts).
      const target = folder.replace(/hour=\d{2}\/$/, 'hour=23/');
      const g = groups.get(target) ?? { target, segments: [] };
      g.segments.push(o);
      groups.set(target, g);
    }
  }
  // An hour already down to one segment has nothing to merge (not even read again); a day's single
  // segment still moves to the day's merge unless it is that merge already.
  return [...groups.values()].filter(
    (g) => g.segments.length >= 2 || (scope === 'day' && g.segments.length === 1 && !(isCompacted(g.segments[0].key) && folderOfKey(g.segments[0].key) === g.target)),
  );
}

/**
 * Merges each past partition's segments into one (see the file comment). Never throws for
 * corrupt content: unreadable lines are reported and dropped, readable lines kept, and a segment
 * with nothing readable is kept in place (not deleted) and reported. Storage errors (an
 * unreachable bucket) do reject: the caller reports them; what was done so far stays consistent.
 */
export async function compactIndex(storage: ObjectStore & { readonly prefix: string }, options: CompactOptions): Promise<CompactResult> {
  const now = options.before ?? Date.now();
  // Partitions must have ended before the previous hour began.
  const cut = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS;
  const result: CompactResult = { partitions: 0, segmentsRead: 0, segmentsWritten: 0, segmentsDeleted: 0, entries: 0, segmentsKept: 0 };
  const { segments } = await listSegments(storage, storage.prefix);
  for (const group of groupsOf(segments, options.scope, cut)) {
    group.segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const sourceKeys = group.segments.map((o) => o.key);

    // A rerun after a crash between the merged segment's write and its sources' deletion: the
    // merged segment named after exactly the other segments holds them all; only delete those.
    const others = (key: string) => sourceKeys.filter((k) => k !== key);
    const done = sourceKeys.find((k) => isCompacted(k) && folderOfKey(k) === group.target && compactKey(group.target, others(k)) === k);
    if (done !== undefined) {
      result.partitions += 1;
      for (const k of others(done)) {
        if (!options.dryRun) await storage.deleteObject(k);
        result.segmentsDeleted += 1;
      }
      continue;
    }

    const damaged = new Set<string>();
    const contents = await readSegments(storage, group.segments, {
      onCorrupt: (object, problem, line) => {
        damaged.add(object);
        options.onCorrupt?.(object, problem, line);
      },
    });
    result.segmentsRead += group.segments.length;
    const latest = new LatestEntries();
    const sources: string[] = [];
    group.segments.forEach((o, i) => {
      const entries: SessionIndexEntry[] = contents[i];
      if (entries.length === 0 && damaged.has(o.key)) {
        // Nothing readable: deleting it could lose entries a human can still recover by hand.
        result.segmentsKept += 1;
        options.onCorrupt?.(o.key, 'nothing readable in it: kept in place, not compacted (inspect or remove it by hand)');
        return;
      }
      sources.push(o.key);
      for (const e of entries) latest.add(e);
    });
    // Left with one segment that is already the merged one in its place: nothing to do.
    if (sources.length === 0 || (sources.length === 1 && isCompacted(sources[0]) && folderOfKey(sources[0]) === group.target)) continue;
    if (sources.length === 1 && options.scope === 'hour') continue;

    const key = compactKey(group.target, sources);
    const merged = latest.values();
    if (!options.dryRun) await storage.putObject(key, encodeSegment(merged));
    result.partitions += 1;
    result.segmentsWritten += 1;
    result.entries += merged.length;
    // Only what was listed and read here: a segment added meanwhile is not touched.
    for (const k of sources) {
      if (k === key) continue;
      if (!options.dryRun) await storage.deleteObject(k);
      result.segmentsDeleted += 1;
    }
  }
  return result;
}
