/**
 * Read, merge, write on condition: how a session that spans several traces reaches a storage
 * with conditional writes (the session writer, and the spool's replay). A write that loses a race
 * re-reads the winner's document and merges into it, so no writer's trace is lost.
 */
import { mergeSessions } from '../session/merge.js';
import type { Session } from '../session/types.js';
import { isPreconditionFailed, unpackEtag } from './conditional.js';
import type { ConditionalStorage, VersionedSession } from './conditional.js';

export interface MergeWriteOptions {
  /** What the caller believes is stored (its cache): tried first, without a read. */
  base?: VersionedSession;
  /** Conditional writes tried before giving up with the last PreconditionFailedError (default 8). */
  attempts?: number;
  /** Passed to every storage call (aborts them when the caller's deadline passes). */
  signal?: AbortSignal;
}

export interface MergeWriteResult {
  /** The document now stored (the merge written, or the stored one when `incoming` added nothing). */
  session: Session;
  etag: string;
  /** Key of the document when the storage's version token names it (LocalStorage, S3Storage do). */
  key?: string;
  /** False when `incoming` held nothing newer than what was stored (nothing was written). */
  changed: boolean;
  /** Conditional writes refused on the way (each followed by a fresh read). */
  conflicts: number;
}

const DEFAULT_ATTEMPTS = 8;
/** Not unref'd: a write between two attempts (at most 100 ms) must keep the process alive until it is done. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function mergeAndWrite(storage: ConditionalStorage, incoming: Session, options: MergeWriteOptions = {}): Promise<MergeWriteResult> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  let base = options.base;
  let read = base === undefined;
  let conflicts = 0;
  for (let attempt = 1; ; attempt++) {
    const fresh = read;
    if (read) base = await storage.getSessionVersioned(incoming.id, { signal: options.signal, startedAt: incoming.started_at });
    read = true;
    const merged = mergeSessions(base?.session, incoming);
    if (base && merged === base.session) {
      const key = unpackEtag(base.etag)?.key;
      // Read (not this writer's cache): it may be the document of an abandoned write whose index
      // entry was never recorded.
      if (fresh && key !== undefined) await storage.indexStored?.(base.session, key);
      return { session: base.session, etag: base.etag, key, changed: false, conflicts };
    }
    try {
      options.signal?.throwIfAborted();
      const written = await storage.putSessionConditional(merged, base ? { ifMatch: base.etag } : { ifNoneMatch: '*' }, { signal: options.signal });
      return { session: merged, etag: written.etag, key: written.key, changed: true, conflicts };
    } catch (err) {
      if (!isPreconditionFailed(err) || attempt >= attempts) throw err;
      conflicts += 1;
      // A creator on S3 writes its document before its index entry: give it a moment to finish.
      if (attempt > 1) await sleep(Math.min(100, 2 ** attempt));
    }
  }
}
