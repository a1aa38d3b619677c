import type { Session, SessionIndexEntry } from '../session/types.js';
import type { ConditionalWriteResult, VersionedSession, WriteCondition } from './conditional.js';

/**
 * Where sessions go. Any object with `putSession` is a storage: custom storage is a first-class
 * extension point. Implementations must not throw for expected failures they can absorb; the
 * processor still catches and reports anything they do throw.
 */
export interface SessionStorage {
  /**
   * Writes the full document and its index entry; resolves to the full document's key.
   * `options.signal` aborts when the caller's deadline (AMS_STORAGE_TIMEOUT_MS) has passed and the
   * write is abandoned: a storage that stops then (and writes nothing more) never lands an old
   * revision late; one that ignores it is still bounded (docs/storage.md, "Deadlines").
   */
  putSession(session: Session, options?: StorageCallOptions): Promise<string>;
  /**
   * Optional, together with putSessionConditional (see conditional.ts and docs/storage.md): the
   * stored document of a session id with its opaque version token, or undefined when none exists.
   * With both, the writer merges sessions that span several traces by read, merge, write on
   * condition, retried on PreconditionFailedError. Without them it merges only with what it wrote
   * itself, and two writers of one such session get last-writer-wins.
   */
  getSessionVersioned?(id: string, options?: StorageCallOptions): Promise<VersionedSession | undefined>;
  /**
   * Optional: writes the document and its index entry only if the condition holds (`ifMatch`: the
   * stored version is still that token; `ifNoneMatch: '*'`: nothing is stored for the id), else
   * rejects with PreconditionFailedError and writes nothing. Atomic against other writers,
   * including other processes and hosts sharing the storage.
   */
  putSessionConditional?(session: Session, condition: WriteCondition, options?: StorageCallOptions): Promise<ConditionalWriteResult>;
  /**
   * Optional (LocalStorage and S3Storage have it; `ams prune` uses it): removes one session, its
   * document at `key` first, then its index entry. A crash between the two leaves an index entry
   * naming a missing document (readers report it; the next prune removes it), never a document
   * no index lists. Removing what is already gone is not an error.
   */
  deleteSession?(id: string, key: string): Promise<void>;
  /** Optional: wait for retries / spooled writes. Called by the processor's forceFlush. */
  flush?(): Promise<void>;
  /** Optional: stop timers and release resources. Called by the processor's shutdown. */
  close?(): Promise<void>;
}

/** What a storage call may be given: the signal that aborts when the caller stops waiting for it. */
export interface StorageCallOptions {
  signal?: AbortSignal;
  /**
   * A hint for reads by id: the start of the part being merged. With the segment index there is no
   * per-session pointer; the document is looked for under the dates around it (docs/storage.md).
   */
  startedAt?: string;
}

/** The read side, for the CLI, the viewer and the query API. LocalStorage and S3Storage have it. */
export interface SessionReader {
  /**
   * Every index entry, in no particular order. An index object that is not an entry (corrupt,
   * truncated, foreign) is skipped; `onCorrupt`, when given, hears which one and why.
   */
  listIndex(onCorrupt?: (object: string, problem: string) => void, options?: ListIndexOptions): AsyncIterable<SessionIndexEntry>;
  /** One index entry by session id, or undefined. */
  getIndexEntry(id: string): Promise<SessionIndexEntry | undefined>;
  /** The full document by session id, or undefined. */
  getSession(id: string): Promise<Session | undefined>;
  /**
   * Optional (LocalStorage and S3Storage have it): the full document an index entry names, read
   * at its key without looking the id up in the index again (in the segment layout a lookup by id
   * reads the index). Undefined when the document is gone.
   */
  getSessionOf?(entry: SessionIndexEntry): Promise<Session | undefined>;
}

/** What a listing of the index may be told. */
export interface ListIndexOptions {
  /** Epoch ms: entries of sessions started before may be left out (only the partitions needed are read). */
  since?: number;
  /** Counts requests (LIST and GET) made, for benches and tests. */
  onRequest?(kind: 'list' | 'get'): void;
}

/** One stored session document as listed: its key and size in bytes (null when unknown). */
export interface StoredDocument {
  key: string;
  bytes: number | null;
  /** Epoch ms of its last write; null when unknown. */
  modified: number | null;
}

/**
 * Maintenance over the layout (`ams prune`, `ams reindex`); LocalStorage and S3Storage have it.
 */
export interface SessionMaintenance {
  /** Every document under `sessions/`, in no particular order. */
  listDocuments(): AsyncIterable<StoredDocument>;
  /** A document's text by key, or undefined when it is gone. */
  readDocument(key: string): Promise<string | undefined>;
  /** Writes (replaces) the index entry of `entry.id`, in the layout this storage writes. */
  putIndexEntry(entry: SessionIndexEntry): Promise<void>;
  deleteSession(id: string, key: string): Promise<void>;
  /** Removes these sessions' entries from the index segments (rewriting the segments that hold them). */
  dropIndexEntries(ids: ReadonlySet<string>): Promise<void>;
  /** Writes what the index buffers. */
  flush(): Promise<void>;
}
