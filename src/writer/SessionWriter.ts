/**
 * SessionWriter: the one path from a completed trace to storage, for the in-process processor and
 * the receiver alike: GenAI rule -> assembleSession() -> privacy -> storage.
 *
 * - Bounded: at most maxConcurrentWrites writes in flight and maxPendingWrites waiting in memory.
 *   Past that a session is not dropped: it is assembled and goes to the local spool (the same one
 *   an S3 outage uses, src/storage/reliable.ts), whose replay writes it later.
 * - Ordered per session: revision 2 of a session never starts before revision 1 has finished
 *   (and once a session has gone to the spool, its later revisions follow it there, so a replay
 *   cannot land an old revision over a newer one).
 * - Sessions that span several traces (their id is not their trace's: `ams.session.id`, e.g. one
 *   Claude Code interaction per trace) are merged into the stored document: read (or taken from a
 *   small cache of what this writer last wrote), merge, write on condition, retried when another
 *   writer got there first (storage/merge-write.ts). A session whose id is its own trace id, the
 *   in-process hot path, is written directly, with no read.
 * - Our own I/O runs under suppressTracing; nothing throws to the caller; failures are counted
 *   and reported through diag / the global error handler.
 * - Deadlines: a call to a storage without a spool of its own (a custom storage, LocalStorage)
 *   that misses storageTimeoutMs is abandoned (its AbortSignal fires) and the session spooled, as
 *   is one that fails with a disk error (ENOSPC, EIO, ...); the spool's replay retries it while
 *   running. shutdown() finishes within shutdownTimeoutMs whatever the storage does: what is not
 *   written by then is spooled (docs/storage.md, "Deadlines and shutdown").
 */
import { context, diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { globalErrorHandler, suppressTracing } from '@opentelemetry/core';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolve, SETTINGS } from '../config/env.js';
import { resolvePrivacy } from '../privacy/options.js';
import type { ResolvedPrivacy } from '../privacy/options.js';
import { applyPrivacy } from '../privacy/redact.js';
import { priceLookup } from '../session/pricing.js';
import type { PriceLookup } from '../session/pricing.js';
import { isGenAiRecord } from '../processor/describe.js';
import { IDLE_ROOTLESS_REASON } from '../processor/trace-buffer.js';
import type { SessionBatch } from '../processor/trace-buffer.js';
import { isLogRecord } from '../spans/log-record.js';
import { assembleSession } from '../session/assemble.js';
import { capRecordValues } from './cap-values.js';
import { mergeSessions } from '../session/merge.js';
import type { Session } from '../session/types.js';
import { canWriteConditionally, isPreconditionFailed } from '../storage/conditional.js';
import type { ConditionalStorage } from '../storage/conditional.js';
import { sessionKey } from '../storage/keys.js';
import { mergeAndWrite } from '../storage/merge-write.js';
import { canSpool, ReliableStorage, StorageTimeoutError } from '../storage/reliable.js';
import type { SessionStorage } from '../storage/types.js';
import { DEFAULT_LIMITS } from './defaults.js';
import type { SessionWriterOptions, SessionWriterStats, SessionWrittenEvent, WriteOutcome } from './types.js';
import { startAbortable } from '../storage/abortable.js';

/** Per write, what only the caller knows. */
export interface WriteContext {
  /** Epoch ms the root span was received (receiver), passed through to the event. */
  rootReceivedAt?: number;
  /**
   * Last word before the session is stored (may adjust it, e.g. its revision); false skips the
   * write as done. The receiver uses it for traces rebuilt after a worker died.
   */
  beforeWrite?(session: Session): Promise<boolean>;
}

/** What the writer last wrote for a multi-trace session id (etag only with conditional writes). */
interface CachedDocument {
  session: Session;
  etag?: string;
}

/** Documents of multi-trace sessions kept to merge the next trace without a read. */
const MERGE_CACHE_SIZE = 256;

interface Task {
  batch: SessionBatch;
  ctx: WriteContext;
  /** Idempotent: the first outcome counts (shutdown may spool a task whose write is still hanging). */
  done(outcome: WriteOutcome): void;
  finished?: boolean;
}

/** A task being written: its session once assembled, and the write itself. */
interface ActiveWrite {
  session?: Session;
  write: Promise<void>;
}

