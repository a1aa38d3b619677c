/**
 * The receiver core, behind the HTTP layer: HTTP -> WAL -> capacity -> split by trace -> shards.
 *
 * A request goes: split by trace id (receiver/otlp/split.ts, a walk over tags and lengths; skipped
 * with one shard) -> each shard decodes its part and holds the records (a malformed part refuses
 * the whole request with 400 and nothing is kept) -> capacity check over the shards' load (503)
 * -> WAL append -> commit (the shards buffer what they hold) -> 200. The WAL is released below the
 * lowest sequence number any shard, commit in flight or shard being rebuilt still needs.
 *
 * A logs request (POST /v1/logs) takes the same path except the first step: it is decoded here
 * and each log record, as a SpanRecord (src/spans/log-record.ts), goes to the shard of its trace,
 * its own or the one derived from session.id + prompt.id (see decodeLogs()). Its WAL record is
 * flagged WAL_FLAG_LOGS so replay decodes it as logs. Metrics are only checked and counted.
 *
 * Shards (receiver/shard/) are InThreadShards (`workers: 0` is one of them, on this thread) or
 * WorkerShards (one per worker thread), so decoding, assembly and storage run on every core while
 * every span of a trace still meets its siblings in one buffer. A worker that dies is replaced
 * and fed the WAL records its traces still needed (see recover()): nothing acknowledged is lost.
 */
import { diag } from '@opentelemetry/api';
import { resolvePrivacy } from '../src/privacy/options.js';
import type { PrivacyOptions, ResolvedPrivacy } from '../src/privacy/options.js';
import { redactSpanRecords } from '../src/privacy/redact.js';
import type { PricingOptions } from '../src/session/pricing.js';
import type { StorageSpec } from '../src/storage/spec.js';
import type { SessionStorage } from '../src/storage/types.js';
import { withDeadline } from '../src/writer/SessionWriter.js';
import type { SessionWriterStats, SessionWrittenEvent } from '../src/writer/types.js';
import { decompress } from './http/body.js';
import type { BodyEncoding, BodyLimits } from './http/body.js';
import { HttpError } from './http/errors.js';
import { decodeOrRefuse } from './shard/decode.js';
import { logRecordToSpanRecord } from '../src/spans/log-record.js';
import type { SpanRecord } from '../src/spans/record.js';
import { OtlpDecodeError, decodeLogsRequest, decodeMetricsRequest } from './otlp/codec.js';
import type { OtlpEncoding, PartialSuccess } from './otlp/codec.js';
import type { OtlpLogsConversion } from './otlp/logs.js';
import { shardOfTraceIdHex, splitJsonByTrace, splitProtobufByTrace } from './otlp/split.js';
import type { ResolvedReceiverOptions } from './options.js';
import { InThreadShard } from './shard/in-thread.js';
import { sumShardStats, WorkerShard } from './shard/worker-shard.js';
import type { ShardWorkerData } from './shard/protocol.js';
import type { DecodeReply, Load, Shard, ShardConfig } from './shard/types.js';
import { WriteAheadLog } from './wal/wal.js';
import type { ReplayStats } from './wal/wal.js';

export type { Load } from './shard/types.js';

/** The receiver's counters: its shards' (buffer + writer, summed) and its own. */
export interface PipelineStats extends SessionWriterStats {
  /** Traces with spans not yet written. */
  openTraces: number;
  /** Spans not yet written. */
  openSpans: number;
  /** Spans held by the buffers: open plus written ones retained for late arrivals. */
  bufferedSpans: number;
  /** Request bytes of the spans not yet written (503 past 80% of maxBufferedBytes). */
  bufferedBytes: number;
  /** Request bytes of every span held: not yet written, and written ones retained for retainMs. */
  heldBytes: number;
  /** Requests answered 503 because a bound was reached. */
  rejectedFull: number;
  walBytes: number;
  walSegments: number;
  /** Log records in acknowledged POST /v1/logs requests (kept or not). */
  logRecordsReceived: number;
  /**
   * Of those, not kept: no trace id and no `session.id` to join a session by, or a malformed id
   * (reported to the exporter through partial_success `rejectedLogRecords`).
   */
  logRecordsRejected: number;
  /** Data points in acknowledged POST /v1/metrics requests (checked, counted, not kept). */
  metricDataPoints: number;
  replayed?: ReplayStats;
}

