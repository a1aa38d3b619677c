/**
 * The receiver's pipeline behind the HTTP layer: accepted requests go to the write-ahead log, their
 * span records into the shared TraceBuffer; sessions the buffer completes are assembled with the
 * same assembleSession() as in-process and written to storage. The WAL is released as sessions
 * reach storage, and the same accounting bounds memory (open traces, spans, bytes).
 */
import { context, diag } from '@opentelemetry/api';
import { globalErrorHandler, suppressTracing } from '@opentelemetry/core';
import { describeRecord, isGenAiRecord } from '../src/processor/describe.js';
import { DropLog } from '../src/processor/drop-log.js';
import { TraceBuffer } from '../src/processor/trace-buffer.js';
import type { SessionBatch } from '../src/processor/trace-buffer.js';
import { assembleSession } from '../src/session/assemble.js';
import type { SpanRecord } from '../src/spans/record.js';
import type { Session } from '../src/session/types.js';
import type { SessionReader, SessionStorage } from '../src/storage/types.js';
import { decompress } from './http/body.js';
import type { BodyEncoding, BodyLimits } from './http/body.js';
import { HttpError } from './http/errors.js';
import { OtlpDecodeError, decodeTraceRequest } from './otlp/codec.js';
import type { OtlpEncoding, PartialSuccess } from './otlp/codec.js';
import type { ResolvedReceiverOptions, SessionWrittenEvent } from './options.js';
import { WriteAheadLog } from './wal/wal.js';
import type { ReplayStats } from './wal/wal.js';

/** How often traces the buffer has let go of are checked so their WAL records can be released. */
const SWEEP_INTERVAL_MS = 1000;

/** Per trace: which WAL records hold its spans that no session written so far covers. */
interface TraceAccount {
  /** WAL sequence numbers, ascending, with the request bytes attributed to this trace. */
  seqs: number[];
  bytes: number[];
  /** Distinct span ids received (exporters resend spans on retry). */
  spanIds: Set<string>;
  /** Storage writes started and not finished. */
  inflight: number;
  /** A write failed: keep the WAL records for the next start's replay. */
  failed: boolean;
  rootReceivedAt?: number;
}

export interface PipelineStats {
  /** Traces with spans not yet written. */
  openTraces: number;
  /** Spans not yet written. */
  openSpans: number;
  /** Spans held by the buffer: open plus written ones retained for late arrivals. */
  bufferedSpans: number;
  bufferedBytes: number;
  sessionsWritten: number;
  sessionsSkippedNotGenAi: number;
  writeFailures: number;
  rejectedFull: number;
  walBytes: number;
  walSegments: number;
  replayed?: ReplayStats;
}

/**
 * Share of maxBufferedSpans that spans not yet written may take before accept() answers 503; the
 * rest is room for written traces kept for retainMs, so back-pressure comes before eviction.
 */
const OPEN_SPANS_SHARE = 0.8;

/** WAL record flag bits: how to decode the payload on replay. */
export const WAL_FLAG_JSON = 1;
export const WAL_FLAG_GZIP = 2;

export const walFlags = (encoding: OtlpEncoding, bodyEncoding: BodyEncoding): number =>
  (encoding === 'json' ? WAL_FLAG_JSON : 0) | (bodyEncoding === 'gzip' ? WAL_FLAG_GZIP : 0);
export const walEncoding = (flags: number): OtlpEncoding => (flags & WAL_FLAG_JSON ? 'json' : 'protobuf');
export const walBodyEncoding = (flags: number): BodyEncoding => (flags & WAL_FLAG_GZIP ? 'gzip' : 'identity');

/** Decodes a (decompressed) body; a malformed one is an HttpError 400 with the decoder's reason. */
export function decodeOrRefuse(body: Buffer, encoding: OtlpEncoding): { records: SpanRecord[]; partial: PartialSuccess } {
  try {
    const conv = decodeTraceRequest(body, encoding);
    return { records: conv.records, partial: { rejectedSpans: conv.rejectedSpans, errorMessage: conv.errorMessage } };
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
    throw err;
  }
}

