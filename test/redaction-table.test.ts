/**
 * The redaction table: every secret kind of test/fixtures/privacy/secrets.json × every field class
 * it can reach (prompt, model text, thinking, tool input, tool output, metadata key and value, step
 * attribute key and value, tool call id, MCP server name, model name, error message, subagent why).
 * One session per kind puts that kind's text into every class; the bytes of the written session
 * AND of its index entry must not hold the raw secret, and every class must show a marker (so the
 * class really was exercised).
 *
 * The full table runs through the in-process SessionSpanProcessor -> LocalStorage; the receiver
 * path (real OTLP exporter -> createReceiver with AMS_REDACT=1) runs the same table too.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { createTracing, LocalStorage } from '../src/index.js';
import type { AgentTracing, JsonValue, Session } from '../src/index.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { harness, ofType } from './support/generic-harness.js';
import { tempDir } from './support/tmp.js';
import { readIndexSync } from './support/store.js';

interface Item {
  kind: string;
  text: string;
  secret: string;
}
const ITEMS = (JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/privacy/secrets.json'), 'utf8')) as { items: Item[] }).items;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

/** One session for `item`: its text in every field class. */
async function tableRun(t: AgentTracing, item: Item): Promise<void> {
  const s = item.text;
  await t.startSession({ agent: `table-${item.kind}`, metadata: { [`key ${s}`]: 'v', value: s }, prompt: s }, async () => {
    await t.step('plan', (step) => {
      step.setAttribute(`attr.${s}`, 'x');
      step.setAttribute('notes', s);
    });
    await t.toolCall(
      'lookup',
      (tool) => {
        tool.setAttribute('ams.tool.mcp_server', s);
        return { out: s };
      },
      { input: { q: s }, callId: `toolu_${s}` },
    );
    await t
      .toolCall('fails', async () => {
        throw new Error(`request failed: ${s}`);
      })
      .catch(() => undefined);
    await t.llmCall(s, (c) => {
      c.setUsage({ inputTokens: 1, outputTokens: 1 });
      c.setOutput({ text: s, thinking: s, toolCalls: [{ id: `call_${s}`, name: 'send', arguments: { to: s } }] });
    });
    await t.startSession({ agent: 'sub', prompt: s }, async () => undefined);
  });
}

/** Each field class: where it sits in the written session, as strings to find a marker in. */
const FIELD_CLASSES: Record<string, (s: Session) => Array<string | undefined>> = {
  prompt: (s) => ofType(s.events, 'user_prompt').map((e) => e.prompt),
  'llm text': (s) => ofType(s.events, 'llm_message').map((e) => e.text),
  thinking: (s) => ofType(s.events, 'llm_message').map((e) => e.thinking),
  'tool input': (s) => ofType(s.events, 'tool_call').map((e) => JSON.stringify(e.input)),
  'tool output': (s) => ofType(s.events, 'tool_call').map((e) => JSON.stringify(e.result)),
  'metadata key': (s) => Object.keys(s.metadata),
  'metadata value': (s) => [String(s.metadata.value)],
  'step attribute key': (s) => ofType(s.events, 'step').flatMap((e) => Object.keys(e.attributes)),
  'step attribute value': (s) => ofType(s.events, 'step').map((e) => JSON.stringify(e.attributes.notes)),
  'tool call id': (s) => [...ofType(s.events, 'tool_call').map((e) => e.tool_use_id), ...ofType(s.events, 'llm_message').flatMap((e) => (e.tool_uses ?? []).map((u) => u.id))],
  'MCP server name': (s) => ofType(s.events, 'tool_call').map((e) => e.mcp_server),
  'model name': (s) => [s.model, ...Object.keys(s.models), ...ofType(s.events, 'llm_message').map((e) => e.model)],
  'error message': (s) => ofType(s.events, 'tool_call').map((e) => (typeof e.error === 'string' ? e.error : undefined)),
  'subagent why': (s) => ofType(s.events, 'subagent').map((e) => e.why),
};

/** JSON paths whose text holds `needle` (for a readable failure). */
function pathsHolding(v: JsonValue | undefined, needle: string, at = '$'): string[] {
  if (typeof v === 'string') return v.includes(needle) ? [at] : [];
  if (v === null || typeof v !== 'object') return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k.includes(needle)) out.push(`${at} key ${JSON.stringify(k.slice(0, 40))}`);
    out.push(...pathsHolding(x, needle, `${at}.${k.slice(0, 40)}`));
  }
  return out;
}

interface Written {
  session: Session;
  sessionBytes: string;
  indexBytes: string;
}

function readByAgent(dir: string): Map<string, Written> {
  const out = new Map<string, Written>();
  for (const entry of readIndexSync(dir)) {
    // The entry as stored: its line in the (decompressed) segment, or its per-session file.
    const indexBytes = JSON.stringify(entry);
    const sessionBytes = readFileSync(path.join(dir, entry.key), 'utf8');
    const session = JSON.parse(sessionBytes) as Session;
    out.set(session.agent.name, { session, sessionBytes, indexBytes });
  }
  return out;
}

