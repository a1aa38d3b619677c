/**
 * Finds a session by any of the ids people hold: the session id (one read), else a trace id, a
 * conversation (Claude session) id, or a unique prefix of a session id (one pass over the index).
 */
import { isSafeId } from '../session/ids.js';
import type { Session, SessionIndexEntry } from '../session/types.js';
import type { SessionReader } from '../storage/types.js';
import { sortNewestFirst } from './query.js';
import { readAllIndex } from './scan.js';

export type MatchedBy = 'id' | 'trace_id' | 'conversation_id' | 'id_prefix';

export interface Lookup {
  /** The chosen entry (the newest when several match), or undefined. */
  entry?: SessionIndexEntry;
  matchedBy?: MatchedBy;
  /** Every entry that matched the same way, newest first (more than one: a trace or conversation with several sessions). */
  candidates: SessionIndexEntry[];
}

/** Shortest id prefix accepted, so a stray short word does not open a random session. */
export const MIN_PREFIX = 6;

/** Resolves a reference to index entries. `entries` = an index already read (saves a pass). */
export async function lookupEntry(reader: SessionReader, ref: string, entries?: SessionIndexEntry[]): Promise<Lookup> {
  const want = ref.trim();
  if (!want) return { candidates: [] };
  if (isSafeId(want)) {
    // An index already read answers; else the storage's lookup (in the segment layout, a read of the index).
    const direct = entries ? entries.find((e) => e.id === want) : await reader.getIndexEntry(want);
    if (direct && direct.id === want) return { entry: direct, matchedBy: 'id', candidates: [direct] };
  }
  const all = entries ?? (await readAllIndex(reader));
  const by = (matchedBy: MatchedBy, pred: (e: SessionIndexEntry) => boolean): Lookup | undefined => {
    const candidates = sortNewestFirst(all.filter(pred));
    return candidates.length ? { entry: candidates[0], matchedBy, candidates } : undefined;
  };
  const lower = want.toLowerCase();
  return (
    by('id', (e) => e.id === want) ??
    by('trace_id', (e) => e.trace_id?.toLowerCase() === lower) ??
    by('conversation_id', (e) => e.conversation_id === want) ??
    (want.length >= MIN_PREFIX ? uniquePrefix(all, want) : undefined) ?? { candidates: [] }
  );
}

function uniquePrefix(all: SessionIndexEntry[], prefix: string): Lookup | undefined {
  const candidates = sortNewestFirst(all.filter((e) => e.id.startsWith(prefix)));
  if (candidates.length === 0) return undefined;
  // An ambiguous prefix opens nothing; the caller lists the candidates.
  return { entry: candidates.length === 1 ? candidates[0] : undefined, matchedBy: 'id_prefix', candidates };
}

/** The full document for a reference, plus how it was found. */
export async function lookupSession(reader: SessionReader, ref: string, entries?: SessionIndexEntry[]): Promise<Lookup & { session?: Session }> {
  const found = await lookupEntry(reader, ref, entries);
  if (!found.entry) return found;
  const session = await sessionOf(reader, found.entry);
  return { ...found, session };
}

/** The full document of an index entry: read at its key when the storage can, else by id. */
export function sessionOf(reader: SessionReader, entry: SessionIndexEntry): Promise<Session | undefined> {
  return reader.getSessionOf ? reader.getSessionOf(entry) : reader.getSession(entry.id);
}
