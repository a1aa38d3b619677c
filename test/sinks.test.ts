/**
 * Sinks beside local / S3: the console summary, the JSONL file, fan-out, and enabled: false —
 * each behind a real provider and SessionSpanProcessor.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSink, createTracing, fanOut, JsonlSink, LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { AgentTracing, Session, SessionStorage } from '../src/index.js';
import { readStore } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

function pipeline(storage: SessionStorage, enabled = true) {
  const processor = new SessionSpanProcessor({ storage, enabled, maxConcurrentWrites: 4 });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  return { provider, t: createTracing({ tracerProvider: provider, env: {} }) };
}

async function run(t: AgentTracing, i: number): Promise<void> {
  await t.startSession({ agent: 'sink-bot', environment: 'test', prompt: `question number ${i} ${'x'.repeat(100)}` }, async () => {
    await t.llmCall('gpt-4o', (c) => {
      c.setUsage({ inputTokens: 100 + i, outputTokens: 10 });
      c.setCost(0.0015);
      return 'answer';
    });
    await t.toolCall('lookup', () => ({ ok: true }));
    await t.toolCall('flaky', async () => {
      throw Object.assign(new Error('took too long'), { name: 'TimeoutError' });
    }).catch(() => undefined);
  });
}

describe('ConsoleSink', () => {
  it('prints one compact summary per completed session, plus its failures', async () => {
    const out: string[] = [];
    const { provider, t } = pipeline(new ConsoleSink({ write: (s) => out.push(s) }));
    await run(t, 1);
    await provider.forceFlush();
    expect(out).toHaveLength(1);
    const [summary, failure] = out[0]!.trimEnd().split('\n');
    expect(out[0]!.endsWith('\n')).toBe(true);
    expect(summary).toMatch(/^\[ams\] ✓ ok · sink-bot \(test\) · \d+ms · 1 llm · 2 tools · 1 error · 1 failure · 101→10 tok · \$0\.0015 · gpt-4o · "question number 1 x+…" · id [0-9a-f]{32}$/);
    expect(summary!.match(/"([^"]*)"/)![1]!.length).toBe(80);
    expect(failure).toBe('      failure tool/timeout in flaky: took too long');
    expect(summary).not.toContain('\u001b['); // no colour codes into an injected writer
  });

  it("format: 'json' prints the whole document", async () => {
    const out: string[] = [];
    const { provider, t } = pipeline(new ConsoleSink({ write: (s) => out.push(s), format: 'json' }));
    await run(t, 2);
    await provider.forceFlush();
    const doc = JSON.parse(out.join('')) as Session;
    expectValidSession(doc);
    expect(doc.agent.name).toBe('sink-bot');
  });
});

describe('JsonlSink', () => {
  it('appends one valid session per line, concurrent writes never interleave, the folder is created', async () => {
    const file = path.join(tempDir('jsonl'), 'nested', 'dir', 'sessions.jsonl');
    const keys: string[] = [];
    const sink = new JsonlSink({ path: file });
    const processor = new SessionSpanProcessor({ storage: sink, maxConcurrentWrites: 4, onSessionWritten: ({ key }) => keys.push(key) });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const t = createTracing({ tracerProvider: provider, env: {} });
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => run(t, i)));
    await provider.forceFlush();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines).toHaveLength(8);
    const docs = lines.map((l) => JSON.parse(l) as Session);
    docs.forEach((d) => expectValidSession(d));
    expect(new Set(docs.map((d) => d.id)).size).toBe(8);
    expect(docs.map((d) => d.totals.input_tokens).sort()).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
    expect(keys.sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${file}#${n}`).sort());
  });

  it('a failed append reaches its caller and later appends still work', async () => {
    const base = tempDir('jsonl-fail');
    const sink = new JsonlSink({ path: path.join(base, 'is-a-dir') });
    mkdirSync(path.join(base, 'is-a-dir')); // appending to a directory fails (EISDIR)
    await expect(sink.putSession(await oneSession())).rejects.toThrow();
    const ok = new JsonlSink({ path: path.join(base, 'ok.jsonl') });
    await expect(ok.putSession(await oneSession())).resolves.toMatch(/ok\.jsonl#1$/);
  });
});

describe('fanOut and enabled: false', () => {
  it('fanOut writes every session to each storage; one failing target does not stop the others', async () => {
    const dir = tempDir('fan');
    const file = path.join(dir, 'all.jsonl');
    const out: string[] = [];
    const failing: SessionStorage = {
      putSession: async () => {
        throw new Error('down');
      },
    };
    const keys: string[] = [];
    const processor = new SessionSpanProcessor({
      storage: fanOut(failing, new ConsoleSink({ write: (s) => out.push(s) }), new JsonlSink({ path: file }), new LocalStorage({ dir: path.join(dir, 'store') })),
      onSessionWritten: ({ key }) => keys.push(key),
    });
    const provider = new NodeTracerProvider({ spanProcessors: [processor] });
    const t = createTracing({ tracerProvider: provider, env: {} });
    await run(t, 3);
    await provider.forceFlush();
    expect(out).toHaveLength(1);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readStore(path.join(dir, 'store')).sessions).toHaveLength(1);
    expect(keys).toEqual([expect.stringMatching(/^console:/)]);
    expect(processor.stats().writeFailures).toBe(0);
  });

  it('enabled: false prints and writes nothing', async () => {
    const out: string[] = [];
    const file = path.join(tempDir('off'), 'x.jsonl');
    const { provider, t } = pipeline(fanOut(new ConsoleSink({ write: (s) => out.push(s) }), new JsonlSink({ path: file })), false);
    await run(t, 4);
    await provider.forceFlush();
    expect(out).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});

async function oneSession(): Promise<Session> {
  const got: Session[] = [];
  const { provider, t } = pipeline({ putSession: async (s) => (got.push(s), s.id) });
  await run(t, 9);
  await provider.forceFlush();
  return got[0]!;
}