/**
 * Share of maxBufferedSpans and of maxBufferedBytes that spans not yet written may take before a
 * request is answered 503; the rest is room for written traces kept for retainMs, so
 * back-pressure comes before eviction (past the bound, retained traces are let go of first).
 */
const OPEN_SPANS_SHARE = 0.8;

/** Tries at replacing a dead worker before the receiver gives up and reports itself unhealthy. */
const RECOVERY_ATTEMPTS = 3;

/** WAL record flag bits: how to decode the payload on replay. */
export const WAL_FLAG_JSON = 1;
export const WAL_FLAG_GZIP = 2;
/** An ExportLogsServiceRequest (POST /v1/logs); without it, an ExportTraceServiceRequest. */
export const WAL_FLAG_LOGS = 4;
/**
 * The record holds decoded, redacted SpanRecords as JSON (traces or logs alike), not the request:
 * what the receiver logs when redaction is on, so no secret reaches the disk (docs/privacy.md).
 */
export const WAL_FLAG_RECORDS = 8;

/** What the receiver logs in the WAL: traces and logs (metrics are not kept). */
export type LoggedSignal = 'traces' | 'logs';

export const walFlags = (encoding: OtlpEncoding, bodyEncoding: BodyEncoding, signal: LoggedSignal = 'traces'): number =>
  (encoding === 'json' ? WAL_FLAG_JSON : 0) | (bodyEncoding === 'gzip' ? WAL_FLAG_GZIP : 0) | (signal === 'logs' ? WAL_FLAG_LOGS : 0);
const walSignal = (flags: number): LoggedSignal => (flags & WAL_FLAG_LOGS ? 'logs' : 'traces');
const walEncoding = (flags: number): OtlpEncoding => (flags & WAL_FLAG_JSON ? 'json' : 'protobuf');
const walBodyEncoding = (flags: number): BodyEncoding => (flags & WAL_FLAG_GZIP ? 'gzip' : 'identity');

/** Why accepting `incoming` (new traces, spans, bytes) on top of `open` would break a bound, if it would. */
function overCapacity(open: Load, incoming: Load, o: Pick<ResolvedReceiverOptions, 'maxTraces' | 'maxBufferedSpans' | 'maxBufferedBytes'>): string | undefined {
  // (A request bigger than a bound on its own is let through when nothing is pending, or it could
  // never be accepted.)
  if (open.traces > 0 && open.traces + incoming.traces > o.maxTraces) return `${open.traces} traces open (maxTraces ${o.maxTraces})`;
  const openSpansLimit = Math.floor(o.maxBufferedSpans * OPEN_SPANS_SHARE);
  if (open.openSpans > 0 && open.openSpans + incoming.openSpans > openSpansLimit) {
    return `${open.openSpans} spans not yet written (${OPEN_SPANS_SHARE * 100}% of maxBufferedSpans ${o.maxBufferedSpans})`;
  }
  const openBytesLimit = Math.floor(o.maxBufferedBytes * OPEN_SPANS_SHARE);
  if (open.bufferedBytes > 0 && open.bufferedBytes + incoming.bufferedBytes > openBytesLimit) {
    return `${Math.round(open.bufferedBytes)} bytes not yet written (${OPEN_SPANS_SHARE * 100}% of maxBufferedBytes ${o.maxBufferedBytes})`;
  }
  return undefined;
}

/** True while every bound has room for at least one more small request. */
function hasRoom(open: Load, o: ResolvedReceiverOptions): boolean {
  return (
    open.traces < o.maxTraces && open.openSpans < Math.floor(o.maxBufferedSpans * OPEN_SPANS_SHARE) && open.bufferedBytes < Math.floor(o.maxBufferedBytes * OPEN_SPANS_SHARE)
  );
}

