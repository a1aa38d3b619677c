/**
 * The Shard interface the receiver core (receiver/pipeline.ts) drives: one owns the traces whose
 * ids map to it and turns their spans into sessions. Two implementations: InThreadShard (on the
 * calling thread; `workers: 0` is one of these) and WorkerShard (the same InThreadShard on a
 * worker thread, behind messages). Shards import the receiver's options (types) but never the
 * core: the core depends on shards, not the reverse.
 */
import type { ResolvedReceiverOptions } from '../options.js';
import type { SpanRecord } from '../../src/spans/record.js';
import type { SessionWriterStats } from '../../src/writer/types.js';
import type { OtlpEncoding } from '../otlp/codec.js';

/** Open state weighed by the capacity rule: traces with unwritten spans, those spans, their request bytes. */
export interface Load {
  traces: number;
  openSpans: number;
  bufferedBytes: number;
}

/** A shard's counters: its buffer's and its writer's. */
export interface ShardStats extends SessionWriterStats {
  /** Traces with spans not yet written. */
  openTraces: number;
  /** Spans not yet written. */
  openSpans: number;
  /** Spans held by the buffer: open plus written ones retained for late arrivals. */
  bufferedSpans: number;
  /** Request bytes of the spans not yet written. */
  bufferedBytes: number;
  /** Request bytes of every span the buffer holds: not yet written, and written ones retained for retainMs. */
  heldBytes: number;
}

export interface ShardState {
  load: Load;
  stats: ShardStats;
  /** Lowest WAL sequence number this shard still needs (MAX_SAFE_INTEGER: none). */
  low: number;
}

/**
 * What a shard is configured with: the receiver's timing and per-request limits as they are, and
 * its share of the receiver's bounds (see shardConfig in receiver/pipeline.ts).
 */
export type ShardConfig = Pick<
  ResolvedReceiverOptions,
  | 'waitMs'
  | 'idleMs'
  | 'maxAgeMs'
  | 'retainMs'
  | 'maxTraces'
  | 'maxSpansPerTrace'
  | 'maxBufferedSpans'
  | 'maxBufferedBytes'
  | 'maxConcurrentWrites'
  | 'maxPendingWrites'
  | 'flushTimeoutMs'
  | 'storageTimeoutMs'
  | 'shutdownTimeoutMs'
  | 'maxBodyBytes'
  | 'maxDecompressedBytes'
>;

/** A shard's answer to decode(): its part's counts, or why the whole request must be refused. */
export type DecodeReply =
  | { t: 'decoded'; records: number; newTraces: number; rejectedSpans: number; errorMessage?: string }
  | { t: 'refused'; status: number; message: string };

export interface Shard {
  readonly index: number;
  /** Resolves when the shard can take requests (a worker has started); rejects if it could not. */
  readonly started: Promise<void>;
  /** Why the shard is gone (its worker died), if it is. */
  readonly dead?: string;
  /** The latest state (live in-thread; as last reported by a worker). */
  state(): ShardState;
  /**
   * Decodes this shard's part of a request and holds the records under `id` until commit() or
   * abort(). `part` may be moved (transferred) to another thread.
   */
  decode(id: number, part: Uint8Array, encoding: OtlpEncoding): Promise<DecodeReply>;
  /**
   * Holds records the core decoded itself (log records, routed by their own or derived trace id)
   * under `id` until commit() or abort(), as decode() does with its own.
   */
  hold(id: number, records: SpanRecord[]): Promise<DecodeReply>;
  /** Buffers the records held under `id`, logged in the WAL as `seq`; `recovered` marks a rebuild after a worker died. */
  commit(id: number, seq: number, bytes: number, recovered: boolean): Promise<void>;
  abort(id: number): void;
  /** Writes sessions whose root has ended (skipping waitMs) and waits for the writes. */
  flush(): Promise<void>;
  /** Writes everything pending (unfinished sessions as incomplete) and waits. */
  shutdown(): Promise<void>;
  /** Stops the shard as a crash would (a worker's thread ends); no-op in-thread. */
  terminate(): Promise<void>;
}
