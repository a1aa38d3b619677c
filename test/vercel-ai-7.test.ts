/**
 * The Vercel AI SDK 7, the current major (Node >= 22), with its OpenTelemetry integration
 * (`@ai-sdk/otel`: spans in the current GenAI conventions, no longer ai 6's `ai.*`). The real
 * packages run in a Node 22 child (`npx -y node@22`, test/ai7/run.mjs; installed in the test/ai7
 * workspace beside the root's ai 6) against the scripted Anthropic and OpenAI APIs, spans into the
 * SessionSpanProcessor in that child, or through the real OTLP exporter into a started receiver
 * here. Both must hold everything the SDK sent, with its input tokens in the document's meaning.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { startScriptedApi, type ScriptedApi } from '../src/demo/scripted-api.js';
import { LocalStorage } from '../src/index.js';
import type { Session } from '../src/index.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { ofType } from './support/generic-harness.js';
import { readSessions } from './support/producers.js';
import { expectValidSession } from './support/schema.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from './support/scripted-openai.js';
import { tempDir } from './support/tmp.js';
import { ANSWER, THINKING, TOOL_ERROR, TOOL_OK_RESULT, scriptTurns } from './support/vercel-ai-run.js';

const RUNNER = path.join(import.meta.dirname, 'ai7/run.mjs');
type Provider = 'anthropic' | 'openai-chat';
type Mode = 'generate' | 'stream';

let anthropic: ScriptedApi;
let openai: ScriptedOpenAi;
beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startScriptedApi(), startScriptedOpenAi()]);
  // The first `npx -y node@22` on a machine fetches Node 22 from the registry: done here, with
  // time for it, so the tests' own limits measure the runs.
  await promisify(execFile)('npx', ['-y', 'node@22', '--version'], { timeout: 300_000 });
}, 300_000);
afterAll(async () => {
  await Promise.all([anthropic.close(), openai.close()]);
});

/** Runs the scenario under Node 22; resolves with the answer the SDK returned. */
async function run22(provider: Provider, mode: Mode, tag: string, sink: 'processor' | 'otlp', target: string): Promise<string> {
  const api = provider === 'anthropic' ? anthropic : openai;
  scriptTurns(provider, api, tag);
  const { stdout } = await promisify(execFile)('npx', ['-y', 'node@22', RUNNER, provider, mode, api.url, tag, sink, target], { timeout: 120_000 });
  return (JSON.parse(stdout) as { text: string }).text;
}

function expectSession(s: Session, provider: Provider, tag: string): void {
  expectValidSession(s);
  expect(s.agent.name).toBe('support-bot');
  expect(s.system_prompt).toBe('You are a support agent.');
  expect(ofType(s.events, 'user_prompt').map((e) => e.prompt)).toEqual([`Where is order A1? Refund it if it is late. [${tag}]`]);
  // (ofType looks inside the SDK's agent steps, which stay steps.)
  const flat = s.events;
  const msgs = ofType(flat, 'llm_message');
  expect(msgs).toHaveLength(2);
  const [first, second] = msgs;
  expect(first).toMatchObject({ text: 'Let me check.', tool_uses: [{ id: `call_${tag}_ok`, name: 'lookup_order', input: { orderId: 'A1' } }, { id: `call_${tag}_fail`, name: 'refund', input: { orderId: 'A1' } }] });
  expect(second!.text).toBe(ANSWER);
  // Input tokens in the document's meaning (the conventions' count includes the cache).
  if (provider === 'anthropic') {
    expect(second!.thinking).toBe(THINKING);
    expect(msgs.map((m) => m.usage)).toEqual([
      { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 40, cache_creation_input_tokens: 10 },
      { input_tokens: 200, output_tokens: 12, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 },
    ]);
  } else {
    expect(msgs.map((m) => m.usage)).toEqual([
      { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 },
      { input_tokens: 200, output_tokens: 12, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 },
    ]);
  }
  expect(s.totals).toMatchObject({ input_tokens: 300, output_tokens: 42, cache_read_input_tokens: 100, turns: 2, tool_calls: 2, errors: 1 });
  expect(msgs.map((m) => m.cost_source)).toEqual(['price_table', 'price_table']);
  expect(s.totals.cost_usd).toEqual(expect.any(Number));
  const tools = ofType(flat, 'tool_call');
  expect(tools.find((t) => t.name === 'lookup_order')).toMatchObject({ tool_use_id: `call_${tag}_ok`, status: 'ok', input: { orderId: 'A1' }, result: TOOL_OK_RESULT });
  expect(tools.find((t) => t.name === 'refund')).toMatchObject({ tool_use_id: `call_${tag}_fail`, status: 'error', input: { orderId: 'A1' } });
  expect(tools.find((t) => t.name === 'refund')!.error).toContain(TOOL_ERROR);
}

const combos: Array<[Provider, Mode]> = [
  ['anthropic', 'generate'],
  ['anthropic', 'stream'],
  ['openai-chat', 'generate'],
];

describe('Vercel AI SDK 7 + @ai-sdk/otel on Node 22 -> SessionSpanProcessor', () => {
  it.each(combos)('%s %s', async (provider, mode) => {
    const dir = tempDir('ai7-proc');
    const tag = `ai7-proc-${provider}-${mode}`;
    expect(await run22(provider, mode, tag, 'processor', dir)).toBe(ANSWER);
    const sessions = readSessions(dir);
    expect(sessions).toHaveLength(1);
    expectSession(sessions[0]!, provider, tag);
  });
});

describe('Vercel AI SDK 7 + @ai-sdk/otel on Node 22 -> OTLP exporter -> receiver', () => {
  it.each(combos)('%s %s', async (provider, mode) => {
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: new LocalStorage({ dir: tempDir('ai7-recv') }), workers: 0, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    try {
      const tag = `ai7-recv-${provider}-${mode}`;
      expect(await run22(provider, mode, tag, 'otlp', `${url}/v1/traces`)).toBe(ANSWER);
      expectSession((await written.next()).session, provider, tag);
    } finally {
      await receiver.stop();
    }
  });
});
