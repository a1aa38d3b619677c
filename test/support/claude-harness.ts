/**
 * End-to-end harness for the Claude instrumentation: the real SDK (real CLI binary) against the
 * scripted API, spans through a real NodeTracerProvider + SessionSpanProcessor into LocalStorage
 * in a temp folder, and the written session JSON read back from disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Options, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { LocalStorage, SessionSpanProcessor } from '../../src/index.js';
import type { Session, SessionEvent } from '../../src/index.js';
import { tracedQuery } from '../../src/claude/index.js';
import type { TracedQueryParams } from '../../src/claude/index.js';
import { startScriptedApi } from '../../src/demo/scripted-api.js';
import type { ScriptedApi } from '../../src/demo/scripted-api.js';
import { claudeSandbox } from '../../src/demo/claude-env.js';
import { expectValidIndexEntry, expectValidSession } from './schema.js';
import type { ClaudeSandbox } from '../../src/demo/claude-env.js';

export interface Harness {
  api: ScriptedApi;
  sandbox: ClaudeSandbox;
  storage: LocalStorage;
  provider: NodeTracerProvider;
  processor: SessionSpanProcessor;
  written: Array<{ session: Session; key: string }>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const api = await startScriptedApi({ log: process.env.AMS_TEST_LOG ? (l) => console.log(l) : undefined });
  const sandbox = claudeSandbox(api.url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-sessions-'));
  const storage = new LocalStorage({ dir });
  const written: Array<{ session: Session; key: string }> = [];
  const processor = new SessionSpanProcessor({ storage, onSessionWritten: (w) => written.push(w) });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  return {
    api,
    sandbox,
    storage,
    provider,
    processor,
    written,
    async close() {
      await provider.shutdown();
      await api.close();
      sandbox.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One harness for a test file: started before its tests, closed after them, its scripted API reset
 * before each test. Returns a getter (the harness exists only once beforeAll has run).
 */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h!.api.reset();
  });
  return () => h!;
}

export interface RunResult {
  messages: SDKMessage[];
  error?: unknown;
  traceId: string;
  /** The session as written to disk. */
  session: Session;
  /** Path of the written JSON. */
  file: string;
}

/** Runs tracedQuery to the end (or until `stopAfter` says stop) and returns the written session. */
export async function runTraced(
  h: Harness,
  params: Omit<TracedQueryParams, 'options'> & { options?: Options; stopAfter?: (m: SDKMessage) => boolean | Promise<boolean> },
): Promise<RunResult> {
  const { stopAfter, options, ...rest } = params;
  const q = tracedQuery({ ...rest, tracerProvider: h.provider, options: { ...h.sandbox.options, ...options } });
  const messages: SDKMessage[] = [];
  let error: unknown;
  try {
    for await (const m of q) {
      messages.push(m);
      if (await stopAfter?.(m)) break;
    }
  } catch (err) {
    error = err;
  }
  const traceId = q.tracer.traceId;
  const { session, file } = await sessionOf(h, traceId);
  return { messages, error, traceId, session, file };
}

/** Flushes the processor and reads the session of a trace back from disk (schema-checked). */
export async function sessionOf(h: Harness, traceId: string): Promise<{ session: Session; file: string }> {
  await h.processor.forceFlush();
  const w = h.written.find((x) => x.session.trace_id === traceId);
  if (!w) throw new Error(`no session written for trace ${traceId} (written: ${h.written.map((x) => x.session.trace_id).join(', ')})`);
  const file = h.storage.pathOf(w.key);
  const session = JSON.parse(fs.readFileSync(file, 'utf8')) as Session;
  // Every written document (and its index entry) must match the project's JSON Schema.
  expectValidSession(session);
  expectValidIndexEntry(await h.storage.getIndexEntry(session.id));
  return { session, file };
}

/** Every event of a session, depth first (subagent events included). */
export function allEvents(events: SessionEvent[]): SessionEvent[] {
  return events.flatMap((e) => (e.type === 'subagent' || (e.type === 'step' && e.events) ? [e, ...allEvents(e.events ?? [])] : [e]));
}

export function eventsOfType<T extends SessionEvent['type']>(events: SessionEvent[], type: T): Extract<SessionEvent, { type: T }>[] {
  return allEvents(events).filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
}

/** The SDK's result messages of a run. */
export function resultsOf(messages: SDKMessage[]): Extract<SDKMessage, { type: 'result' }>[] {
  return messages.filter((m): m is Extract<SDKMessage, { type: 'result' }> => m.type === 'result');
}
