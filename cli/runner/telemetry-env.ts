/**
 * The environment `ams run -- <command>` gives the command: Claude Code's built-in telemetry
 * (spans, log events, metrics) switched on and pointed at the embedded receiver. The same
 * variables work for `claude` itself and for any Agent SDK program (its CLI child inherits them).
 */
import type { Env } from '../../src/config/env.js';

export interface TelemetryEnvOptions {
  /** Base URL of the receiver, e.g. http://127.0.0.1:41234 (the exporters append /v1/<signal>). */
  endpoint: string;
  /** Content switches on (prompts, tool details, tool output), unless the user set them already. */
  content: boolean;
  /** Also the raw API request and response bodies (OTEL_LOG_RAW_API_BODIES=1). */
  rawBodies: boolean;
}

/** Forced: where and how to export, so the user's own OTLP settings cannot send the data elsewhere. */
export function forcedTelemetryEnv(endpoint: string): Record<string, string> {
  return {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    // Spans (claude_code.interaction, llm_request, tool, ...); without it only logs and metrics.
    CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  };
}

/** Defaults the user's environment wins over: short export intervals, so a short run exports while it runs. */
export const TELEMETRY_DEFAULTS: Readonly<Record<string, string>> = {
  OTEL_BSP_SCHEDULE_DELAY: '200',
  OTEL_LOGS_EXPORT_INTERVAL: '500',
  OTEL_METRIC_EXPORT_INTERVAL: '1000',
};

export const CONTENT_SWITCHES = ['OTEL_LOG_USER_PROMPTS', 'OTEL_LOG_TOOL_DETAILS', 'OTEL_LOG_TOOL_CONTENT'] as const;
export const RAW_BODIES = 'OTEL_LOG_RAW_API_BODIES';

/** Per-signal settings that would override the forced endpoint and protocol. */
const OVERRIDES = /^OTEL_EXPORTER_OTLP_(TRACES|LOGS|METRICS)_(ENDPOINT|PROTOCOL)$/;

export function telemetryEnv(base: Env, o: TelemetryEnvOptions): Env {
  const env: Env = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !OVERRIDES.test(k)) env[k] = v;
  for (const [k, v] of Object.entries(TELEMETRY_DEFAULTS)) env[k] ??= v;
  if (o.content) for (const k of CONTENT_SWITCHES) env[k] ??= '1';
  if (o.rawBodies) env[RAW_BODIES] ??= '1';
  return { ...env, ...forcedTelemetryEnv(o.endpoint) };
}
