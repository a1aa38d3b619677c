/**
 * Receiver configuration: options > environment > default, from one table. A bad environment
 * value warns through diag and falls back to the default; env applies with or without options.
 */
import { diag } from '@opentelemetry/api';
import { join } from 'node:path';
import type { PrivacyOptions } from '../src/privacy/options.js';
import type { SessionStorage } from '../src/storage/types.js';
import { DEFAULT_LIMITS } from '../src/writer/defaults.js';
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
  /** Accepted request bytes whose sessions are not yet written; more answers 503. */
  maxBufferedBytes?: number;
  /** MAX_BODY_BYTES: request body as received. */
  maxBodyBytes?: number;
  /** MAX_DECOMPRESSED_BYTES: body after gunzip. */
  maxDecompressedBytes?: number;
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
  /** Environment to read settings from (default process.env); options still win over it. */
  env?: Record<string, string | undefined>;
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
  retryAfterSeconds: number;
  walDir: string | false;
  walFsync: boolean;
  maxConcurrentWrites: number;
  maxPendingWrites: number;
  flushTimeoutMs: number;
  /** Undefined: decided by createReceiver (see ReceiverOptions.workers). */
  workers: number | undefined;
  /** Undefined: decided by the host (on for loopback). */
  ui: boolean | undefined;
}

type Env = Record<string, string | undefined>;

const MiB = 1024 * 1024;

function nonNegativeInt(v: string): number | undefined {
  const n = Number(v);
  return v.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
}
function positiveInt(v: string): number | undefined {
  const n = nonNegativeInt(v);
  return n !== undefined && n > 0 ? n : undefined;
}
function bool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(s)) return true;
  if (['0', 'false', 'off', 'no'].includes(s)) return false;
  return undefined;
}
function text(v: string): string | undefined {
  return v.trim() === '' ? undefined : v.trim();
}

interface Row<K extends keyof ResolvedReceiverOptions> {
  env: string;
  default: (env: Env) => ResolvedReceiverOptions[K];
  parse: (v: string) => ResolvedReceiverOptions[K] | undefined;
  doc: string;
}

