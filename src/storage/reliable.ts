/**
 * Retry with backoff, then spool to local disk and replay: a session is not lost because the
 * bucket was unreachable. Wraps any SessionStorage.
 *
 * While an outage is known, new sessions go straight to the spool (no retry storm, no growing
 * queue in memory); a replay timer probes the storage with backoff and drains the spool when it
 * answers again. The spool survives restarts: a new instance replays what an old one left.
 *
 * Every call to the wrapped storage has a deadline (timeoutMs): past it the call's AbortSignal
 * fires (S3Storage aborts its requests with it) and the call counts as failed, so a storage that
 * accepts connections and never answers is retried, then spooled, like one that refuses them.
 * A call abandoned that way may still land later if the storage ignores the signal: until it has
 * settled, its session id is held: later revisions of that id go to the spool, and the replay
 * leaves them there, so a late landing of the old revision can never overwrite a newer one (the
 * newer one is written after it). A storage that never settles keeps its ids held until the next
 * start; past MAX_ABANDONED such calls the replay stops probing until some settle.
 */
import { diag } from '@opentelemetry/api';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { mergeSessions } from '../session/merge.js';
import type { Session } from '../session/types.js';
import { canWriteConditionally, isPreconditionFailed } from './conditional.js';
import type { ConditionalWriteResult, VersionedSession, WriteCondition } from './conditional.js';
import { safeId } from './keys.js';
import { writeFileAtomic } from './local.js';
import { mergeAndWrite } from './merge-write.js';
import type { SessionReader, SessionStorage, StorageCallOptions } from './types.js';
import { startAbortable } from './abortable.js';

export interface RetryOptions {
  /** Attempts per write before spooling (default 3). */
  attempts?: number;
  /** First backoff delay; doubles per attempt up to maxDelayMs (default 100 ms, 2 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** First replay probe after an outage; doubles up to maxReplayIntervalMs (default 1 s, 60 s). */
  replayIntervalMs?: number;
  maxReplayIntervalMs?: number;
  /** Most sessions the spool holds; beyond it a session is dropped, counted and logged (default 10,000). */
  maxSpooled?: number;
  /** Deadline of one call to the wrapped storage, ms (default 0: none; S3Storage and the writer pass AMS_STORAGE_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** A storage call that missed its deadline (it was aborted and abandoned). */
export class StorageTimeoutError extends Error {
  override readonly name = 'StorageTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`ams-otel: storage call took longer than ${timeoutMs} ms (AMS_STORAGE_TIMEOUT_MS); aborted`);
  }
}

/** Abandoned calls (missed their deadline, not settled yet) past which the replay stops probing. */
export const MAX_ABANDONED = 64;

/**
 * A storage that can take a session for later: it lands in the local spool (the one an outage
 * uses) and the replay writes it. The session writer sends overflow there instead of dropping it.
 */
export interface SpoolingStorage extends SessionStorage {
  /** Spools `session` and schedules a replay; resolves to its key once it is on local disk. */
  spoolSession(session: Session): Promise<string>;
}

export function canSpool(storage: SessionStorage): storage is SpoolingStorage {
  return typeof (storage as Partial<SpoolingStorage>).spoolSession === 'function';
}

