/**
 * Options for the Claude instrumentation, resolved as options > environment > default.
 * The environment applies even when no options object is passed.
 */
import { diag } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/api';

/** Longest string attribute value kept whole (characters); longer values are cut with a marker. */
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 64 * 1024;

export interface ClaudeTracingOptions {
  /** Agent name (root span `invoke_agent {name}`); default: the SDK `agent` option, else "claude-agent". */
  agent?: string | { name: string; version?: string };
  /** Deployment environment of this run ("prod", "staging"). */
  environment?: string;
  /** Free-form labels for filtering sessions. */
  tags?: string[];
  /** One `ams.metadata.<key>` attribute per entry. */
  metadata?: Record<string, string | number | boolean>;
  /** Record prompts, text, tool arguments and results (env AMS_CAPTURE_CONTENT, default on). */
  captureContent?: boolean;
  /** Record the model's thinking (env AMS_CAPTURE_THINKING, default on). */
  captureThinking?: boolean;
  /** Cut longer string values (default 64 KiB), keeping `<attr>.original_size`. */
  maxAttributeLength?: number;
  /** Where spans go; default: the global TracerProvider. */
  tracerProvider?: TracerProvider;
  /** Explicit session id (`ams.session.id`); default: derived from the trace. */
  sessionId?: string;
}

export interface ResolvedConfig {
  agentName: string;
  agentVersion?: string;
  environment?: string;
  tags: string[];
  metadata: Record<string, string | number | boolean>;
  captureContent: boolean;
  captureThinking: boolean;
  maxAttributeLength: number;
  sessionId?: string;
}

const TRUE_VALUES = new Set(['1', 'true', 'on', 'yes']);
const FALSE_VALUES = new Set(['0', 'false', 'off', 'no']);

/** One row per environment switch: name, default, parser (opentelemetry-js getBooleanFromEnv style). */
export function booleanFromEnv(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE_VALUES.has(v)) return true;
  if (FALSE_VALUES.has(v)) return false;
  diag.warn(`ams-otel: ignoring ${name}=${JSON.stringify(raw)} (expected one of 1/true/on/yes or 0/false/off/no); using ${String(fallback)}`);
  return fallback;
}

export function resolveConfig(options: ClaudeTracingOptions = {}, sdkAgent?: string, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const agent = typeof options.agent === 'string' ? { name: options.agent } : options.agent;
  const max = options.maxAttributeLength;
  const validMax = typeof max === 'number' && Number.isFinite(max) && max >= 64;
  if (max !== undefined && !validMax) diag.warn(`ams-otel: ignoring maxAttributeLength=${String(max)} (must be a number >= 64)`);
  const config: ResolvedConfig = {
    agentName: agent?.name || sdkAgent || 'claude-agent',
    tags: [...(options.tags ?? [])],
    metadata: { ...(options.metadata ?? {}) },
    captureContent: options.captureContent ?? booleanFromEnv('AMS_CAPTURE_CONTENT', true, env),
    captureThinking: options.captureThinking ?? booleanFromEnv('AMS_CAPTURE_THINKING', true, env),
    maxAttributeLength: validMax ? Math.floor(max) : DEFAULT_MAX_ATTRIBUTE_LENGTH,
  };
  if (agent?.version) config.agentVersion = agent.version;
  if (options.environment) config.environment = options.environment;
  if (options.sessionId) config.sessionId = options.sessionId;
  return config;
}
