import type { Session, SessionIndexEntry } from '../session/types.js';

/**
 * Where sessions go. Any object with `putSession` is a storage: custom storage is a first-class
 * extension point. Implementations must not throw for expected failures they can absorb; the
 * processor still catches and reports anything they do throw.
 */
export interface SessionStorage {
  /** Writes the full document and its index entry; resolves to the full document's key. */
  putSession(session: Session): Promise<string>;
  /** Optional: wait for retries / spooled writes. Called by the processor's forceFlush. */
  flush?(): Promise<void>;
  /** Optional: stop timers and release resources. Called by the processor's shutdown. */
  close?(): Promise<void>;
}

/** The read side, for the CLI, the viewer and the query API. LocalStorage and S3Storage have it. */
export interface SessionReader {
  /** Every index entry, in no particular order. */
  listIndex(): AsyncIterable<SessionIndexEntry>;
  /** One index entry by session id, or undefined. */
  getIndexEntry(id: string): Promise<SessionIndexEntry | undefined>;
  /** The full document by session id, or undefined. */
  getSession(id: string): Promise<Session | undefined>;
}