/** A shard's share of the receiver's bounds: traces spread evenly over shards by id. */
export function shardConfig(o: ResolvedReceiverOptions, shards: number): ShardConfig & { maxBufferedBytes: number } {
  const share = (n: number): number => Math.max(1, Math.ceil(n / shards));
  return {
    waitMs: o.waitMs,
    idleMs: o.idleMs,
    maxAgeMs: o.maxAgeMs,
    retainMs: o.retainMs,
    maxSpansPerTrace: o.maxSpansPerTrace,
    maxBodyBytes: o.maxBodyBytes,
    maxDecompressedBytes: o.maxDecompressedBytes,
    flushTimeoutMs: o.flushTimeoutMs,
    storageTimeoutMs: o.storageTimeoutMs,
    shutdownTimeoutMs: o.shutdownTimeoutMs,
    maxTraces: share(o.maxTraces),
    maxBufferedSpans: share(o.maxBufferedSpans),
    maxBufferedBytes: share(o.maxBufferedBytes),
    maxConcurrentWrites: share(o.maxConcurrentWrites),
    maxPendingWrites: share(o.maxPendingWrites),
  };
}

const sumLoads = (loads: Load[]): Load =>
  loads.reduce((a, l) => ({ traces: a.traces + l.traces, openSpans: a.openSpans + l.openSpans, bufferedBytes: a.bufferedBytes + l.bufferedBytes }), {
    traces: 0,
    openSpans: 0,
    bufferedBytes: 0,
  });

export interface ReceiverCoreOptions {
  /** Worker threads, one shard each; 0: one in-thread shard writing to `storage`. */
  workers: number;
  /** The storage of the in-thread shard (workers: 0); required then. */
  storage?: SessionStorage;
  /** The storage each worker builds; default: from `env`. */
  storageSpec?: StorageSpec;
  env: Record<string, string | undefined>;
  privacy?: PrivacyOptions;
  pricing?: PricingOptions;
  onSessionWritten?(event: SessionWrittenEvent): void;
  /**
   * A dead worker was replaced. Its index entries not yet flushed died with it: the app runs the
   * index repair then (the documents are written; repair-on-start.ts).
   */
  onWorkerReplaced?(index: number): void;
}

type Part = { shard: Shard; id: number; decoded: Extract<DecodeReply, { t: 'decoded' }> };
type Asked = { shard: Shard; id: number; reply: Promise<DecodeReply> };

/** A request decoded and held by its shards: the parts, and what the OTLP answer reports. */
interface Decoded {
  parts: Part[];
  partial: PartialSuccess;
  /** Logs only: records in the request, and those not kept (no session, malformed id). */
  logs?: { received: number; rejected: number };
}

export class ReceiverCore {
  private shards: Shard[] = [];
  private wal?: WriteAheadLog;
  private replayed?: ReplayStats;
  private nextId = 0;
  private localSeq = 0;
  /** WAL records committed to shards and not yet acknowledged by all of them. */
  private readonly inflight = new Set<number>();
  /** Load of requests past the capacity check and not yet buffered by their shards. */
  private reserved: Load = { traces: 0, openSpans: 0, bufferedBytes: 0 };
  private logRecordsReceived = 0;
  private logRecordsRejected = 0;
  private metricDataPoints = 0;
  private rejectedFull = 0;
  private timedOutWrites = 0;
  private closing = false;
  private releaseScheduled = false;
  private failure?: string;
  /** Shards whose worker is being replaced, and the WAL records held for them meanwhile. */
  private readonly recovering = new Set<number>();
  private readonly holds = new Map<number, number>();
  /** Set when redaction is on: what the WAL's records are redacted with before they are appended. */
  private readonly walPrivacy?: ResolvedPrivacy;
  private readonly recoveries = new Set<Promise<void>>();
  private limits: BodyLimits = { maxBodyBytes: Infinity, maxDecompressedBytes: Infinity };
  private readonly appending = new Set<Promise<unknown>>();
  private readonly count: number;
  private readonly log = diag.createComponentLogger({ namespace: 'ams-otel/receiver' });

