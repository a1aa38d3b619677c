/**
 * Re-records the Vercel AI SDK golden files in test/fixtures/vercel-ai/: the real `ai` package
 * against the scripted APIs, its spans as SpanRecords (`<name>.spans.json`, ids renumbered, times
 * moved to 2026-01-01, stack traces cut to their first line) and the session assembled from them
 * (`<name>.session.json`). Run `npx tsx test/support/record-vercel-ai.ts`, then review the diff:
 * a mapping change shows there.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { assembleSession } from '../../src/session/assemble.js';
import { startScriptedApi } from '../../src/demo/scripted-api.js';
import { fromReadableSpan } from '../../src/spans/readable.js';
import type { SpanRecord } from '../../src/spans/record.js';
import { startScriptedOpenAi } from './scripted-openai.js';
import { runVercelAi, scriptFailure, scriptTurns, type Mode, type Provider } from './vercel-ai-run.js';

const EPOCH = Date.UTC(2026, 0, 1);
const dir = path.join(import.meta.dirname, '../fixtures/vercel-ai');

/** Stable ids and times, so a re-recording differs only where the mapping or the SDK did. */
function stabilize(records: SpanRecord[]): SpanRecord[] {
  const sorted = [...records].sort((a, b) => a.startTimeMs - b.startTimeMs || a.name.localeCompare(b.name));
  const t0 = sorted[0]!.startTimeMs;
  const ids = new Map(sorted.map((r, i) => [r.spanId, (i + 1).toString(16).padStart(16, '0')]));
  const at = (t: number) => EPOCH + Math.round(t - t0);
  return sorted.map((r) => ({
    ...r,
    traceId: 'a1000000000000000000000000000001',
    spanId: ids.get(r.spanId)!,
    ...(r.parentSpanId ? { parentSpanId: ids.get(r.parentSpanId) } : {}),
    startTimeMs: at(r.startTimeMs),
    endTimeMs: at(r.endTimeMs),
    events: r.events.map((e) => ({
      ...e,
      timeMs: at(e.timeMs),
      attributes: Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, k === 'exception.stacktrace' && typeof v === 'string' ? v.split('\n', 1)[0] : v])),
    })),
  }));
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const anthropic = await startScriptedApi();
const openai = await startScriptedOpenAi();
const cases: Array<{ name: string; provider: Provider; mode: Mode; fail?: boolean }> = [
  { name: 'anthropic-generate-text', provider: 'anthropic', mode: 'generate' },
  { name: 'anthropic-stream-text', provider: 'anthropic', mode: 'stream' },
  { name: 'openai-responses-stream-text', provider: 'openai-responses', mode: 'stream' },
  { name: 'openai-chat-generate-text', provider: 'openai-chat', mode: 'generate' },
  { name: 'anthropic-model-error', provider: 'anthropic', mode: 'generate', fail: true },
];
for (const c of cases) {
  const exporter = new InMemorySpanExporter();
  const tp = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-svc' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const api = c.provider === 'anthropic' ? anthropic : openai;
  const tag = `golden-${c.name}`;
  if (c.fail) scriptFailure(c.provider, api, tag);
  else scriptTurns(c.provider, api, tag);
  await runVercelAi({ provider: c.provider, mode: c.mode, baseUrl: api.url, tracer: tp.getTracer('ai'), tag }).catch(() => undefined);
  await tp.forceFlush();
  const records = stabilize(exporter.getFinishedSpans().map(fromReadableSpan));
  writeFileSync(path.join(dir, `${c.name}.spans.json`), `${JSON.stringify(records, null, 1)}\n`);
  writeFileSync(path.join(dir, `${c.name}.session.json`), `${JSON.stringify(assembleSession(records), null, 1)}\n`);
  await tp.shutdown();
}
await anthropic.close();
await openai.close();
