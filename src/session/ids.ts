import { createHash } from 'node:crypto';

/** Longest id we keep verbatim; longer ones are cut and suffixed with a hash. */
export const MAX_ID_LENGTH = 128;

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/**
 * Makes any attribute value safe as one storage key segment: only `[A-Za-z0-9._-]`, no leading
 * dot, at most MAX_ID_LENGTH characters, never empty. A value that had to change gets a hash of
 * the original appended, so two different inputs cannot collapse onto the same key.
 */
export function sanitizeId(raw: string): string {
  if (raw.length <= MAX_ID_LENGTH && SAFE.test(raw) && !raw.includes('..')) return raw;
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_ID_LENGTH - 13);
  return `${cleaned || 'session'}-${shortHash(raw)}`;
}

/** True when `id` would be returned unchanged by sanitizeId (what storage accepts as a key segment). */
export function isSafeId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && SAFE.test(id) && !id.includes('..');
}