  constructor(
    private readonly o: ResolvedReceiverOptions,
    private readonly opts: ReceiverCoreOptions,
  ) {
    this.count = Math.max(1, opts.workers);
    // Redaction on (AMS_REDACT, redactKeys, extra patterns): the WAL gets redacted records.
    const privacy = resolvePrivacy(opts.privacy, opts.env);
    if (privacy.patterns.length > 0 || privacy.redactKeys.size > 0) this.walPrivacy = privacy;
  }

  private spawn(i: number): Shard {
    const config = shardConfig(this.o, this.count);
    const onStateChange = (): void => this.scheduleRelease();
    if (this.opts.workers === 0) {
      if (!this.opts.storage) throw new Error('ams receiver: an in-thread shard needs a storage');
      return new InThreadShard({
        index: i,
        config,
        writer: { storage: this.opts.storage, ...this.opts.privacy, ...this.opts.pricing, env: this.opts.env, onSessionWritten: this.opts.onSessionWritten },
        onStateChange,
      });
    }
    const data: ShardWorkerData = {
      shard: i,
      shards: this.count,
      config,
      storage: this.opts.storageSpec,
      env: this.opts.env,
      privacy: this.opts.privacy,
      pricing: this.opts.pricing,
      reportWritten: this.opts.onSessionWritten !== undefined,
    };
    return new WorkerShard(data, {
      onStateChange,
      onSessionWritten: this.opts.onSessionWritten,
      onDeath: (shard, why) => this.onWorkerDeath(shard, why),
    });
  }

  /** Starts the shards, opens the WAL and replays it (the same path as a live request). */
  async start(limits: BodyLimits): Promise<void> {
    this.limits = limits;
    for (let i = 0; i < this.count; i++) this.shards.push(this.spawn(i));
    await Promise.all(this.shards.map((s) => s.started));
    if (this.o.walDir === false) return;
    const pending: Array<{ payload: Buffer; flags: number; seq: number }> = [];
    const { wal, replay } = await WriteAheadLog.open(this.o.walDir, { fsync: this.o.walFsync }, (payload, flags, seq) => pending.push({ payload, flags, seq }));
    this.wal = wal;
    this.replayed = replay;
    for (const p of pending) {
      try {
        const parts = await this.decodeLogged(p.payload, p.flags);
        await this.commit(parts, p.payload.length, p.seq);
      } catch (err) {
        this.log.error(`could not replay WAL record ${p.seq}: ${String(err)}`);
      }
    }
    if (replay.records) this.log.info(`replayed ${replay.records} request(s) from ${this.o.walDir} into ${this.count} shard(s)`);
    this.scheduleRelease();
  }

  /** Decodes a request of `signal` into parts held by its shards (or only shard `only`). */
  private async decodeRequest(body: Buffer, encoding: OtlpEncoding, signal: LoggedSignal, only?: number): Promise<Decoded> {
    if (signal === 'logs') return this.decodeLogs(body, encoding, only);
    const parts = await this.decodeParts(body, encoding, only);
    return { parts, partial: combinePartial(parts.map((p) => p.decoded)) };
  }

  /**
   * Logs are decoded here, then routed: a log without trace context belongs to the trace derived
   * from its session.id + prompt.id (src/spans/log-record.ts), which no walk over the bytes can
   * know, so each shard is handed its SpanRecords rather than bytes to decode.
   */
  private async decodeLogs(body: Buffer, encoding: OtlpEncoding, only?: number): Promise<Decoded> {
    const { records, partial, logs } = this.logsToRecords(body, encoding);
    return { parts: await this.holdRecords(records, only), partial, logs };
  }

