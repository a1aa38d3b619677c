/**
 * Receiver configuration: options > environment > default, from the one settings table
 * (src/config/env.ts). A bad environment value warns through diag and falls back to the default;
 * env applies with or without options.
 */
import { join } from 'node:path';
import { resolve, SETTINGS } from '../src/config/env.js';
import type { Env, Setting } from '../src/config/env.js';
import type { PrivacyOptions } from '../src/privacy/options.js';
import type { PricingOptions } from '../src/session/pricing.js';
import type { SessionStorage } from '../src/storage/types.js';
import type { SessionWriterLimits } from '../src/writer/types.js';

export type { SessionWrittenEvent } from '../src/writer/types.js';

/** The writer options (maxConcurrentWrites, maxPendingWrites, flushTimeoutMs, onSessionWritten) are the processor's too. */
export interface ReceiverOptions extends SessionWriterLimits {
  /** Where sessions go. Default: storageFromEnv() (AMS_STORAGE, AMS_LOCAL_DIR, AMS_S3_*). */
  storage?: SessionStorage;
  /** Required bearer token; unset = no auth. Env AMS_RECEIVER_TOKEN. */
  token?: string;
  /** Listen address for start(); loopback unless told otherwise. Env AMS_RECEIVER_HOST. */
  host?: string;
  /** Env AMS_RECEIVER_PORT. 0 picks a free port. */
  port?: number;
  /** After a session root span ends, wait this long for late children. */
  waitMs?: number;
  /** A trace without a root is written as incomplete after no new span for this long. */
  idleMs?: number;
  /** A trace open longer than this is written as incomplete. */
  maxAgeMs?: number;
  /** Keep a written trace's spans this long so a late span rewrites it (revision + 1). */
  retainMs?: number;
  /** Traces with spans not yet written; more answers 503. */
  maxTraces?: number;
  maxSpansPerTrace?: number;
  /** Spans held in memory, open and retained; open (unwritten) spans past 80% of it answer 503. */
  maxBufferedSpans?: number;
  /**
   * Request bytes of the spans held, open and retained: unwritten ones past 80% of it answer 503;
   * past it, traces retained for retainMs are let go of first. Env AMS_RECEIVER_MAX_BUFFERED_BYTES.
   */
  maxBufferedBytes?: number;
  /** MAX_BODY_BYTES: request body as received. */
  maxBodyBytes?: number;
  /** MAX_DECOMPRESSED_BYTES: body after gunzip. */
  maxDecompressedBytes?: number;
  /** A request (headers and body) not fully received by then is answered 408 and closed; default 30,000. */
  requestTimeoutMs?: number;
  /** Open client connections; one more is closed as soon as it is accepted. Default 1,024. */
  maxConnections?: number;
  /** Retry-After seconds on 503. */
  retryAfterSeconds?: number;
  /** Write-ahead log directory, or false to run without one (acknowledged spans die with the process). */
  walDir?: string | false;
  /** fsync the WAL before acknowledging: survives power loss, not only a process crash. */
  walFsync?: boolean;
  /**
   * Worker threads that decode, assemble and store sessions, each owning the traces whose ids map
   * to it (0: all on the main thread). Default: one per core, up to 4; 0 on one core or when
   * `storage` is an object the workers cannot rebuild (anything but a LocalStorage / S3Storage
   * built from plain options).
   * Env AMS_RECEIVER_WORKERS.
   */
  workers?: number;
  /**
   * Serve the session viewer and its query API under `/ui`. It has no authentication, so the
   * default is on only when `host` is a loopback address. Env AMS_RECEIVER_UI.
   */
  ui?: boolean;
  /** Redaction, privacy mode, redactKeys, mask: applied to every session before it is written (env AMS_REDACT, AMS_CAPTURE_*). */
  privacy?: PrivacyOptions;
  /** Prices for model calls their producer gave no cost for, and whether to use the bundled table (env AMS_PRICES, AMS_PRICE_TABLE; docs/cost.md). */
  pricing?: PricingOptions;
  /** Environment to read settings from (default process.env); options still win over it. */
  env?: Env;
}

