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
const TIMESTAMP = 'ai.response.timestamp';
const MS_TO_FIRST_CHUNK = 'ai.response.msToFirstChunk';
const MS_TO_FINISH = 'ai.response.msToFinish';
const TOKENS_PER_SECOND = 'ai.response.avgOutputTokensPerSecond';

/**
 * Stable ids and times, so a re-recording differs only where the mapping or the SDK did: spans in
 * tree order (concurrent tool calls by tool name), each instant (a span's start, its end) 10 ms
 * after the previous one, events 1 ms apart after their span's start; the SDK's timing
 * attributes recomputed from those.
 */
function stabilize(records: SpanRecord[]): SpanRecord[] {
  const children = new Map<string | undefined, SpanRecord[]>();
  for (const r of records) children.set(r.parentSpanId, [...(children.get(r.parentSpanId) ?? []), r]);
  const toolName = (r: SpanRecord) => (r.name === 'ai.toolCall' ? String(r.attributes['ai.toolCall.name']) : '');
  const ordered: SpanRecord[] = [];
  const times = new Map<string, { start: number; end: number }>();
  let clock = EPOCH;
  const visit = (r: SpanRecord) => {
    const start = clock;
    clock += 10;
    ordered.push(r);
    const kids = [...(children.get(r.spanId) ?? [])].sort((a, b) => (toolName(a) && toolName(b) ? toolName(a).localeCompare(toolName(b)) : a.startTimeMs - b.startTimeMs));
    for (const k of kids) visit(k);
    times.set(r.spanId, { start, end: clock });
    clock += 10;
  };
  for (const r of records) if (!r.parentSpanId) visit(r);
  const ids = new Map(ordered.map((r, i) => [r.spanId, (i + 1).toString(16).padStart(16, '0')]));
  return ordered.map((r) => {
    const { start, end } = times.get(r.spanId)!;
    const attributes = { ...r.attributes };
    if (attributes[TIMESTAMP] !== undefined) attributes[TIMESTAMP] = new Date(start).toISOString();
    if (attributes[MS_TO_FIRST_CHUNK] !== undefined) attributes[MS_TO_FIRST_CHUNK] = 1;
    if (attributes[MS_TO_FINISH] !== undefined) {
      attributes[MS_TO_FINISH] = end - start;
      if (attributes[TOKENS_PER_SECOND] !== undefined) {
        // Recomputed for the synthetic clock; left out when the output count is unknown.
        const out = attributes['ai.usage.outputTokens'];
        if (typeof out === 'number') attributes[TOKENS_PER_SECOND] = (1000 * out) / (end - start);
        else delete attributes[TOKENS_PER_SECOND];
      }
    }
    return {
      ...r,
      traceId: 'a1000000000000000000000000000001',
      spanId: ids.get(r.spanId)!,
      ...(r.parentSpanId ? { parentSpanId: ids.get(r.parentSpanId) } : {}),
      startTimeMs: start,
      endTimeMs: end,
      attributes,
      events: r.events.map((e, i) => ({
        ...e,
        timeMs: start + 1 + i,
        attributes: Object.fromEntries(
          Object.entries(e.attributes).map(([k, v]) => [
            k,
            k === 'exception.stacktrace' && typeof v === 'string' ? v.split('\n', 1)[0] : k === MS_TO_FIRST_CHUNK ? 1 : k === MS_TO_FINISH ? end - start : v,
          ]),
        ),
      })),
    };
  });
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
