/**
 * InThreadShard: the traces whose ids map to one shard, on the calling thread: decoded records
 * are held until the core has logged their request (commit) or refused it (abort), then go into
 * the shared TraceBuffer; sessions it completes go to the one SessionWriter (assemble -> privacy
 * -> storage). It tracks, per trace, which WAL records hold spans no written session covers yet,
 * so the core can release the log below the lowest one still needed. `workers: 0` is one of
 * these; a worker thread (worker.ts) runs one too.
 */
import { splitSession } from '../../src/session/merge.js';
import { diag } from '@opentelemetry/api';
import { describeRecord } from '../../src/processor/describe.js';
import { DropLog } from '../../src/processor/drop-log.js';
import { TraceBuffer } from '../../src/processor/trace-buffer.js';
import type { SessionBatch } from '../../src/processor/trace-buffer.js';
import type { Session } from '../../src/session/types.js';
import type { SpanRecord } from '../../src/spans/record.js';
import { canWriteConditionally, unpackEtag } from '../../src/storage/conditional.js';
import type { SessionReader, SessionStorage } from '../../src/storage/types.js';
import { SessionWriter } from '../../src/writer/SessionWriter.js';
import type { SessionWriterOptions } from '../../src/writer/types.js';
import { HttpError } from '../http/errors.js';
import type { OtlpEncoding } from '../otlp/codec.js';
import { decodeOrRefuse } from './decode.js';
import type { DecodeReply, Load, Shard, ShardConfig, ShardState, ShardStats } from './types.js';

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

export interface InThreadShardOptions {
  index: number;
  config: ShardConfig;
  /** Storage, privacy, env and onSessionWritten for this shard's writer (limits come from config). */
  writer: Omit<SessionWriterOptions, 'maxConcurrentWrites' | 'maxPendingWrites' | 'flushTimeoutMs' | 'storageTimeoutMs' | 'shutdownTimeoutMs'>;
  /** Called (coalesced by the caller) whenever the low-water mark or the load may have moved. */
  onStateChange?(): void;
}

export class InThreadShard implements Shard {
  readonly index: number;
  readonly started = Promise.resolve();
  readonly dead = undefined;
  private readonly buffer: TraceBuffer<SpanRecord>;
  private readonly writer: SessionWriter;
  private readonly accounts = new Map<string, TraceAccount>();
  private bufferedBytes = 0;
  /** Distinct spans received whose session is not yet written (sum over accounts). */
  private openSpans = 0;
  private readonly drops = new DropLog(undefined, undefined, diag.createComponentLogger({ namespace: 'ams-otel/receiver' }));
  /** Traces rebuilt from the WAL by a replacement worker, until their first write decision. */
  private readonly recovered = new Set<string>();
  /** Decoded records waiting for commit or abort, by request id. */
  private readonly held = new Map<number, SpanRecord[]>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly storage: SessionStorage;