/** What the HTTP layer needs from a pipeline: the in-thread one below, or the sharded one (receiver/shard). */
export interface ReceiverPipeline {
  /** Opens the WAL and replays it; `limits` bound the decompression of replayed bodies. */
  start(limits: BodyLimits): Promise<void>;
  /**
   * Accepts one request: `body` decompressed, `raw` as received (what the WAL keeps). Throws
   * HttpError (400 malformed, 503 full or stopping); resolves once the spans are in the WAL.
   */
  acceptBody(body: Buffer, raw: Buffer, encoding: OtlpEncoding, flags: number): Promise<PartialSuccess>;
  hasCapacity(): boolean;
  /** What makes the receiver unhealthy (GET /health 503), if anything. */
  readonly problem?: string;
  stats(): PipelineStats;
  /** Writes sessions whose root has ended now (skipping waitMs) and waits for the writes. */
  flush(): Promise<void>;
  /** Writes everything pending (unfinished sessions as incomplete), waits, closes the WAL. */
  shutdown(): Promise<void>;
}

/** Open state and an incoming request, for the capacity rule both pipelines share. */
export interface Load {
  traces: number;
  openSpans: number;
  bufferedBytes: number;
}

/** Why accepting `incoming` (new traces, spans, bytes) on top of `open` would break a bound, if it would. */
export function overCapacity(open: Load, incoming: Load, o: ResolvedReceiverOptions): string | undefined {
  // (A request bigger than a bound on its own is let through when nothing is pending, or it could
  // never be accepted.)
  if (open.traces > 0 && open.traces + incoming.traces > o.maxTraces) return `${open.traces} traces open (maxTraces ${o.maxTraces})`;
  const openSpansLimit = Math.floor(o.maxBufferedSpans * OPEN_SPANS_SHARE);
  if (open.openSpans > 0 && open.openSpans + incoming.openSpans > openSpansLimit) {
    return `${open.openSpans} spans not yet written (${OPEN_SPANS_SHARE * 100}% of maxBufferedSpans ${o.maxBufferedSpans})`;
  }
  if (open.bufferedBytes > 0 && open.bufferedBytes + incoming.bufferedBytes > o.maxBufferedBytes) {
    return `${open.bufferedBytes} bytes not yet written (maxBufferedBytes ${o.maxBufferedBytes})`;
  }
  return undefined;
}

/** True while every bound has room for at least one more small request. */
export function hasRoom(open: Load, o: ResolvedReceiverOptions): boolean {
  return open.traces < o.maxTraces && open.openSpans < Math.floor(o.maxBufferedSpans * OPEN_SPANS_SHARE) && open.bufferedBytes < o.maxBufferedBytes;
}

export function capacityError(why: string, o: ResolvedReceiverOptions): HttpError {
  return new HttpError(503, `receiver is at capacity: ${why}; retry later`, { 'Retry-After': String(o.retryAfterSeconds) });
}

export interface SessionPipelineHooks {
  /**
   * Without a WAL of its own (a shard worker): called with the lowest sequence number whose
   * record is still needed (MAX_SAFE_INTEGER when none), whenever that may have moved.
   */
  onRelease?(low: number): void;
}

export class SessionPipeline implements ReceiverPipeline {
  private buffer!: TraceBuffer<SpanRecord>;
  private wal?: WriteAheadLog;
  private localSeq = 0;
  private readonly accounts = new Map<string, TraceAccount>();
  private bufferedBytes = 0;
  /** Distinct spans received whose session is not yet written (sum over accounts). */
  private openSpans = 0;
  private readonly writeQueue: Array<() => Promise<void>> = [];
  private readonly writing = new Set<Promise<void>>();
  /** Writes of the same session run in order, so revision 2 never lands before revision 1. */
  private readonly sessionChains = new Map<string, Promise<void>>();
  private sweeper?: NodeJS.Timeout;
  private releaseScheduled = false;
  private replayed?: ReplayStats;
  private closing = false;
  private readonly appending = new Set<Promise<void>>();
  private readonly drops = new DropLog();
  /** Traces rebuilt from the WAL by a replacement worker, until their first write decision. */
  private readonly recovered = new Set<string>();
  private readonly counters = { sessionsWritten: 0, sessionsSkippedNotGenAi: 0, writeFailures: 0, rejectedFull: 0 };

  constructor(
    private readonly o: ResolvedReceiverOptions,
    private readonly storage: SessionStorage,
    private readonly onWritten?: (e: SessionWrittenEvent) => void,
    private readonly hooks: SessionPipelineHooks = {},
  ) {
    this.buffer = new TraceBuffer<SpanRecord>({
      describe: describeRecord,
      toRecord: (r) => r,
      onSessionReady: (batch) => this.onSessionReady(batch),
      onDrop: (count, reason) => this.drops.add(count, `spans (${reason})`),
      waitMs: o.waitMs,
      idleMs: o.idleMs,
      maxAgeMs: o.maxAgeMs,
      retainMs: o.retainMs || undefined,
      // Written traces kept for retainMs also count in the buffer; the open ones are bounded by
      // accept() (503), so the buffer gets room for retained ones and evicts those first (oldest).
      maxTraces: o.maxTraces * 2,
      maxSpansPerTrace: o.maxSpansPerTrace,
      // Hard bound on spans held, open and retained: past it the oldest trace goes first (usually
      // one already written). accept() answers 503 well before open traces alone get there.
      maxBufferedSpans: o.maxBufferedSpans,
    });
  }

