/** Where a written session is, as a user would open it: a file path, or an s3:// URL. */
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import type { SessionStorage } from '../../src/storage/types.js';

export function locationOf(storage: SessionStorage, key: string): string {
  if (storage instanceof LocalStorage) return storage.pathOf(key);
  if (storage instanceof S3Storage) return `s3://${storage.bucket}/${key}`;
  return key;
}