  /** A logs request as SpanRecords (src/spans/log-record.ts), with what was refused and why. */
  private logsToRecords(body: Buffer, encoding: OtlpEncoding): { records: SpanRecord[]; partial: PartialSuccess; logs: { received: number; rejected: number } } {
    let conv: OtlpLogsConversion;
    try {
      conv = decodeLogsRequest(body, encoding);
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
      throw err;
    }
    const records: SpanRecord[] = [];
    let unjoinable = 0;
    for (const log of conv.logs) {
      const record = logRecordToSpanRecord(log);
      if (record === undefined) unjoinable++;
      else records.push(record);
    }
    const reasons = conv.errorMessage ? [conv.errorMessage.replace(/^\d+ log record\(s\) rejected: /, '')] : [];
    if (unjoinable) reasons.push(`${unjoinable} without trace id or session.id (no session to join)`);
    const rejected = conv.rejectedLogRecords + unjoinable;
    return {
      records,
      partial: { rejectedSpans: rejected, errorMessage: rejected ? `${rejected} log record(s) rejected: ${reasons.join('; ')}` : undefined },
      logs: { received: conv.logs.length + conv.rejectedLogRecords, rejected },
    };
  }

  /** Hands decoded records to the shards of their traces (or only shard `only`) to hold. */
  private holdRecords(records: readonly SpanRecord[], only?: number): Promise<Part[]> {
    const n = this.shards.length;
    const groups: SpanRecord[][] = Array.from({ length: n }, () => []);
    for (const record of records) groups[n === 1 ? 0 : shardOfTraceIdHex(record.traceId, n)]!.push(record);
    const asked: Asked[] = [];
    groups.forEach((group, i) => {
      if (group.length === 0 || (only !== undefined && i !== only)) return;
      const shard = this.shards[i]!;
      const id = ++this.nextId;
      asked.push({ shard, id, reply: shard.hold(id, group) });
    });
    return this.settle(asked);
  }

  /**
   * With redaction on: the request decoded here (traces too, which the shards decode otherwise)
   * and redacted before anything is logged; the WAL keeps these records, not the request's bytes.
   */
  private async decodeRedacted(body: Buffer, encoding: OtlpEncoding, signal: LoggedSignal): Promise<Decoded & { wal: Buffer }> {
    const decoded: { records: SpanRecord[]; partial: PartialSuccess; logs?: Decoded['logs'] } = signal === 'logs' ? this.logsToRecords(body, encoding) : decodeOrRefuse(body, encoding);
    const redacted = redactSpanRecords(decoded.records, this.walPrivacy!);
    return { parts: await this.holdRecords(redacted), partial: decoded.partial, logs: decoded.logs, wal: Buffer.from(JSON.stringify(redacted)) };
  }

  /** A WAL record back into held parts (replay and worker recovery): a request, or redacted records. */
  private async decodeLogged(payload: Buffer, flags: number, only?: number): Promise<Part[]> {
    if (flags & WAL_FLAG_RECORDS) return this.holdRecords(JSON.parse(payload.toString('utf8')) as SpanRecord[], only);
    const body = await decompress(payload, walBodyEncoding(flags), this.limits);
    return (await this.decodeRequest(body, walEncoding(flags), walSignal(flags), only)).parts;
  }

  /**
   * Splits the body by trace and has each shard (or only shard `only`) decode its part; refuses
   * (400) if any part is malformed.
   */
  private async decodeParts(body: Buffer, encoding: OtlpEncoding, only?: number): Promise<Part[]> {
    const n = this.shards.length;
    const split: Array<Uint8Array | undefined> = n === 1 ? [body] : encoding === 'json' ? splitJsonByTrace(body, n) : splitProtobufByTrace(body, n);
    const asked: Asked[] = [];
    split.forEach((part, i) => {
      if (!part || (only !== undefined && i !== only)) return;
      const shard = this.shards[i]!;
      const id = ++this.nextId;
      asked.push({ shard, id, reply: shard.decode(id, part, encoding) });
    });
    return this.settle(asked);
  }

  /** Waits for every shard's reply; one refusal (or a dead shard) refuses the request and drops what the others hold. */
  private async settle(asked: Asked[]): Promise<Part[]> {
    const settled = await Promise.allSettled(asked.map((a) => a.reply));
    const out: Part[] = [];
    let refusal: HttpError | undefined;
    settled.forEach((r, i) => {
      if (r.status === 'rejected') refusal ??= new HttpError(503, `receiver is unavailable: ${String((r.reason as Error).message)}`, this.retryAfter);
      else if (r.value.t === 'refused') refusal ??= new HttpError(r.value.status, r.value.message);
      else out.push({ ...asked[i]!, decoded: r.value });
    });
    if (refusal) {
      this.abort(out);
      throw refusal;
    }
    return out;
  }