  /** Opens the WAL and replays it into the buffer (the same decoding as a live request). */
  async start(limits: BodyLimits): Promise<void> {
    const decode = async (payload: Buffer, flags: number): Promise<SpanRecord[]> =>
      decodeOrRefuse(await decompress(payload, walBodyEncoding(flags), limits), walEncoding(flags)).records;
    if (this.o.walDir !== false) {
      const pending: Array<{ payload: Buffer; flags: number; seq: number }> = [];
      const { wal, replay } = await WriteAheadLog.open(this.o.walDir, { fsync: this.o.walFsync }, (payload, flags, seq) =>
        pending.push({ payload, flags, seq }),
      );
      this.wal = wal;
      this.replayed = replay;
      for (const p of pending) {
        try {
          this.ingest(await decode(p.payload, p.flags), p.payload.length, p.seq);
        } catch (err) {
          diag.error(`ams receiver: could not replay WAL record ${p.seq}: ${String(err)}`);
        }
      }
      if (replay.records) diag.info(`ams receiver: replayed ${replay.records} request(s) from ${this.o.walDir}`);
      this.scheduleRelease();
    }
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Distinct traces in `records` that have no spans open yet. */
  newTraces(records: SpanRecord[]): number {
    let newTraces = 0;
    const seen = new Set<string>();
    let last = '';
    for (const r of records) {
      // Spans of a trace usually come together: skip the set for runs of the same trace.
      if (r.traceId === last) continue;
      last = r.traceId;
      if (seen.has(last)) continue;
      seen.add(last);
      if (!this.accounts.has(last)) newTraces++;
    }
    return newTraces;
  }

  /** Open traces, unwritten spans and their request bytes: what the capacity rule weighs. */
  load(): Load {
    return { traces: this.accounts.size, openSpans: this.openSpans, bufferedBytes: this.bufferedBytes };
  }

  /** Throws 503 when accepting `records` would exceed a bound. */
  checkCapacity(records: SpanRecord[], bytes: number): void {
    const why = overCapacity(this.load(), { traces: this.newTraces(records), openSpans: records.length, bufferedBytes: bytes }, this.o);
    if (why) {
      this.counters.rejectedFull++;
      throw capacityError(why, this.o);
    }
  }

  async acceptBody(body: Buffer, raw: Buffer, encoding: OtlpEncoding, flags: number): Promise<PartialSuccess> {
    const { records, partial } = decodeOrRefuse(body, encoding);
    if (records.length > 0) await this.accept(records, raw, flags);
    return partial;
  }

  /** Logs the request body, then buffers its records. Resolves once the body is in the WAL. */
  async accept(records: SpanRecord[], body: Buffer, flags: number): Promise<void> {
    if (this.closing) throw new HttpError(503, 'receiver is shutting down', { 'Retry-After': String(this.o.retryAfterSeconds) });
    this.checkCapacity(records, body.length);
    if (!this.wal) {
      this.ingest(records, body.length, ++this.localSeq);
      return;
    }
    // shutdown() waits for appends in flight, so what they log is buffered before the final flush.
    const appended = this.wal.append(body, flags).then((seq) => this.ingest(records, body.length, seq));
    this.appending.add(appended);
    try {
      await appended;
    } catch (err) {
      // A log that cannot be written (disk full, gone): retryable for the exporter, not a 500.
      throw new HttpError(503, `receiver could not take the request: ${String((err as Error)?.message ?? err)}`, {
        'Retry-After': String(this.o.retryAfterSeconds),
      });
    } finally {
      this.appending.delete(appended);
    }
  }

  /**
   * Buffers records logged elsewhere under WAL sequence number `seq` (a shard worker's input).
   * `recovered`: replayed into a replacement worker, which may see only the later part of a trace
   * its predecessor already wrote whole (see write()).
   */
  ingest(records: SpanRecord[], bytes: number, seq: number, recovered = false): void {
    if (records.length === 0) return;
    if (recovered) for (const r of records) this.recovered.add(r.traceId);
    const now = Date.now();
    const perTrace = new Map<string, number>();
    let last = '';
    let run = 0;
    for (const r of records) {
      if (r.traceId === last) {
        run++;
        continue;
      }
      if (run) perTrace.set(last, (perTrace.get(last) ?? 0) + run);
      last = r.traceId;
      run = 1;
    }
    perTrace.set(last, (perTrace.get(last) ?? 0) + run);
    for (const [traceId, n] of perTrace) {
      let a = this.accounts.get(traceId);
      if (!a) this.accounts.set(traceId, (a = { seqs: [], bytes: [], spanIds: new Set(), inflight: 0, failed: false }));
      const share = (bytes * n) / records.length;
      if (a.seqs[a.seqs.length - 1] === seq) a.bytes[a.bytes.length - 1]! += share;
      else {
        a.seqs.push(seq);
        a.bytes.push(share);
      }
      this.bufferedBytes += share;
    }
    let a: TraceAccount | undefined;
    for (const r of records) {
      const info = describeRecord(r);
      if (a === undefined || r.traceId !== last) {
        a = this.accounts.get(r.traceId)!;
        last = r.traceId;
      }
      if (!a.spanIds.has(r.spanId)) {
        a.spanIds.add(r.spanId);
        this.openSpans++;
      }
      if (info.isLocalRoot) a.rootReceivedAt = now;
      this.buffer.add(r, info);
    }
    // Spans the buffer refused at once (late, trace already forgotten) need no WAL record.
    for (const traceId of perTrace.keys()) {
      const a = this.accounts.get(traceId)!;
      if (!this.buffer.has(traceId) && a.inflight === 0 && !a.failed) this.cover(traceId, seq);
    }
  }

  private onSessionReady(batch: SessionBatch): void {
    const a = this.accounts.get(batch.traceId);
    // Everything logged for this trace so far is covered by this write when the batch holds every
    // span received for it; otherwise (several sessions in one trace) the sweep releases it later.
    const coveredSeq = a && batch.records.length + batch.droppedSpans >= a.spanIds.size ? a.seqs[a.seqs.length - 1] : undefined;
    const rootReceivedAt = batch.rootSpanId !== undefined ? a?.rootReceivedAt : undefined;
    if (a) a.inflight++;
    const task = async (): Promise<void> => {
      let ok = false;
      try {
        ok = await this.write(batch, rootReceivedAt);
      } finally {
        const acc = this.accounts.get(batch.traceId);
        if (acc) {
          acc.inflight--;
          if (!ok) acc.failed = true;
          else if (coveredSeq !== undefined) this.cover(batch.traceId, coveredSeq);
        }
        this.scheduleRelease();
      }
    };
    const prev = this.sessionChains.get(batch.sessionId) ?? Promise.resolve();
    const chained = prev.then(
      () =>
        new Promise<void>((resolve) => {
          this.writeQueue.push(() => task().finally(resolve));
          this.pump();
        }),
    );
    this.sessionChains.set(batch.sessionId, chained);
    void chained.finally(() => {
      if (this.sessionChains.get(batch.sessionId) === chained) this.sessionChains.delete(batch.sessionId);
    });
  }

  private pump(): void {
    while (this.writing.size < this.o.maxConcurrentWrites && this.writeQueue.length) {
      const run = this.writeQueue.shift()!;
      const p = run().finally(() => {
        this.writing.delete(p);
        this.pump();
      });
      this.writing.add(p);
    }
  }

  /** Assembles and stores one session. Resolves true when the spans need no WAL record any more. */
  private async write(batch: SessionBatch, rootReceivedAt: number | undefined): Promise<boolean> {
    if (!batch.records.some(isGenAiRecord)) {
      // Not an agent session (no gen_ai.* span): nothing to write.
      this.counters.sessionsSkippedNotGenAi++;
      return true;
    }
    let session;
    try {
      session = assembleSession(batch.records, {
        rootSpanId: batch.rootSpanId,
        sessionId: batch.sessionId,
        revision: batch.revision,
        incompleteReason: batch.incompleteReason,
        droppedSpans: batch.droppedSpans,
      });
    } catch (err) {
      // Retrying cannot help a batch the assembler refuses: report it and let the WAL go.
      report(err);
      return true;
    }
    try {
      if (this.recovered.delete(batch.traceId) && !(await this.newerThanStored(session))) return true;
      const key = await context.with(suppressTracing(context.active()), () => this.storage.putSession(session));
      this.counters.sessionsWritten++;
      if (session.status === 'incomplete') diag.warn(`ams receiver: session ${session.id} written as incomplete: ${session.status_reason}`);
      try {
        this.onWritten?.({
          sessionId: session.id,
          traceId: batch.traceId,
          key,
          revision: session.revision,
          status: session.status,
          spans: batch.records.length,
          rootReceivedAt,
          writtenAt: Date.now(),
        });
      } catch (err) {
        report(err);
      }
      return true;
    } catch (err) {
      this.counters.writeFailures++;
      report(err);
      return false;
    }
  }

  /**
   * A trace rebuilt after a worker died may be only the tail of one its predecessor already wrote
   * whole: written only if it holds more spans than the stored session (then as its next
   * revision). Without a readable storage it is written (the safe side for an unwritten trace).
   */
  private async newerThanStored(session: Session): Promise<boolean> {
    const reader = this.storage as SessionStorage & Partial<SessionReader>;
    if (typeof reader.getSession !== 'function') return true;
    const stored = await reader.getSession(session.id).catch(() => undefined);
    if (!stored) return true;
    if (stored.spans.kept >= session.spans.kept) return false;
    session.revision = Math.max(session.revision, stored.revision + 1);
    return true;
  }

  /** WAL records of a trace up to `seq` are covered by a written session. */
  private cover(traceId: string, seq: number): void {
    const a = this.accounts.get(traceId);
    if (!a) return;
    let i = 0;
    while (i < a.seqs.length && a.seqs[i]! <= seq) {
      this.bufferedBytes -= a.bytes[i]!;
      i++;
    }
    a.seqs.splice(0, i);
    a.bytes.splice(0, i);
    if (a.seqs.length === 0) {
      this.openSpans -= a.spanIds.size;
      a.spanIds.clear();
      if (a.inflight === 0) this.accounts.delete(traceId);
    }
    if (this.accounts.size === 0) {
      this.bufferedBytes = 0; // no float drift when idle
      this.openSpans = 0;
    }
  }

  /** Traces the buffer has let go of (written and past retainMs) hold no WAL record any more. */
  private sweep(): void {
    for (const [traceId, a] of this.accounts) {
      if (a.inflight === 0 && !a.failed && !this.buffer.has(traceId)) this.cover(traceId, Number.MAX_SAFE_INTEGER);
    }
    this.scheduleRelease();
  }

  private scheduleRelease(): void {
    if ((!this.wal && !this.hooks.onRelease) || this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      if (this.wal) this.wal.release(this.neededFrom(this.wal.lastSeq + 1));
      else this.hooks.onRelease?.(this.neededFrom(Number.MAX_SAFE_INTEGER));
    }).unref();
  }

