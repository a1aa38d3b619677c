/**
 * Truths of the document for the Claude Agent SDK path (issue 12): the documented `sessionId`
 * option is the written id, the Agent tool's result is the subagent's answer and usage (not the
 * SDK's bookkeeping), `service` falls back to the agent name, durations are whole milliseconds.
 * The real SDK and CLI binary against the scripted API; one provider feeds both capture paths:
 * the in-process SessionSpanProcessor into LocalStorage, and the real OTLP exporter into a
 * receiver writing to another LocalStorage. Both documents are read back from disk.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tracedQuery } from '../src/claude/index.js';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session } from '../src/index.js';
import type { VersionedSession } from '../src/storage/conditional.js';
import { createReceiver } from '../receiver/index.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { eventsOfType, useHarness } from './support/claude-harness.js';
import { readStore } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

const h = useHarness();

class CountingStorage extends LocalStorage {
  reads = 0;
  override async getSessionVersioned(id: string): Promise<VersionedSession | undefined> {
    this.reads += 1;
    return super.getSessionVersioned(id);
  }
}

const SUB_ANSWER = 'There are 3 files.';

describe('a Claude Agent SDK run with a subagent, on both capture paths', () => {
  let docs: Session[];
  let reads: number[];
  beforeAll(async () => {
    h().api.script([
      {
        name: 'main delegates',
        prompt: '[scenario:truths]',
        blocks: [{ type: 'tool_use', id: 'toolu_agent_truths', name: 'Agent', input: { description: 'Count files', prompt: '[sub:truths] count the files', subagent_type: 'general-purpose', run_in_background: false } }],
      },
      { name: 'sub answers', prompt: '[sub:truths]', blocks: [{ type: 'text', text: SUB_ANSWER }], usage: { input_tokens: 200, output_tokens: 9 } },
      { name: 'main wraps up', after: 'toolu_agent_truths', blocks: [{ type: 'text', text: 'Three files.' }] },
    ]);
    const local = new CountingStorage({ dir: tempDir('claude-truths-local') });
    const remote = new CountingStorage({ dir: tempDir('claude-truths-receiver') });
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: remote, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    // No resource: the SDK's default service name.
    const provider = new NodeTracerProvider({
      spanProcessors: [new SessionSpanProcessor({ storage: local }), new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    });
    try {
      const q = tracedQuery({ prompt: '[scenario:truths] how many files?', agent: 'files-bot', sessionId: 'claude-run-7', tracerProvider: provider, options: h().sandbox.options });
      for await (const m of q) void m;
      await provider.forceFlush();
      await written.next();
    } finally {
      await provider.shutdown();
      await receiver.stop();
    }
    docs = [readStore(local.dir).sessions, readStore(remote.dir).sessions].map((list) => {
      expect(list).toHaveLength(1);
      expectValidSession(list[0]);
      return list[0]!;
    });
    reads = [local.reads, remote.reads];
  });

  it('the sessionId option is the written id, revision 1, after one storage read', () => {
    for (const s of docs) {
      expect(s.id).toBe('claude-run-7');
      expect(s.revision).toBe(1);
      expect(s.traces).toBeUndefined();
    }
    expect(reads).toEqual([1, 1]);
  });

  it("the Agent tool's result is the subagent's answer and usage, nothing of the SDK's internals", () => {
    for (const s of docs) {
      const call = eventsOfType(s.events, 'tool_call').find((t) => t.name === 'Agent')!;
      expect(call.status).toBe('ok');
      const result = call.result as Record<string, unknown>;
      expect(result).toMatchObject({ status: 'completed', text: SUB_ANSWER, usage: { input_tokens: 200, output_tokens: 9 } });
      for (const key of Object.keys(result)) expect(['status', 'text', 'usage', 'total_tokens', 'duration_ms', 'tool_uses']).toContain(key);
      expect(Object.keys(result.usage as object).sort()).toEqual(['cache_creation_input_tokens', 'cache_read_input_tokens', 'input_tokens', 'output_tokens']);
    }
  });

  it('service falls back to the agent name; durations are whole milliseconds', () => {
    for (const s of docs) {
      expect(s.service).toBe('files-bot');
      const durations = eventsOfType(s.events, 'tool_call')
        .map((e) => e.duration_ms)
        .concat(eventsOfType(s.events, 'llm_message').map((e) => e.duration_ms), eventsOfType(s.events, 'subagent').map((e) => e.duration_ms));
      durations.push(s.totals.duration_ms, s.totals.api_duration_ms);
      for (const d of durations) expect(Number.isInteger(d)).toBe(true);
    }
  });

  it('both paths write the same document', () => {
    const strip = (s: Session): Session => JSON.parse(JSON.stringify(s)) as Session;
    expect(strip(docs[1]!)).toEqual(strip(docs[0]!));
  });
});


