/**
 * The receiver's pipeline spread over worker threads. The main thread keeps what must be in one
 * place: HTTP, the write-ahead log, the capacity rule and the split of each request by trace id
 * (receiver/otlp/split.ts, a walk over tags and lengths). Each worker owns the traces that map to
 * it and runs the same SessionPipeline as the in-thread receiver: decode, buffer, assembly,
 * storage. So decoding, assembly and storage, which are most of a request's cost, run on every
 * core, and every span of a trace still meets its siblings in one buffer.
 *
 * A request goes: split -> each worker decodes its part and holds the records (a malformed part
 * refuses the whole request with 400 and nothing is kept) -> capacity check over the workers'
 * reported load (503) -> WAL append -> commit (the workers buffer what they hold) -> 200.
 * The WAL is released below the lowest sequence number any worker or commit in flight still needs.
 * A worker that dies is replaced and fed the WAL records its traces still needed (see recover()):
 * nothing acknowledged is lost.
 */
import { diag } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PrivacyOptions } from '../../src/privacy/options.js';
import type { StorageSpec } from '../../src/storage/spec.js';
import { decompress } from '../http/body.js';
import type { BodyLimits } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import type { OtlpEncoding, PartialSuccess } from '../otlp/codec.js';
import { splitJsonByTrace, splitProtobufByTrace } from '../otlp/split.js';
import type { ResolvedReceiverOptions, SessionWrittenEvent } from '../options.js';
import { capacityError, hasRoom, overCapacity, report, walBodyEncoding, walEncoding } from '../pipeline.js';
import type { Load, PipelineStats, ReceiverPipeline } from '../pipeline.js';
import { WriteAheadLog } from '../wal/wal.js';
import type { ReplayStats } from '../wal/wal.js';
import type { FromWorker, ShardState, ShardWorkerData, ToWorker } from './protocol.js';

export interface ShardedPipelineOptions {
  workers: number;
  /** The storage to build in each worker; default: from `env`. */
  storage?: StorageSpec;
  env: Record<string, string | undefined>;
  privacy?: PrivacyOptions;
  onWritten?: (e: SessionWrittenEvent) => void;
}

/** A worker's share of the receiver's bounds: traces spread evenly over shards by id. */
export function shardConfig(o: ResolvedReceiverOptions, shards: number): ResolvedReceiverOptions {
  const share = (n: number): number => Math.max(1, Math.ceil(n / shards));
  return {
    ...o,
    walDir: false,
    maxTraces: share(o.maxTraces),
    maxBufferedSpans: share(o.maxBufferedSpans),
    maxBufferedBytes: share(o.maxBufferedBytes),
    maxConcurrentWrites: share(o.maxConcurrentWrites),
  };
}

/** Tries at replacing a dead worker before the receiver gives up and reports itself unhealthy. */
const RECOVERY_ATTEMPTS = 3;

const EMPTY_STATS: PipelineStats = {
  openTraces: 0,
  openSpans: 0,
  bufferedSpans: 0,
  bufferedBytes: 0,
  sessionsWritten: 0,
  sessionsSkippedNotGenAi: 0,
  writeFailures: 0,
  rejectedFull: 0,
  walBytes: 0,
  walSegments: 0,
};

type Decoded = Extract<FromWorker, { t: 'decoded' }>;

class Shard {
  readonly worker: Worker;
  state: ShardState = { load: { traces: 0, openSpans: 0, bufferedBytes: 0 }, stats: EMPTY_STATS, low: Number.MAX_SAFE_INTEGER };
  private readonly calls = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  readonly started: Promise<void>;
  dead?: string;