  private abort(parts: Array<{ shard: Shard; id: number }>): void {
    for (const p of parts) p.shard.abort(p.id);
  }

  /** Hands logged records to their shards and waits until each has buffered them. */
  private async commit(parts: Part[], bytes: number, seq: number, recovered = false): Promise<void> {
    const total = parts.reduce((n, p) => n + p.decoded.records, 0);
    this.inflight.add(seq);
    try {
      // Every shard answers (or dies) before the record stops counting as in flight.
      const settled = await Promise.allSettled(
        parts.map((p) => (p.decoded.records > 0 ? p.shard.commit(p.id, seq, (bytes * p.decoded.records) / total, recovered) : (p.shard.abort(p.id), undefined))),
      );
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      this.inflight.delete(seq);
      this.scheduleRelease();
    }
  }

  private get retryAfter(): Record<string, string> {
    return { 'Retry-After': String(this.o.retryAfterSeconds) };
  }

  /**
   * Accepts one traces or logs request (`flags`, as walFlags() made them, say which and how it is
   * encoded): `body` decompressed, `raw` as received (what the WAL keeps). Throws HttpError (400
   * malformed, 503 full or stopping); resolves once the records are in the WAL.
   */
  async acceptBody(body: Buffer, raw: Buffer, encoding: OtlpEncoding, flags: number): Promise<PartialSuccess> {
    this.checkOpen();
    let logged = raw;
    let loggedFlags = flags;
    let decoded: Decoded;
    if (this.wal && this.walPrivacy) {
      const { wal, ...rest } = await this.decodeRedacted(body, encoding, walSignal(flags));
      decoded = rest;
      logged = wal;
      loggedFlags = WAL_FLAG_RECORDS;
    } else decoded = await this.decodeRequest(body, encoding, walSignal(flags));
    const { parts, partial, logs } = decoded;
    const records = parts.reduce((n, p) => n + p.decoded.records, 0);
    const counted = (): PartialSuccess => {
      if (logs) {
        this.logRecordsReceived += logs.received;
        this.logRecordsRejected += logs.rejected;
      }
      return partial;
    };
    if (records === 0) {
      this.abort(parts);
      return counted();
    }
    const incoming: Load = { traces: parts.reduce((n, p) => n + p.decoded.newTraces, 0), openSpans: records, bufferedBytes: raw.length };
    if (this.closing) {
      // Stopping began while the shards decoded.
      this.abort(parts);
      throw new HttpError(503, 'receiver is shutting down', this.retryAfter);
    }
    const why = overCapacity(this.load(), incoming, this.o) ?? (this.shards.length > 1 ? this.shardOverCapacity(parts, raw.length, records) : undefined);
    if (why) {
      this.abort(parts);
      this.rejectedFull++;
      throw new HttpError(503, `receiver is at capacity: ${why}; retry later`, this.retryAfter);
    }
    this.reserve(incoming, 1);
    try {
      let seq: number;
      if (this.wal) {
        // shutdown() waits for appends in flight, so what they log is buffered before the final flush.
        const appended = this.wal.append(logged, loggedFlags);
        this.appending.add(appended);
        try {
          seq = await appended;
        } finally {
          this.appending.delete(appended);
        }
      } else seq = ++this.localSeq;
      await this.commit(parts, raw.length, seq);
    } catch (err) {
      this.abort(parts);
      // A worker that stopped mid-request, or a log that cannot be written (disk full, gone):
      // retryable for the exporter, not a 500.
      if (err instanceof HttpError) throw err;
      throw new HttpError(503, `receiver could not take the request: ${String((err as Error)?.message ?? err)}`, this.retryAfter);
    } finally {
      this.reserve(incoming, -1);
    }
    return counted();
  }

  /**
   * Accepts one metrics request: checked whole (400 when malformed), its data points counted, and
   * nothing kept (docs/receiver.md: session totals come from spans and log events).
   */
  acceptMetrics(body: Buffer, encoding: OtlpEncoding): PartialSuccess {
    this.checkOpen();
    try {
      this.metricDataPoints += decodeMetricsRequest(body, encoding);
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
      throw err;
    }
    return { rejectedSpans: 0 };
  }

