/**
 * Truths of the written document on our own paths (issue 12): the session id the caller chose,
 * the system prompt, one `models` entry per model, `error_type`, a tool call whose execution
 * failed, the service name, whole-millisecond durations. One generic-API run, captured by both
 * paths at once: the in-process SessionSpanProcessor into LocalStorage, and the receiver (real
 * OTLP exporter) into another LocalStorage; both documents are read back from disk.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { createTracing, LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionEvent } from '../src/index.js';
import type { VersionedSession } from '../src/storage/conditional.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { allEvents, ofType, readStore } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

/** The real LocalStorage, counting the reads the writer makes before a conditional write. */
class CountingStorage extends LocalStorage {
  reads = 0;
  override async getSessionVersioned(id: string): Promise<VersionedSession | undefined> {
    this.reads += 1;
    return super.getSessionVersioned(id);
  }
}

class RateLimitError extends Error {
  override name = 'RateLimitError';
  status = 429;
}

interface BothWays {
  inProcess: Session;
  fromReceiver: Session;
  inProcessReads: number;
  receiverReads: number;
}

/** Runs `agent` through one provider with both capture paths; returns each path's document as stored on disk. */
async function runBothWays(agent: (t: ReturnType<typeof createTracing>, provider: NodeTracerProvider) => Promise<unknown>): Promise<BothWays> {
  const localDir = tempDir('truths-local');
  const receiverDir = tempDir('truths-receiver');
  const local = new CountingStorage({ dir: localDir });
  const remote = new CountingStorage({ dir: receiverDir });
  const written = new WrittenSessions();
  const receiver = createReceiver({ storage: remote, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
  const { url } = await receiver.start({ port: 0 });
  // No resource given: the SDK names the service `unknown_service:node`.
  const provider = new NodeTracerProvider({
    spanProcessors: [new SessionSpanProcessor({ storage: local }), new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  try {
    const t = createTracing({ tracerProvider: provider, env: {} });
    await agent(t, provider).catch(() => undefined);
    await provider.forceFlush();
    await written.next();
  } finally {
    await provider.shutdown();
    await receiver.stop();
  }
  const a = readStore(localDir).sessions;
  const b = readStore(receiverDir).sessions;
  expect(a).toHaveLength(1);
  expect(b).toHaveLength(1);
  expectValidSession(a[0]);
  expectValidSession(b[0]);
  return { inProcess: a[0]!, fromReceiver: b[0]!, inProcessReads: local.reads, receiverReads: remote.reads };
}

function durations(events: SessionEvent[]): number[] {
  const out: number[] = [];
  for (const e of allEvents(events)) {
    if ('duration_ms' in e) out.push(e.duration_ms);
    if (e.type === 'llm_message' && e.ttft_ms !== undefined) out.push(e.ttft_ms);
  }
  return out;
}

describe('what the document says of a generic-API run, on both capture paths', () => {
  let run: BothWays;
  beforeAll(async () => {
    run = await runBothWays((t, provider) =>
      t.startSession({ agent: 'truths-bot', sessionId: 'run-42', systemPrompt: 'Answer in one line.', prompt: 'hi' }, async () => {
        await t.llmCall('gpt-4o-mini', (c) => {
          c.setResponseModel('gpt-4o-mini-2024-07-18');
          c.setUsage({ inputTokens: 10, outputTokens: 2 });
          c.span.setAttribute('ams.llm.ttft_ms', 12.6);
          return 'hello';
        });
        // Failed before any response: known only by the requested name.
        try {
          t.llmCall('gpt-4o-mini', () => {
            throw new RateLimitError('slow down');
          });
        } catch {
          // rethrown unchanged, as documented
        }
        // The tool's own span reports nothing; the execution under it (another instrumentation's span) failed.
        await t.toolCall('search', () => {
          const exec = provider.getTracer('http').startSpan('GET /search');
          exec.setAttribute('error.type', '503');
          exec.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 503 from search backend' });
          exec.end();
          return undefined;
        });
        // A tool whose first attempt failed and second succeeded: a success.
        await t.toolCall('fetch', () => {
          const tracer = provider.getTracer('http');
          // Explicit times: the attempts' order must not depend on the clock's resolution.
          const t0 = Date.now();
          const first = tracer.startSpan('GET /a', { startTime: t0 - 30 });
          first.setStatus({ code: SpanStatusCode.ERROR, message: 'reset' });
          first.end(t0 - 20);
          tracer.startSpan('GET /a', { startTime: t0 - 10 }).end(t0);
          return 'page';
        });
      }),
    );
  });

  it('the documented sessionId option is the id, written once (revision 1) after one storage read, on both paths', () => {
    for (const s of [run.inProcess, run.fromReceiver]) {
      expect(s.id).toBe('run-42');
      expect(s.id).not.toBe(s.trace_id);
      expect(s.revision).toBe(1);
      expect(s.traces).toBeUndefined();
    }
    expect(run.inProcessReads).toBe(1);
    expect(run.receiverReads).toBe(1);
  });

  it('the generic API records the system prompt', () => {
    for (const s of [run.inProcess, run.fromReceiver]) expect(s.system_prompt).toBe('Answer in one line.');
  });

  it('one models entry per model: keyed by the answering name, with the requested name inside', () => {
    for (const s of [run.inProcess, run.fromReceiver]) {
      expect(Object.keys(s.models)).toEqual(['gpt-4o-mini-2024-07-18']);
      expect(s.models['gpt-4o-mini-2024-07-18']).toMatchObject({ request_model: 'gpt-4o-mini', input_tokens: 10, output_tokens: 2 });
    }
  });

  it('error.type shows on the failed model call and on its failure event', () => {
    for (const s of [run.inProcess, run.fromReceiver]) {
      const failed = ofType(s.events, 'llm_message').find((m) => m.error);
      expect(failed).toMatchObject({ error: 'slow down', error_type: 'RateLimitError' });
      expect(ofType(s.events, 'failure')).toEqual([expect.objectContaining({ category: 'model', code: 'rate_limit', error_type: 'RateLimitError' })]);
      expect(ofType(s.events, 'llm_message').find((m) => !m.error)).not.toHaveProperty('error_type');
    }
  });

  it('a tool call whose execution span failed shows the error; one whose retry succeeded does not', () => {
    for (const s of [run.inProcess, run.fromReceiver]) {
      const [search, fetch] = ofType(s.events, 'tool_call');
      expect(search).toMatchObject({ name: 'search', status: 'error', error: 'HTTP 503 from search backend', error_type: '503' });
      expect(fetch).toMatchObject({ name: 'fetch', status: 'ok', error: null });
      expect(fetch).not.toHaveProperty('error_type');
    }
  });

  it('service falls back to the agent name when none was set', () => {
    for (const s of [run.inProcess, run.fromReceiver]) expect(s.service).toBe('truths-bot');
  });

  it('durations are whole milliseconds everywhere', () => {
    for (const s of [run.inProcess, run.fromReceiver]) {
      const all = [...durations(s.events), s.totals.duration_ms, s.totals.api_duration_ms];
      expect(all.length).toBeGreaterThan(4);
      for (const d of all) expect(Number.isInteger(d)).toBe(true);
      expect(ofType(s.events, 'llm_message')[0]!.ttft_ms).toBe(13);
    }
  });

  it('both paths write the same document', () => {
    expect(run.fromReceiver).toEqual(run.inProcess);
  });
});

describe('a service name the user set is kept', () => {
  it('service.name from the resource, not the agent name', async () => {
    const dir = tempDir('truths-service');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout' }),
      spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir }) })],
    });
    const t = createTracing({ tracerProvider: provider, env: {} });
    await t.startSession({ agent: 'cart-agent' }, () => trace.getActiveSpan()?.setAttribute('x', 1));
    await provider.forceFlush();
    await provider.shutdown();
    const [s] = readStore(dir).sessions;
    expect(s!.service).toBe('checkout');
    expect(s!.agent.name).toBe('cart-agent');
  });
});
