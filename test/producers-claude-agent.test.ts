/**
 * OpenInference's Claude Agent SDK instrumentation, live: the real
 * @arizeai/openinference-instrumentation-claude-agent-sdk around the real Agent SDK (its real CLI
 * binary) against the scripted Anthropic API, spans through the SessionSpanProcessor into
 * LocalStorage. Its AGENT span carries the run's usage, cost, model and final answer and has no
 * LLM span under it: the session must still show them (issue 12).
 */
import * as ClaudeAgentSDK from '@anthropic-ai/claude-agent-sdk';
import { ClaudeAgentSDKInstrumentation } from '@arizeai/openinference-instrumentation-claude-agent-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claudeSandbox } from '../src/demo/claude-env.js';
import type { ClaudeSandbox } from '../src/demo/claude-env.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import type { ScriptedApi } from '../src/demo/scripted-api.js';
import * as sc from '../src/spans/semconv.js';
import { ofType } from './support/generic-harness.js';
import { capture } from './support/producers.js';
import { expectValidSession } from './support/schema.js';

let api: ScriptedApi;
let sandbox: ClaudeSandbox;
beforeAll(async () => {
  api = await startScriptedApi();
  sandbox = claudeSandbox(api.url);
});
afterAll(async () => {
  await api.close();
  sandbox.cleanup();
});

it('the AGENT span with no LLM children: final answer, model, tokens and cost (cost_source producer) kept', async () => {
  api.script([
    { name: 'bash', prompt: '[oi-agent-scenario]', fresh: true, blocks: [{ type: 'tool_use', id: 'toolu_oi_bash', name: 'Bash', input: { command: 'echo 18C', description: 'weather' } }], stopReason: 'tool_use', usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 } },
    { name: 'answer', after: 'toolu_oi_bash', blocks: [{ type: 'text', text: 'It is 18C in Paris.' }], stopReason: 'end_turn', usage: { input_tokens: 150, output_tokens: 12 } },
  ]);
  const c = capture();
  const inst = new ClaudeAgentSDKInstrumentation({ tracerProvider: c.provider });
  const sdk = inst.manuallyInstrument(ClaudeAgentSDK) as typeof ClaudeAgentSDK;
  try {
    for await (const _m of sdk.query({ prompt: 'Weather in Paris? [oi-agent-scenario]', options: sandbox.options })) {
      // drain
    }
  } finally {
    inst.disable();
  }
  const sessions = await c.finish();
  const agentSpan = c.recorder.records.find((r) => r.attributes[sc.OI_SPAN_KIND] === 'AGENT')!;
  expect(agentSpan.attributes[sc.OI_COST_TOTAL]).toEqual(expect.any(Number));
  expect(c.recorder.records.some((r) => r.attributes[sc.OI_SPAN_KIND] === 'LLM')).toBe(false);
  const s = sessions.find((x) => x.root_span_id === agentSpan.spanId)!;
  expectValidSession(s);
  expect(ofType(s.events, 'user_prompt')[0]!.prompt).toContain('[oi-agent-scenario]');
  expect(ofType(s.events, 'tool_call')).toMatchObject([{ name: 'Bash', input: { command: 'echo 18C' } }]);
  const msgs = ofType(s.events, 'llm_message');
  expect(msgs).toHaveLength(1);
  expect(msgs[0]).toMatchObject({ text: 'It is 18C in Paris.', cost_usd: agentSpan.attributes[sc.OI_COST_TOTAL], cost_source: 'producer' });
  expect(msgs[0]!.model).toEqual(expect.any(String));
  expect(s.model).toBe(msgs[0]!.model);
  // The result message's usage summed over both calls: input 100 + 150 (it excludes the cache, as
  // the document does); the instrumentation reports no cache counts (30 read, 10 written are lost).
  expect(msgs[0]!.usage).toEqual({ input_tokens: 250, output_tokens: 32, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  expect(msgs[0]!.finish_reasons).toEqual(['end_turn']);
  expect(s.totals).toMatchObject({ input_tokens: 250, output_tokens: 32, cost_usd: agentSpan.attributes[sc.OI_COST_TOTAL], tool_calls: 1 });
  expect(s.conversation_id).toBe(agentSpan.attributes[sc.OI_SESSION_ID]);
}, 120_000);
