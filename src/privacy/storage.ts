/**
 * withPrivacy(storage): a SessionStorage that applies the privacy settings to every session before
 * handing it on. The receiver (or any custom writer) gets the same redaction as the in-process
 * processor with one line: `createReceiver({ storage: withPrivacy(storageFromEnv()) })`.
 */
import type { Env } from '../config/env.js';
import type { Session } from '../session/types.js';
import type { SessionReader, SessionStorage } from '../storage/types.js';
import type { PrivacyOptions, ResolvedPrivacy } from './options.js';
import { resolvePrivacy } from './options.js';
import { applyPrivacy } from './redact.js';
import type { ConditionalStorage } from '../storage/conditional.js';

export interface WithPrivacyOptions extends PrivacyOptions {
  /** Environment to read AMS_REDACT / AMS_CAPTURE_* from (default process.env); options win. */
  env?: Env;
}

/** The storage a privacy decorator wraps (for tests and diagnostics). */
export const PRIVACY_INNER = Symbol.for('ams-otel.privacy.inner');

export interface PrivacyStorage extends SessionStorage, Partial<SessionReader> {
  readonly privacy: ResolvedPrivacy;
  readonly [PRIVACY_INNER]: SessionStorage;
}

/**
 * Wraps `storage` so every session is written with the privacy settings applied. Reads
 * (`listIndex`, `getIndexEntry`, `getSession`, for the CLI and the viewer) pass through when the
 * wrapped storage has them: what they return was already written redacted.
 */
export function withPrivacy(storage: SessionStorage, options: WithPrivacyOptions = {}): PrivacyStorage {
  const { env, ...privacyOptions } = options;
  const privacy = resolvePrivacy(privacyOptions, env);
  const reader = storage as SessionStorage & Partial<SessionReader>;
  const out: PrivacyStorage = {
    privacy,
    [PRIVACY_INNER]: storage,
    // If applyPrivacy throws, nothing is written: the caller reports the failure (fail closed).
    putSession: async (session: Session) => storage.putSession(applyPrivacy(session, privacy)),
  };
  // Conditional writes pass through (merged documents get the same settings), so multi-trace
  // sessions keep their compare-and-swap behind the decorator.
  if (typeof storage.getSessionVersioned === 'function' && typeof storage.putSessionConditional === 'function') {
    out.getSessionVersioned = (id, o) => storage.getSessionVersioned!(id, o);
    out.putSessionConditional = async (session, condition) => storage.putSessionConditional!(applyPrivacy(session, privacy), condition);
    const indexed = (storage as Partial<ConditionalStorage>).indexStored;
    // The stored document was written through this decorator already: its entry as it is.
    if (typeof indexed === 'function') (out as Partial<ConditionalStorage>).indexStored = (session, key) => indexed.call(storage, session, key);
  }
  if (storage.deleteSession) out.deleteSession = (id, key) => storage.deleteSession!(id, key);
  if (storage.flush) out.flush = () => storage.flush!();
  if (storage.close) out.close = () => storage.close!();
  if (typeof reader.listIndex === 'function') out.listIndex = (onCorrupt, options) => reader.listIndex!(onCorrupt, options);
  if (typeof reader.getIndexEntry === 'function') out.getIndexEntry = (id: string) => reader.getIndexEntry!(id);
  if (typeof reader.getSession === 'function') out.getSession = (id: string) => reader.getSession!(id);
  return out;
}
