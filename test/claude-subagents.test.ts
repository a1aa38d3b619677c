/**
 * Subagents end to end (real SDK + CLI, scripted API, SessionSpanProcessor -> LocalStorage):
 * the Agent tool's subagent nests under its tool call with its own model and tool calls, and
 * `why` is the prompt it was given; background and parallel subagents nest the same way.
 */
import { describe, expect, it } from 'vitest';
import type { SubagentEvent } from '../src/index.js';
import { eventsOfType, resultsOf, runTraced, useHarness } from './support/claude-harness.js';

const h = useHarness();

describe('subagents with the real SDK', () => {
  // Probed: without `run_in_background`, this CLI version launches the Agent tool in the
  // background (PostToolUse returns async_launched), so foreground runs say so explicitly.
  it('nests a foreground subagent, its model calls and its tool call under the Agent tool call', async () => {
    const why = '[sub:fg] Count the files in the working directory and report the number.';
    h().api.script([
      {
        name: 'main delegates',
        prompt: '[scenario:fg]',
        blocks: [
          { type: 'text', text: 'I will delegate this.' },
          { type: 'tool_use', id: 'toolu_agent_fg', name: 'Agent', input: { description: 'Count files', prompt: why, subagent_type: 'general-purpose', run_in_background: false } },
        ],
      },
      {
        name: 'sub runs a tool',
        prompt: '[sub:fg]',
        delayMs: 250,
        blocks: [
          { type: 'thinking', thinking: 'I should list the directory.' },
          { type: 'tool_use', id: 'toolu_sub_ls', name: 'Bash', input: { command: 'ls | wc -l', description: 'count' } },
        ],
        usage: { input_tokens: 300, output_tokens: 40 },
      },
      { name: 'sub reports', after: 'toolu_sub_ls', blocks: [{ type: 'text', text: 'There are 0 files.' }], usage: { input_tokens: 350, output_tokens: 12 } },
      { name: 'main wraps up', after: 'toolu_agent_fg', blocks: [{ type: 'text', text: 'The subagent found 0 files.' }] },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:fg] how many files?' });
    expect(run.error).toBeUndefined();
    expect(h().api.unmatched).toEqual([]);
    const s = run.session;
    expect(s.status).toBe('ok');

    // Top level: prompt, model call, Agent tool call, then the subagent right after it, final model call.
    expect(s.events.map((e) => e.type)).toEqual(['user_prompt', 'llm_message', 'tool_call', 'subagent', 'llm_message']);
    const agentCall = s.events[2]!;
    expect(agentCall).toMatchObject({ type: 'tool_call', name: 'Agent', tool_use_id: 'toolu_agent_fg', status: 'ok' });
    const sub = s.events[3] as SubagentEvent;
    expect(sub).toMatchObject({
      type: 'subagent',
      agent_type: 'general-purpose',
      why,
      description: 'Count files',
      tool_use_id: 'toolu_agent_fg',
      status: 'ok',
    });
    expect(sub.agent_id).toMatch(/^a[0-9a-f]+$/);
    expect(sub.transcript_path).toMatch(new RegExp(`agent-${sub.agent_id}\\.jsonl$`));

    // Its own events: model call with thinking + tool_use, the Bash call, its final answer.
    expect(sub.events.map((e) => e.type)).toEqual(['llm_message', 'tool_call', 'llm_message']);
    const [subChat, subTool, subFinal] = sub.events;
    expect(subChat).toMatchObject({ type: 'llm_message', thinking: 'I should list the directory.' });
    expect(subTool).toMatchObject({ type: 'tool_call', name: 'Bash', tool_use_id: 'toolu_sub_ls', status: 'ok', input: { command: 'ls | wc -l' } });
    expect(subFinal).toMatchObject({ type: 'llm_message', text: 'There are 0 files.' });
    // Not streamed either: the call is timed from the subagent's input (its prompt) to the response.
    expect((subChat as { duration_ms: number }).duration_ms).toBeGreaterThanOrEqual(200);
    // Subagent calls are not streamed to the SDK; their final usage comes from the transcript.
    expect((subChat as { usage: object }).usage).toMatchObject({ input_tokens: 300, output_tokens: 40 });
    expect((subFinal as { usage: object }).usage).toMatchObject({ input_tokens: 350, output_tokens: 12 });
    // ... and so does the stop reason, which the forwarded messages lack.
    expect((subChat as { finish_reasons?: string[] }).finish_reasons).toEqual(['tool_use']);
    expect((subFinal as { finish_reasons?: string[] }).finish_reasons).toEqual(['end_turn']);

    // The subagent's tool call is not also at top level.
    expect(s.events.filter((e) => e.type === 'tool_call').map((e) => (e as { tool_use_id?: string }).tool_use_id)).toEqual(['toolu_agent_fg']);
    expect(s.totals.subagents).toBe(1);
    expect(s.totals.tool_calls).toBe(2);
    // Totals include the subagent's calls (modelUsage covers them); the SDK's figures win.
    const r = resultsOf(run.messages).at(-1)!;
    expect(s.totals.cost_usd).toBeCloseTo(r.total_cost_usd, 6);
    expect(s.totals.input_tokens).toBe(Object.values(r.modelUsage).reduce((a, u) => a + u.inputTokens, 0));
    // Every call's usage is exact, so the per-call token sums reconcile with the SDK's totals
    // (event_sums is still shown because calls carry no cost of their own).
    const sums = s.totals.event_sums ?? s.totals;
    const tokens = (u: typeof sums) => ({
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
      cache_read_input_tokens: u.cache_read_input_tokens,
      cache_creation_input_tokens: u.cache_creation_input_tokens,
    });
    expect(tokens(sums)).toEqual({
      input_tokens: s.totals.input_tokens,
      output_tokens: s.totals.output_tokens,
      cache_read_input_tokens: s.totals.cache_read_input_tokens,
      cache_creation_input_tokens: s.totals.cache_creation_input_tokens,
    });
    // The caller did not ask for subagent text: the subagent's text-only message is not yielded.
    const subTexts = run.messages.filter(
      (x) => x.type === 'assistant' && x.parent_tool_use_id && x.message.content.every((b: { type: string }) => b.type === 'text'),
    );
    expect(subTexts).toEqual([]);
  });

  it('nests a background subagent and ends the session only after its later turn', async () => {
    const why = '[sub:bg] Check the disk in the background.';
    h().api.script([
      {
        name: 'main launches',
        prompt: '[scenario:bg]',
        blocks: [{ type: 'tool_use', id: 'toolu_agent_bg', name: 'Agent', input: { description: 'Disk check', prompt: why, subagent_type: 'general-purpose', run_in_background: true } }],
      },
      { name: 'main acknowledges', after: 'toolu_agent_bg', blocks: [{ type: 'text', text: 'Started it in the background.' }] },
      // The subagent is slower than the main thread's first turn, so the first result comes first.
      { name: 'sub tool', prompt: '[sub:bg]', delayMs: 1200, blocks: [{ type: 'tool_use', id: 'toolu_bg_df', name: 'Bash', input: { command: 'echo disk-ok', description: 'df' } }] },
      { name: 'sub done', after: 'toolu_bg_df', blocks: [{ type: 'text', text: 'Disk is fine.' }] },
      {
        name: 'main sees notification',
        prompt: '[scenario:bg]',
        fresh: false,
        when: (v) => v.lastText.includes('task-notification'),
        blocks: [{ type: 'text', text: 'The background check says the disk is fine.' }],
      },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:bg] check the disk' });
    expect(run.error).toBeUndefined();
    expect(h().api.pending()).toEqual([]);
    const results = resultsOf(run.messages);
    expect(results).toHaveLength(2);
    const s = run.session;
    expect(s.status).toBe('ok');
    const subs = eventsOfType(s.events, 'subagent');
    expect(subs).toHaveLength(1);
    const sub = subs[0]!;
    expect(sub).toMatchObject({ why, tool_use_id: 'toolu_agent_bg', agent_type: 'general-purpose' });
    expect(sub.events.map((e) => e.type)).toEqual(['llm_message', 'tool_call', 'llm_message']);
    expect(sub.events[1]).toMatchObject({ tool_use_id: 'toolu_bg_df', status: 'ok' });
    // The Agent tool call returned at launch; the subagent outlived it.
    const launch = s.events.find((e) => e.type === 'tool_call')!;
    expect(Date.parse(sub.ended_at)).toBeGreaterThan(Date.parse((launch as { ended_at: string }).ended_at));
    // The task notification that woke the main thread is a synthetic prompt.
    const prompts = eventsOfType(s.events, 'user_prompt');
    expect(prompts).toHaveLength(2);
    expect(prompts[1]!.synthetic).toBe(true);
    expect(prompts[1]!.prompt).toContain('<task-notification>');
    // The session covers both turns: the root ended after the second result.
    const texts = eventsOfType(s.events, 'llm_message').map((e) => e.text);
    expect(texts).toContain('The background check says the disk is fine.');
    // Totals: the SDK's figures are running totals, so the latest result's, not a sum.
    const last = results[1]!;
    expect(s.totals.cost_usd).toBeCloseTo(last.total_cost_usd, 6);
    expect(s.totals.input_tokens).toBe(Object.values(last.modelUsage).reduce((a, u) => a + u.inputTokens, 0));
    expect(s.totals.turns).toBe(results[0]!.num_turns + results[1]!.num_turns);
  });

  it('nests parallel subagents each under its own Agent tool call', async () => {
    h().api.script([
      {
        name: 'main fans out',
        prompt: '[scenario:par-sub]',
        blocks: [
          { type: 'tool_use', id: 'toolu_agent_p1', name: 'Agent', input: { description: 'First', prompt: '[sub:p1] do part one', subagent_type: 'general-purpose', run_in_background: false } },
          { type: 'tool_use', id: 'toolu_agent_p2', name: 'Agent', input: { description: 'Second', prompt: '[sub:p2] do part two', subagent_type: 'general-purpose', run_in_background: false } },
        ],
      },
      { name: 'p1 tool', prompt: '[sub:p1]', delayMs: 100, blocks: [{ type: 'tool_use', id: 'toolu_p1_cmd', name: 'Bash', input: { command: 'echo one', description: 'one' } }] },
      { name: 'p1 done', after: 'toolu_p1_cmd', blocks: [{ type: 'text', text: 'part one done' }] },
      { name: 'p2 tool', prompt: '[sub:p2]', blocks: [{ type: 'tool_use', id: 'toolu_p2_cmd', name: 'Bash', input: { command: 'echo two', description: 'two' } }] },
      { name: 'p2 done', after: 'toolu_p2_cmd', blocks: [{ type: 'text', text: 'part two done' }] },
      { name: 'main done', after: ['toolu_agent_p1', 'toolu_agent_p2'], blocks: [{ type: 'text', text: 'Both parts done.' }] },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:par-sub] split the work' });
    expect(run.error).toBeUndefined();
    expect(h().api.pending()).toEqual([]);
    const subs = eventsOfType(run.session.events, 'subagent');
    expect(subs).toHaveLength(2);
    const byTool = Object.fromEntries(subs.map((x) => [x.tool_use_id, x]));
    expect(byTool.toolu_agent_p1!.why).toBe('[sub:p1] do part one');
    expect(byTool.toolu_agent_p2!.why).toBe('[sub:p2] do part two');
    const toolIds = (x: SubagentEvent) => x.events.filter((e) => e.type === 'tool_call').map((e) => (e as { tool_use_id?: string }).tool_use_id);
    expect(toolIds(byTool.toolu_agent_p1!)).toEqual(['toolu_p1_cmd']);
    expect(toolIds(byTool.toolu_agent_p2!)).toEqual(['toolu_p2_cmd']);
    expect(byTool.toolu_agent_p1!.agent_id).not.toBe(byTool.toolu_agent_p2!.agent_id);
  });

  it('nests a subagent started by a subagent under that subagent', async () => {
    h().api.script([
      { name: 'main', prompt: '[scenario:nest]', blocks: [{ type: 'tool_use', id: 'toolu_nest_1', name: 'Agent', input: { description: 'outer', prompt: '[sub:outer] delegate again', subagent_type: 'general-purpose', run_in_background: false } }] },
      { name: 'outer', prompt: '[sub:outer]', blocks: [{ type: 'tool_use', id: 'toolu_nest_2', name: 'Agent', input: { description: 'inner', prompt: '[sub:inner] run it', subagent_type: 'general-purpose', run_in_background: false } }] },
      { name: 'inner', prompt: '[sub:inner]', blocks: [{ type: 'tool_use', id: 'toolu_nest_3', name: 'Bash', input: { command: 'echo deep', description: 'deep' } }] },
      { name: 'inner done', after: 'toolu_nest_3', blocks: [{ type: 'text', text: 'inner done' }] },
      { name: 'outer done', after: 'toolu_nest_2', blocks: [{ type: 'text', text: 'outer done' }] },
      { name: 'main done', after: 'toolu_nest_1', blocks: [{ type: 'text', text: 'all done' }] },
    ]);
    const run = await runTraced(h(), { prompt: '[scenario:nest] go' });
    expect(run.error).toBeUndefined();
    expect(h().api.pending()).toEqual([]);
    const top = run.session.events;
    const outer = top.find((e): e is SubagentEvent => e.type === 'subagent')!;
    expect(outer).toMatchObject({ tool_use_id: 'toolu_nest_1', why: '[sub:outer] delegate again' });
    const inner = outer.events.find((e): e is SubagentEvent => e.type === 'subagent')!;
    expect(inner).toMatchObject({ tool_use_id: 'toolu_nest_2', why: '[sub:inner] run it' });
    expect(inner.events.filter((e) => e.type === 'tool_call').map((e) => (e as { tool_use_id?: string }).tool_use_id)).toEqual(['toolu_nest_3']);
    expect(outer.events.filter((e) => e.type === 'tool_call').map((e) => (e as { tool_use_id?: string }).tool_use_id)).toEqual(['toolu_nest_2']);
    expect(run.session.totals.subagents).toBe(2);
  });
});