  private checkOpen(): void {
    if (this.closing) throw new HttpError(503, 'receiver is shutting down', this.retryAfter);
    if (this.failure) throw new HttpError(503, `receiver is unavailable: ${this.failure}`, this.retryAfter);
    if (this.recovering.size) throw new HttpError(503, 'receiver is replacing a worker that stopped; retry shortly', this.retryAfter);
  }

  /**
   * Each shard holds its share of the bounds (shardConfig): traces that hash unevenly must get a
   * 503 here rather than make one shard evict open traces.
   */
  private shardOverCapacity(parts: Part[], bytes: number, records: number): string | undefined {
    const share = shardConfig(this.o, this.shards.length);
    for (const p of parts) {
      const incoming: Load = { traces: p.decoded.newTraces, openSpans: p.decoded.records, bufferedBytes: (bytes * p.decoded.records) / records };
      const why = overCapacity(p.shard.state().load, incoming, share);
      if (why) return `shard ${p.shard.index}: ${why}`;
    }
    return undefined;
  }

  private reserve(l: Load, sign: 1 | -1): void {
    this.reserved = {
      traces: this.reserved.traces + sign * l.traces,
      openSpans: this.reserved.openSpans + sign * l.openSpans,
      bufferedBytes: this.reserved.bufferedBytes + sign * l.bufferedBytes,
    };
  }

  private load(): Load {
    return sumLoads([this.reserved, ...this.shards.map((s) => s.state().load)]);
  }

  private onWorkerDeath(shard: Shard, why: string): void {
    // A replacement dying while it rebuilds is handled by recover()'s own retries.
    if (this.closing || this.recovering.has(shard.index)) return;
    this.log.error(`${why}; replacing it and rebuilding its traces from the write-ahead log`);
    const recovery = this.recover(shard, why);
    this.recoveries.add(recovery);
    void recovery.finally(() => this.recoveries.delete(recovery));
  }

