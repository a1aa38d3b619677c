/**
 * The one settings table. Every setting ams-otel reads from the environment is a row here, and
 * the row drives everything else: resolution in the library (options > environment > default),
 * the `ams` CLI flags and their --help (cli/settings.ts), and docs/configuration.md
 * (src/config/docs.ts, checked by test/config-docs.test.ts).
 *
 * A bad environment value warns through diag and falls back to the default (like opentelemetry-js
 * getNumberFromEnv); the CLI refuses it instead, with the same words (settingProblem). The
 * environment applies even when no options object is passed.
 */
import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
import { validatePrices } from '../session/pricing.js';
import type { ModelPrices } from '../session/pricing.js';
import { DEFAULT_LIMITS, RECEIVER_MAX_BUFFERED_SPANS } from '../writer/defaults.js';

export type Env = Record<string, string | undefined>;

/**
 * Docs section, and which commands take the group's settings as flags: `storage` every command,
 * `capture`, `writer` and `receiver` `ams receiver`; `viewer` `ams view` and `ams receiver`;
 * `emitter` and `processor` none (they run in the user's application).
 */
export type SettingGroup = 'storage' | 'capture' | 'emitter' | 'writer' | 'processor' | 'receiver' | 'viewer';

export interface Setting<T> {
  env: string;
  default: T;
  parse(raw: string): T | undefined;
  /** One line for docs/configuration.md and --help. */
  doc: string;
  /** What parse accepts, for messages ("a positive integer"); known parsers need none. */
  expected?: string;
  /** Default: documented under "Other", no CLI flag. */
  group?: SettingGroup;
  /**
   * The CLI flag, without dashes. Default: derived from the env name (settingFlag). `false`: no
   * flag, env only (a secret: argv is visible to other users).
   */
  flag?: string | false;
  /** The default as docs say it, when it is computed (the value alone would mislead). */
  defaultDoc?: string;
  /** Only writers use it (the receiver), not the reading commands. */
  writerOnly?: boolean;
}

export function parseBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  return undefined;
}

