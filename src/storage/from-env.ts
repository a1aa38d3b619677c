import { diag } from '@opentelemetry/api';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';

/**
 * The storage the environment asks for: S3 when `AMS_STORAGE=s3` or `AMS_S3_BUCKET` is set,
 * otherwise local files under `AMS_LOCAL_DIR` (default `./ams-data`).
 */
export function storageFromEnv(env: Env = process.env): LocalStorage | S3Storage {
  const kind = resolve(SETTINGS.storage, undefined, env) ?? (resolve(SETTINGS.s3Bucket, undefined, env) ? 's3' : 'local');
  if (kind === 's3') {
    if (!resolve(SETTINGS.s3Bucket, undefined, env)) {
      diag.error('ams-otel: AMS_STORAGE=s3 but AMS_S3_BUCKET is not set; writing to local storage instead');
      return new LocalStorage({ env });
    }
    return new S3Storage({ env });
  }
  return new LocalStorage({ env });
}
