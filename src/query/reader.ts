/**
 * The storage to read from, chosen by the same settings as the writers (storageFromEnv), but
 * built for reading: an S3 reader gets a spool folder of its own that does not exist, so a
 * read-only command never replays sessions another process spooled (that is the writer's job).
 */
import os from 'node:os';
import path from 'node:path';
import { SettingError } from '../config/env.js';
import type { Env } from '../config/env.js';
import { storageKind, storageSettingsProblem } from '../config/storage.js';
import { LocalStorage } from '../storage/local.js';
import type { S3Storage } from '../storage/s3.js';

export type StoreReader = LocalStorage | S3Storage;

/**
 * A storage setting a reader cannot work with. Readers refuse (a listing of the wrong place would
 * mislead) where writers fall back; the message is the one the writers report.
 */
export class ReaderConfigError extends SettingError {}

/** Async because the AWS SDK is loaded only when S3 is asked for (it doubles a local command's start-up). */
export async function readerFromEnv(env: Env = process.env): Promise<StoreReader> {
  const problem = storageSettingsProblem(env);
  if (problem) throw new ReaderConfigError(problem);
  if (storageKind(env) === 's3') {
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
