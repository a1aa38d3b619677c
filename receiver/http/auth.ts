import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './errors.js';

/**
 * Bearer token check. Both sides are hashed first so the compare is constant-time whatever the
 * lengths (timingSafeEqual needs equal lengths; comparing lengths first would leak them).
 */
export function bearerChecker(token: string | undefined): (headers: IncomingHttpHeaders) => void {
  if (!token) return () => {};
  const expected = createHash('sha256').update(token).digest();
  return (headers) => {
    const header = headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = createHash('sha256')
      .update(match?.[1]?.trim() ?? '')
      .digest();
    if (!timingSafeEqual(given, expected) || !match) {
      throw new HttpError(401, match ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <AMS_RECEIVER_TOKEN>)', {
        'WWW-Authenticate': 'Bearer realm="ams-receiver"',
      });
    }
  };
}
