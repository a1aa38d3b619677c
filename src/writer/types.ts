import type { Env } from '../config/env.js';
import type { PrivacyOptions } from '../privacy/options.js';
import type { PricingOptions } from '../session/pricing.js';
import type { Session } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';

/** The options every session writer takes, in-process and in the receiver (see docs/writer.md). */
export interface SessionWriterLimits {
  /** Storage writes in flight at once (default 16). */
  maxConcurrentWrites?: number;
  /** Sessions waiting in memory for a write; more go to the local spool and are written later (default 1,000). */
  maxPendingWrites?: number;
  /**
   * How long forceFlush()/shutdown() wait for writes before giving up; what missed the deadline
   * is logged and counted (stats().timedOutWrites). Env `AMS_FLUSH_TIMEOUT_MS`; default 30,000.
   */
  flushTimeoutMs?: number;
  /**
   * Deadline of one call to a storage without a spool of its own (a custom storage, LocalStorage):
   * a write that misses it is abandoned and its session spooled, replayed later. Env
   * `AMS_STORAGE_TIMEOUT_MS`; default 10,000; 0 waits forever. (S3Storage has its own, from the same setting.)
   */
  storageTimeoutMs?: number;
  /**
   * shutdown() (processor) and stop / SIGTERM (receiver) finish within this whatever the storage
   * does; what is not written by then is spooled and replayed on the next start. Env
   * `AMS_SHUTDOWN_TIMEOUT_MS`; default 10,000.
   */
  shutdownTimeoutMs?: number;
  /** Called once per session written (or handed to the spool, `spooled: true`). Must not throw; if it does, it is reported. */
  onSessionWritten?(event: SessionWrittenEvent): void;
}

export interface SessionWriterOptions extends SessionWriterLimits, PrivacyOptions, PricingOptions {
  storage: SessionStorage;
  /**
   * Where overflow goes when `storage` has no spool of its own (S3Storage has one). Default
   * `AMS_SPOOL_DIR`/writer-<id>, else `<tmpdir>/ams-otel-spool/writer-<id>`.
   */
  spoolDir?: string;
  /**
   * Appended to the default spool folder's name, so writers sharing a storage (the receiver's
   * shard workers) each replay only their own overflow, as S3 spools do per shard.
   */
  spoolName?: string;
  /** Environment for AMS_REDACT / AMS_CAPTURE_* / AMS_FLUSH_TIMEOUT_MS / AMS_SPOOL_DIR (default process.env). */
  env?: Env;
  /** diag namespace for this writer's log lines, e.g. `ams-otel/processor`. */
  namespace?: string;
}

/** One per session written, from the processor and the receiver alike. */
export interface SessionWrittenEvent {
  /** The document as written (privacy applied). */
  session: Session;
  /** Storage key of the full document. */
  key: string;
  sessionId: string;
  traceId: string;
  revision: number;
  status: Session['status'];
  /** Span records the session was assembled from. */
  spans: number;
  /** Epoch ms the receiver got the session's root span (receiver only; undefined when rootless). */
  rootReceivedAt?: number;
  writtenAt: number;
  /** True when the session went to the local spool (write queue full, or storage down) and is written later. */
  spooled: boolean;
}

/** One stats shape for every writer; the processor and the receiver add their buffer's fields. */
export interface SessionWriterStats {
  /** Sessions handed to storage (including ones its own retry spooled during an outage). */
  sessionsWritten: number;
  /** Sessions sent to the local spool (queue full, a write past its deadline or a disk error, shutdown); they are written later. */
  sessionsSpooled: number;
  /** Traces without any gen_ai.* span: not agent sessions, not written. */
  sessionsSkippedNotGenAi: number;
  /** Sessions lost: the queue was full and the spool refused them too (full or unwritable). */
  sessionsDropped: number;
  /** Writes that failed (storage threw, assembly or privacy failed). */
  writeFailures: number;
  /** Sessions queued or being written now. */
  pendingWrites: number;
  /** Sessions still pending when a forceFlush()/shutdown() deadline passed (summed over deadlines). */
  timedOutWrites: number;
  /**
   * 1 while the storage is failing (a write missed its deadline or hit a disk error) and sessions
   * go to the local spool, whose replay retries them; 0 once it takes writes again. The
   * receiver sums it over its shards and reports a degraded store on GET /ready.
   */
  storageFailing: number;
}

/**
 * What became of one write: stored, spooled (written later), skipped (not an agent session, or
 * `beforeWrite` said no), rejected (assembly or privacy failed: retrying cannot help), failed
 * (storage threw: worth retrying), dropped (queue full and the spool refused it).
 */
export type WriteOutcome = 'written' | 'spooled' | 'skipped' | 'rejected' | 'failed' | 'dropped';
