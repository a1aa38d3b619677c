import { diag } from '@opentelemetry/api';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import type { LocalStorage } from './local.js';
import type { S3Storage } from './s3.js';
import { storageFromSpec } from './spec.js';
import type { StorageSpec } from './spec.js';

/**
 * Which storage the environment asks for, as data: S3 when `AMS_STORAGE=s3` or `AMS_S3_BUCKET` is
 * set, otherwise local files under `AMS_LOCAL_DIR` (default `./ams-data`).
 */
export function specFromEnv(env: Env = process.env): StorageSpec {
  const kind = resolve(SETTINGS.storage, undefined, env) ?? (resolve(SETTINGS.s3Bucket, undefined, env) ? 's3' : 'local');
  if (kind === 's3') {
    if (resolve(SETTINGS.s3Bucket, undefined, env)) return { kind: 's3', options: { env } };
    diag.error('ams-otel: AMS_STORAGE=s3 but AMS_S3_BUCKET is not set; writing to local storage instead');
  }
  return { kind: 'local', options: { env } };
}

/** The storage the environment asks for (see specFromEnv). */
export function storageFromEnv(env: Env = process.env): LocalStorage | S3Storage {
  return storageFromSpec(specFromEnv(env));
}
