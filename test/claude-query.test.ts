/**
 * tracedQuery end to end: the real Claude Agent SDK and its real CLI binary against the scripted
 * local Anthropic API; spans go through a real NodeTracerProvider and SessionSpanProcessor into
 * LocalStorage, and each test asserts the session JSON written to disk.
 */
import { describe, expect, it } from 'vitest';
import type { HookCallbackMatcher } from '@anthropic-ai/claude-agent-sdk';
import { TEST_MODEL } from '../src/demo/claude-env.js';
import { eventsOfType, resultsOf, runTraced, useHarness } from './support/claude-harness.js';

const h = useHarness();

/** Per-scenario marker so turns match only their own conversation. */
const mark = (name: string) => `[scenario:${name}]`;

describe('tracedQuery with the real SDK', () => {
  it('records a simple question and answer', async () => {
    const m = mark('qa');
    h().api.script([
      {
        name: 'answer',
        prompt: m,
        blocks: [
          { type: 'thinking', thinking: 'The user wants a greeting.' },
          { type: 'text', text: 'Hello! How can I help?' },
        ],
        usage: { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 7, cache_creation_input_tokens: 5 },
        delayMs: 240,
      },
    ]);
    const run = await runTraced(h(), {
      prompt: `${m} Say hello`,
      agent: { name: 'greeter', version: '1.2.3' },
      environment: 'test',
      tags: ['e2e', 'qa'],
      metadata: { team: 't_42', attempt: 2, beta: true },
    });
    expect(run.error).toBeUndefined();
    const s = run.session;
    expect(s.status).toBe('ok');
    expect(s.agent).toEqual({ name: 'greeter', version: '1.2.3' });
    expect(s.environment).toBe('test');
    expect(s.tags).toEqual(['e2e', 'qa']);
    expect(s.metadata).toEqual({ team: 't_42', attempt: 2, beta: true });
    expect(s.model).toBe(TEST_MODEL);
    const result = resultsOf(run.messages)[0]!;
    expect(s.conversation_id).toBe(result.session_id);

    const prompts = eventsOfType(s.events, 'user_prompt');
    expect(prompts.map((p) => p.prompt)).toEqual([`${m} Say hello`]);
    const llm = eventsOfType(s.events, 'llm_message');
    expect(llm).toHaveLength(1);
    expect(llm[0]).toMatchObject({
      model: TEST_MODEL,
      thinking: 'The user wants a greeting.',
      text: 'Hello! How can I help?',
      finish_reasons: ['end_turn'],
      // Exact per-call usage from the stream's message_start + message_delta.
      usage: { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 7, cache_creation_input_tokens: 5 },
    });
    expect(llm[0]!.response_id).toMatch(/^msg_scripted_/);
    // Timed from the request (message_start minus its time to first token) to message_stop.
    expect(llm[0]!.duration_ms).toBeGreaterThanOrEqual(200);
    expect(s.events[0]!.type).toBe('user_prompt');
    // The caller did not ask for partial messages: none leak through.
    expect(run.messages.some((x) => x.type === 'stream_event')).toBe(false);
    expect(h().api.unmatched).toEqual([]);
  });

  it('records a Bash tool call that succeeds and one that fails', async () => {
    const m = mark('bash');
    h().api.script([
      {
        name: 'run tools',
        prompt: m,
        blocks: [
          { type: 'text', text: 'Running two commands.' },
          { type: 'tool_use', id: 'toolu_bash_ok', name: 'Bash', input: { command: 'echo hello-from-bash', description: 'greet' } },
          { type: 'tool_use', id: 'toolu_bash_fail', name: 'Bash', input: { command: 'echo oops >&2; exit 3', description: 'fail' } },
        ],
      },
      { name: 'wrap up', after: ['toolu_bash_ok', 'toolu_bash_fail'], blocks: [{ type: 'text', text: 'One worked, one failed.' }] },
    ]);
    const run = await runTraced(h(), { prompt: `${m} run commands` });
    expect(run.error).toBeUndefined();
    const tools = eventsOfType(run.session.events, 'tool_call');
    expect(tools.map((t) => t.tool_use_id)).toEqual(['toolu_bash_ok', 'toolu_bash_fail']);
    const [ok, fail] = tools;
    expect(ok).toMatchObject({ name: 'Bash', status: 'ok', error: null, input: { command: 'echo hello-from-bash', description: 'greet' } });
    expect(ok!.result).toMatchObject({ stdout: 'hello-from-bash' });
    expect(fail).toMatchObject({ name: 'Bash', status: 'error', input: { command: 'echo oops >&2; exit 3' } });
    expect(fail!.error).toMatch(/exit code 3/i);
    expect(ok!.duration_ms).toBeGreaterThan(0);
    const llm = eventsOfType(run.session.events, 'llm_message');
    expect(llm).toHaveLength(2);
    expect(llm[0]!.tool_uses?.map((u) => u.id)).toEqual(['toolu_bash_ok', 'toolu_bash_fail']);
    expect(llm[0]!.finish_reasons).toEqual(['tool_use']);
    expect(run.session.totals.tool_calls).toBe(2);
    expect(run.session.totals.errors).toBe(1);
    // Order: prompt, model call, the two tools, the final model call.
    expect(run.session.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'tool_call', 'llm_message']);
  });

  it('records parallel tool calls in one response', async () => {
    const m = mark('parallel');
    h().api.script([
      {
        name: 'fan out',
        prompt: m,
        blocks: [
          { type: 'tool_use', id: 'toolu_par_a', name: 'Bash', input: { command: 'echo a', description: 'a' } },
          { type: 'tool_use', id: 'toolu_par_b', name: 'Bash', input: { command: 'echo b', description: 'b' } },
          { type: 'tool_use', id: 'toolu_par_c', name: 'Read', input: { file_path: '/etc/hostname' } },
        ],
      },
      { name: 'collect', after: ['toolu_par_a', 'toolu_par_b', 'toolu_par_c'], blocks: [{ type: 'text', text: 'Collected.' }] },
    ]);
    const run = await runTraced(h(), { prompt: `${m} fan out` });
    expect(run.error).toBeUndefined();
    const tools = eventsOfType(run.session.events, 'tool_call');
    expect(tools.map((t) => t.tool_use_id).sort()).toEqual(['toolu_par_a', 'toolu_par_b', 'toolu_par_c']);
    expect(tools.every((t) => t.status === 'ok')).toBe(true);
    const llm = eventsOfType(run.session.events, 'llm_message');
    // One response carrying three tool_use blocks is one model call, not three.
    expect(llm).toHaveLength(2);
    expect(llm[0]!.tool_uses).toHaveLength(3);
    expect(run.session.totals.tool_calls).toBe(3);
  });

  it('marks the session as error when maxTurns is exceeded', async () => {
    const m = mark('maxturns');
    h().api.script([
      { name: 'turn 1', prompt: m, blocks: [{ type: 'tool_use', id: 'toolu_max_1', name: 'Bash', input: { command: 'echo 1', description: 'one' } }] },
      { name: 'never', after: 'toolu_max_1', blocks: [{ type: 'text', text: 'should not be asked' }] },
    ]);
    const run = await runTraced(h(), { prompt: `${m} loop`, options: { maxTurns: 1 } });
    // The SDK throws after the error result; tracedQuery rethrows it unchanged.
    expect(run.error).toBeInstanceOf(Error);
    expect(String((run.error as Error).message)).toMatch(/maximum number of turns/);
    const result = resultsOf(run.messages)[0]!;
    expect(result.subtype).toBe('error_max_turns');
    expect(run.session.status).toBe('error');
    expect(run.session.status_reason).toMatch(/^error_max_turns/);
    expect(run.session.status_reason).toMatch(/Reached maximum number of turns/);
    expect(eventsOfType(run.session.events, 'tool_call')).toHaveLength(1);
    expect(h().api.pending().map((t) => t.name)).toEqual(['never']);
  });

  it('records an API error (529 overloaded)', async () => {
    const m = mark('overloaded');
    h().api.script([{ name: 'overloaded', prompt: m, error: { status: 529, type: 'overloaded_error', message: 'Overloaded' }, times: 5 }]);
    const run = await runTraced(h(), { prompt: `${m} anything` });
    expect(run.error).toBeInstanceOf(Error);
    expect(run.session.status).toBe('error');
    expect(run.session.status_reason).toMatch(/529/);
    const llm = eventsOfType(run.session.events, 'llm_message');
    expect(llm).toHaveLength(1);
    expect(llm[0]!.error).toMatch(/529 Overloaded/);
    expect(run.session.totals.errors).toBeGreaterThanOrEqual(1);
  });

  it("keeps the caller's hooks running and their deny denying", async () => {
    const m = mark('hooks');
    h().api.script([
      {
        name: 'two tools',
        prompt: m,
        blocks: [
          { type: 'tool_use', id: 'toolu_hook_ok', name: 'Bash', input: { command: 'echo allowed', description: 'ok' } },
          { type: 'tool_use', id: 'toolu_hook_rm', name: 'Bash', input: { command: 'rm -rf ./precious', description: 'delete' } },
        ],
      },
      { name: 'after', after: ['toolu_hook_ok', 'toolu_hook_rm'], blocks: [{ type: 'text', text: 'The delete was blocked.' }] },
    ]);
    const seen: string[] = [];
    const userPre: HookCallbackMatcher = {
      hooks: [
        async (input) => {
          const i = input as { tool_use_id?: string; tool_input?: { command?: string } };
          seen.push(`pre:${i.tool_use_id}`);
          if (i.tool_input?.command?.startsWith('rm ')) {
            return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'rm is not allowed here' } };
          }
          return {};
        },
      ],
    };
    const userPost: HookCallbackMatcher = {
      hooks: [
        async (input) => {
          seen.push(`post:${(input as { tool_use_id?: string }).tool_use_id}`);
          return {};
        },
      ],
    };
    const options = { hooks: { PreToolUse: [userPre], PostToolUse: [userPost] } };
    const frozen = JSON.stringify(Object.keys(options.hooks)) + options.hooks.PreToolUse.length;
    const run = await runTraced(h(), { prompt: `${m} go`, options });
    expect(run.error).toBeUndefined();
    // The caller's options object is not mutated.
    expect(JSON.stringify(Object.keys(options.hooks)) + options.hooks.PreToolUse.length).toBe(frozen);
    expect(seen).toEqual(['pre:toolu_hook_ok', 'post:toolu_hook_ok', 'pre:toolu_hook_rm']);
    const tools = eventsOfType(run.session.events, 'tool_call');
    const denied = tools.find((t) => t.tool_use_id === 'toolu_hook_rm')!;
    expect(denied.status).toBe('error');
    expect(denied.error).toMatch(/rm is not allowed here/);
    expect(tools.find((t) => t.tool_use_id === 'toolu_hook_ok')!.status).toBe('ok');
    const notes = eventsOfType(run.session.events, 'notification');
    expect(notes.some((n) => n.kind === 'permission_denied' && /rm is not allowed here/.test(n.message))).toBe(true);
  });

  it('ends the session when the caller breaks out of the loop early', async () => {
    const m = mark('break');
    h().api.script([
      { name: 'slow tool', prompt: m, blocks: [{ type: 'tool_use', id: 'toolu_break_1', name: 'Bash', input: { command: 'sleep 5; echo late', description: 'slow' } }] },
      { name: 'never', after: 'toolu_break_1', blocks: [{ type: 'text', text: 'too late' }] },
    ]);
    // Leave once the tool is running (the caller's PreToolUse hook has seen it).
    let toolStarted!: () => void;
    const running = new Promise<void>((resolve) => (toolStarted = resolve));
    const pre: HookCallbackMatcher = {
      hooks: [
        async () => {
          toolStarted();
          return {};
        },
      ],
    };
    const run = await runTraced(h(), {
      prompt: `${m} go`,
      options: { hooks: { PreToolUse: [pre] } },
      stopAfter: async (msg) => {
        if (msg.type !== 'assistant' || !JSON.stringify(msg.message.content).includes('toolu_break_1')) return false;
        await running;
        return true;
      },
    });
    expect(run.error).toBeUndefined();
    const s = run.session;
    expect(s.status).toBe('ok');
    expect(eventsOfType(s.events, 'llm_message')).toHaveLength(1);
    const notes = eventsOfType(s.events, 'notification');
    expect(notes.some((n) => n.kind === 'abandoned')).toBe(true);
    // The tool that was running when the caller left is closed as interrupted, not left open.
    const tools = eventsOfType(s.events, 'tool_call');
    expect(tools).toHaveLength(1);
    expect(tools[0]).toMatchObject({ tool_use_id: 'toolu_break_1', status: 'interrupted' });
    // Closed when the caller left, not when the 5 s command would have finished.
    expect(tools[0]!.duration_ms).toBeLessThan(4500);
  });

  it('keeps two concurrent runs in separate sessions', async () => {
    const a = mark('concurrent-a');
    const b = mark('concurrent-b');
    h().api.script([
      { name: 'a1', prompt: a, delayMs: 150, blocks: [{ type: 'tool_use', id: 'toolu_cc_a', name: 'Bash', input: { command: 'echo A', description: 'a' } }] },
      { name: 'a2', after: 'toolu_cc_a', blocks: [{ type: 'text', text: 'A done' }] },
      { name: 'b1', prompt: b, delayMs: 100, blocks: [{ type: 'tool_use', id: 'toolu_cc_b', name: 'Bash', input: { command: 'echo B', description: 'b' } }] },
      { name: 'b2', after: 'toolu_cc_b', blocks: [{ type: 'text', text: 'B done' }] },
    ]);
    const [ra, rb] = await Promise.all([
      runTraced(h(), { prompt: `${a} first`, agent: 'agent-a' }),
      runTraced(h(), { prompt: `${b} second`, agent: 'agent-b' }),
    ]);
    expect(ra.traceId).not.toBe(rb.traceId);
    expect(ra.session.id).not.toBe(rb.session.id);
    expect(ra.session.agent.name).toBe('agent-a');
    expect(rb.session.agent.name).toBe('agent-b');
    expect(eventsOfType(ra.session.events, 'tool_call').map((t) => t.tool_use_id)).toEqual(['toolu_cc_a']);
    expect(eventsOfType(rb.session.events, 'tool_call').map((t) => t.tool_use_id)).toEqual(['toolu_cc_b']);
    expect(eventsOfType(ra.session.events, 'user_prompt').map((p) => p.prompt)).toEqual([`${a} first`]);
    expect(eventsOfType(rb.session.events, 'user_prompt').map((p) => p.prompt)).toEqual([`${b} second`]);
    expect(ra.session.conversation_id).not.toBe(rb.session.conversation_id);
  });

  it('reports totals equal to what the SDK result messages say', async () => {
    const m = mark('totals');
    h().api.script([
      {
        name: 't1',
        prompt: m,
        usage: { input_tokens: 1000, output_tokens: 50, cache_read_input_tokens: 400, cache_creation_input_tokens: 100 },
        blocks: [{ type: 'tool_use', id: 'toolu_tot_1', name: 'Bash', input: { command: 'echo t', description: 't' } }],
      },
      { name: 't2', after: 'toolu_tot_1', usage: { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 900 }, blocks: [{ type: 'text', text: 'done' }] },
    ]);
    const run = await runTraced(h(), { prompt: `${m} count` });
    const results = resultsOf(run.messages);
    expect(results).toHaveLength(1);
    const r = results[0]!;
    const t = run.session.totals;
    const mu = Object.values(r.modelUsage);
    const sum = (f: (x: (typeof mu)[number]) => number) => mu.reduce((a, x) => a + f(x), 0);
    expect(t.input_tokens).toBe(sum((x) => x.inputTokens));
    expect(t.output_tokens).toBe(sum((x) => x.outputTokens));
    expect(t.cache_read_input_tokens).toBe(sum((x) => x.cacheReadInputTokens));
    expect(t.cache_creation_input_tokens).toBe(sum((x) => x.cacheCreationInputTokens));
    expect(t.cost_usd).toBeCloseTo(r.total_cost_usd, 6);
    expect(t.turns).toBe(r.num_turns);
    expect(t.duration_ms).toBe(r.duration_ms);
    expect(t.api_duration_ms).toBe(r.duration_api_ms);
    expect(t.sources).toMatchObject({ tokens: 'sdk', cost_usd: 'sdk', turns: 'sdk' });
    expect(Object.keys(run.session.models)).toEqual(Object.keys(r.modelUsage));
    // Per-call usage is exact (streamed), so the event sums reconcile with the SDK's figures.
    const llm = eventsOfType(run.session.events, 'llm_message');
    expect(llm.reduce((a, e) => a + e.usage!.input_tokens, 0)).toBe(2200);
    expect(llm.reduce((a, e) => a + e.usage!.output_tokens, 0)).toBe(130);
    expect(t.input_tokens).toBe(2200);
    expect(t.output_tokens).toBe(130);
  });
});
