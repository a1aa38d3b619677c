/**
 * Configuration: options > environment > default. One table of `{ env, default, parse }`; a bad
 * environment value warns through diag and falls back to the default (like opentelemetry-js
 * getNumberFromEnv). The environment applies even when no options object is passed.
 */
import { diag } from '@opentelemetry/api';

export type Env = Record<string, string | undefined>;

export interface Setting<T> {
  env: string;
  default: T;
  parse(raw: string): T | undefined;
  /** One line for README's configuration table. */
  doc: string;
}

export function parseBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  return undefined;
}

export function parseNonNegativeInt(raw: string): number | undefined {
  const n = Number(raw.trim());
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function parseString(raw: string): string | undefined {
  const v = raw.trim();
  return v === '' ? undefined : v;
}

/** Resolves one setting: the explicit option if given, else the environment, else the default. */
export function resolve<T>(setting: Setting<T>, option: T | undefined, env: Env = process.env): T {
  if (option !== undefined) return option;
  const raw = env[setting.env];
  if (raw === undefined || raw.trim() === '') return setting.default;
  const parsed = setting.parse(raw);
  if (parsed === undefined) {
    diag.warn(`ams-otel: ignoring invalid ${setting.env}=${JSON.stringify(raw)}; using ${JSON.stringify(setting.default)}`);
    return setting.default;
  }
  return parsed;
}

export const SETTINGS = {
  storage: {
    env: 'AMS_STORAGE',
    default: undefined as 'local' | 's3' | undefined,
    parse: (raw: string) => (raw.trim() === 'local' || raw.trim() === 's3' ? (raw.trim() as 'local' | 's3') : undefined),
    doc: '`local` or `s3`; default `local` unless `AMS_S3_BUCKET` is set',
  } satisfies Setting<'local' | 's3' | undefined>,
  localDir: { env: 'AMS_LOCAL_DIR', default: './ams-data', parse: parseString, doc: 'root folder of local storage' },
  s3Bucket: { env: 'AMS_S3_BUCKET', default: undefined as string | undefined, parse: parseString, doc: 'S3 / R2 / MinIO bucket' },
  s3Prefix: { env: 'AMS_S3_PREFIX', default: 'ams', parse: (raw: string) => raw.trim().replace(/^\/+|\/+$/g, ''), doc: 'key prefix inside the bucket' },
  s3Endpoint: { env: 'AMS_S3_ENDPOINT_URL', default: undefined as string | undefined, parse: parseString, doc: 'endpoint for R2 / MinIO / any S3-compatible server' },
  s3Region: { env: 'AMS_S3_REGION', default: undefined as string | undefined, parse: parseString, doc: 'region (R2: `auto`); else the AWS chain decides' },
  s3ForcePathStyle: {
    env: 'AMS_S3_FORCE_PATH_STYLE',
    default: undefined as boolean | undefined,
    parse: parseBoolean,
    doc: 'path-style URLs; default on when an endpoint is set (MinIO), off for AWS',
  } satisfies Setting<boolean | undefined>,
  spoolDir: {
    env: 'AMS_SPOOL_DIR',
    default: undefined as string | undefined,
    parse: parseString,
    doc: 'where sessions wait while storage is unreachable; default `<tmpdir>/ams-otel-spool/<bucket>`',
  },
  enabled: { env: 'AMS_ENABLED', default: true, parse: parseBoolean, doc: '`false` switches capture off: nothing is buffered or written (tests, CI)' },
  redact: { env: 'AMS_REDACT', default: false, parse: parseBoolean, doc: 'PII / secret redaction' },
  captureContent: { env: 'AMS_CAPTURE_CONTENT', default: true, parse: parseBoolean, doc: 'record prompts, messages, tool input and output' },
  captureThinking: { env: 'AMS_CAPTURE_THINKING', default: true, parse: parseBoolean, doc: 'record model thinking' },
  flushTimeoutMs: {
    env: 'AMS_FLUSH_TIMEOUT_MS',
    default: 30_000,
    parse: parseNonNegativeInt,
    doc: 'forceFlush/shutdown (processor) and flush/stop (receiver) give up waiting for storage after this long; 0 waits forever',
  },
} as const;
