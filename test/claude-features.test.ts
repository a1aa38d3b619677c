/**
 * More of the instrumentation end to end (real SDK + CLI, scripted API, SessionSpanProcessor ->
 * LocalStorage): the hand-rolled loop with streaming input and a compaction, Query methods through
 * tracedQuery, MCP tools, API retries, truncation of a large tool result, the content switch from
 * the environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSdkMcpServer, query, tool } from '@anthropic-ai/claude-agent-sdk';
import type { SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { ClaudeTracer, instrumentOptions, tracedQuery } from '../src/claude/index.js';
import { claudeSandbox } from '../src/demo/claude-env.js';
import { DEMO_PROMPT, demoScript } from '../src/demo/script.js';
import { eventsOfType, resultsOf, runTraced, sessionOf, useHarness } from './support/claude-harness.js';

const h = useHarness();

function userMessage(text: string): SDKUserMessage {
  return { type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null } as SDKUserMessage;
}

describe('instrumentation features with the real SDK', () => {
  it('traces a hand-rolled multi-turn loop with streaming input and a compaction', async () => {
    h().api.script([
      { name: 'first turn', prompt: '[scenario:loop]', blocks: [{ type: 'text', text: 'Hello there.' }], usage: { input_tokens: 500, output_tokens: 25 } },
      // The /compact turn asks for a summary (its own model call, inside modelUsage).
      { name: 'summary', fresh: false, when: (v) => v.lastText.includes('<summary>') || v.lastText.includes('summary'), blocks: [{ type: 'text', text: '<summary>We said hello.</summary>' }], times: 3 },
    ]);
    let firstDone!: () => void;
    const gate = new Promise<void>((resolve) => (firstDone = resolve));
    async function* input(): AsyncGenerator<SDKUserMessage> {
      yield userMessage('[scenario:loop] hello');
      await gate;
      yield userMessage('/compact');
    }
    const tracer = new ClaudeTracer({ agent: 'loop-agent', tracerProvider: h().provider, sdkOptions: h().sandbox.options });
    const options = instrumentOptions({ ...h().sandbox.options, includePartialMessages: false }, tracer);
    const seen: SDKMessage[] = [];
    let results = 0;
    try {
      for await (const m of query({ prompt: input(), options })) {
        if (!tracer.recordMessage(m)) continue;
        seen.push(m);
        if (m.type === 'result' && ++results === 1) firstDone();
        if (m.type === 'result' && results === 2) break;
      }
    } finally {
      await tracer.flush();
      tracer.finish();
    }
    expect(seen.some((m) => m.type === 'stream_event')).toBe(false);
    const { session } = await sessionOf(h(), tracer.traceId);
    expect(session.agent.name).toBe('loop-agent');
    expect(session.status).toBe('ok');
    expect(eventsOfType(session.events, 'user_prompt').map((p) => p.prompt)).toEqual(['[scenario:loop] hello']);
    const compaction = eventsOfType(session.events, 'notification').find((n) => n.kind === 'compact_boundary');
    expect(compaction?.message).toMatch(/compacted \(manual/);
    const rs = resultsOf(seen);
    expect(rs).toHaveLength(2);
    // Running totals: the later result already includes the first turn.
    const last = rs[1]!;
    expect(session.totals.cost_usd).toBeCloseTo(last.total_cost_usd, 6);
    expect(session.totals.input_tokens).toBe(Object.values(last.modelUsage).reduce((a, u) => a + u.inputTokens, 0));
    expect(session.totals.turns).toBe(rs[0]!.num_turns + rs[1]!.num_turns);
    expect(session.totals.duration_ms).toBe(rs[0]!.duration_ms + rs[1]!.duration_ms);
  });

  it("keeps the Query's methods working through tracedQuery", async () => {
    h().api.script([{ name: 'answer', prompt: '[scenario:methods]', blocks: [{ type: 'text', text: 'Done.' }] }]);
    async function* input(): AsyncGenerator<SDKUserMessage> {
      yield userMessage('[scenario:methods] hi');
    }
    const q = tracedQuery({ prompt: input(), options: h().sandbox.options, tracerProvider: h().provider });
    let changed = false;
    for await (const m of q) {
      if (m.type === 'system' && m.subtype === 'init' && !changed) {
        await q.setPermissionMode('default');
        changed = true;
      }
      if (m.type === 'result') break;
    }
    expect(changed).toBe(true);
    expect(typeof q.interrupt).toBe('function');
    const { session } = await sessionOf(h(), q.tracer.traceId);
    expect(eventsOfType(session.events, 'llm_message').map((e) => e.text)).toEqual(['Done.']);
  });

  it('records MCP tool calls with their server', async () => {
    const weather = createSdkMcpServer({
      name: 'weather',
      version: '1.0.0',
      tools: [tool('forecast', 'Get a forecast', { city: z.string() }, async (args) => ({ content: [{ type: 'text', text: `Sunny in ${args.city}` }] }))],
    });
    h().api.script([
      { name: 'call mcp', prompt: '[scenario:mcp]', blocks: [{ type: 'tool_use', id: 'toolu_mcp_1', name: 'mcp__weather__forecast', input: { city: 'Oslo' } }] },
      { name: 'answer', after: 'toolu_mcp_1', blocks: [{ type: 'text', text: 'Sunny.' }] },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:mcp] weather?', options: { mcpServers: { weather } } });
    expect(run.error).toBeUndefined();
    const [call] = eventsOfType(run.session.events, 'tool_call');
    expect(call).toMatchObject({ name: 'mcp__weather__forecast', mcp_server: 'weather', status: 'ok', input: { city: 'Oslo' } });
    expect(JSON.stringify(call!.result)).toContain('Sunny in Oslo');
  });

  it('records API retries as notifications and the run as ok when the retry succeeds', async () => {
    const sandbox = claudeSandbox(h().api.url, { CLAUDE_CODE_MAX_RETRIES: '2' });
    try {
      h().api.script([
        { name: 'overloaded once', prompt: '[scenario:retry]', error: { status: 529, type: 'overloaded_error', message: 'Overloaded', retryable: true } },
        { name: 'then fine', prompt: '[scenario:retry]', blocks: [{ type: 'text', text: 'Second time lucky.' }] },
      ]);
      const run = await runTraced(h(), { prompt: '[scenario:retry] hi', options: sandbox.options });
      expect(run.error).toBeUndefined();
      expect(run.session.status).toBe('ok');
      const retries = eventsOfType(run.session.events, 'notification').filter((n) => n.kind === 'api_retry');
      expect(retries).toHaveLength(1);
      expect(retries[0]!.message).toMatch(/overloaded, HTTP 529\); retry 1\/2/);
      expect(eventsOfType(run.session.events, 'llm_message').map((e) => e.text)).toEqual(['Second time lucky.']);
    } finally {
      sandbox.cleanup();
    }
  });

  it('cuts a very large tool result with a marker and keeps its original size', async () => {
    h().api.script([
      { name: 'big output', prompt: '[scenario:big]', blocks: [{ type: 'tool_use', id: 'toolu_big_1', name: 'Bash', input: { command: "head -c 300000 /dev/zero | tr '\\0' a", description: 'big' } }] },
      { name: 'answer', after: 'toolu_big_1', blocks: [{ type: 'text', text: 'That was long.' }] },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:big] go', maxAttributeLength: 10_000 });
    const [call] = eventsOfType(run.session.events, 'tool_call');
    expect(typeof call!.result).toBe('string');
    const result = call!.result as string;
    expect(result.length).toBeLessThanOrEqual(10_000);
    expect(result).toMatch(/…\[truncated \d+ chars\]$/);
    expect(call!.truncated?.['gen_ai.tool.call.result']).toBeGreaterThan(30_000);
  });

  it('takes the content switch from the environment when no option is given', async () => {
    h().api.script([
      { name: 'secret', prompt: '[scenario:private]', blocks: [{ type: 'thinking', thinking: 'private thought' }, { type: 'tool_use', id: 'toolu_priv', name: 'Bash', input: { command: 'echo private-output', description: 'p' } }] },
      { name: 'answer', after: 'toolu_priv', blocks: [{ type: 'text', text: 'private answer' }] },
    ]);
    const saved = { c: process.env.AMS_CAPTURE_CONTENT, t: process.env.AMS_CAPTURE_THINKING };
    process.env.AMS_CAPTURE_CONTENT = 'off';
    process.env.AMS_CAPTURE_THINKING = 'false';
    let run;
    try {
      run = await runTraced(h(), { prompt: '[scenario:private] go' });
    } finally {
      if (saved.c === undefined) delete process.env.AMS_CAPTURE_CONTENT;
      else process.env.AMS_CAPTURE_CONTENT = saved.c;
      if (saved.t === undefined) delete process.env.AMS_CAPTURE_THINKING;
      else process.env.AMS_CAPTURE_THINKING = saved.t;
    }
    const text = JSON.stringify(run.session);
    expect(text).not.toContain('private');
    const [call] = eventsOfType(run.session.events, 'tool_call');
    expect(call).toMatchObject({ name: 'Bash', status: 'ok', tool_use_id: 'toolu_priv' });
    expect(call!.input).toBeUndefined();
    expect(eventsOfType(run.session.events, 'llm_message')).toHaveLength(2);
  });

  it('records a tool call stopped by Query.interrupt() as interrupted', async () => {
    // The command marks when it is really running and when it would have finished, so the test
    // waits for the first and checks the span ended before the second, not against a clock.
    const work = String(h().sandbox.options.cwd);
    const startedMark = path.join(work, 'tool-started');
    const finishedMark = path.join(work, 'tool-finished');
    const command = 'touch tool-started; sleep 5; touch tool-finished; echo late';
    h().api.script([
      { name: 'slow tool', prompt: '[scenario:interrupt]', blocks: [{ type: 'tool_use', id: 'toolu_int_1', name: 'Bash', input: { command, description: 'slow' } }] },
    ]);
    let toolStarted!: () => void;
    const running = new Promise<void>((resolve) => (toolStarted = resolve));
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    async function* input(): AsyncGenerator<SDKUserMessage> {
      yield userMessage('[scenario:interrupt] go');
      await done;
    }
    const q = tracedQuery({
      prompt: input(),
      tracerProvider: h().provider,
      options: { ...h().sandbox.options, hooks: { PreToolUse: [{ hooks: [async () => (toolStarted(), {})] }] } },
    });
    const interrupting = running.then(async () => {
      await expect.poll(() => fs.existsSync(startedMark), { interval: 20, timeout: 15_000 }).toBe(true);
      await q.interrupt();
    });
    for await (const m of q) {
      if (m.type === 'result') {
        finished();
        break;
      }
    }
    await interrupting;
    const { session } = await sessionOf(h(), q.tracer.traceId);
    const [call] = eventsOfType(session.events, 'tool_call');
    expect(call).toMatchObject({ tool_use_id: 'toolu_int_1', status: 'interrupted' });
    // Cut short by the interrupt: the span ended before the command got past its `sleep 5`.
    const finishedAt = fs.existsSync(finishedMark) ? fs.statSync(finishedMark).mtimeMs : Infinity;
    expect(Date.parse(call!.ended_at)).toBeLessThan(finishedAt);
    // The SDK reports the interrupted turn as error_during_execution; the session says so.
    expect(session.status).toBe('error');
    expect(session.status_reason).toMatch(/^error_during_execution/);
  });

  it('yields the same messages as plain query() (nothing added for tracing leaks through)', async () => {
    const kinds = async (messages: AsyncIterable<SDKMessage>) => {
      const out: string[] = [];
      for await (const m of messages) {
        const content = m.type === 'assistant' || m.type === 'user' ? m.message.content : undefined;
        const blocks = Array.isArray(content) ? content.map((b: { type: string }) => b.type).join('+') : typeof content;
        const where = 'parent_tool_use_id' in m && m.parent_tool_use_id ? 'subagent' : 'main';
        out.push([m.type, 'subtype' in m ? m.subtype : '', where, content === undefined ? '' : blocks].join(':'));
      }
      // Parallel tools may report in either order: compare as multisets. Progress updates are
      // emitted on a timer-like cadence, so their count is not part of the comparison.
      return out.filter((k) => !k.startsWith('system:task_progress')).sort();
    };
    // The demo conversation: thinking, parallel tools, a foreground subagent with thinking.
    h().api.script(demoScript());
    const plain = await kinds(query({ prompt: DEMO_PROMPT, options: h().sandbox.options }));
    h().api.script(demoScript());
    const traced = await kinds(tracedQuery({ prompt: DEMO_PROMPT, options: h().sandbox.options, tracerProvider: h().provider }));
    expect(traced).toEqual(plain);
    expect(plain.some((k) => k.startsWith('stream_event'))).toBe(false);
  });
});