export interface ReliableStorageStats {
  written: number;
  retries: number;
  spooled: number;
  replayed: number;
  dropped: number;
  pendingInSpool: number;
  /** True while the storage is known to be failing (writes go to the spool; the replay probes it). */
  failing: boolean;
  /** Calls that missed their deadline and have not settled yet. */
  abandoned: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export class ReliableStorage implements SpoolingStorage {
  private outage = false;
  private replayTimer?: NodeJS.Timeout;
  private replayDelay: number;
  private replaying?: Promise<void>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly counters = { written: 0, retries: 0, spooled: 0, replayed: 0, dropped: 0 };
  private spoolCount = 0;
  private lastReplayFailure = 0;
  private closed = false;
  /** Calls in flight, aborted (and given up) by close(). */
  private readonly controllers = new Map<AbortController, (err: Error) => void>();
  /** Per spool file name (safeId of the session id): calls abandoned at their deadline and not settled yet. */
  private readonly abandonedIds = new Map<string, number>();
  private abandonedTotal = 0;
  private readonly ready: Promise<void>;
  private readonly o: Required<RetryOptions>;
  /** Present when the wrapped storage writes on condition: reads and writes with retry (see conditional.ts). */
  readonly getSessionVersioned?: (id: string, options?: StorageCallOptions) => Promise<VersionedSession | undefined>;
  readonly putSessionConditional?: (session: Session, condition: WriteCondition) => Promise<ConditionalWriteResult>;

  constructor(
    private readonly inner: SessionStorage,
    private readonly keyOf: (session: Session) => string,
    readonly spoolDir: string,
    options: RetryOptions = {},
  ) {
    this.o = {
      attempts: options.attempts ?? 3,
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 2000,
      replayIntervalMs: options.replayIntervalMs ?? 1000,
      maxReplayIntervalMs: options.maxReplayIntervalMs ?? 60_000,
      maxSpooled: options.maxSpooled ?? 10_000,
      timeoutMs: options.timeoutMs ?? 0,
    };
    this.replayDelay = this.o.replayIntervalMs;
    if (canWriteConditionally(inner)) {
      this.getSessionVersioned = (id, o) => this.withRetry((signal) => inner.getSessionVersioned(id, { signal, startedAt: o?.startedAt }));
      this.putSessionConditional = async (session, condition) => {
        if (this.held(session.id)) throw new Error(`ams-otel: an earlier write of session ${session.id} missed its deadline and may still land; spool this one`);
        const result = await this.withRetry((signal) => inner.putSessionConditional(session, condition, { signal }), session.id);
        this.counters.written += 1;
        await this.unspool(session);
        return result;
      };
    }
    // Sessions spooled by an earlier process are replayed too.
    this.ready = this.countSpool().then((n) => {
      if (n > 0) this.scheduleReplay(0);
    });
  }

  putSession(session: Session): Promise<string> {
    const p = this.put(session);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async put(session: Session): Promise<string> {
    await this.ready;
    if (this.outage || this.held(session.id)) {
      await this.spool(session);
      this.scheduleReplay(this.replayDelay);
      return this.keyOf(session);
    }
    let key: string;
    try {
      key = await this.attempt((signal) => this.inner.putSession(session, { signal }), undefined, session.id);
    } catch {
      // (attempt() has declared the outage and said so.)
      await this.spool(session);
      this.scheduleReplay(this.replayDelay);
      return this.keyOf(session);
    }
    this.counters.written += 1;
    await this.unspool(session);
    return key;
  }

  /**
   * A read or conditional write with the same retry as putSession; a failed precondition is the
   * caller's to handle (not retried here). During a known outage, or once retries run out, it
   * rejects: the caller spools the session (spoolSession), and the replay merges it on condition.
   */
  private async withRetry<T>(fn: (signal: AbortSignal) => Promise<T>, id?: string): Promise<T> {
    await this.ready;
    if (this.outage) throw new Error(`ams-otel: storage unreachable; sessions are spooled to ${this.spoolDir}`);
    try {
      return await this.attempt(fn, isPreconditionFailed, id);
    } catch (err) {
      if (this.outage) this.scheduleReplay(this.replayDelay);
      throw err;
    }
  }

  /**
   * Runs `fn` up to `attempts` times with exponential backoff. An error `final` says so is thrown
   * at once; when every attempt failed, the storage is declared out (the spool takes over, the
   * replay brings it back), that is logged once, and the last error is thrown.
   */
  private async attempt<T>(fn: (signal: AbortSignal) => Promise<T>, final: (err: unknown) => boolean = () => false, id?: string): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      if (this.closed) throw new Error('ams-otel: storage closed');
      try {
        return await this.call(fn, id);
      } catch (err) {
        if (final(err) || this.closed) throw err;
        lastError = err;
        if (attempt < this.o.attempts) {
          this.counters.retries += 1;
          await sleep(Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    }
    this.outage = true;
    diag.warn(`ams-otel: storage unreachable after ${this.o.attempts} attempts (${describe(lastError)}); spooling to ${this.spoolDir} and replaying later`);
    throw lastError;
  }

  /**
   * One call to the wrapped storage under the deadline (timeoutMs). Past it the call's signal is
   * aborted, the call is abandoned (its id held until it settles, see the class comment) and a
   * StorageTimeoutError thrown. close() aborts every call in flight.
   */
  private call<T>(fn: (signal: AbortSignal) => Promise<T>, id?: string): Promise<T> {
    const { ac, p } = startAbortable(fn);
    const ms = this.o.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      this.controllers.set(ac, (err) => {
        if (timer) clearTimeout(timer);
        this.abandon(p, id);
        reject(err);
      });
      let timer: NodeJS.Timeout | undefined;
      if (ms > 0 && Number.isFinite(ms)) {
        timer = setTimeout(() => {
          this.controllers.delete(ac);
          const err = new StorageTimeoutError(ms);
          ac.abort(err);
          this.abandon(p, id);
          reject(err);
        }, ms);
        timer.unref?.();
      }
      p.then(
        (v) => {
          if (timer) clearTimeout(timer);
          this.controllers.delete(ac);
          resolve(v);
        },
        (err: unknown) => {
          if (timer) clearTimeout(timer);
          this.controllers.delete(ac);
          reject(err);
        },
      );
    });
  }

  /**
   * Holds `id` until the abandoned call `p` settles; then the replay may write its spooled
   * revisions. The session writer calls it for the writes it abandons to the storage this spools for.
   */
  abandon(p: Promise<unknown>, id?: string): void {
    this.abandonedTotal += 1;
    const name = id === undefined ? undefined : `${safeId(id)}.json`;
    if (name) this.abandonedIds.set(name, (this.abandonedIds.get(name) ?? 0) + 1);
    const settled = (): void => {
      this.abandonedTotal -= 1;
      if (name) {
        const n = (this.abandonedIds.get(name) ?? 1) - 1;
        if (n > 0) this.abandonedIds.set(name, n);
        else this.abandonedIds.delete(name);
      }
      if (this.spoolCount > 0 && !this.closed) this.scheduleReplay(0);
    };
    p.then(settled, settled);
  }

  /** True while a call for this session id missed its deadline and has not settled. */
  held(id: string): boolean {
    return this.abandonedIds.size > 0 && this.abandonedIds.has(`${safeId(id)}.json`);
  }

  /**
   * Spools `session` without trying the storage (the caller's write queue is full) and replays it
   * soon. Throws when the spool refused it (full or unwritable), so the caller can count a drop.
   */
  async spoolSession(session: Session): Promise<string> {
    await this.ready;
    if (!(await this.spool(session))) throw new Error(`spool full (${this.o.maxSpooled} sessions)`);
    this.scheduleReplay(this.outage ? this.replayDelay : 0);
    return this.keyOf(session);
  }

  /**
   * The caller saw the storage fail (its own write missed a deadline or hit a disk error): the
   * storage counts as out until a replay gets through, as if a write here had failed.
   */
  markFailing(): void {
    if (this.closed) return;
    this.outage = true;
    this.scheduleReplay(this.replayDelay);
  }

  stats(): ReliableStorageStats {
    return { ...this.counters, pendingInSpool: this.spoolCount, failing: this.outage, abandoned: this.abandonedTotal };
  }

  /** Waits for writes in flight and tries once to drain the spool. */
  async flush(): Promise<void> {
    await this.ready;
    await Promise.allSettled([...this.inFlight]);
    // The folder is the truth: a session spooled while a replay removed its older revision is not counted.
    await this.countSpool();
    // Replay until the spool is empty, the storage fails again, or a pass makes no progress.
    while (this.spoolCount > 0) {
      const before = { count: this.spoolCount, replayed: this.counters.replayed };
      await this.replay();
      if (this.outage || (this.spoolCount >= before.count && this.counters.replayed === before.replayed)) break;
    }
    await this.inner.flush?.();
  }

  /** Stops the replay and aborts every call in flight (what they carried is in the spool, or their caller's). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
    // Calls in flight are aborted and given up; the writes they belonged to spool their session
    // (local disk) before close() returns, so nothing lands in the spool after it.
    const closedError = new Error('ams-otel: storage closed');
    for (const [ac, giveUp] of this.controllers) {
      ac.abort(closedError);
      giveUp(closedError);
    }
    this.controllers.clear();
    await Promise.allSettled([...this.inFlight]);
    await this.inner.close?.();
  }

  // ---- spool -------------------------------------------------------------------------------

  /** Per spool file: spooling a newer revision and removing a replayed one must not interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();

  private locked<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(file) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(file, tail);
    void tail.then(() => {
      if (this.locks.get(file) === tail) this.locks.delete(file);
    });
    return next;
  }

  private fileOf(id: string): string {
    return path.join(this.spoolDir, `${safeId(id)}.json`);
  }

  private async countSpool(): Promise<number> {
    try {
      const names = await readdir(this.spoolDir);
      this.spoolCount = names.filter((n) => n.endsWith('.json')).length;
    } catch {
      this.spoolCount = 0;
    }
    return this.spoolCount;
  }

  /** False when the spool is full and the session was dropped. */
  private spool(session: Session): Promise<boolean> {
    const file = this.fileOf(session.id);
    return this.locked(file, () => this.spoolLocked(session, file));
  }

  private async spoolLocked(session: Session, file: string): Promise<boolean> {
    const existing = await readSpooled(file);
    // Sessions of one id share a file: a newer revision of a trace replaces it, other traces join it.
    const merged = mergeSessions(existing, session);
    if (existing && merged === existing) return true; // nothing newer than what is already waiting
    if (!existing && this.spoolCount >= this.o.maxSpooled) {
      this.counters.dropped += 1;
      diag.error(`ams-otel: spool full (${this.o.maxSpooled} sessions); dropped session ${session.id} (${this.counters.dropped} dropped in total)`);
      return false;
    }
    await mkdir(this.spoolDir, { recursive: true });
    await writeFileAtomic(file, JSON.stringify(merged));
    if (!existing) this.spoolCount += 1;
    this.counters.spooled += 1;
    return true;
  }

  /**
   * A direct write succeeded: what is spooled for the same id is dropped when the write holds all
   * of it (an older revision must not replay over it; another trace of the session stays).
   */
  private async unspool(session: Session): Promise<void> {
    if (this.spoolCount === 0) return;
    const file = this.fileOf(session.id);
    await this.locked(file, async () => {
      const existing = await readSpooled(file);
      if (existing && mergeSessions(session, existing) === session) {
        await rm(file, { force: true });
        this.spoolCount = Math.max(0, this.spoolCount - 1);
      }
    });
  }

  private scheduleReplay(delay: number): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay().catch((err) => diag.error(`ams-otel: spool replay failed: ${describe(err)}`));
    }, delay);
    this.replayTimer.unref?.();
  }

  /** Replays the spool oldest-first; stops at the first failure and backs off. */
  replay(): Promise<void> {
    this.replaying ??= this.replayOnce().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  private async replayOnce(): Promise<void> {
    // A replay of overflow (storage up) must not turn into an outage when more was spooled meanwhile.
    const duringOutage = this.outage;
    let names: string[];
    try {
      names = (await readdir(this.spoolDir)).filter((n) => n.endsWith('.json')).sort();
    } catch {
      names = [];
    }
    // Sessions with a write that missed its deadline wait until it settles (see the class comment).
    const held = names.filter((n) => this.abandonedIds.has(n)).length;
    if (held) names = names.filter((n) => !this.abandonedIds.has(n));
    if (this.abandonedTotal >= MAX_ABANDONED && names.length) {
      // Too many calls hung: no more probes until some settle (abandon() schedules the next replay).
      this.outage = true;
      diag.debug(`ams-otel: ${this.abandonedTotal} storage calls hung past their deadline; replay waits for them`);
      return;
    }
    // A few at a time (one file per session, so order between files does not matter): a burst
    // the write queue could not hold drains in seconds, not one PUT after another.
    for (let i = 0; i < names.length; i += REPLAY_CONCURRENCY) {
      const results = await Promise.allSettled(names.slice(i, i + REPLAY_CONCURRENCY).map((name) => this.replayFile(path.join(this.spoolDir, name))));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        this.outage = true;
        // Backs off per probe: failures in a burst (replays triggered by several sessions spooled at
        // once) do not compound, or a short outage would wait minutes for its next probe.
        const now = Date.now();
        if (now - this.lastReplayFailure >= this.replayDelay / 2) this.replayDelay = Math.min(this.o.maxReplayIntervalMs, this.replayDelay * 2);
        this.lastReplayFailure = now;
        diag.debug(`ams-otel: storage still unreachable (${describe(failed.reason)}); next replay in ${this.replayDelay} ms`);
        this.scheduleReplay(this.replayDelay);
        await this.countSpool();
        return;
      }
    }
    await this.countSpool();
    // Held files are not retried here (abandon() schedules a replay when their call settles); while
    // any is held, a call is still hanging: the storage still counts as failing.
    const waiting = Math.max(0, this.spoolCount - held);
    if (duringOutage) this.outage = waiting > 0 || held > 0;
    this.replayDelay = this.o.replayIntervalMs;
    if (waiting > 0) this.scheduleReplay(this.outage ? this.replayDelay : 0);
    else if (duringOutage) diag.info('ams-otel: storage reachable again; spool replayed');
  }

  /** Writes one spooled session; throws when the storage refuses it (the file stays). */
  private async replayFile(file: string): Promise<void> {
    const session = await readSpooled(file);
    if (!session) {
      await rm(file, { force: true });
      return;
    }
    await this.call((signal) => this.writeSpooled(session, signal), session.id);
    // Only remove it if nothing newer was spooled meanwhile.
    await this.locked(file, async () => {
      const now = await readSpooled(file);
      if (now && mergeSessions(session, now) === session) await rm(file, { force: true });
    });
    this.counters.replayed += 1;
  }

  /**
   * A spooled session may be older than what is stored now (another writer, a later process, a
   * direct write after the outage): it is merged into the stored document, never written over it.
   * With conditional writes that is read, merge, write on condition; with only a reader, read and
   * merge (a concurrent writer can still be overwritten); with neither, a plain write.
   */
  private async writeSpooled(session: Session, signal: AbortSignal): Promise<void> {
    const inner = this.inner;
    if (canWriteConditionally(inner)) {
      await mergeAndWrite(inner, session, { signal });
      return;
    }
    const reader = inner as SessionStorage & Partial<SessionReader>;
    if (typeof reader.getSession === 'function') {
      const stored = await reader.getSession(session.id);
      const merged = mergeSessions(stored, session);
      if (stored && merged === stored) return;
      signal.throwIfAborted();
      await inner.putSession(merged, { signal });
      return;
    }
    await inner.putSession(session, { signal });
  }
}

const REPLAY_CONCURRENCY = 8;

async function readSpooled(file: string): Promise<Session | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Session;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
