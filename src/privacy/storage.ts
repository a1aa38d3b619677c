/**
 * withPrivacy(storage): a SessionStorage that applies the privacy settings to every session before
 * handing it on. The receiver (or any custom writer) gets the same redaction as the in-process
 * processor with one line: `createReceiver({ storage: withPrivacy(storageFromEnv()) })`.
 */
import type { Env } from '../config/env.js';
import type { Session } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';
import type { PrivacyOptions, ResolvedPrivacy } from './options.js';
import { resolvePrivacy } from './options.js';
import { applyPrivacy } from './redact.js';

export interface WithPrivacyOptions extends PrivacyOptions {
  /** Environment to read AMS_REDACT / AMS_CAPTURE_* from (default process.env); options win. */
  env?: Env;
}

/** The storage a privacy decorator wraps (for tests and diagnostics). */
export const PRIVACY_INNER = Symbol.for('ams-otel.privacy.inner');

export interface PrivacyStorage extends SessionStorage {
  readonly privacy: ResolvedPrivacy;
  readonly [PRIVACY_INNER]: SessionStorage;
}

export function withPrivacy(storage: SessionStorage, options: WithPrivacyOptions = {}): PrivacyStorage {
  const { env, ...privacyOptions } = options;
  const privacy = resolvePrivacy(privacyOptions, env);
  return {
    privacy,
    [PRIVACY_INNER]: storage,
    // If applyPrivacy throws, nothing is written: the caller reports the failure (fail closed).
    putSession: async (session: Session) => storage.putSession(applyPrivacy(session, privacy)),
    flush: storage.flush ? () => storage.flush!() : undefined,
    close: storage.close ? () => storage.close!() : undefined,
  };
}