  constructor(private readonly opts: InThreadShardOptions) {
    const o = opts.config;
    this.index = opts.index;
    this.storage = opts.writer.storage;
    this.writer = new SessionWriter({
      namespace: 'ams-otel/receiver',
      ...opts.writer,
      maxConcurrentWrites: o.maxConcurrentWrites,
      maxPendingWrites: o.maxPendingWrites,
      flushTimeoutMs: o.flushTimeoutMs,
      storageTimeoutMs: o.storageTimeoutMs,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
    });
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
      // the core's capacity rule (503), so the buffer gets room for retained ones and evicts those first.
      maxTraces: o.maxTraces * 2,
      maxSpansPerTrace: o.maxSpansPerTrace,
      // Hard bound on spans held, open and retained: past it the oldest trace goes first (usually
      // one already written). The core answers 503 well before open traces alone get there.
      maxBufferedSpans: o.maxBufferedSpans,
      // The same in request bytes, retained traces included: past it retained traces are let go
      // of (only they: unwritten bytes are bounded by the core, which answers 503 when they would
      // pass 80% of it, so an acknowledged span is never dropped here).
      maxBufferedBytes: o.maxBufferedBytes,
      bytesBoundOpenTraces: false,
    });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async decode(id: number, part: Uint8Array, encoding: OtlpEncoding): Promise<DecodeReply> {
    try {
      const body = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      const { records, partial } = decodeOrRefuse(body, encoding);
      this.held.set(id, records);
      return { t: 'decoded', records: records.length, newTraces: this.newTraces(records), ...partial };
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      return { t: 'refused', status, message: err instanceof Error ? err.message : String(err) };
    }
  }

  async hold(id: number, records: SpanRecord[]): Promise<DecodeReply> {
    this.held.set(id, records);
    return { t: 'decoded', records: records.length, newTraces: this.newTraces(records), rejectedSpans: 0 };
  }

  async commit(id: number, seq: number, bytes: number, recovered: boolean): Promise<void> {
    const records = this.held.get(id) ?? [];
    this.held.delete(id);
    this.ingest(records, bytes, seq, recovered);
  }

  abort(id: number): void {
    this.held.delete(id);
  }

  /** Distinct traces in `records` that have no spans open yet. */
  private newTraces(records: SpanRecord[]): number {
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

  /**
   * Buffers records logged under WAL sequence number `seq`. `recovered`: replayed into a
   * replacement worker, which may see only the later part of a trace its predecessor already
   * wrote whole (see newerThanStored()).
   */
  private ingest(records: SpanRecord[], bytes: number, seq: number, recovered: boolean): void {
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
    // Each record weighs its share of the request's bytes (what the WAL holds for it).
    const perRecord = bytes / records.length;
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
      this.buffer.add(r, info, perRecord);
    }
    // Spans the buffer refused at once (late, trace already forgotten) need no WAL record.
    for (const traceId of perTrace.keys()) {
      const acc = this.accounts.get(traceId)!;
      if (!this.buffer.has(traceId) && acc.inflight === 0 && !acc.failed) this.cover(traceId, seq);
    }
    this.opts.onStateChange?.();
  }

  private onSessionReady(batch: SessionBatch): void {
    const a = this.accounts.get(batch.traceId);
    // Everything logged for this trace so far is covered by this write when the batch holds every
    // span received for it; otherwise (several sessions in one trace) the sweep releases it later.
    const coveredSeq = a && batch.records.length + batch.droppedSpans >= a.spanIds.size ? a.seqs[a.seqs.length - 1] : undefined;
    const rootReceivedAt = batch.rootSpanId !== undefined ? a?.rootReceivedAt : undefined;
    if (a) a.inflight++;
    const beforeWrite = (session: Session): Promise<boolean> =>
      this.recovered.delete(batch.traceId) ? this.newerThanStored(session) : Promise.resolve(true);
    void this.writer.write(batch, { rootReceivedAt, beforeWrite }).then((outcome) => {
      // Stored, spooled (on local disk), skipped or unassemblable: the WAL records may go.
      const ok = outcome !== 'failed' && outcome !== 'dropped';
      const acc = this.accounts.get(batch.traceId);
      if (acc) {
        acc.inflight--;
        if (!ok) acc.failed = true;
        else if (coveredSeq !== undefined) this.cover(batch.traceId, coveredSeq);
      }
      this.opts.onStateChange?.();
    });
  }

  /**
   * A trace rebuilt after a worker died may be only the tail of one its predecessor already wrote
   * whole: written only if it holds more spans than the stored session's part for this trace
   * (then as its next revision). Without a readable storage it is written (the safe side for an unwritten trace).
   */
  private async newerThanStored(session: Session): Promise<boolean> {
    const reader = this.storage as SessionStorage & Partial<SessionReader>;
    if (!canWriteConditionally(this.storage) && typeof reader.getSession !== 'function') return true;
    // By id near the trace's start (the segment index has no per-session pointer), else through the index.
    const versioned = canWriteConditionally(this.storage) ? await this.storage.getSessionVersioned(session.id, { startedAt: session.started_at }).catch(() => undefined) : undefined;
    const stored = versioned ? versioned.session : typeof reader.getSession === 'function' ? await reader.getSession(session.id).catch(() => undefined) : undefined;
    if (!stored) return true;
    // Compare with this trace's own part: in a session of several traces (Claude Code
    // interactions) the stored document's counts are every interaction's together.
    const part = splitSession(stored).find((p) => p.header.trace_id === session.trace_id);
    if (!part) return true;
    if (part.header.spans.kept >= session.spans.kept) {
      // Written whole by the worker that died, whose index entry may have died with it (an
      // index segment not yet flushed): record it again; a duplicate is harmless.
      const key = versioned ? unpackEtag(versioned.etag)?.key : undefined;
      if (key && canWriteConditionally(this.storage)) await this.storage.indexStored?.(stored, key).catch(() => undefined);
      return false;
    }
    session.revision = Math.max(session.revision, part.header.revision + 1);
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
    this.opts.onStateChange?.();
  }

  /** The lowest WAL sequence number a trace still needs, or MAX_SAFE_INTEGER. */
  private neededFrom(): number {
    let low = Number.MAX_SAFE_INTEGER;
    for (const a of this.accounts.values()) if (a.seqs.length && a.seqs[0]! < low) low = a.seqs[0]!;
    return low;
  }

  private load(): Load {
    return { traces: this.accounts.size, openSpans: this.openSpans, bufferedBytes: this.bufferedBytes };
  }

  private stats(): ShardStats {
    return {
      openTraces: this.accounts.size,
      openSpans: this.openSpans,
      bufferedSpans: this.buffer.stats().bufferedSpans,
      bufferedBytes: Math.round(this.bufferedBytes),
      heldBytes: Math.round(this.buffer.stats().bufferedBytes),
      ...this.writer.stats(),
    };
  }

  state(): ShardState {
    return { load: this.load(), stats: this.stats(), low: this.neededFrom() };
  }

  async flush(): Promise<void> {
    this.buffer.flush(false);
    await this.writer.settle();
  }

  /** Writes what is pending within shutdownTimeoutMs (see SessionWriter.shutdown); `closeStorage` runs inside that bound. */
  async shutdown(closeStorage?: () => Promise<void>): Promise<void> {
    clearInterval(this.sweeper);
    this.buffer.close('receiver shut down before the session ended');
    // Bounded by shutdownTimeoutMs: what storage has not taken by then is spooled (or stays in the WAL).
    await this.writer.shutdown(closeStorage);
    this.drops.flush();
    this.opts.onStateChange?.();
  }

  async terminate(): Promise<void> {}
}
