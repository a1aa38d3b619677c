/** Privacy options and their resolution: options > environment (AMS_REDACT, AMS_CAPTURE_*) > default. */
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import type { JsonValue } from '../session/types.js';
import type { RedactionPattern } from './patterns.js';
import { DEFAULT_PATTERNS } from './patterns.js';

export interface MaskArgs {
  /** The value about to be written: a string, or JSON for tool input / output and step attributes. */
  data: JsonValue;
  /** Where it sits, e.g. `tool_call.input`, `llm_message.text`, `user_prompt.prompt`. */
  field: string;
}

export interface PrivacyOptions {
  /** Redact PII and secrets in every string of the document. Env `AMS_REDACT`; default off. */
  redact?: boolean;
  /**
   * Field names whose values are replaced wherever they appear (tool input / output, step
   * attributes, metadata; JSON inside strings too). Matched case- and separator-insensitively:
   * `apiKey` matches `api_key` and `API-KEY`. Applies whether or not `redact` is on; with
   * `redact` on, DEFAULT_REDACT_KEYS are added.
   */
  redactKeys?: readonly string[];
  /** Extra patterns, run after the built-in ones (which only run when `redact` is on). */
  redactPatterns?: readonly RedactionPattern[];
  /**
   * `false` is privacy mode: prompts, messages, tool input / output, error texts and string
   * attributes are dropped; names, timings, counts, usage and failure classes stay.
   * Env `AMS_CAPTURE_CONTENT`; default on.
   */
  captureContent?: boolean;
  /** `false` drops model thinking. Env `AMS_CAPTURE_THINKING`; default on. */
  captureThinking?: boolean;
  /**
   * Your own masking, run last on each content value. Must be synchronous. If it throws (or
   * returns a Promise or undefined) the value becomes MASK_FAILED: masks fail closed.
   */
  mask?(args: MaskArgs): unknown;
}

export interface ResolvedPrivacy {
  redact: boolean;
  /** Normalized (lowercase, alphanumerics only). */
  redactKeys: ReadonlySet<string>;
  patterns: readonly RedactionPattern[];
  captureContent: boolean;
  captureThinking: boolean;
  mask?: PrivacyOptions['mask'];
  /** True when nothing would change: applyPrivacy returns the session untouched. */
  noop: boolean;
}

/** Field names redacted whenever `redact` is on (values of these keys are secrets by name). */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'private_key',
  'aws_secret_access_key',
  // AWS CLI / STS JSON (`"SecretAccessKey"`, `"SessionToken"`), matched separator-insensitively.
  'secret_access_key',
  'session_token',
  'security_token',
  'ssn',
  'credit_card',
  'card_number',
  'cvv',
];

export const normalizeKey = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, '');

export function resolvePrivacy(options: PrivacyOptions = {}, env: Env = process.env): ResolvedPrivacy {
  const redact = resolve(SETTINGS.redact, options.redact, env);
  const captureContent = resolve(SETTINGS.captureContent, options.captureContent, env);
  const captureThinking = resolve(SETTINGS.captureThinking, options.captureThinking, env);
  const keys = new Set<string>((options.redactKeys ?? []).map(normalizeKey).filter((k) => k !== ''));
  if (redact) for (const k of DEFAULT_REDACT_KEYS) keys.add(normalizeKey(k));
  const patterns = [...(redact ? DEFAULT_PATTERNS : []), ...(options.redactPatterns ?? [])];
  const mask = typeof options.mask === 'function' ? options.mask : undefined;
  return {
    redact,
    redactKeys: keys,
    patterns,
    captureContent,
    captureThinking,
    mask,
    noop: patterns.length === 0 && keys.size === 0 && captureContent && captureThinking && !mask,
  };
}
