/**
 * What the emitter records, for the Claude instrumentation and the generic API alike (the
 * OpenInference `TraceConfig` idea): one option name per concept, one default each, resolved as
 * options > environment > default through the settings table (src/config/env.ts). The
 * environment applies even when no options object is passed.
 */
import { diag } from '@opentelemetry/api';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';

/** Longest string attribute value kept whole (characters); longer values are cut with a marker. */
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = SETTINGS.maxAttributeLength.default;
/** Shorter limits would leave no room for the truncation marker and a useful prefix. */
export const MIN_ATTRIBUTE_LENGTH = 64;

const log = diag.createComponentLogger({ namespace: 'ams-otel/emitter' });

export interface CaptureOptions {
  /** Record prompts, model text, tool arguments and results (env AMS_CAPTURE_CONTENT, default on). */
  captureContent?: boolean;
  /** Record inputs (prompts, tool arguments, call inputs); default: captureContent. */
  captureInput?: boolean;
  /** Record outputs (model text, tool results, return values, stream data); default: captureContent. */
  captureOutput?: boolean;
  /** Record the model's thinking, when outputs are recorded (env AMS_CAPTURE_THINKING, default on). */
  captureThinking?: boolean;
  /** Cut longer string values, keeping `<attr>.original_size` (env AMS_MAX_ATTRIBUTE_LENGTH, default 64 KiB). */
  maxAttributeLength?: number;
}

export interface CaptureConfig {
  captureContent: boolean;
  captureInput: boolean;
  captureOutput: boolean;
  /** Thinking is model output: recorded only when captureOutput is on too. */
  captureThinking: boolean;
  maxAttributeLength: number;
}

export function resolveCapture(options: CaptureOptions = {}, env: Env = process.env): CaptureConfig {
  const content = resolve(SETTINGS.captureContent, options.captureContent, env);
  const captureInput = options.captureInput ?? content;
  const captureOutput = options.captureOutput ?? content;
  let max = options.maxAttributeLength;
  if (max !== undefined && !(typeof max === 'number' && Number.isFinite(max) && max >= MIN_ATTRIBUTE_LENGTH)) {
    log.warn(`ignoring maxAttributeLength=${String(max)} (must be a number >= ${MIN_ATTRIBUTE_LENGTH})`);
    max = undefined;
  }
  return {
    captureContent: content,
    captureInput,
    captureOutput,
    captureThinking: resolve(SETTINGS.captureThinking, options.captureThinking, env),
    maxAttributeLength: Math.floor(resolve(SETTINGS.maxAttributeLength, max, env)),
  };
}
