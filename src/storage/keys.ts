/**
 * The storage layout, identical for every backend:
 *   {prefix}/sessions/{YYYY}/{MM}/{DD}/{id}.json   the full session (date = started_at, UTC)
 *   {prefix}/index/dt=…/hour=…/*.ndjson.gz         index segments (segments.ts; the default layout)
 *   {prefix}/index/{id}.json                       its index entry (the `per-session` layout)
 *   {prefix}/locks/{id}.lock                       LocalStorage only: held during a conditional write
 * Ids are sanitized again here, so no attribute value can escape the prefix whatever produced it.
 */
import { isSafeId, sanitizeId } from '../session/ids.js';
import type { Session } from '../session/types.js';

function join(prefix: string, rest: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${rest}` : rest;
}

export function safeId(id: string): string {
  return isSafeId(id) ? id : sanitizeId(id);
}

/** The date folder (`{prefix}/sessions/YYYY/MM/DD/`, UTC) of the sessions started at `ms`. */
export function sessionsDayFolder(prefix: string, ms: number): string {
  const date = new Date(Number.isNaN(ms) ? 0 : ms);
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return join(prefix, `sessions/${yyyy}/${mm}/${dd}/`);
}

export function sessionKey(prefix: string, session: Pick<Session, 'id' | 'started_at'>): string {
  return `${sessionsDayFolder(prefix, new Date(session.started_at).getTime())}${safeId(session.id)}.json`;
}

const DAY = 86_400_000;

/**
 * Where a session's document may be when only a time near its start is known (the index has no
 * per-session pointer in the segment layout): that day's key, then the day before and after (a
 * merged session starts at its earliest part, which may be another day's).
 */
export function sessionKeysAround(prefix: string, id: string, startedAt: string): string[] {
  const t = Date.parse(startedAt);
  if (Number.isNaN(t)) return [sessionKey(prefix, { id, started_at: startedAt })];
  const keys = [0, -DAY, DAY].map((d) => sessionKey(prefix, { id, started_at: new Date(t + d).toISOString() }));
  return [...new Set(keys)];
}

export function indexKey(prefix: string, id: string): string {
  return join(prefix, `index/${safeId(id)}.json`);
}

export function indexFolder(prefix: string): string {
  return join(prefix, 'index/');
}

export function sessionsFolder(prefix: string): string {
  return join(prefix, 'sessions/');
}

/** LocalStorage's per-session lock file for conditional writes (see local.ts). */
export function lockKey(prefix: string, id: string): string {
  return join(prefix, `locks/${safeId(id)}.lock`);
}