/** The one table: README's receiver configuration section is generated from the same rows. */
export const RECEIVER_CONFIG: { [K in keyof ResolvedReceiverOptions]-?: Row<K> } = {
  token: { env: 'AMS_RECEIVER_TOKEN', default: () => undefined, parse: text, doc: 'require `Authorization: Bearer <token>` (401 otherwise)' },
  host: { env: 'AMS_RECEIVER_HOST', default: () => '127.0.0.1', parse: (v) => text(v), doc: 'listen address (loopback by default)' },
  port: { env: 'AMS_RECEIVER_PORT', default: () => 4319, parse: nonNegativeInt, doc: 'listen port (4318 is left to a collector on the same host)' },
  waitMs: { env: 'AMS_RECEIVER_WAIT_MS', default: () => 2000, parse: nonNegativeInt, doc: 'after a session root ends, wait for late children' },
  idleMs: { env: 'AMS_RECEIVER_IDLE_MS', default: () => 30_000, parse: positiveInt, doc: 'rootless trace written as incomplete after this long without a new span' },
  maxAgeMs: { env: 'AMS_RECEIVER_MAX_AGE_MS', default: () => DEFAULT_LIMITS.maxAgeMs, parse: positiveInt, doc: 'trace open longer than this is written as incomplete' },
  retainMs: { env: 'AMS_RECEIVER_RETAIN_MS', default: () => 30_000, parse: nonNegativeInt, doc: 'keep written spans this long; a late span rewrites the session (revision + 1)' },
  maxTraces: { env: 'AMS_RECEIVER_MAX_TRACES', default: () => DEFAULT_LIMITS.maxTraces, parse: positiveInt, doc: 'traces with unwritten spans (503 beyond)' },
  maxSpansPerTrace: { env: 'AMS_RECEIVER_MAX_SPANS_PER_TRACE', default: () => DEFAULT_LIMITS.maxSpansPerTrace, parse: positiveInt, doc: 'further spans are dropped and the session marked incomplete' },
  maxBufferedSpans: { env: 'AMS_RECEIVER_MAX_BUFFERED_SPANS', default: () => DEFAULT_LIMITS.maxBufferedSpans, parse: positiveInt, doc: 'spans held in memory, written ones kept for retainMs included (oldest evicted beyond); unwritten spans past 80% of it answer 503' },
  maxBufferedBytes: { env: 'AMS_RECEIVER_MAX_BUFFERED_BYTES', default: () => 256 * MiB, parse: positiveInt, doc: 'accepted request bytes not yet written as sessions (503 beyond)' },
  maxBodyBytes: { env: 'AMS_RECEIVER_MAX_BODY_BYTES', default: () => 16 * MiB, parse: positiveInt, doc: 'MAX_BODY_BYTES: body as received (413 beyond)' },
  maxDecompressedBytes: { env: 'AMS_RECEIVER_MAX_DECOMPRESSED_BYTES', default: () => 64 * MiB, parse: positiveInt, doc: 'MAX_DECOMPRESSED_BYTES: body after gunzip (413 beyond)' },
  retryAfterSeconds: { env: 'AMS_RECEIVER_RETRY_AFTER_S', default: () => 5, parse: positiveInt, doc: '`Retry-After` on 503' },
  walDir: {
    env: 'AMS_RECEIVER_WAL_DIR',
    default: (env) => join(env.AMS_LOCAL_DIR?.trim() || './ams-data', 'receiver-wal'),
    parse: (v) => (bool(v) === false ? false : text(v)),
    doc: 'write-ahead log directory; `off` disables it',
  },
  walFsync: { env: 'AMS_RECEIVER_WAL_FSYNC', default: () => false, parse: bool, doc: 'fsync the WAL before each 200 (power-loss safe; slower)' },
  maxConcurrentWrites: { env: 'AMS_RECEIVER_MAX_CONCURRENT_WRITES', default: () => DEFAULT_LIMITS.maxConcurrentWrites, parse: positiveInt, doc: 'storage writes in flight' },
  maxPendingWrites: {
    env: 'AMS_RECEIVER_MAX_PENDING_WRITES',
    default: () => DEFAULT_LIMITS.maxPendingWrites,
    parse: nonNegativeInt,
    doc: 'sessions waiting for a write in memory; more go to the local spool and are written later',
  },
  flushTimeoutMs: { env: 'AMS_FLUSH_TIMEOUT_MS', default: () => DEFAULT_LIMITS.flushTimeoutMs, parse: nonNegativeInt, doc: 'flush/stop give up waiting for storage after this long (0: wait forever)' },
  workers: {
    env: 'AMS_RECEIVER_WORKERS',
    default: () => undefined,
    parse: nonNegativeInt,
    doc: 'worker threads for decoding, assembly and storage (default: one per core up to 4 with storage from the environment; 0 = main thread)',
  },
  ui: { env: 'AMS_RECEIVER_UI', default: () => undefined, parse: bool, doc: 'serve the viewer under `/ui` (default: on when listening on loopback; it has no authentication)' },
};

export function resolveReceiverOptions(options: ReceiverOptions = {}, env: Env = options.env ?? process.env): ResolvedReceiverOptions {
  const out: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(RECEIVER_CONFIG) as Array<[keyof ResolvedReceiverOptions, Row<keyof ResolvedReceiverOptions>]>) {
    const given = options[key];
    if (given !== undefined) {
      out[key] = given;
      continue;
    }
    const raw = env[row.env];
    if (raw !== undefined) {
      const parsed = row.parse(raw);
      if (parsed !== undefined) {
        out[key] = parsed;
        continue;
      }
      diag.warn(`ams receiver: ignoring invalid ${row.env}=${JSON.stringify(raw)}; using the default`);
    }
    out[key] = row.default(env);
  }
  return out as unknown as ResolvedReceiverOptions;
}
