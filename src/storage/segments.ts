/**
 * Index segments: many index entries in one object, under Hive-style time partitions
 *   {prefix}/index/dt=YYYY-MM-DD/hour=HH/{writer}-{start}-{seq}.ndjson.gz
 * one JSON index entry a line, gzip'd. The partition is the UTC hour the segment was written in,
 * and the invariant every reader and compaction relies on is: **an entry lives in a partition
 * whose hour ends at or after the moment its document was written.** A session's start is never
 * after its write (beyond clock skew), so the sessions started since S are all in the partitions
 * from S's hour on (readers take an hour more for skew); a day's compaction goes to the day's
 * last hour. Several revisions of one session may be listed: readers keep the highest.
 */
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';
import type { SessionIndexEntry } from '../session/types.js';

/** node:zlib, loaded on the first segment encoded or decoded (not by `import 'ams-otel'`). */
let zlibModule: typeof Zlib | undefined;
const zlib = (): typeof Zlib => (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib);

/** Segment objects end with this; anything else under index/dt=… is not read. */
export const SEGMENT_SUFFIX = '.ndjson.gz';

const HOUR = 3_600_000;
const PARTITION = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/$/;

function joinKey(prefix: string, rest: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${rest}` : rest;
}

/** The partition folder (with its trailing slash) holding what is written at `ms`. */
export function partitionOf(prefix: string, ms: number): string {
  const iso = new Date(Math.floor(ms / HOUR) * HOUR).toISOString();
  return joinKey(prefix, `index/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`);
}

/** Epoch ms of the start of a partition folder's hour, or undefined when `folder` is not one. */
export function partitionStart(folder: string): number | undefined {
  const m = PARTITION.exec(folder);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}:00:00.000Z`);
  return Number.isNaN(t) ? undefined : t;
}

/** The partition folder of a segment key (everything up to its last slash). */
export function folderOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

export const HOUR_MS = HOUR;

/** Writer names become part of keys: letters, digits, `.`, `_`, `-` only, 64 at most. */
export function sanitizeWriterId(raw: string): string {
  const s = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 64);
  return s || 'writer';
}

/** One segment's bytes: an entry a line, gzip'd. */
export function encodeSegment(entries: readonly SessionIndexEntry[]): Buffer {
  let text = '';
  for (const e of entries) text += JSON.stringify(e) + '\n';
  return zlib().gzipSync(text);
}

/** Told about what could not be read: the object, and the line (1-based) when one line is bad. */
export type OnCorruptSegment = (object: string, problem: string, line?: number) => void;

/**
 * The entries of one segment's bytes. A segment that does not gunzip (truncated, foreign) is
 * reported and yields what could be decoded before the damage; a line that is not an entry is
 * reported with its number and skipped.
 */
export function decodeSegment(bytes: Uint8Array, object: string, onCorrupt?: OnCorruptSegment): SessionIndexEntry[] {
  let text: string;
  try {
    text = zlib().gunzipSync(bytes).toString('utf8');
  } catch (err) {
    // A truncated gzip still holds whole lines before the cut: keep those (finishFlush decodes
    // what is there instead of failing on the missing end).
    onCorrupt?.(object, `not a whole gzip stream (${(err as Error).message})`);
    try {
      text = zlib().gunzipSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ }).toString('utf8');
      const cut = text.lastIndexOf('\n');
      text = cut >= 0 ? text.slice(0, cut + 1) : '';
    } catch {
      return [];
    }
  }
  const out: SessionIndexEntry[] = [];
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') continue;
    try {
      const e = JSON.parse(raw) as SessionIndexEntry;
      if (e !== null && typeof e === 'object' && typeof e.id === 'string' && typeof e.key === 'string') out.push(e);
      else onCorrupt?.(object, 'not an index entry (no string id and key)', line);
    } catch (err) {
      onCorrupt?.(object, `not valid JSON (${(err as Error).message})`, line);
    }
  }
  return out;
}

/** Revision of an entry or document as a number (entries of old writers may lack it: they count as 0). */
export const revisionOf = (e: { revision?: unknown }): number => (typeof e.revision === 'number' ? e.revision : 0);

/**
 * Keeps the highest revision per session id; on a tie the one seen last (a later segment, or
 * a rewrite of the same revision after a repair) wins. Order of the result: first sighting.
 */
export class LatestEntries {
  private readonly byId = new Map<string, SessionIndexEntry>();

  add(e: SessionIndexEntry): void {
    const have = this.byId.get(e.id);
    if (!have || revisionOf(e) >= revisionOf(have)) this.byId.set(e.id, e);
  }

  get(id: string): SessionIndexEntry | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  values(): SessionIndexEntry[] {
    return [...this.byId.values()];
  }
}
