/**
 * Conditional writes: the part of the storage contract that lets several writers (receiver
 * replicas, a restarted process) add to the same session document without losing each other's
 * work. A storage that implements both optional methods of SessionStorage below promises
 * compare-and-swap on a session id; one that does not (any object with only `putSession`) still
 * works, with last-writer-wins when two writers touch the same multi-trace session.
 */
import type { Session } from '../session/types.js';
import type { SessionStorage, StorageCallOptions } from './types.js';

/** A stored document and its version token (opaque: only the storage that made it reads it). */
export interface VersionedSession {
  session: Session;
  etag: string;
}

/** Write only over this version (`ifMatch`), or only when no document exists for the id (`ifNoneMatch: '*'`). */
export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

export interface ConditionalWriteResult {
  /** Storage key of the full document. */
  key: string;
  /** Version token of what was just written (the next write's `ifMatch`). */
  etag: string;
}

/** A storage that can read a session with its version and write it on condition. */
export interface ConditionalStorage extends SessionStorage {
  getSessionVersioned(id: string, options?: StorageCallOptions): Promise<VersionedSession | undefined>;
  putSessionConditional(session: Session, condition: WriteCondition, options?: StorageCallOptions): Promise<ConditionalWriteResult>;
  /**
   * Optional: makes sure the index lists a stored document that a merge found already complete.
   * A write abandoned at its deadline may have stored the document without its index entry; the
   * retry then finds nothing to add and writes nothing (LocalStorage and S3Storage record it again:
   * a duplicate entry is harmless).
   */
  indexStored?(session: Session, key: string): Promise<void>;
}

export function canWriteConditionally(storage: SessionStorage): storage is ConditionalStorage {
  const s = storage as Partial<ConditionalStorage>;
  return typeof s.getSessionVersioned === 'function' && typeof s.putSessionConditional === 'function';
}

/** The condition did not hold: someone else wrote the session since it was read. Re-read, merge, retry. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  readonly code = 'PRECONDITION_FAILED';
  constructor(message: string) {
    super(message);
  }
}

/** True for a PreconditionFailedError (by name too, so a copy of the class from another bundle counts). */
export function isPreconditionFailed(err: unknown): boolean {
  return err instanceof PreconditionFailedError || (err as { code?: unknown } | null)?.code === 'PRECONDITION_FAILED';
}

/**
 * Version tokens of LocalStorage and S3Storage: the document's key and its content tag, so a
 * write on condition goes to the object that was read (a document never moves once written
 * conditionally, even when an earlier interaction arriving later moves its start date).
 */
export function packEtag(key: string, tag: string): string {
  return `${tag}@${key}`;
}

export function unpackEtag(etag: string): { key: string; tag: string } | undefined {
  const at = etag.indexOf('@');
  if (at <= 0) return undefined;
  return { tag: etag.slice(0, at), key: etag.slice(at + 1) };
}