export interface ResolvedReceiverOptions {
  token?: string;
  host: string;
  port: number;
  waitMs: number;
  idleMs: number;
  maxAgeMs: number;
  retainMs: number;
  maxTraces: number;
  maxSpansPerTrace: number;
  maxBufferedSpans: number;
  maxBufferedBytes: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** A request not fully received by then is answered 408 and closed (env AMS_RECEIVER_REQUEST_TIMEOUT_MS, default 30 s). */
  requestTimeoutMs: number;
  /** Open client connections (env AMS_RECEIVER_MAX_CONNECTIONS, default 1,024). */
  maxConnections: number;
  retryAfterSeconds: number;
  walDir: string | false;
  walFsync: boolean;
  maxConcurrentWrites: number;
  maxPendingWrites: number;
  flushTimeoutMs: number;
  storageTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Undefined: decided by createReceiver (see ReceiverOptions.workers). */
  workers: number | undefined;
  /** Undefined: decided by the host (on for loopback). */
  ui: boolean | undefined;
}

/**
 * Each resolved option and its row in the one settings table (src/config/env.ts), which also
 * gives `ams receiver` its flags and docs/configuration.md its receiver section.
 */
export const RECEIVER_CONFIG: { [K in keyof ResolvedReceiverOptions]-?: Setting<ResolvedReceiverOptions[K]> } = {
  token: SETTINGS.receiverToken,
  host: SETTINGS.receiverHost,
  port: SETTINGS.receiverPort,
  waitMs: SETTINGS.receiverWaitMs,
  idleMs: SETTINGS.receiverIdleMs,
  maxAgeMs: SETTINGS.receiverMaxAgeMs,
  retainMs: SETTINGS.receiverRetainMs,
  maxTraces: SETTINGS.receiverMaxTraces,
  maxSpansPerTrace: SETTINGS.receiverMaxSpansPerTrace,
  maxBufferedSpans: SETTINGS.receiverMaxBufferedSpans,
  maxBufferedBytes: SETTINGS.receiverMaxBufferedBytes,
  maxBodyBytes: SETTINGS.receiverMaxBodyBytes,
  maxDecompressedBytes: SETTINGS.receiverMaxDecompressedBytes,
  requestTimeoutMs: SETTINGS.receiverRequestTimeoutMs,
  maxConnections: SETTINGS.receiverMaxConnections,
  retryAfterSeconds: SETTINGS.receiverRetryAfterSeconds,
  // The table's default is undefined: the real one follows AMS_LOCAL_DIR (resolved below).
  walDir: SETTINGS.receiverWalDir as Setting<string | false>,
  walFsync: SETTINGS.receiverWalFsync,
  maxConcurrentWrites: SETTINGS.receiverMaxConcurrentWrites,
  maxPendingWrites: SETTINGS.receiverMaxPendingWrites,
  flushTimeoutMs: SETTINGS.flushTimeoutMs,
  storageTimeoutMs: SETTINGS.storageTimeoutMs,
  shutdownTimeoutMs: SETTINGS.shutdownTimeoutMs,
  workers: SETTINGS.receiverWorkers,
  ui: SETTINGS.receiverUi,
};

/** Options > env > default for every receiver setting; a bad env value warns through diag and falls back. */
export function resolveReceiverOptions(options: ReceiverOptions = {}, env: Env = options.env ?? process.env): ResolvedReceiverOptions {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(RECEIVER_CONFIG) as Array<[keyof ResolvedReceiverOptions, Setting<unknown>]>) {
    out[key] = resolve(setting, options[key], env);
  }
  out.walDir ??= join(resolve(SETTINGS.localDir, undefined, env), 'receiver-wal');
  return out as unknown as ResolvedReceiverOptions;
}
