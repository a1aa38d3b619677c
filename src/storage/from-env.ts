import { diag } from '@opentelemetry/api';
import type { Env } from '../config/env.js';
import { storageKind, storageSettingsProblem } from '../config/storage.js';
import type { LocalStorage } from './local.js';
import type { S3Storage } from './s3.js';
import { storageFromSpec } from './spec.js';
import type { StorageSpec } from './spec.js';

/**
 * Which storage the environment asks for, as data: S3 when `AMS_STORAGE=s3` or `AMS_S3_BUCKET` is
 * set, otherwise local files under `AMS_LOCAL_DIR` (default `./ams-data`).
 *
 * Used inside the user's application, so a bad setting never throws: it is reported through
 * diag.error (the same message `ams` exits with) and the default applies: a bad `AMS_STORAGE` is
 * taken as unset, and `AMS_STORAGE=s3` without a bucket writes locally, so no session is lost.
 */
export function specFromEnv(env: Env = process.env): StorageSpec {
  const problem = storageSettingsProblem(env);
  const kind = storageKind(env);
  if (problem) diag.error(`ams-otel: ${problem}; writing to ${kind === 's3' ? 'S3 (AMS_S3_BUCKET is set)' : 'local storage (AMS_LOCAL_DIR)'} instead`);
  return { kind, options: { env } };
}

/** The storage the environment asks for (see specFromEnv). */
export function storageFromEnv(env: Env = process.env): LocalStorage | S3Storage {
  return storageFromSpec(specFromEnv(env));
}
