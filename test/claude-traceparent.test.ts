/**
 * tracedQuery hands the CLI a TRACEPARENT naming the run's root span, so when the user also turns
 * on the Claude Code CLI's own telemetry, the CLI's `claude_code.*` spans land in the same trace,
 * under our invoke_agent span. The real SDK and CLI binary against the scripted API; the CLI
 * exports to a loopback OTLP capture server (test/support/otlp-capture.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracedQuery } from '../src/claude/index.js';
import { startOtlpCapture } from './support/otlp-capture.js';
import type { OtlpCapture } from './support/otlp-capture.js';
import { useHarness } from './support/claude-harness.js';

const h = useHarness();
let capture: OtlpCapture;
beforeAll(async () => {
  capture = await startOtlpCapture();
});
afterAll(async () => {
  await capture.close();
});

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

/** Every span the CLI exported whose `user_prompt`... is the interaction of `marker`. */
function interactionsOf(marker: string): JsonSpan[] {
  const spans: JsonSpan[] = [];
  for (const r of capture.of('traces')) {
    const body = r.json as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: JsonSpan[] }> }> };
    for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
  }
  return spans.filter((s) => s.name === 'claude_code.interaction' && s.attributes?.some((a) => a.key === 'user_prompt' && a.value.stringValue?.includes(marker)));
}

const cliTelemetry = (endpoint: string): Record<string, string> => ({
  CLAUDE_CODE_ENABLE_TELEMETRY: '1',
  CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_LOG_USER_PROMPTS: '1',
});

async function run(marker: string, extraEnv: Record<string, string> = {}): Promise<{ traceId: string; rootSpanId: string }> {
  h().api.script([{ name: 'answer', prompt: marker, blocks: [{ type: 'text', text: 'ok' }] }]);
  const q = tracedQuery({
    prompt: `${marker} hello`,
    tracerProvider: h().provider,
    options: { ...h().sandbox.options, env: { ...h().sandbox.options.env, ...cliTelemetry(capture.url), ...extraEnv } },
  });
  for await (const m of q) void m;
  return { traceId: q.tracer.traceId, rootSpanId: q.tracer.rootSpanContext!.spanId };
}

describe('the CLI joins the traced run', () => {
  it("puts the CLI's claude_code.interaction in our trace, under our invoke_agent span", async () => {
    const { traceId, rootSpanId } = await run('[tp:ours]');
    await expect.poll(() => interactionsOf('[tp:ours]').length, { timeout: 20_000 }).toBe(1);
    const [interaction] = interactionsOf('[tp:ours]');
    expect(interaction!.traceId).toBe(traceId);
    expect(interaction!.parentSpanId).toBe(rootSpanId);
    const source = interaction!.attributes?.find((a) => a.key === 'parent.source')?.value.stringValue;
    expect(source).toBe('env');
  });

  it("leaves a TRACEPARENT the caller set alone (theirs wins, as the SDK's own injection does)", async () => {
    const theirs = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await run('[tp:theirs]', { TRACEPARENT: theirs });
    await expect.poll(() => interactionsOf('[tp:theirs]').length, { timeout: 20_000 }).toBe(1);
    const [interaction] = interactionsOf('[tp:theirs]');
    expect(interaction!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(interaction!.parentSpanId).toBe('00f067aa0ba902b7');
  });
});