function expectTable(dir: string): void {
  const written = readByAgent(dir);
  const leaks: string[] = [];
  const unexercised: string[] = [];
  for (const item of ITEMS) {
    const w = written.get(`table-${item.kind}`);
    expect(w, `${item.kind}: no session written`).toBeDefined();
    const { session, sessionBytes, indexBytes } = w!;
    // The secret as it would appear in JSON bytes (escaped) and as is.
    const forms = [item.secret, JSON.stringify(item.secret).slice(1, -1)];
    if (forms.some((f) => sessionBytes.includes(f))) leaks.push(`${item.kind} in session at ${pathsHolding(JSON.parse(sessionBytes) as JsonValue, item.secret).join(', ')}`);
    if (forms.some((f) => indexBytes.includes(f))) leaks.push(`${item.kind} in index entry at ${pathsHolding(JSON.parse(indexBytes) as JsonValue, item.secret).join(', ')}`);
    for (const [cls, get] of Object.entries(FIELD_CLASSES)) {
      const values = get(session).filter((v): v is string => typeof v === 'string');
      if (!values.some((v) => v.includes('[REDACTED'))) unexercised.push(`${item.kind} × ${cls}: ${JSON.stringify(values).slice(0, 120)}`);
    }
  }
  expect(leaks, 'raw secrets written').toEqual([]);
  expect(unexercised, 'field classes without a marker').toEqual([]);
}

describe('redaction table: every secret kind × every field class', () => {
  it('has the kinds the table promises', () => {
    expect(ITEMS.length).toBeGreaterThanOrEqual(24);
  });

  it('in-process (SessionSpanProcessor -> LocalStorage): no raw secret in the session or the index entry', async () => {
    const h = harness({ redact: true });
    for (const item of ITEMS) await tableRun(h.t, item);
    await h.flushAndRead();
    expectTable(h.dir);
  });

  it('receiver (real OTLP exporter -> createReceiver, AMS_REDACT=1): no raw secret in the session or the index entry', async () => {
    const dir = tempDir('recv-table');
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: new LocalStorage({ dir }), walDir: false, waitMs: 0, env: { AMS_REDACT: '1' }, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))] });
    try {
      const t = createTracing({ tracerProvider: provider, env: {} });
      for (const item of ITEMS) await tableRun(t, item);
      await provider.forceFlush();
      for (let i = 0; i < ITEMS.length; i++) await written.next();
    } finally {
      await provider.shutdown();
      await receiver.stop();
    }
    expectTable(dir);
  });

  it.each([0, 2])(
    'receiver write-ahead log (AMS_REDACT=1, %i workers): the log on disk holds no raw secret, and replaying it gives the same redacted sessions',
    async (workers) => {
      const walDir = tempDir('recv-wal');
      // A long wait keeps every session pending, so the requests stay in the log while it is read.
      const receiver = createReceiver({ storage: new LocalStorage({ dir: tempDir('recv-wal-unused') }), walDir, workers, waitMs: 600_000, env: { AMS_REDACT: '1' } });
      const { url } = await receiver.start({ port: 0 });
      const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))] });
      const copy = tempDir('recv-wal-copy');
      try {
        const t = createTracing({ tracerProvider: provider, env: {} });
        for (const item of ITEMS) await tableRun(t, item);
        // Acknowledged (200) only once appended to the log.
        await provider.forceFlush();
        const files = readdirSync(walDir).filter((f) => f.endsWith('.log'));
        const bytes = Buffer.concat(files.map((f) => readFileSync(path.join(walDir, f)))).toString('utf8');
        expect(bytes.length).toBeGreaterThan(0);
        const leaks = ITEMS.filter((item) => [item.secret, JSON.stringify(item.secret).slice(1, -1)].some((f) => bytes.includes(f))).map((i) => i.kind);
        expect(leaks, 'raw secrets in the write-ahead log').toEqual([]);
        expect(bytes).toContain('[REDACTED');
        // Another receiver replaying a copy of the log (as after a crash) writes the same sessions.
        for (const f of readdirSync(walDir)) if (f.endsWith('.log')) writeFileSync(path.join(copy, f), readFileSync(path.join(walDir, f)));
      } finally {
        await provider.shutdown();
        await receiver.stop();
      }
      const dir = tempDir('recv-wal-replayed');
      const written = new WrittenSessions();
      const replayer = createReceiver({ storage: new LocalStorage({ dir }), walDir: copy, workers, waitMs: 0, env: { AMS_REDACT: '1' }, onSessionWritten: written.onSessionWritten });
      await replayer.start({ port: 0 });
      try {
        for (let i = 0; i < ITEMS.length; i++) await written.next();
      } finally {
        await replayer.stop();
      }
      expectTable(dir);
    },
  );
});
