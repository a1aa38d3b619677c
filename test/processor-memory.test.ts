/**
 * The in-process processor under large values (issue 15, points 3 and 7): a span carrying a 50 MB
 * attribute is written without stalling the host's event loop, and spans are bounded in bytes
 * (maxBufferedBytes), not only by count. A real NodeTracerProvider and LocalStorage.
 */
import { performance } from 'node:perf_hooks';
import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionSpanProcessorOptions } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';
import { tempDir } from './support/tmp.js';

function setup(options: SessionSpanProcessorOptions = {}) {
  const dir = tempDir('ams-proc-mem-');
  const storage = new LocalStorage({ dir });
  const written: Session[] = [];
  const processor = new SessionSpanProcessor({ storage, onSessionWritten: ({ session }) => written.push(session), ...options });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('ams-otel-test');
  return { processor, provider, tracer, written, storage };
}

describe('a 50 MB attribute', () => {
  it('is written in the background without blocking the event loop for more than ~100 ms; the value is cut, its size recorded', async () => {
    const { processor, provider, tracer, written } = setup();
    // JSON-looking text, as a tool's output often is (the assembler tries to parse such values).
    // One flat string, as a value read from a file or the network is (not a rope of concatenations).
    const huge = Buffer.concat([Buffer.from('{"rows":"'), Buffer.alloc(50 * 1024 * 1024, 'x'), Buffer.from('"}')]).toString('latin1');
    const run = (value: string) => {
      const root = tracer.startSpan('invoke_agent big', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT } });
      tracer.startSpan('export', { attributes: { 'app.result': value } }, trace.setSpan(context.active(), root)).end();
      return root;
    };
    // A first small session warms up what any first write pays once (code loading, the data folder).
    run('{"rows":"small"}').end();
    await processor.forceFlush();
    written.length = 0;
    const root = run(huge);
    // The longest gap between ticks of a 1 ms interval while the session is written.
    let last = performance.now();
    let stall = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 1);
    root.end();
    await processor.forceFlush();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0)); // one more turn of timers: the tick after the write is counted
    clearInterval(ticker);
    // Today's figure was 1.3 s (the whole value parsed, redacted and serialized on the loop).
    expect(stall).toBeLessThan(100);
    expect(written).toHaveLength(1);
    const ev = written[0]!.events.find((e) => e.type === 'step' && e.name === 'export') as { attributes: Record<string, unknown> };
    expect(ev.attributes[`app.result${sc.AMS_TRUNCATED_SUFFIX}`]).toBe(huge.length);
    expect(String(ev.attributes['app.result']).length).toBeLessThan(2 * 1024 * 1024);
    await provider.shutdown();
  });
});

describe('maxBufferedBytes', () => {
  it('spans past the byte bound: the oldest other trace is written as incomplete, then spans that still do not fit are dropped and counted', async () => {
    const { processor, provider, tracer, written } = setup({ maxBufferedBytes: 1024 * 1024 });
    const text = 'y'.repeat(16 * 1024);
    const agent = (name: string) => tracer.startSpan(`invoke_agent ${name}`, { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: name } });
    const child = (root: ReturnType<typeof agent>, i: number) =>
      tracer.startSpan(`step ${i}`, { attributes: { 'app.payload': text } }, trace.setSpan(context.active(), root)).end();
    // An older run holding ~480 KB, then a newer one sending 16 KB spans well past 1 MB.
    const older = agent('older');
    for (let i = 0; i < 30; i++) child(older, i);
    const newer = agent('newer');
    for (let i = 0; i < 100; i++) child(newer, i);
    expect(processor.stats().bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
    // The older run was written (incomplete) to make room; the newer one's surplus spans were dropped and counted.
    await processor.forceFlush();
    expect(written.map((s) => s.agent.name)).toEqual(['older']);
    expect(written[0]!.status).toBe('incomplete');
    const dropped = processor.stats().droppedSpans.max_buffered_bytes;
    expect(dropped).toBeGreaterThan(30);
    newer.end();
    older.end();
    await processor.forceFlush();
    const session = written.find((s) => s.agent.name === 'newer')!;
    expect(session.status).toBe('incomplete');
    expect(session.spans.dropped).toBe(dropped);
    await provider.shutdown();
  });
});
