/**
 * Which storage the settings ask for, and what is wrong with them: shared by the writers
 * (storageFromEnv) and the readers (readerFromEnv, the `ams` commands). Kept apart from
 * src/storage so that deciding costs no storage code (the AWS SDK is loaded only for S3).
 */
import { lookup, SETTINGS } from './env.js';
import type { Env } from './env.js';

/**
 * What is wrong with the storage settings in `env`, in the words every caller uses (the writers
 * report it and fall back, the `ams` commands refuse with it); undefined when nothing is.
 */
export function storageSettingsProblem(env: Env = process.env): string | undefined {
  const kind = lookup(SETTINGS.storage, env);
  if (kind.problem) return kind.problem;
  if (kind.value === 's3' && !lookup(SETTINGS.s3Bucket, env).value) return 'AMS_STORAGE=s3 needs AMS_S3_BUCKET';
  return undefined;
}

/**
 * The storage kind `env` asks for: S3 when `AMS_STORAGE=s3` or `AMS_S3_BUCKET` is set, else local.
 * A bad value counts as unset, and S3 without a bucket as local (see storageSettingsProblem).
 */
export function storageKind(env: Env = process.env): 'local' | 's3' {
  const bucket = lookup(SETTINGS.s3Bucket, env).value;
  const kind = lookup(SETTINGS.storage, env).value ?? (bucket ? 's3' : 'local');
  return kind === 's3' && !bucket ? 'local' : kind;
}
