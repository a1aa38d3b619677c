/**
 * Reads the index once. There is no database: the index segments (and any per-session index
 * files) are the database, and one pass over the partitions a question needs is the floor every
 * query pays. The storage reads both layouts and keeps each session's newest revision.
 */
import type { SessionIndexEntry } from '../session/types.js';
import type { ListIndexOptions, SessionReader } from '../storage/types.js';

/** Told about an index object or line that is not an entry (corrupt, truncated, foreign), which is skipped. */
export type OnCorruptEntry = (object: string, problem: string, line?: number) => void;

/** Says where a skipped object or line is, for messages: `object` or `object line N`. */
export function describeCorrupt(object: string, problem: string, line?: number): string {
  return `${object}${line === undefined ? '' : ` line ${line}`}: ${problem}`;
}

/**
 * Every session's newest index entry, in no particular order; `onCorrupt` hears of what was skipped.
 * With `options.since`, entries of sessions started before may be missing (only the partitions
 * needed are read); callers filter.
 */
export async function readAllIndex(reader: SessionReader, onProgress?: (done: number, total: number) => void, onCorrupt?: OnCorruptEntry, options: ListIndexOptions = {}): Promise<SessionIndexEntry[]> {
  const out: SessionIndexEntry[] = [];
  for await (const e of reader.listIndex(onCorrupt, options)) {
    out.push(e);
    if (onProgress && out.length % 256 === 0) onProgress(out.length, 0);
  }
  return out;
}
