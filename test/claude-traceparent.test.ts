/**
 * tracedQuery hands the CLI a TRACEPARENT naming the run's root span, so when the user also turns
 * on the Claude Code CLI's own telemetry, the CLI's `claude_code.*` spans land in the same trace,
 * under our invoke_agent span. The real SDK and CLI binary against the scripted API; the CLI
 * exports to a loopback OTLP capture server (test/support/otlp-capture.ts), and, for the run that
 * sends both to one receiver, to a real ams receiver.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracedQuery } from '../src/claude/index.js';
import { LocalStorage } from '../src/index.js';
import type { SessionEvent } from '../src/index.js';
import { createReceiver } from '../receiver/index.js';
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

describe('both paths into one receiver: one document, one message per model call', () => {
  it("folds the CLI's own telemetry into tracedQuery's spans (cost and permission lent, nothing doubled)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-both-'));
    const storage = new LocalStorage({ dir });
    const receiver = createReceiver({ storage, walDir: false, workers: 0, waitMs: 1500, env: {} });
    const { url } = await receiver.start({ port: 0 });
    // The app exports its spans (tracedQuery's) to the receiver too, as a collector would.
    const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), { scheduledDelayMillis: 100 })] });
    try {
      const marker = '[tp:both]';
      h().api.script([
        { name: 'both: run', prompt: marker, usage: { input_tokens: 410, output_tokens: 21 }, blocks: [{ type: 'text', text: 'Running it.' }, { type: 'tool_use', id: 'toolu_both', name: 'Bash', input: { command: 'echo both-paths', description: 'Probe' } }] },
        { name: 'both: answer', after: 'toolu_both', usage: { input_tokens: 470, output_tokens: 12 }, blocks: [{ type: 'text', text: 'Done.' }] },
      ]);
      const telemetry = { ...cliTelemetry(url), OTEL_LOGS_EXPORTER: 'otlp', OTEL_LOGS_EXPORT_INTERVAL: '200', OTEL_LOG_TOOL_DETAILS: '1' };
      const q = tracedQuery({
        prompt: `${marker} run it`,
        tracerProvider: provider,
        options: { ...h().sandbox.options, allowedTools: ['Bash'], env: { ...h().sandbox.options.env, ...telemetry } },
      });
      for await (const m of q) void m;
      const traceId = q.tracer.traceId;
      await provider.forceFlush();
      await expect.poll(() => receiver.stats().openTraces + receiver.stats().pendingWrites, { timeout: 30_000 }).toBe(0);
      const doc = await storage.getSession(traceId);
      expect(doc, 'one document, under the run').toBeDefined();
      const events = (function all(es: SessionEvent[]): SessionEvent[] {
        return es.flatMap((e) => (e.type === 'subagent' ? [e, ...all(e.events)] : [e]));
      })(doc!.events);
      const llm = events.filter((e) => e.type === 'llm_message');
      expect(llm.map((m) => m.text)).toEqual(['Running it.', 'Done.']);
      for (const m of llm) expect(m.cost_usd, 'the CLI priced each call').toBeGreaterThan(0);
      const tools = events.filter((e) => e.type === 'tool_call');
      expect(tools).toHaveLength(1);
      expect(tools[0]).toMatchObject({ tool_use_id: 'toolu_both', name: 'Bash', status: 'ok', permission_decision: 'accept' });
      expect(events.filter((e) => e.type === 'user_prompt')).toHaveLength(1);
      expect(doc!.agent.name).not.toBe('claude-code');
      // Nothing else was written for this run: no second document for the CLI's session id.
      const ids: string[] = [];
      for await (const e of storage.listIndex()) ids.push(e.id);
      expect(ids).toEqual([traceId]);
    } finally {
      await provider.shutdown();
      await receiver.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
