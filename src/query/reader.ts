/**
 * The storage to read from, chosen by the same settings as the writers (storageFromEnv), but
 * built for reading: an S3 reader gets a spool folder of its own that does not exist, so a
 * read-only command never replays sessions another process spooled (that is the writer's job).
 */
import os from 'node:os';
import path from 'node:path';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import { LocalStorage } from '../storage/local.js';
import type { S3Storage } from '../storage/s3.js';

export type StoreReader = LocalStorage | S3Storage;

export class ReaderConfigError extends Error {}

/** Async because the AWS SDK is loaded only when S3 is asked for (it doubles a local command's start-up). */
export async function readerFromEnv(env: Env = process.env): Promise<StoreReader> {
  const kind = resolve(SETTINGS.storage, undefined, env) ?? (resolve(SETTINGS.s3Bucket, undefined, env) ? 's3' : 'local');
  if (kind === 's3') {
    if (!resolve(SETTINGS.s3Bucket, undefined, env)) throw new ReaderConfigError('AMS_STORAGE=s3 needs AMS_S3_BUCKET (or --s3-bucket)');
    const { S3Storage } = await import('../storage/s3.js');
    return new S3Storage({ env, spoolDir: path.join(os.tmpdir(), `ams-reader-no-spool-${process.pid}-${Date.now()}`) });
  }
  return new LocalStorage({ env });
}

/** One line saying where sessions are read from, for messages. */
export function describeReader(reader: StoreReader): string {
  return reader instanceof LocalStorage
    ? `${reader.dir}${reader.prefix ? `/${reader.prefix}` : ''}`
    : `s3://${reader.bucket}/${reader.prefix}`;
}