/** Errors of a storage that a later try may not get: the session is spooled, not failed. */
const SPOOLABLE_CODES = new Set(['ENOSPC', 'EIO', 'EDQUOT', 'EROFS', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT']);

/** Of a shutdown bound: writes until this share, spooling what is left until the next, closing until the last. */
const SHUTDOWN_WRITE_SHARE = 0.6;
const SHUTDOWN_SPOOL_SHARE = 0.85;
const SHUTDOWN_CLOSE_SHARE = 0.95;

export class SessionWriter {
  readonly storage: SessionStorage;
  private readonly privacy: ResolvedPrivacy;
  private readonly price: PriceLookup | false;
  private readonly log: DiagLogger;
  private readonly maxConcurrentWrites: number;
  private readonly maxPendingWrites: number;
  readonly flushTimeoutMs: number;
  readonly storageTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** Set by shutdown() once writes are past their share: everything left goes to the spool. */
  private closing = false;
  /** Tasks being written, with their session once assembled (what shutdown spools if they hang). */
  private readonly active = new Map<Task, ActiveWrite>();
  /** Calls to the storage in flight under the writer's deadline (aborted by shutdown). */
  private readonly calls = new Set<AbortController>();
  private readonly queue: Task[] = [];
  private readonly writing = new Set<Promise<void>>();
  /** Overflow being assembled and spooled (not counted against maxPendingWrites). */
  private readonly spooling = new Set<Promise<void>>();
  /** Writes of the same session run one after the other. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Sessions sent to the spool while it still holds something: their later revisions follow. */
  private readonly spooledIds = new Set<string>();
  /** Writes waiting for an earlier revision of their session to finish. */
  private waiting = 0;
  /** Last document written per multi-trace session id, least recently used first. */
  private readonly merged = new Map<string, CachedDocument>();
  /** Read-merge-writes of one document id run one after the other (traces are chained apart). */
  private readonly mergeChains = new Map<string, Promise<unknown>>();
  private overflow?: ReliableStorage;
  private readonly counters = { sessionsWritten: 0, sessionsSpooled: 0, sessionsSkippedNotGenAi: 0, sessionsDropped: 0, writeFailures: 0, timedOutWrites: 0 };

  constructor(private readonly options: SessionWriterOptions) {
    const env = options.env ?? process.env;
    this.storage = options.storage;
    this.privacy = resolvePrivacy(options, env);
    this.price = priceLookup({ priceTable: resolve(SETTINGS.priceTable, options.priceTable, env), prices: resolve(SETTINGS.prices, options.prices, env) });
    this.log = diag.createComponentLogger({ namespace: options.namespace ?? 'ams-otel/writer' });
    this.maxConcurrentWrites = Math.max(1, options.maxConcurrentWrites ?? DEFAULT_LIMITS.maxConcurrentWrites);
    this.maxPendingWrites = Math.max(0, options.maxPendingWrites ?? DEFAULT_LIMITS.maxPendingWrites);
    this.flushTimeoutMs = resolve(SETTINGS.flushTimeoutMs, options.flushTimeoutMs, env);
    this.storageTimeoutMs = resolve(SETTINGS.storageTimeoutMs, options.storageTimeoutMs, env);
    this.shutdownTimeoutMs = resolve(SETTINGS.shutdownTimeoutMs, options.shutdownTimeoutMs, env);
    // Sessions an earlier process spooled for this storage are replayed now, not at the next overflow.
    if (!canSpool(this.storage)) {
      const dir = this.spoolDir();
      if (dir && existsSync(dir)) this.overflowSpool();
    }
  }

  /**
   * Writes one completed trace's session. Never rejects; resolves with what became of it once it is
   * stored, spooled, skipped or failed (the receiver releases its write-ahead log on that).
   */
  write(batch: SessionBatch, ctx: WriteContext = {}): Promise<WriteOutcome> {
    let resolveResult!: (o: WriteOutcome) => void;
    const result = new Promise<WriteOutcome>((r) => (resolveResult = r));
    const task: Task = {
      batch,
      ctx,
      done: (o) => {
        if (task.finished) return;
        task.finished = true;
        resolveResult(o);
      },
    };
    const id = batch.sessionId;
    const prev = this.chains.get(id);
    if (prev) {
      this.waiting++;
      void prev.then(() => {
        this.waiting--;
        this.admit(task);
      });
    } else this.admit(task);
    this.chains.set(id, result);
    void result.then(() => {
      if (this.chains.get(id) === result) this.chains.delete(id);
    });
    return result;
  }

  /** Queues the task, or spools it when the queue is full. */
  private admit(task: Task): void {
    if (!this.closing && this.queue.length < this.maxPendingWrites && !this.followsSpool(task.batch.sessionId)) {
      this.queue.push(task);
      this.pump();
    } else {
      const p = this.spool(task).finally(() => this.spooling.delete(p));
      this.spooling.add(p);
    }
  }

  private pump(): void {
    while (!this.closing && this.writing.size < this.maxConcurrentWrites && this.queue.length) {
      const task = this.queue.shift()!;
      const p = this.run(task).finally(() => {
        this.writing.delete(p);
        this.pump();
      });
      this.writing.add(p);
    }
  }

  /** The document to store, privacy applied; undefined when the trace is not an agent session. */
  private assemble(batch: SessionBatch): Session | undefined {
    // One GenAI rule for every path: a trace with no gen_ai.* span is not an agent session.
    if (!batch.records.some(isGenAiRecord)) return undefined;
    // A trace of log records alone (a producer's events with its spans off) has no root by nature:
    // going idle is how it ends, not a sign that something is missing.
    const logsOnly = batch.incompleteReason === IDLE_ROOTLESS_REASON && batch.records.every(isLogRecord);
    // Text values past MAX_VALUE_CHARS are cut first: assembling them whole would stall the loop.
    const session = assembleSession(capRecordValues(batch.records), {
      rootSpanId: batch.rootSpanId,
      defaultSessionId: batch.sessionId,
      revision: batch.revision,
      incompleteReason: logsOnly ? undefined : batch.incompleteReason,
      droppedSpans: batch.droppedSpans,
      price: this.price,
    });
    // Privacy applies before anything leaves the process; if it throws, nothing is written.
    return applyPrivacy(session, this.privacy);
  }

  private async run(task: Task): Promise<void> {
    const entry: ActiveWrite = { write: Promise.resolve() };
    this.active.set(task, entry);
    try {
      entry.write = this.runTask(task, entry);
      await entry.write;
    } finally {
      this.active.delete(task);
    }
  }

  private async runTask(task: Task, entry: ActiveWrite): Promise<void> {
    let outcome: WriteOutcome = 'failed';
    let session: Session | undefined;
    try {
      session = this.assemble(task.batch);
      entry.session = session;
    } catch (err) {
      // Retrying cannot help a batch the assembler (or privacy) refuses.
      this.counters.writeFailures++;
      report(err);
      task.done('rejected');
      return;
    }
    try {
      if (!session) {
        this.counters.sessionsSkippedNotGenAi++;
        outcome = 'skipped';
        return;
      }
      if (task.ctx.beforeWrite && !(await task.ctx.beforeWrite(session))) {
        outcome = 'skipped';
        return;
      }
      const s = session;
      if (this.spansTraces(s)) {
        const result = await context.with(suppressTracing(context.active()), () => this.mergeInto(s));
        if (task.finished) return; // shutdown spooled it meanwhile
        outcome = result.outcome;
        if (outcome === 'spooled') this.counters.sessionsSpooled++;
        else this.counters.sessionsWritten++;
        this.written(task, result.session, result.key, outcome === 'spooled');
        return;
      }
      let key: string;
      let spooled = false;
      if (this.mustSpool(s.id)) {
        key = await this.spoolFailed(s, undefined);
        spooled = true;
      } else {
        try {
          key = await context.with(suppressTracing(context.active()), () => this.call(s.id, (signal) => this.storage.putSession(s, { signal })));
        } catch (err) {
          if (!this.spoolable(err)) throw err;
          key = await this.spoolFailed(s, err);
          spooled = true;
        }
      }
      if (task.finished) return; // shutdown spooled it meanwhile
      if (spooled) this.counters.sessionsSpooled++;
      else this.counters.sessionsWritten++;
      outcome = spooled ? 'spooled' : 'written';
      this.written(task, s, key, spooled);
    } catch (err) {
      this.counters.writeFailures++;
      report(err);
    } finally {
      task.done(outcome);
    }
  }

  /** Overflow: assembled now and put in the local spool, so memory stays bounded and nothing is lost. */
  private async spool(task: Task): Promise<void> {
    let outcome: WriteOutcome = 'failed';
    let session: Session | undefined;
    try {
      session = this.assemble(task.batch);
      if (!session) {
        this.counters.sessionsSkippedNotGenAi++;
        outcome = 'skipped';
        return;
      }
      const s = session;
      if (task.ctx.beforeWrite && !(await task.ctx.beforeWrite(s))) {
        outcome = 'skipped';
        return;
      }
      const target = canSpool(this.storage) ? this.storage : this.overflowSpool();
      const key = await context.with(suppressTracing(context.active()), () => target.spoolSession(s));
      this.spooledIds.add(s.id);
      this.counters.sessionsSpooled++;
      outcome = 'spooled';
      if (this.counters.sessionsSpooled === 1 || this.counters.sessionsSpooled % 1000 === 0) {
        this.log.warn(`write queue full (maxPendingWrites=${this.maxPendingWrites}): ${this.counters.sessionsSpooled} session(s) spooled to local disk so far; they are written later`);
      }
      this.written(task, s, key, true);
    } catch (err) {
      // Assembly/privacy failed (a write failure), or the spool refused it (a drop).
      if (session) {
        this.counters.sessionsDropped++;
        this.log.error(`dropped session ${session.id}: write queue full and the spool refused it (${String((err as Error)?.message ?? err)})`);
      } else {
        this.counters.writeFailures++;
        report(err);
      }
      outcome = session ? 'dropped' : 'rejected';
    } finally {
      task.done(outcome);
    }
  }

  /**
   * A session that may span traces: its id is not its own trace id (set with `ams.session.id`), or
   * this writer already holds a document of several traces under it. Anything else is the hot
   * path: written as it is, no read.
   */
  private spansTraces(session: Session): boolean {
    return session.id !== session.trace_id || this.merged.has(session.id);
  }

  /**
   * Merges one trace's document into the stored one. With conditional writes: read (or the cache),
   * merge, write on condition, retried on conflict; when that cannot finish (storage down, or
   * conflicts past the retries) the trace's document goes to the spool, whose replay merges it
   * the same way. Without them: merged with what this writer wrote last, written plainly.
   */
  private mergeInto(session: Session): Promise<{ session: Session; key: string; outcome: WriteOutcome }> {
    const id = session.id;
    const prev = this.mergeChains.get(id) ?? Promise.resolve();
    const run = prev.then(() => this.mergeNow(session));
    const tail = run.catch(() => undefined);
    this.mergeChains.set(id, tail);
    void tail.then(() => {
      if (this.mergeChains.get(id) === tail) this.mergeChains.delete(id);
    });
    return run;
  }

  private async mergeNow(session: Session): Promise<{ session: Session; key: string; outcome: WriteOutcome }> {
    const id = session.id;
    const cached = this.merged.get(id);
    const storage = this.storage;
    if (!canWriteConditionally(storage)) {
      // Last writer wins between writers; within this one, every trace is kept.
      const doc = mergeSessions(cached?.session, session);
      if (cached && doc === cached.session) return { session: doc, key: this.keyOf(doc), outcome: 'written' };
      if (this.mustSpool(id)) {
        this.merged.delete(id);
        return { session, key: await this.spoolFailed(session, undefined), outcome: 'spooled' };
      }
      let key: string;
      try {
        key = await this.call(id, (signal) => storage.putSession(doc, { signal }));
      } catch (err) {
        if (!this.spoolable(err)) throw err;
        // The spool merges it with whatever else of this session waits there; the cache is dropped
        // so the next trace does not build on a document that was never stored.
        this.merged.delete(id);
        return { session: doc, key: await this.spoolFailed(doc, err), outcome: 'spooled' };
      }
      this.remember(id, { session: doc });
      return { session: doc, key, outcome: 'written' };
    }
    if (this.mustSpool(id)) {
      this.merged.delete(id);
      return { session, key: await this.spoolFailed(session, undefined), outcome: 'spooled' };
    }
    try {
      const base = cached?.etag !== undefined ? { session: cached.session, etag: cached.etag } : undefined;
      const result = await this.call(id, (signal) => mergeAndWrite(storage, session, { base, signal }));
      this.remember(id, { session: result.session, etag: result.etag });
      if (result.conflicts) this.log.debug(`session ${id}: ${result.conflicts} conditional write(s) lost to another writer; merged again`);
      return { session: result.session, key: result.key ?? this.keyOf(result.session), outcome: 'written' };
    } catch (err) {
      this.merged.delete(id);
      if (this.spoolable(err)) return { session, key: await this.spoolFailed(session, err), outcome: 'spooled' };
      if (!isPreconditionFailed(err) && !canSpool(storage)) throw err;
      // Storage down, or conflicts past the retries: the spool's replay merges it on condition.
      const target = canSpool(storage) ? storage : this.overflowSpool();
      const key = await target.spoolSession(session);
      this.spooledIds.add(id);
      this.log.warn(`session ${id}: could not merge now (${String((err as Error)?.message ?? err)}); spooled, merged on replay`);
      return { session, key, outcome: 'spooled' };
    }
  }

  /**
   * One call to the storage. A storage with a spool of its own (S3Storage) bounds its calls itself;
   * any other gets storageTimeoutMs: past it the signal aborts, the call is abandoned (the overflow
   * spool holds its session id until it settles, so a late landing cannot overwrite a newer
   * revision) and a StorageTimeoutError is thrown (the caller spools the session).
   */
  private call<T>(id: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.storageTimeoutMs;
    const { ac, p } = startAbortable(fn);
    if (canSpool(this.storage) || !(ms > 0 && Number.isFinite(ms))) return p;
    this.calls.add(ac);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(ac);
        const err = new StorageTimeoutError(ms);
        ac.abort(err);
        this.overflowSpool().abandon(p, id);
        reject(err);
      }, ms);
      timer.unref();
      p.then(
        (v) => {
          clearTimeout(timer);
          this.calls.delete(ac);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.calls.delete(ac);
          reject(err);
        },
      );
    });
  }

  /** A failure worth spooling for: the deadline, or a disk error a later try may not get. */
  private spoolable(err: unknown): boolean {
    if (canSpool(this.storage)) return false;
    if (err instanceof StorageTimeoutError) return true;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return typeof code === 'string' && SPOOLABLE_CODES.has(code);
  }

  /**
   * True when a session should skip the storage and go to the overflow spool: the storage is
   * failing now (the replay probes it), or an earlier write of this session is still hanging.
   */
  private mustSpool(id: string): boolean {
    const o = this.overflow;
    if (!o || canSpool(this.storage)) return false;
    return o.stats().failing || o.held(id);
  }

  /** Spools a session the storage could not take now; the overflow spool's replay retries it while running. */
  private async spoolFailed(session: Session, err: unknown): Promise<string> {
    const spool = this.overflowSpool();
    const wasFailing = spool.stats().failing;
    const key = await spool.spoolSession(session);
    if (err !== undefined) spool.markFailing();
    this.spooledIds.add(session.id);
    if (err !== undefined && !wasFailing) {
      this.log.warn(`storage write failed (${String((err as Error)?.message ?? err)}); session ${session.id} spooled to ${spool.spoolDir}, retried in the background`);
    }
    return key;
  }

  /** 1 while the storage is failing and sessions go to the spool (the spool's replay probes it). */
  private storageFailing(): number {
    const target = canSpool(this.storage) ? this.storage : this.overflow;
    const st = (target as { stats?: () => { failing?: boolean } } | undefined)?.stats?.();
    return st?.failing ? 1 : 0;
  }

  private remember(id: string, doc: CachedDocument): void {
    this.merged.delete(id);
    this.merged.set(id, doc);
    if (this.merged.size > MERGE_CACHE_SIZE) this.merged.delete(this.merged.keys().next().value!);
  }

  private keyOf(session: Session): string {
    const prefix = (this.storage as { prefix?: unknown }).prefix;
    return sessionKey(typeof prefix === 'string' ? prefix : '', session);
  }

  /** True while an earlier revision of this session may still sit in the spool. */
  private followsSpool(sessionId: string): boolean {
    if (this.spooledIds.size === 0) return false;
    const target = canSpool(this.storage) ? this.storage : this.overflow;
    const pending = (target as { stats?: () => { pendingInSpool?: number } } | undefined)?.stats?.().pendingInSpool;
    if (pending === 0) {
      this.spooledIds.clear();
      return false;
    }
    return this.spooledIds.has(sessionId);
  }

  private written(task: Task, session: Session, key: string, spooled: boolean): void {
    if (session.status === 'incomplete') this.log.warn(`session ${session.id} written as incomplete: ${session.status_reason}`);
    const cb = this.options.onSessionWritten;
    if (!cb) return;
    const event: SessionWrittenEvent = {
      session,
      key,
      sessionId: session.id,
      traceId: task.batch.traceId,
      revision: session.revision,
      status: session.status,
      spans: task.batch.records.length,
      rootReceivedAt: task.ctx.rootReceivedAt,
      writtenAt: Date.now(),
      spooled,
    };
    try {
      cb(event);
    } catch (err) {
      report(err);
    }
  }

  /** Where overflow goes for a storage without a spool of its own. */
  private spoolDir(): string | undefined {
    if (this.options.spoolDir) return this.options.spoolDir;
    // Stable per storage (so a restart replays what a crash left), else per process.
    // (toSpec() read directly: importing storage/spec.ts would load the S3 SDK for every user.)
    const spec = (this.storage as { toSpec?: () => unknown }).toSpec?.();
    const id = spec ? createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16) : `pid-${process.pid}`;
    const base = resolve(SETTINGS.spoolDir, undefined, this.options.env ?? process.env) ?? path.join(os.tmpdir(), 'ams-otel-spool');
    return path.join(base, `writer-${id}${this.options.spoolName ? `-${this.options.spoolName}` : ''}`);
  }

  private overflowSpool(): ReliableStorage {
    if (!this.overflow) {
      const storage = this.storage;
      const quiet = <T>(fn: () => Promise<T>): Promise<T> => context.with(suppressTracing(context.active()), fn);
      const direct: SessionStorage = { putSession: (s, o) => quiet(() => storage.putSession(s, o)) };
      // The replay merges into what is stored (never over a newer revision) when the storage can tell.
      if (canWriteConditionally(storage)) {
        direct.getSessionVersioned = (id, o) => quiet(() => storage.getSessionVersioned(id, o));
        direct.putSessionConditional = (s, c, o) => quiet(() => storage.putSessionConditional(s, c, o));
        if (storage.indexStored) (direct as ConditionalStorage).indexStored = (s, key) => quiet(() => storage.indexStored!(s, key));
      }
      const reader = storage as { getSession?: (id: string) => Promise<Session | undefined> };
      if (typeof reader.getSession === 'function') {
        const getSession = reader.getSession.bind(storage);
        Object.assign(direct, { getSession: (id: string) => quiet(() => getSession(id)) });
      }
      this.overflow = new ReliableStorage(direct, (s) => this.keyOf(s), this.spoolDir()!, { timeoutMs: this.storageTimeoutMs });
    }
    return this.overflow;
  }

  stats(): SessionWriterStats {
    return { ...this.counters, pendingWrites: this.pending(), storageFailing: this.storageFailing() };
  }

  private pending(): number {
    // A write shutdown spooled while it still hangs is done (its task finished), not pending.
    let writing = 0;
    for (const task of this.active.keys()) if (!task.finished) writing++;
    return this.queue.length + writing + this.spooling.size + this.waiting;
  }

  /** Waits for every write started or queued so far (no deadline: see flush()). */
  async drain(): Promise<void> {
    while (this.writing.size || this.queue.length || this.spooling.size || this.chains.size) {
      this.pump();
      await Promise.allSettled([...this.writing, ...this.spooling, ...this.chains.values()]);
    }
  }

  /**
   * Waits for every write, then the overflow spool's replay, then storage's own flush (last: the
   * replay's writes add index entries that storage's flush writes out).
   */
  async settle(): Promise<void> {
    await this.drain();
    await this.overflow?.flush?.();
    await this.storage.flush?.();
  }

  /**
   * Runs `work` (a flush or a shutdown) for at most flushTimeoutMs. Past the deadline it gives up
   * waiting (the writes go on in the background), logs what is still pending and counts it.
   * Resolves true when the work finished in time. Never rejects.
   */
  async withDeadline(what: string, work: () => Promise<void>): Promise<boolean> {
    return withDeadline(this.flushTimeoutMs, work, () => {
      const pending = this.pending();
      this.counters.timedOutWrites += pending;
      this.log.error(`${what} gave up after ${this.flushTimeoutMs} ms (flushTimeoutMs): ${pending} session write(s) still pending; storage may be hung`);
    });
  }

  /** Stops the overflow spool's replay timer (storage itself is closed by its owner). */
  async close(): Promise<void> {
    await this.overflow?.close?.();
  }

  /**
   * Writes everything pending and closes, within shutdownTimeoutMs whatever the storage does:
   * writes get the first 60% of it; then what is left (queued, being written, waiting for an
   * earlier revision) is spooled to local disk (replayed by the next writer of this storage) and
   * the storage's calls in flight are aborted; `closeStorage` (the owner's close) and the overflow
   * spool's close get what remains. Resolves true when nothing had to be given up. Never rejects.
   */
  async shutdown(closeStorage?: () => Promise<void>): Promise<boolean> {
    const bound = this.shutdownTimeoutMs;
    const start = Date.now();
    const until = (share: number): number => Math.max(1, Math.floor(bound * share) - (Date.now() - start));
    let ok = await withDeadline(until(SHUTDOWN_WRITE_SHARE), () => this.settle(), () => undefined);
    if (!ok) {
      const left = this.pending();
      this.log.warn(`shutdown: storage has not taken ${left} session(s) after ${Math.floor(bound * SHUTDOWN_WRITE_SHARE)} ms; spooling them to local disk (replayed on the next start)`);
      ok = await withDeadline(until(SHUTDOWN_SPOOL_SHARE), () => this.spoolPending(), () => {
        const pending = this.pending();
        this.counters.timedOutWrites += pending;
        this.log.error(`shutdown gave up after ${bound} ms (shutdownTimeoutMs): ${pending} session write(s) neither written nor spooled`);
      });
    }
    this.closing = true;
    for (const ac of this.calls) ac.abort(new Error('ams-otel: writer shut down'));
    this.calls.clear();
    await withDeadline(
      until(SHUTDOWN_CLOSE_SHARE),
      async () => {
        await closeStorage?.();
        await this.close();
      },
      () => this.log.error(`shutdown: closing the storage did not finish within ${bound} ms (shutdownTimeoutMs)`),
    );
    return ok;
  }

  /** Shutdown's second phase: everything not yet written goes to the spool instead. */
  private async spoolPending(): Promise<void> {
    this.closing = true;
    for (;;) {
      const work: Array<Promise<unknown>> = [];
      for (const task of this.queue.splice(0)) {
        const p = this.spool(task).finally(() => this.spooling.delete(p));
        this.spooling.add(p);
      }
      for (const [task, entry] of this.active) {
        if (task.finished || !entry.session) continue;
        work.push(this.spoolHanging(task, entry.session, entry.write));
      }
      await Promise.allSettled([...work, ...this.spooling]);
      // Tasks that waited for an earlier revision of their session are admitted (to the spool) now.
      await new Promise<void>((r) => setImmediate(r));
      const hanging = [...this.active.entries()].some(([t, e]) => !t.finished && e.session !== undefined);
      if (!this.queue.length && !this.spooling.size && !this.waiting && !hanging) return;
    }
  }

  /** A write still hanging at shutdown: its session goes to the spool, and the task is done as spooled. */
  private async spoolHanging(task: Task, session: Session, write: Promise<void>): Promise<void> {
    try {
      const target = canSpool(this.storage) ? this.storage : this.overflowSpool();
      if (!canSpool(this.storage)) this.overflowSpool().abandon(write, session.id);
      const key = await target.spoolSession(session);
      if (task.finished) return;
      this.counters.sessionsSpooled++;
      this.written(task, session, key, true);
      task.done('spooled');
    } catch (err) {
      if (task.finished) return;
      this.counters.sessionsDropped++;
      this.log.error(`shutdown: session ${session.id} neither written nor spooled (${String((err as Error)?.message ?? err)})`);
      task.done('dropped');
    }
  }
}

/**
 * Waits for `work` at most `ms` (0 or Infinity: no deadline); on timeout calls `onTimeout` and
 * resolves false while the work goes on in the background. Never rejects: errors are reported.
 */
export async function withDeadline(ms: number, work: () => Promise<void>, onTimeout: () => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    if (ms > 0 && Number.isFinite(ms)) {
      timer = setTimeout(() => r('timeout'), ms);
      timer.unref();
    }
  });
  const finished = work().then(
    () => 'done' as const,
    (err: unknown) => {
      report(err);
      return 'done' as const;
    },
  );
  const result = await Promise.race([finished, timedOut]);
  if (timer) clearTimeout(timer);
  if (result === 'done') return true;
  onTimeout();
  return false;
}

/** Hands an error to OpenTelemetry's global error handler, which must never throw into us. */
export function report(err: unknown): void {
  try {
    globalErrorHandler(err instanceof Error ? err : new Error(String(err)));
  } catch {
    // A user's error handler that throws must not reach the host either.
  }
}
