import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Span, Tracer } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionSpanProcessorOptions, SessionStorage } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';
import { tempDir } from './support/tmp.js';
import { readIndexSync, readSessionsSync } from './support/store.js';

function setup(options: SessionSpanProcessorOptions = {}) {
  const dir = tempDir('proc');
  const storage = options.storage ?? new LocalStorage({ dir });
  const written: Session[] = [];
  const processor = new SessionSpanProcessor({ storage, onSessionWritten: ({ session }) => written.push(session), ...options });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  return { dir, processor, provider, tracer, written };
}

function readStore(dir: string): { index: unknown[]; sessions: Session[] } {
  return { index: readIndexSync(dir), sessions: readSessionsSync(dir) };
}

const agentAttrs = (name: string) => ({ [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: name });
/**
 * Yields to the event loop 1-3 times (deterministically staggered per call), so concurrent runs
 * interleave at every span without timers or randomness.
 */
let pauses = 0;
const pause = async (): Promise<void> => {
  for (let n = 1 + (pauses++ % 3); n > 0; n--) await new Promise<void>((r) => setImmediate(r));
};

/** An agent run that yields to the event loop between every span, so many runs interleave. */
async function interleavedRun(tracer: Tracer, i: number): Promise<void> {
  const root = tracer.startSpan(`invoke_agent bot-${i}`, { attributes: { ...agentAttrs(`bot-${i}`), [`${sc.AMS_METADATA_PREFIX}run`]: i } });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  root.addEvent(sc.EVENT_USER_PROMPT, { [sc.AMS_PROMPT]: `task ${i}` });
  await pause();
  for (let turn = 0; turn < 3; turn++) {
    const chat = tracer.startSpan('chat m', { kind: SpanKind.CLIENT, attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT, [sc.GEN_AI_USAGE_INPUT_TOKENS]: 10, [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: i } }, ctx);
    await pause();
    chat.end();
    const tool = tracer.startSpan('execute_tool Bash', {
      attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL, [sc.GEN_AI_TOOL_NAME]: 'Bash', [sc.GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify({ run: i, turn }) },
    }, ctx);
    if (i % 10 === 0 && turn === 1) {
      const sub = tracer.startSpan('invoke_agent helper', { attributes: { ...agentAttrs('helper'), [sc.AMS_SUBAGENT_PROMPT]: `help ${i}` } }, trace.setSpan(ctx, tool));
      await pause();
      sub.end();
    }
    await pause();
    tool.end();
  }
  root.end();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionSpanProcessor with a real NodeTracerProvider', () => {
  it('writes 100 interleaved concurrent sessions, each once and with only its own spans', async () => {
    const { dir, processor, provider, tracer, written } = setup();
    await Promise.all(Array.from({ length: 100 }, (_, i) => interleavedRun(tracer, i)));
    await processor.forceFlush();

    expect(written).toHaveLength(100);
    expect(new Set(written.map((s) => s.id)).size).toBe(100);
    const { index, sessions } = readStore(dir);
    expect(index).toHaveLength(100);
    for (const s of sessions) {
      expectValidSession(s);
      const run = s.metadata.run as number;
      expect(s.agent.name).toBe(`bot-${run}`);
      expect(s.status).toBe('ok');
      const tools = s.events.filter((e) => e.type === 'tool_call');
      expect(tools).toHaveLength(3);
      for (const t of tools) expect(t.type === 'tool_call' && (t.input as { run: number }).run).toBe(run);
      expect(s.totals.output_tokens).toBe(3 * run);
      expect(s.totals.subagents).toBe(run % 10 === 0 ? 1 : 0);
      if (run % 10 === 0) expect(s.events.find((e) => e.type === 'subagent')).toMatchObject({ why: `help ${run}` });
    }
    for (const e of index) expectValidIndexEntry(e);
    expect(processor.stats()).toMatchObject({ openTraces: 0, bufferedSpans: 0, sessionsWritten: 100, writeFailures: 0 });
    await provider.shutdown();
  });

  it('drops traces with no gen_ai span without buffering them', async () => {
    const { dir, processor, provider, tracer, written } = setup();
    const http = tracer.startSpan('GET /health', { kind: SpanKind.SERVER });
    tracer.startSpan('db.query', {}, trace.setSpan(ROOT_CONTEXT, http)).end();
    expect(processor.stats().openTraces).toBe(0);
    http.end();
    await processor.forceFlush();
    expect(written).toHaveLength(0);
    expect(readStore(dir).index).toHaveLength(0);
    expect(processor.stats()).toMatchObject({ openTraces: 0, bufferedSpans: 0 });
    await provider.shutdown();
  });

  it('counts spans beyond maxSpansPerTrace and writes the session as incomplete', async () => {
    const { processor, provider, tracer, written } = setup({ maxSpansPerTrace: 5 });
    const run = emitAgentRun(tracer, { startMs: Date.now() });
    await processor.forceFlush();
    expect(run.spanCount).toBe(11);
    expect(written).toHaveLength(1);
    expect(written[0]!.status).toBe('incomplete');
    expect(written[0]!.spans.dropped).toBe(6);
    expect(written[0]!.status_reason).toContain('6 span(s) dropped');
    expect(processor.stats().droppedSpans.max_spans_per_trace).toBe(6);
    expectValidSession(written[0]);
    await provider.shutdown();
  });

  it('makes room at maxTraces by writing the oldest open trace as incomplete', async () => {
    const { processor, provider, tracer, written } = setup({ maxTraces: 2 });
    const runs = [0, 1, 2].map((i) => emitAgentRun(tracer, { agent: `a${i}`, endRoot: false }));
    await processor.forceFlush();
    expect(written.map((s) => s.agent.name)).toEqual(['a0']); // the open root is written as it stands
    expect(written[0]!.trace_id).toBe(runs[0]!.traceId);
    expect(written[0]!.status).toBe('incomplete');
    expect(written[0]!.status_reason).toMatch(/maxTraces/);
    runs[1]!.root.end();
    runs[2]!.root.end();
    await processor.forceFlush();
    // Writes run concurrently: compare without depending on which finished first.
    expect(written.slice(1).map((s) => [s.agent.name, s.status]).sort()).toEqual([['a1', 'ok'], ['a2', 'ok']]);
    expect(processor.stats().tracesEvicted).toBe(1);
    await provider.shutdown();
  });

  it('bounds spans across traces: past maxBufferedSpans the oldest open trace is written as incomplete', async () => {
    const { processor, provider, tracer, written } = setup({ maxBufferedSpans: 25 });
    const runs = [0, 1, 2].map((i) => emitAgentRun(tracer, { agent: `a${i}`, endRoot: false })); // 10 ended spans each
    await processor.forceFlush();
    expect(processor.stats().bufferedSpans).toBeLessThanOrEqual(25);
    expect(written.map((s) => [s.agent.name, s.status])).toEqual([['a0', 'incomplete']]);
    for (const r of runs) r.root.end();
    await processor.forceFlush();
    expect(written.map((s) => s.agent.name).sort()).toEqual(['a0', 'a1', 'a2']);
    expect(processor.stats().droppedSpans.late).toBe(1); // a0's root, ended after its forced write
    await provider.shutdown();
  });

  it('writes a trace open longer than maxAgeMs as incomplete (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { processor, provider, tracer, written } = setup({ maxAgeMs: 60_000 });
    emitAgentRun(tracer, { endRoot: false });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(written).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20_000);
    await processor.forceFlush();
    expect(written).toHaveLength(1);
    expect(written[0]!.status).toBe('incomplete');
    expect(written[0]!.status_reason).toMatch(/maxAgeMs/);
    expect(processor.stats().tracesExpired).toBe(1);
    await provider.shutdown();
  });

  it('waits waitMs after the root ends so a straggler still makes the session (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { provider, tracer, written } = setup({ waitMs: 500 });
    const root = tracer.startSpan('invoke_agent bot', { attributes: agentAttrs('bot') });
    const late = tracer.startSpan('execute_tool Bash', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL, [sc.GEN_AI_TOOL_NAME]: 'Bash' } }, trace.setSpan(ROOT_CONTEXT, root));
    root.end();
    await vi.advanceTimersByTimeAsync(200);
    expect(written).toHaveLength(0);
    late.end();
    await vi.advanceTimersByTimeAsync(400);
    await vi.waitFor(() => expect(written).toHaveLength(1));
    expect(written[0]!.totals.tool_calls).toBe(1);
    expect(written[0]!.status).toBe('ok');
    await provider.shutdown();
  });

  it('shutdown writes what is pending: ended roots complete, open ones incomplete', async () => {
    const { dir, provider, tracer, written } = setup({ waitMs: 60_000 });
    emitAgentRun(tracer, { agent: 'finished' });
    emitAgentRun(tracer, { agent: 'running', endRoot: false });
    expect(written).toHaveLength(0);
    await provider.shutdown();
    const byName = Object.fromEntries(written.map((s) => [s.agent.name, s]));
    expect(byName.finished?.status).toBe('ok');
    expect(byName.running?.status).toBe('incomplete');
    expect(byName.running?.status_reason).toMatch(/shutdown/);
    expect(byName.running?.events.some((e) => e.type === 'subagent')).toBe(true);
    expect(readStore(dir).index).toHaveLength(2);
  });

  it('splits two top-level agent runs inside one request into two sessions', async () => {
    const { provider, tracer, written } = setup();
    const http = tracer.startSpan('POST /ask', { kind: SpanKind.SERVER });
    const parent = trace.setSpan(ROOT_CONTEXT, http);
    emitAgentRun(tracer, { agent: 'first', parent, subagent: false });
    emitAgentRun(tracer, { agent: 'second', parent, subagent: false });
    http.end();
    await provider.forceFlush();
    expect(written.map((s) => s.agent.name).sort()).toEqual(['first', 'second']);
    expect(new Set(written.map((s) => s.id)).size).toBe(2);
    expect(written.every((s) => s.trace_id === written[0]!.trace_id && s.status === 'ok')).toBe(true);
    await provider.shutdown();
  });

  it('never throws into the agent when storage fails, and counts the failure', async () => {
    const failing: SessionStorage = {
      putSession: () => {
        throw new Error('disk on fire');
      },
    };
    const { processor, provider, tracer } = setup({ storage: failing });
    expect(() => emitAgentRun(tracer)).not.toThrow();
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ writeFailures: 1, sessionsWritten: 0 });
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });

  it('runs storage I/O with tracing suppressed', async () => {
    // Context only flows through async calls with a context manager, as in any real setup.
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    let recording: boolean | undefined;
    const ref: { tracer?: Tracer } = {};
    const storage: SessionStorage = {
      putSession: async () => {
        const inner: Span = ref.tracer!.startSpan('s3.PutObject', { attributes: { [sc.GEN_AI_OPERATION_NAME]: 'chat' } });
        recording = inner.isRecording();
        inner.end();
        return 'key';
      },
    };
    const { processor, provider, tracer, written } = setup({ storage });
    ref.tracer = tracer;
    emitAgentRun(tracer);
    await processor.forceFlush();
    expect(written).toHaveLength(1);
    expect(recording).toBe(false);
    expect(processor.stats().openTraces).toBe(0);
    await provider.shutdown();
    context.disable();
  });

  it('takes its storage from the environment when given no options', async () => {
    const dir = tempDir('env');
    vi.stubEnv('AMS_LOCAL_DIR', dir);
    try {
      const processor = new SessionSpanProcessor();
      const provider = new NodeTracerProvider({ spanProcessors: [processor] });
      emitAgentRun(provider.getTracer('t'));
      await provider.shutdown();
      expect(readStore(dir).index).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('does nothing when disabled', async () => {
    const { dir, processor, provider, tracer, written } = setup({ enabled: false });
    emitAgentRun(tracer);
    await provider.shutdown();
    expect(written).toHaveLength(0);
    expect(readStore(dir).index).toHaveLength(0);
    expect(processor.stats().sessionsEmitted).toBe(0);
  });

  it('counts a span that ends after its session was written as late', async () => {
    const { processor, provider, tracer, written } = setup();
    const root = tracer.startSpan('invoke_agent bot', { attributes: agentAttrs('bot') });
    const straggler = tracer.startSpan('execute_tool Bash', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL } }, trace.setSpan(ROOT_CONTEXT, root));
    root.setStatus({ code: SpanStatusCode.OK });
    root.end();
    await processor.forceFlush();
    expect(written).toHaveLength(1);
    straggler.end();
    await processor.forceFlush();
    expect(written).toHaveLength(1);
    expect(processor.stats().droppedSpans.late).toBe(1);
    await provider.shutdown();
  });
});

describe('flush and shutdown deadline', () => {
  it('forceFlush gives up on a hung storage after flushTimeoutMs; shutdown spools what it has not taken within shutdownTimeoutMs', async () => {
    vi.stubEnv('AMS_SPOOL_DIR', tempDir('spool-hung'));
    const puts: string[] = [];
    // A storage whose writes never finish (a hung mount or socket); its own deadline is out of the way here.
    const hung: SessionStorage = { putSession: (s) => (puts.push(s.id), new Promise<string>(() => {})) };
    const { processor, provider, tracer } = setup({ storage: hung, flushTimeoutMs: 50, storageTimeoutMs: 0, shutdownTimeoutMs: 500 });
    try {
      emitAgentRun(tracer);
      await processor.forceFlush();
      expect(puts).toHaveLength(1);
      expect(processor.stats()).toMatchObject({ sessionsWritten: 0, pendingWrites: 1, timedOutWrites: 1 });
      await provider.shutdown();
      expect(processor.stats()).toMatchObject({ sessionsWritten: 0, sessionsSpooled: 1, pendingWrites: 0, timedOutWrites: 1 });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
