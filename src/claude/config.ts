/**
 * Options for the Claude instrumentation, resolved as options > environment > default. The
 * environment applies even when no options object is passed. What is recorded (content, thinking,
 * value length) is the shared capture config of src/emitter; the rest is the session header.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Env } from '../config/env.js';
import { resolveCapture } from '../emitter/capture.js';
import type { CaptureConfig, CaptureOptions } from '../emitter/capture.js';

export { DEFAULT_MAX_ATTRIBUTE_LENGTH } from '../emitter/capture.js';

/** Capture options (captureContent, captureInput, captureOutput, captureThinking, maxAttributeLength) as in src/emitter/capture.ts. */
export interface ClaudeTracingOptions extends CaptureOptions {
  /** Agent name (root span `invoke_agent {name}`); default: the SDK `agent` option, else "claude-agent". */
  agent?: string | { name: string; version?: string };
  /** Deployment environment of this run ("prod", "staging"). */
  environment?: string;
  /** Free-form labels for filtering sessions. */
  tags?: string[];
  /** One `ams.metadata.<key>` attribute per entry. */
  metadata?: Record<string, string | number | boolean>;
  /** Where spans go; default: the global TracerProvider. */
  tracerProvider?: TracerProvider;
  /** Explicit session id (`ams.session.id`); default: derived from the trace. */
  sessionId?: string;
}

export interface ResolvedConfig extends CaptureConfig {
  agentName: string;
  agentVersion?: string;
  environment?: string;
  tags: string[];
  metadata: Record<string, string | number | boolean>;
  sessionId?: string;
}

export function resolveConfig(options: ClaudeTracingOptions = {}, sdkAgent?: string, env: Env = process.env): ResolvedConfig {
  const agent = typeof options.agent === 'string' ? { name: options.agent } : options.agent;
  const config: ResolvedConfig = {
    agentName: agent?.name || sdkAgent || 'claude-agent',
    tags: [...(options.tags ?? [])],
    metadata: { ...(options.metadata ?? {}) },
    ...resolveCapture(options, env),
  };
  if (agent?.version) config.agentVersion = agent.version;
  if (options.environment) config.environment = options.environment;
  if (options.sessionId) config.sessionId = options.sessionId;
  return config;
}