  /** The lowest WAL sequence number a trace still needs, or `none`. */
  neededFrom(none = Number.MAX_SAFE_INTEGER): number {
    let low = none;
    for (const a of this.accounts.values()) if (a.seqs.length && a.seqs[0]! < low) low = a.seqs[0]!;
    return low;
  }

  get ready(): boolean {
    return !this.closing;
  }

  /** True while every bound has room for at least one more small request. */
  hasCapacity(): boolean {
    return !this.closing && hasRoom(this.load(), this.o);
  }

  stats(): PipelineStats {
    const s: PipelineStats = {
      openTraces: this.accounts.size,
      openSpans: this.openSpans,
      bufferedSpans: this.buffer.stats().bufferedSpans,
      bufferedBytes: Math.round(this.bufferedBytes),
      ...this.counters,
      walBytes: this.wal?.sizeBytes ?? 0,
      walSegments: this.wal?.segmentCount ?? 0,
    };
    if (this.replayed) s.replayed = this.replayed;
    return s;
  }

  /** Waits for every write started so far. */
  async drain(): Promise<void> {
    while (this.writing.size || this.writeQueue.length || this.sessionChains.size) {
      this.pump();
      await Promise.allSettled([...this.writing, ...this.sessionChains.values()]);
    }
  }

  async flush(): Promise<void> {
    this.buffer.flush(false);
    await this.drain();
    await this.storage.flush?.();
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.appending]);
    this.buffer.close('receiver shut down before the session ended');
    await this.drain();
    await this.storage.flush?.();
    this.drops.flush();
    if (this.wal) {
      this.wal.release(this.neededFrom(this.wal.lastSeq + 1));
      await this.wal.close();
    } else this.hooks.onRelease?.(this.neededFrom(Number.MAX_SAFE_INTEGER));
  }
}

/** Hands an error to OpenTelemetry's global error handler, which must never throw into us. */
export function report(err: unknown): void {
  try {
    globalErrorHandler(err instanceof Error ? err : new Error(String(err)));
  } catch {
    // A user's error handler that throws must not take the receiver down.
  }
}