export function parseNonNegativeInt(raw: string): number | undefined {
  const n = Number(raw.trim());
  return raw.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function parsePositiveInt(raw: string): number | undefined {
  const n = parseNonNegativeInt(raw);
  return n !== undefined && n > 0 ? n : undefined;
}

/** Levels of the receiver's console diagnostics, quietest first. */
export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(raw: string): LogLevel | undefined {
  const v = raw.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

export function parseString(raw: string): string | undefined {
  const v = raw.trim();
  return v === '' ? undefined : v;
}

/** Comma- or space-separated host names (`name`, `name:port`, `[v6]:port`, `*`), lower-cased. */
export function parseHostList(raw: string): string[] | undefined {
  const items = raw
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const valid = /^(?:\*|\[[0-9a-f:.]+\](?::\d{1,5})?|[a-z0-9._-]+(?::\d{1,5})?)$/;
  return items.length > 0 && items.every((h) => valid.test(h)) ? items : undefined;
}

/** How index entries are kept (src/storage/segment-index.ts, docs/storage.md "Index layout"). */
export type IndexLayout = 'segments' | 'per-session' | 'both';

function parseIndexLayout(raw: string): IndexLayout | undefined {
  const v = raw.trim();
  return v === 'segments' || v === 'per-session' || v === 'both' ? v : undefined;
}

function parseStorageKind(raw: string): 'local' | 's3' | undefined {
  const v = raw.trim();
  return v === 'local' || v === 's3' ? v : undefined;
}

/** `off` (or any false word) turns the WAL off; anything else is a directory. */
function parseWalDir(raw: string): string | false | undefined {
  return parseBoolean(raw) === false ? false : parseString(raw);
}

/** AMS_PRICES: the price map as JSON, or the path of a JSON file holding it. */
function parsePrices(raw: string): Record<string, ModelPrices> | undefined {
  const v = raw.trim();
  try {
    const text = v.startsWith('{') ? v : readFileSync(v, 'utf8');
    return validatePrices(JSON.parse(text), 'AMS_PRICES');
  } catch (err) {
    diag.warn(`ams-otel: AMS_PRICES: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** What the shared parsers accept, so rows using them need no `expected` of their own. */
const EXPECTED = new Map<(raw: string) => unknown, string>([
  [parseBoolean, 'one of 1/true/on/yes or 0/false/off/no'],
  [parseNonNegativeInt, 'a non-negative integer'],
  [parsePositiveInt, 'a positive integer'],
  [parseString, 'a non-empty value'],
  [parseStorageKind, 'local or s3'],
]);

export function expectedOf(setting: Setting<unknown>): string | undefined {
  return setting.expected ?? EXPECTED.get(setting.parse);
}

/** The CLI flag of a setting (without dashes): AMS_LOCAL_DIR -> local-dir, AMS_RECEIVER_WAIT_MS -> wait-ms. */
export function settingFlag(setting: Setting<unknown>): string | undefined {
  if (setting.flag === false) return undefined;
  if (setting.flag) return setting.flag;
  const name = setting.env.replace(/^AMS_/, '');
  // `ams receiver --wait-ms`: the command already says "receiver".
  return (setting.group === 'receiver' ? name.replace(/^RECEIVER_/, '') : name).toLowerCase().replace(/_/g, '-');
}

/**
 * The one wording of a bad value, used by the library (diag, then the default) and the CLI (exit
 * 2) alike: `invalid AMS_STORAGE="bogus" (expected local or s3)`. `via` names the flag the
 * value came from instead of the variable.
 */
export function describeInvalid(setting: Setting<unknown>, raw: string, via = setting.env): string {
  const expected = expectedOf(setting);
  return `invalid ${via}=${JSON.stringify(raw)}${expected ? ` (expected ${expected})` : ''}`;
}

/** Thrown by callers that refuse bad settings instead of falling back (the CLI). */
export class SettingError extends Error {
  override name = 'SettingError';
}

export interface Lookup<T> {
  value: T;
  /** Set when the environment holds a value the setting does not accept (value is then the default). */
  problem?: string;
}

/** The environment's value of a setting, without reporting anything. */
export function lookup<T>(setting: Setting<T>, env: Env = process.env): Lookup<T> {
  const raw = env[setting.env];
  if (raw === undefined || raw.trim() === '') return { value: setting.default };
  const parsed = setting.parse(raw);
  if (parsed === undefined) return { value: setting.default, problem: describeInvalid(setting, raw) };
  return { value: parsed };
}

/** Resolves one setting: the explicit option if given, else the environment, else the default. */
export function resolve<T>(setting: Setting<T>, option: T | undefined, env: Env = process.env): T {
  if (option !== undefined) return option;
  const { value, problem } = lookup(setting, env);
  if (problem) diag.warn(`ams-otel: ignoring ${problem}; using ${setting.defaultDoc ?? JSON.stringify(setting.default) ?? 'the default'}`);
  return value;
}

const MiB = 1024 * 1024;

/**
 * Every setting. Keys are what code uses (`SETTINGS.localDir`); the receiver's rows are mapped to
 * its option names in receiver/options.ts. Append new rows in the same shape.
 */
export const SETTINGS = {
  // Storage: where sessions are written and read.
  storage: {
    env: 'AMS_STORAGE',
    default: undefined as 'local' | 's3' | undefined,
    parse: parseStorageKind,
    doc: 'storage backend',
    defaultDoc: '`local` unless `AMS_S3_BUCKET` is set',
    group: 'storage',
  } satisfies Setting<'local' | 's3' | undefined>,
  localDir: { env: 'AMS_LOCAL_DIR', default: './ams-data', parse: parseString, doc: 'root folder of local storage', group: 'storage' } satisfies Setting<string>,
  s3Bucket: { env: 'AMS_S3_BUCKET', default: undefined as string | undefined, parse: parseString, doc: 'S3 / R2 / MinIO bucket (credentials: the standard AWS chain)', group: 'storage' } satisfies Setting<string | undefined>,
  s3Prefix: {
    env: 'AMS_S3_PREFIX',
    default: 'ams',
    parse: (raw: string) => raw.trim().replace(/^\/+|\/+$/g, ''),
    doc: 'key prefix inside the bucket',
    group: 'storage',
  } satisfies Setting<string>,
  s3Endpoint: { env: 'AMS_S3_ENDPOINT_URL', default: undefined as string | undefined, parse: parseString, doc: 'endpoint for R2 / MinIO / any S3-compatible server', group: 'storage' } satisfies Setting<string | undefined>,
  s3Region: { env: 'AMS_S3_REGION', default: undefined as string | undefined, parse: parseString, doc: 'region (R2: `auto`); else the AWS chain decides', group: 'storage' } satisfies Setting<string | undefined>,
  s3ForcePathStyle: {
    env: 'AMS_S3_FORCE_PATH_STYLE',
    default: undefined as boolean | undefined,
    parse: parseBoolean,
    doc: 'path-style URLs',
    defaultDoc: 'on when an endpoint is set (MinIO), off for AWS',
    group: 'storage',
  } satisfies Setting<boolean | undefined>,
  spoolDir: {
    env: 'AMS_SPOOL_DIR',
    default: undefined as string | undefined,
    parse: parseString,
    doc: 'where sessions wait while storage is unreachable',
    defaultDoc: '`<tmpdir>/ams-otel-spool/<bucket>`',
    group: 'storage',
    writerOnly: true,
  } satisfies Setting<string | undefined>,

  indexLayout: {
    env: 'AMS_INDEX_LAYOUT',
    default: 'segments' as IndexLayout,
    parse: parseIndexLayout,
    expected: '`segments`, `per-session` or `both`',
    doc: 'how index entries are written: `segments` (rolled-up, time-partitioned `index/dt=…/hour=…/*.ndjson.gz`; one object per session), `per-session` (the older `index/{id}.json`, one more object per session) or `both`; readers read both',
    group: 'storage',
  } satisfies Setting<IndexLayout>,
  indexFlushMs: {
    env: 'AMS_INDEX_FLUSH_MS',
    default: 5000,
    parse: parsePositiveInt,
    doc: 'index entries are buffered and written as one segment at most this long after the first (and on flush / shutdown)',
    group: 'storage',
    writerOnly: true,
  } satisfies Setting<number>,
  indexFlushEntries: {
    env: 'AMS_INDEX_FLUSH_ENTRIES',
    default: 1000,
    parse: parsePositiveInt,
    doc: 'a segment is written as soon as this many index entries wait',
    group: 'storage',
    writerOnly: true,
  } satisfies Setting<number>,
  writerId: {
    env: 'AMS_WRITER_ID',
    default: undefined as string | undefined,
    parse: parseString,
    doc: "names this writer's index segments (`<writer>-<start>-<seq>`)",
    defaultDoc: 'the host name',
    group: 'storage',
    writerOnly: true,
  } satisfies Setting<string | undefined>,

  // Capture and privacy: what a session keeps (the Claude instrumentation, the generic API, and
  // privacy applied before every write).
  redact: { env: 'AMS_REDACT', default: false, parse: parseBoolean, doc: 'PII / secret redaction', group: 'capture' } satisfies Setting<boolean>,
  captureContent: {
    env: 'AMS_CAPTURE_CONTENT',
    default: true,
    parse: parseBoolean,
    doc: 'record prompts, messages, tool input and output (off: privacy mode)',
    group: 'capture',
  } satisfies Setting<boolean>,
  captureThinking: { env: 'AMS_CAPTURE_THINKING', default: true, parse: parseBoolean, doc: 'record model thinking', group: 'capture' } satisfies Setting<boolean>,

  // Cost of model calls the producer reported none for (src/session/pricing.ts, docs/cost.md).
  priceTable: {
    env: 'AMS_PRICE_TABLE',
    default: true,
    parse: parseBoolean,
    doc: 'price model calls the producer gave no cost for from the bundled table (@pydantic/genai-prices, offline)',
    group: 'writer',
  } satisfies Setting<boolean>,
  prices: {
    env: 'AMS_PRICES',
    default: undefined as Record<string, ModelPrices> | undefined,
    parse: parsePrices,
    expected: 'a JSON object {"model": {"input_mtok": 3, "output_mtok": 15}} or the path of a file holding one',
    doc: 'your prices (USD per million tokens) by model name or `prefix*`, used before the table',
    group: 'writer',
  } satisfies Setting<Record<string, ModelPrices> | undefined>,

  // The in-process processor.
  enabled: {
    env: 'AMS_ENABLED',
    default: true,
    parse: parseBoolean,
    doc: '`false` switches capture off: nothing is buffered or written (tests, CI)',
    group: 'processor',
  } satisfies Setting<boolean>,
  maxBufferedBytes: {
    env: 'AMS_MAX_BUFFERED_BYTES',
    default: 64 * MiB,
    parse: parsePositiveInt,
    doc: 'bytes of spans the in-process processor holds (their text, roughly): past it the oldest trace is written as incomplete; a span that still does not fit is dropped and counted',
    group: 'processor',
  } satisfies Setting<number>,

  // The OTLP/HTTP receiver (`ams receiver`, createReceiver).
  receiverToken: {
    env: 'AMS_RECEIVER_TOKEN',
    default: undefined as string | undefined,
    parse: parseString,
    doc: 'require `Authorization: Bearer <token>` (401 otherwise); env only: argv is visible to other users',
    group: 'receiver',
    flag: false,
  } satisfies Setting<string | undefined>,
  receiverHost: { env: 'AMS_RECEIVER_HOST', default: '127.0.0.1', parse: parseString, doc: 'listen address (loopback by default)', group: 'receiver' } satisfies Setting<string>,
  receiverPort: {
    env: 'AMS_RECEIVER_PORT',
    default: 4319,
    parse: parseNonNegativeInt,
    doc: 'listen port (4318 is left to a collector on the same host; 0: any free port)',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverWaitMs: { env: 'AMS_RECEIVER_WAIT_MS', default: 2000, parse: parseNonNegativeInt, doc: 'after a session root ends, wait this long for late children', group: 'receiver' } satisfies Setting<number>,
  receiverIdleMs: {
    env: 'AMS_RECEIVER_IDLE_MS',
    default: 30_000,
    parse: parsePositiveInt,
    doc: 'a rootless trace is written as incomplete after this long without a new span',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxAgeMs: { env: 'AMS_RECEIVER_MAX_AGE_MS', default: DEFAULT_LIMITS.maxAgeMs, parse: parsePositiveInt, doc: 'a trace open longer than this is written as incomplete', group: 'receiver' } satisfies Setting<number>,
  receiverRetainMs: {
    env: 'AMS_RECEIVER_RETAIN_MS',
    default: 30_000,
    parse: parseNonNegativeInt,
    doc: 'keep written spans this long; a late span rewrites the session (revision + 1)',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxTraces: { env: 'AMS_RECEIVER_MAX_TRACES', default: DEFAULT_LIMITS.maxTraces, parse: parsePositiveInt, doc: 'traces with unwritten spans (503 beyond)', group: 'receiver' } satisfies Setting<number>,
  receiverMaxSpansPerTrace: {
    env: 'AMS_RECEIVER_MAX_SPANS_PER_TRACE',
    default: DEFAULT_LIMITS.maxSpansPerTrace,
    parse: parsePositiveInt,
    doc: 'further spans are dropped and the session marked incomplete',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxBufferedSpans: {
    env: 'AMS_RECEIVER_MAX_BUFFERED_SPANS',
    default: RECEIVER_MAX_BUFFERED_SPANS,
    parse: parsePositiveInt,
    doc: 'spans held in memory, written ones kept for the retain window included (oldest evicted beyond); unwritten spans past 80% of it answer 503',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxBufferedBytes: {
    env: 'AMS_RECEIVER_MAX_BUFFERED_BYTES',
    default: 256 * MiB,
    parse: parsePositiveInt,
    doc: 'request bytes of the spans held, written ones kept for the retain window included (retained traces let go of first beyond); unwritten bytes past 80% of it answer 503',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxBodyBytes: { env: 'AMS_RECEIVER_MAX_BODY_BYTES', default: 16 * MiB, parse: parsePositiveInt, doc: 'MAX_BODY_BYTES: request body as received (413 beyond)', group: 'receiver' } satisfies Setting<number>,
  receiverMaxDecompressedBytes: {
    env: 'AMS_RECEIVER_MAX_DECOMPRESSED_BYTES',
    default: 64 * MiB,
    parse: parsePositiveInt,
    doc: 'MAX_DECOMPRESSED_BYTES: request body after gunzip (413 beyond)',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverRetryAfterSeconds: { env: 'AMS_RECEIVER_RETRY_AFTER_S', default: 5, parse: parsePositiveInt, doc: '`Retry-After` seconds on 503', group: 'receiver' } satisfies Setting<number>,
  receiverWalDir: {
    env: 'AMS_RECEIVER_WAL_DIR',
    default: undefined as string | false | undefined,
    parse: parseWalDir,
    expected: 'a directory, or off',
    doc: 'write-ahead log directory; `off` disables it (acknowledged spans then die with the process)',
    defaultDoc: '`<AMS_LOCAL_DIR>/receiver-wal`',
    group: 'receiver',
  } satisfies Setting<string | false | undefined>,
  receiverWalFsync: { env: 'AMS_RECEIVER_WAL_FSYNC', default: false, parse: parseBoolean, doc: 'fsync the WAL before each 200 (power-loss safe; slower)', group: 'receiver' } satisfies Setting<boolean>,
  receiverMaxConcurrentWrites: {
    env: 'AMS_RECEIVER_MAX_CONCURRENT_WRITES',
    default: DEFAULT_LIMITS.maxConcurrentWrites,
    parse: parsePositiveInt,
    doc: 'storage writes in flight',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverWorkers: {
    env: 'AMS_RECEIVER_WORKERS',
    default: undefined as number | undefined,
    parse: parseNonNegativeInt,
    doc: 'worker threads for decoding, assembly and storage (0: main thread only)',
    defaultDoc: 'one per core up to 4 with storage from the environment; 0 on one core',
    group: 'receiver',
  } satisfies Setting<number | undefined>,
  receiverUi: {
    env: 'AMS_RECEIVER_UI',
    default: undefined as boolean | undefined,
    parse: parseBoolean,
    doc: 'serve the viewer under `/ui` (it requires AMS_RECEIVER_TOKEN when one is set)',
    defaultDoc: 'on when listening on loopback',
    group: 'receiver',
  } satisfies Setting<boolean | undefined>,
  receiverRequestTimeoutMs: {
    env: 'AMS_RECEIVER_REQUEST_TIMEOUT_MS',
    default: 30_000,
    parse: parsePositiveInt,
    doc: 'a request not fully received by then (a slow or stalled body) is answered 408 and its connection closed',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverMaxConnections: {
    env: 'AMS_RECEIVER_MAX_CONNECTIONS',
    default: 1024,
    parse: parsePositiveInt,
    doc: 'open client connections; one more is closed as soon as it is accepted (the exporter retries)',
    group: 'receiver',
  } satisfies Setting<number>,
  receiverLogLevel: {
    env: 'AMS_RECEIVER_LOG_LEVEL',
    default: 'warn' as LogLevel,
    parse: parseLogLevel,
    expected: LOG_LEVELS.join(', '),
    doc: 'what `ams receiver` prints of its own diagnostics (storage outages, dropped spans, internal errors) on the console',
    group: 'receiver',
  } satisfies Setting<LogLevel>,
  viewerAllowedHosts: {
    env: 'AMS_VIEWER_ALLOWED_HOSTS',
    default: [] as readonly string[],
    parse: parseHostList,
    expected: 'host names, comma-separated (`name`, `name:port`, or `*`)',
    doc: 'more `Host` names the viewer (`ams view`, the receiver\'s `/ui`) answers to: `name` on any port, `name:port`, or `*` for any (only behind a proxy that checks `Host` itself). Other names get 421 (DNS rebinding)',
    defaultDoc: 'none: `localhost`, `127.0.0.1`, `[::1]` and the listening address, on the listening port',
    group: 'viewer',
  } satisfies Setting<readonly string[]>,
  maxAttributeLength: {
    env: 'AMS_MAX_ATTRIBUTE_LENGTH',
    default: 64 * 1024,
    parse: (raw: string) => {
      const n = parseNonNegativeInt(raw);
      return n !== undefined && n >= 64 ? n : undefined;
    },
    doc: 'longest recorded text value in characters (>= 64); longer ones are cut with a marker and `.original_size`',
    group: 'emitter',
  } satisfies Setting<number>,
  receiverMaxPendingWrites: {
    env: 'AMS_RECEIVER_MAX_PENDING_WRITES',
    default: DEFAULT_LIMITS.maxPendingWrites,
    parse: parseNonNegativeInt,
    doc: 'sessions waiting for a write in memory; more go to the local spool and are written later',
    group: 'receiver',
  } satisfies Setting<number>,
  flushTimeoutMs: {
    env: 'AMS_FLUSH_TIMEOUT_MS',
    default: DEFAULT_LIMITS.flushTimeoutMs,
    parse: parseNonNegativeInt,
    doc: 'forceFlush/shutdown (processor) and flush/stop (receiver) give up waiting for storage after this long; 0 waits forever',
    group: 'writer',
  } satisfies Setting<number>,
  storageTimeoutMs: {
    env: 'AMS_STORAGE_TIMEOUT_MS',
    default: DEFAULT_LIMITS.storageTimeoutMs,
    parse: parseNonNegativeInt,
    doc: 'deadline of one storage call (a session write or read; S3 requests are aborted): a write that misses it is retried, then spooled and replayed; 0 waits forever',
    group: 'writer',
  } satisfies Setting<number>,
  shutdownTimeoutMs: {
    env: 'AMS_SHUTDOWN_TIMEOUT_MS',
    default: DEFAULT_LIMITS.shutdownTimeoutMs,
    parse: parsePositiveInt,
    doc: 'bound on shutdown (processor) and stop / SIGTERM (receiver), whatever the storage does: what is not written by then is spooled to local disk and replayed on the next start',
    group: 'writer',
  } satisfies Setting<number>,
} as const;

/** Every row, in table order. */
export function allSettings(): Array<Setting<unknown>> {
  return Object.values(SETTINGS) as Array<Setting<unknown>>;
}
