/**
 * A storage described by data instead of an object: what the receiver's worker threads rebuild
 * when the receiver was given a LocalStorage or S3Storage (an object cannot move to another
 * thread; its constructor options usually can).
 */
import { LocalStorage } from './local.js';
import type { LocalStorageOptions } from './local.js';
import { S3Storage } from './s3.js';
import type { S3StorageOptions } from './s3.js';
import type { SessionStorage } from './types.js';

export type StorageSpec = { kind: 'local'; options: LocalStorageOptions } | { kind: 's3'; options: S3StorageOptions };

/**
 * The spec of `storage` when it is exactly a LocalStorage or S3Storage (not a subclass or a
 * wrapper, whose behaviour a rebuild would lose) built from options that can be copied to another
 * thread (a `client` object or a credentials provider function cannot); otherwise undefined.
 */
export function specOf(storage: SessionStorage): StorageSpec | undefined {
  const exact = storage.constructor === LocalStorage || storage.constructor === S3Storage;
  if (!exact) return undefined;
  const spec = (storage as LocalStorage | S3Storage).toSpec();
  try {
    return structuredClone(spec);
  } catch {
    return undefined;
  }
}

export function storageFromSpec(spec: StorageSpec): LocalStorage | S3Storage {
  return spec.kind === 'local' ? new LocalStorage(spec.options) : new S3Storage(spec.options);
}