  constructor(
    readonly index: number,
    data: ShardWorkerData,
    private readonly onMessage: (shard: Shard, m: FromWorker) => void,
    private readonly onDeath: (shard: Shard, why: string) => void,
  ) {
    this.worker = spawnWorker(data);
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.started = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    this.worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') return started();
      const id = 'id' in m ? m.id : undefined;
      if (m.t === 'state') this.state = { load: m.load, stats: m.stats, low: m.low };
      if (id !== undefined && (m.t === 'decoded' || m.t === 'refused' || m.t === 'state')) {
        const call = this.calls.get(id);
        this.calls.delete(id);
        call?.resolve(m);
        return;
      }
      this.onMessage(this, m);
    });
    const die = (why: string): void => {
      if (this.dead) return;
      this.dead = why;
      failed(new Error(why));
      for (const call of this.calls.values()) call.reject(new Error(why));
      this.calls.clear();
      this.onDeath(this, why);
    };
    this.worker.on('error', (err) => die(`shard worker ${index} failed: ${err.stack ?? String(err)}`));
    this.worker.on('exit', (code) => die(`shard worker ${index} exited (code ${code})`));
  }

  call(m: ToWorker, transfer?: ArrayBuffer[]): Promise<FromWorker> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      this.calls.set(m.id, { resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  send(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }
}

/**
 * Built, the worker is plain JS next to this file. From the TypeScript sources (tests, tsx) it is
 * loaded through tsx's loader, registered inside the worker (execArgv `--import tsx` does not
 * reach a worker's entry module on Node 20).
 */
function spawnWorker(data: ShardWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(code, { eval: true, workerData: data });
}

/** A part of a request, copied into its own buffer so it can be moved to the worker. */
function movable(part: Uint8Array): Uint8Array {
  if (part.byteOffset === 0 && part.byteLength === part.buffer.byteLength && !(part instanceof Buffer)) return part;
  return new Uint8Array(part);
}

const sumLoads = (loads: Load[]): Load =>
  loads.reduce((a, l) => ({ traces: a.traces + l.traces, openSpans: a.openSpans + l.openSpans, bufferedBytes: a.bufferedBytes + l.bufferedBytes }), {
    traces: 0,
    openSpans: 0,
    bufferedBytes: 0,
  });

export class ShardedPipeline implements ReceiverPipeline {
  private shards: Shard[] = [];
  private wal?: WriteAheadLog;
  private replayed?: ReplayStats;
  private nextId = 0;
  private localSeq = 0;
  /** WAL records committed to workers and not yet acknowledged by all of them. */
  private readonly inflight = new Set<number>();
  /** Load of requests past the capacity check and not yet buffered by their workers. */
  private reserved: Load = { traces: 0, openSpans: 0, bufferedBytes: 0 };
  private rejectedFull = 0;
  private closing = false;
  private releaseScheduled = false;
  private failure?: string;
  /** Shards whose worker is being replaced, and the WAL records held for them meanwhile. */
  private readonly recovering = new Set<number>();
  private readonly holds = new Map<number, number>();
  private readonly recoveries = new Set<Promise<void>>();
  private limits: BodyLimits = { maxBodyBytes: Infinity, maxDecompressedBytes: Infinity };
  private readonly appending = new Set<Promise<unknown>>();

  constructor(
    private readonly o: ResolvedReceiverOptions,
    private readonly opts: ShardedPipelineOptions,
  ) {}

  private spawn(i: number): Shard {
    const n = this.opts.workers;
    const data: ShardWorkerData = {
      shard: i,
      shards: n,
      config: shardConfig(this.o, n),
      storage: this.opts.storage,
      env: this.opts.env,
      privacy: this.opts.privacy,
      reportWritten: this.opts.onWritten !== undefined,
    };
    return new Shard(
      i,
      data,
      (shard, m) => this.onWorkerMessage(shard, m),
      (shard, why) => this.onWorkerDeath(shard, why),
    );
  }

  async start(limits: BodyLimits): Promise<void> {
    this.limits = limits;
    const n = this.opts.workers;
    for (let i = 0; i < n; i++) this.shards.push(this.spawn(i));
    await Promise.all(this.shards.map((s) => s.started));
    if (this.o.walDir === false) return;
    const pending: Array<{ payload: Buffer; flags: number; seq: number }> = [];
    const { wal, replay } = await WriteAheadLog.open(this.o.walDir, { fsync: this.o.walFsync }, (payload, flags, seq) => pending.push({ payload, flags, seq }));
    this.wal = wal;
    this.replayed = replay;
    for (const p of pending) {
      try {
        const body = await decompress(p.payload, walBodyEncoding(p.flags), limits);
        const parts = await this.decodeParts(body, walEncoding(p.flags));
        await this.commit(parts, p.payload.length, p.seq);
      } catch (err) {
        diag.error(`ams receiver: could not replay WAL record ${p.seq}: ${String(err)}`);
      }
    }
    if (replay.records) diag.info(`ams receiver: replayed ${replay.records} request(s) from ${this.o.walDir} into ${n} shard(s)`);
    this.scheduleRelease();
  }

  /**
   * Splits the body by trace and has each worker (or only shard `only`) decode its part; refuses
   * (400) if any part is malformed.
   */
  private async decodeParts(body: Buffer, encoding: OtlpEncoding, only?: number): Promise<Array<{ shard: Shard; id: number; decoded: Decoded }>> {
    const split = encoding === 'json' ? splitJsonByTrace(body, this.shards.length) : splitProtobufByTrace(body, this.shards.length);
    const asked: Array<{ shard: Shard; id: number; reply: Promise<FromWorker> }> = [];
    split.forEach((part, i) => {
      if (!part || (only !== undefined && i !== only)) return;
      const shard = this.shards[i]!;
      const id = ++this.nextId;
      const moved = movable(part);
      asked.push({ shard, id, reply: shard.call({ t: 'decode', id, body: moved, encoding }, [moved.buffer as ArrayBuffer]) });
    });
    const settled = await Promise.allSettled(asked.map((a) => a.reply));
    const out: Array<{ shard: Shard; id: number; decoded: Decoded }> = [];
    let refusal: HttpError | undefined;
    settled.forEach((r, i) => {
      if (r.status === 'rejected') refusal ??= new HttpError(503, `receiver is unavailable: ${String((r.reason as Error).message)}`, this.retryAfter);
      else if (r.value.t === 'refused') refusal ??= new HttpError(r.value.status, r.value.message);
      else if (r.value.t === 'decoded') out.push({ ...asked[i]!, decoded: r.value });
    });
    if (refusal) {
      this.abort(out);
      throw refusal;
    }
    return out;
  }

  private abort(parts: Array<{ shard: Shard; id: number }>): void {
    for (const p of parts) p.shard.send({ t: 'abort', id: p.id });
  }

  /** Hands logged records to their workers and waits until each has buffered them. */
  private async commit(parts: Array<{ shard: Shard; id: number; decoded: Decoded }>, bytes: number, seq: number, recovered = false): Promise<void> {
    const total = parts.reduce((n, p) => n + p.decoded.records, 0);
    this.inflight.add(seq);
    try {
      // Every shard answers (or dies) before the record stops counting as in flight.
      const settled = await Promise.allSettled(
        parts.map((p) =>
          p.decoded.records > 0
            ? p.shard.call({ t: 'commit', id: p.id, seq, bytes: (bytes * p.decoded.records) / total, recovered })
            : (p.shard.send({ t: 'abort', id: p.id }), undefined),
        ),
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

  async acceptBody(body: Buffer, raw: Buffer, encoding: OtlpEncoding, flags: number): Promise<PartialSuccess> {
    if (this.closing) throw new HttpError(503, 'receiver is shutting down', this.retryAfter);
    if (this.failure) throw new HttpError(503, `receiver is unavailable: ${this.failure}`, this.retryAfter);
    if (this.recovering.size) throw new HttpError(503, 'receiver is replacing a worker that stopped; retry shortly', this.retryAfter);
    const parts = await this.decodeParts(body, encoding);
    const records = parts.reduce((n, p) => n + p.decoded.records, 0);
    const partial = combinePartial(parts.map((p) => p.decoded));
    if (records === 0) {
      this.abort(parts);
      return partial;
    }
    const incoming: Load = { traces: parts.reduce((n, p) => n + p.decoded.newTraces, 0), openSpans: records, bufferedBytes: raw.length };
    if (this.closing) {
      // Stopping began while the workers decoded.
      this.abort(parts);
      throw new HttpError(503, 'receiver is shutting down', this.retryAfter);
    }
    const why = overCapacity(this.load(), incoming, this.o) ?? this.shardOverCapacity(parts, raw.length, records);
    if (why) {
      this.abort(parts);
      this.rejectedFull++;
      throw capacityError(why, this.o);
    }
    this.reserve(incoming, 1);
    try {
      let seq: number;
      if (this.wal) {
        const appended = this.wal.append(raw, flags);
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
      // A worker that stopped mid-request, or a log that cannot be written: retryable, not a 500.
      if (err instanceof HttpError) throw err;
      throw new HttpError(503, `receiver could not take the request: ${String((err as Error)?.message ?? err)}`, this.retryAfter);
    } finally {
      this.reserve(incoming, -1);
    }
    return partial;
  }

  /**
   * Each worker holds its share of the bounds (shardConfig): traces that hash unevenly must get a
   * 503 here rather than make one worker evict open traces.
   */
  private shardOverCapacity(parts: Array<{ shard: Shard; decoded: Decoded }>, bytes: number, records: number): string | undefined {
    const share = shardConfig(this.o, this.shards.length);
    for (const p of parts) {
      const incoming: Load = { traces: p.decoded.newTraces, openSpans: p.decoded.records, bufferedBytes: (bytes * p.decoded.records) / records };
      const why = overCapacity(p.shard.state.load, incoming, share);
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
    return sumLoads([this.reserved, ...this.shards.map((s) => s.state.load)]);
  }

  private onWorkerMessage(_shard: Shard, m: FromWorker): void {
    switch (m.t) {
      case 'state':
        this.scheduleRelease();
        return;
      case 'written':
        try {
          this.opts.onWritten?.(m.event);
        } catch (err) {
          report(err);
        }
        return;
      case 'log':
        diag[m.level](m.message);
        return;
      case 'error': {
        const err = new Error(m.message);
        if (m.stack) err.stack = m.stack;
        report(err);
        return;
      }
    }
  }

  private onWorkerDeath(shard: Shard, why: string): void {
    // A replacement dying while it rebuilds is handled by recover()'s own retries.
    if (this.closing || this.recovering.has(shard.index)) return;
    diag.error(`ams receiver: ${why}; replacing it and rebuilding its traces from the write-ahead log`);
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
    let from = dead.state.low;
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
            const body = await decompress(payload, walBodyEncoding(flags), this.limits);
            const parts = await this.decodeParts(body, walEncoding(flags), i);
            if (parts.length === 0) return;
            await this.commit(parts, payload.length, seq, true);
            replayed++;
          });
        }
        diag.info(`ams receiver: shard worker ${i} replaced; ${replayed} request(s) replayed from the write-ahead log`);
        done = true;
        break;
      } catch (err) {
        if (this.closing) break;
        if (attempt >= RECOVERY_ATTEMPTS) {
          this.failure ??= `${why}; replacing it failed ${attempt} times (last: ${String((err as Error)?.message ?? err)})`;
          diag.error(`ams receiver: ${this.failure}; refusing spans (503) until restarted; the write-ahead log keeps what was acknowledged`);
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
    for (const s of this.shards) if (s.state.low < low) low = s.state.low;
    for (const seq of this.inflight) if (seq < low) low = seq;
    for (const held of this.holds.values()) if (held < low) low = held;
    this.wal.release(low);
  }

  /** A problem that makes the receiver unhealthy (a dead worker), if any. */
  get problem(): string | undefined {
    return this.failure;
  }

  hasCapacity(): boolean {
    return !this.closing && !this.failure && this.recovering.size === 0 && hasRoom(this.load(), this.o);
  }

  /**
   * Stops worker `index` as a crash would (its thread ends, its memory is gone), for tests and
   * drills: the receiver replaces it and rebuilds its traces from the write-ahead log.
   */
  async terminateWorker(index: number): Promise<void> {
    await this.shards[index]?.worker.terminate();
  }

  stats(): PipelineStats {
    const out: PipelineStats = { ...EMPTY_STATS };
    for (const s of this.shards) {
      const st = s.state.stats;
      out.openTraces += st.openTraces;
      out.openSpans += st.openSpans;
      out.bufferedSpans += st.bufferedSpans;
      out.bufferedBytes += st.bufferedBytes;
      out.sessionsWritten += st.sessionsWritten;
      out.sessionsSkippedNotGenAi += st.sessionsSkippedNotGenAi;
      out.writeFailures += st.writeFailures;
    }
    out.rejectedFull = this.rejectedFull;
    out.walBytes = this.wal?.sizeBytes ?? 0;
    out.walSegments = this.wal?.segmentCount ?? 0;
    if (this.replayed) out.replayed = this.replayed;
    return out;
  }

  private async everyShard(t: 'flush' | 'shutdown'): Promise<void> {
    await Promise.allSettled(this.shards.filter((s) => !s.dead).map((s) => s.call({ t, id: ++this.nextId })));
  }

  async flush(): Promise<void> {
    await this.everyShard('flush');
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.appending]);
    // A worker being replaced finishes its rebuild first, so its sessions are written below.
    await Promise.allSettled([...this.recoveries]);
    await this.everyShard('shutdown');
    this.release();
    await this.wal?.close();
    await Promise.allSettled(this.shards.map((s) => s.worker.terminate()));
  }
}

/** One partial_success for the whole request from its parts' (each "N span(s) rejected: reasons"). */
function combinePartial(parts: Decoded[]): PartialSuccess {
  const rejected = parts.filter((p) => p.rejectedSpans > 0);
  const rejectedSpans = rejected.reduce((n, p) => n + p.rejectedSpans, 0);
  if (rejected.length <= 1) return { rejectedSpans, errorMessage: rejected[0]?.errorMessage };
  const reasons = [...new Set(rejected.map((p) => (p.errorMessage ?? '').replace(/^\d+ span\(s\) rejected: /, '')))];
  return { rejectedSpans, errorMessage: `${rejectedSpans} span(s) rejected: ${reasons.join('; ')}` };
}