  /**
   * Replaces a dead worker and feeds it, from the WAL, every record its traces may still need: from
   * its last reported low-water mark (or the oldest commit in flight) to the newest record. Those
   * records are held meanwhile; new requests get 503 until it is done. After RECOVERY_ATTEMPTS
   * failures the receiver stays unhealthy (503) and a restart replays the log.
   */
  private async recover(dead: Shard, why: string): Promise<void> {
    const i = dead.index;
    this.recovering.add(i);
    let from = dead.state().low;
    for (const seq of this.inflight) if (seq < from) from = seq;
    const to = this.wal?.lastSeq ?? 0;
    this.holds.set(i, from);
    let done = false;
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        const fresh = this.spawn(i);
        this.shards[i] = fresh;
        await fresh.started;
        let replayed = 0;
        if (this.wal && from <= to) {
          await this.wal.read(from, to, async (payload, flags, seq) => {
            const parts = await this.decodeLogged(payload, flags, i);
            if (parts.length === 0) return;
            await this.commit(parts, payload.length, seq, true);
            replayed++;
          });
        }
        this.log.info(`shard worker ${i} replaced; ${replayed} request(s) replayed from the write-ahead log`);
        this.opts.onWorkerReplaced?.(i);
        done = true;
        break;
      } catch (err) {
        if (this.closing) break;
        if (attempt >= RECOVERY_ATTEMPTS) {
          this.failure ??= `${why}; replacing it failed ${attempt} times (last: ${String((err as Error)?.message ?? err)})`;
          this.log.error(`${this.failure}; refusing spans (503) until restarted; the write-ahead log keeps what was acknowledged`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
    // Not rebuilt (gave up, or stopping): its records stay in the log for the next start.
    if (done) this.holds.delete(i);
    this.recovering.delete(i);
    this.scheduleRelease();
  }

  private scheduleRelease(): void {
    if (!this.wal || this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      this.release();
    }).unref();
  }

  private release(): void {
    if (!this.wal) return;
    let low = this.wal.lastSeq + 1;
    for (const s of this.shards) {
      const l = s.state().low;
      if (l < low) low = l;
    }
    for (const seq of this.inflight) if (seq < low) low = seq;
    for (const held of this.holds.values()) if (held < low) low = held;
    this.wal.release(low);
  }

  /** What makes the receiver unhealthy (GET /health 503): a dead worker that could not be replaced. */
  get problem(): string | undefined {
    return this.failure;
  }

  /** True while every bound has room for at least one more small request. */
  hasCapacity(): boolean {
    return !this.closing && !this.failure && this.recovering.size === 0 && hasRoom(this.load(), this.o);
  }

  /**
   * Stops worker `index` as a crash would (its thread ends, its memory is gone), for tests and
   * drills: the receiver replaces it and rebuilds its traces from the write-ahead log.
   */
  async terminateWorker(index: number): Promise<void> {
    await this.shards[index]?.terminate();
  }

  stats(): PipelineStats {
    const shards = sumShardStats(this.shards.map((s) => s.state().stats));
    const out: PipelineStats = {
      ...shards,
      timedOutWrites: shards.timedOutWrites + this.timedOutWrites,
      rejectedFull: this.rejectedFull,
      walBytes: this.wal?.sizeBytes ?? 0,
      walSegments: this.wal?.segmentCount ?? 0,
      logRecordsReceived: this.logRecordsReceived,
      logRecordsRejected: this.logRecordsRejected,
      metricDataPoints: this.metricDataPoints,
    };
    if (this.replayed) out.replayed = this.replayed;
    return out;
  }

  /**
   * Runs `t` on every live shard, for at most flushTimeoutMs (flush) or shutdownTimeoutMs
   * (shutdown: each shard's writer spools what storage has not taken within its share of it; what
   * is still unwritten past it stays in the WAL for the next start). What missed it is logged and counted.
   */
  private async everyShard(t: 'flush' | 'shutdown'): Promise<void> {
    const live = this.shards.filter((s) => !s.dead);
    const ms = t === 'flush' ? this.o.flushTimeoutMs : this.o.shutdownTimeoutMs;
    await withDeadline(
      ms,
      async () => {
        await Promise.allSettled(live.map((s) => (t === 'flush' ? s.flush() : s.shutdown())));
      },
      () => {
        const pending = live.reduce((n, s) => n + s.state().stats.pendingWrites + s.state().stats.openTraces, 0);
        this.timedOutWrites += pending;
        this.log.error(`${t} gave up after ${ms} ms (${t === 'flush' ? 'flushTimeoutMs' : 'shutdownTimeoutMs'}): ${pending} session(s) or trace(s) still pending; storage may be hung`);
      },
    );
  }

  /** Writes sessions whose root has ended now (skipping waitMs) and waits for the writes. */
  async flush(): Promise<void> {
    await this.everyShard('flush');
  }

  /** Stops accepting, writes everything pending (unfinished sessions as incomplete), releases and closes the WAL. */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.appending]);
    // A worker being replaced finishes its rebuild first, so its sessions are written below.
    await Promise.allSettled([...this.recoveries]);
    await this.everyShard('shutdown');
    this.release();
    await this.wal?.close();
    await Promise.allSettled(this.shards.map((s) => s.terminate()));
  }
}

/** One partial_success for the whole request from its parts' (each "N span(s) rejected: reasons"). */
function combinePartial(parts: Array<{ rejectedSpans: number; errorMessage?: string }>): PartialSuccess {
  const rejected = parts.filter((p) => p.rejectedSpans > 0);
  const rejectedSpans = rejected.reduce((n, p) => n + p.rejectedSpans, 0);
  if (rejected.length <= 1) return { rejectedSpans, errorMessage: rejected[0]?.errorMessage };
  const reasons = [...new Set(rejected.map((p) => (p.errorMessage ?? '').replace(/^\d+ span\(s\) rejected: /, '')))];
  return { rejectedSpans, errorMessage: `${rejectedSpans} span(s) rejected: ${reasons.join('; ')}` };
}

