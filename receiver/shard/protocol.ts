/**
 * Messages between the receiver's main thread (WorkerShard) and a shard worker (worker.ts).
 * Requests carry an `id` and get exactly one reply with the same id; `state` (without id),
 * `written`, `log` and `error` are sent by a worker on its own.
 */
import type { PrivacyOptions } from '../../src/privacy/options.js';
import type { PricingOptions } from '../../src/session/pricing.js';
import type { SpanRecord } from '../../src/spans/record.js';
import type { StorageSpec } from '../../src/storage/spec.js';
import type { SessionWrittenEvent } from '../../src/writer/types.js';
import type { OtlpEncoding } from '../otlp/codec.js';
import type { ShardConfig, ShardState } from './types.js';

export interface ShardWorkerData {
  shard: number;
  shards: number;
  /** This shard's share of the receiver's bounds (see shardConfig). */
  config: ShardConfig;
  /** Storage to build; default storageFromEnv(env). */
  storage?: StorageSpec;
  env: Record<string, string | undefined>;
  privacy?: PrivacyOptions;
  pricing?: PricingOptions;
  /** Post a `written` message per session (only when somebody listens). */
  reportWritten: boolean;
}

export type ToWorker =
  | { t: 'decode'; id: number; body: Uint8Array; encoding: OtlpEncoding }
  | { t: 'hold'; id: number; records: SpanRecord[] }
  | { t: 'commit'; id: number; seq: number; bytes: number; recovered?: boolean }
  | { t: 'abort'; id: number }
  | { t: 'flush'; id: number }
  | { t: 'shutdown'; id: number };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'decoded'; id: number; records: number; newTraces: number; rejectedSpans: number; errorMessage?: string }
  | { t: 'refused'; id: number; status: number; message: string }
  | ({ t: 'state'; id?: number } & ShardState)
  | { t: 'written'; event: SessionWrittenEvent }
  | { t: 'log'; level: 'error' | 'warn' | 'info' | 'debug' | 'verbose'; message: string }
  | { t: 'error'; message: string; stack?: string };
