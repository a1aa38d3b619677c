/**
 * Hook overhead of the Claude instrumentation, per tool call.
 *
 *   npx tsx bench/claude-hooks.ts [--calls 5000] [--runs 7] [--tools 24]
 *
 * 1. In process: what our hook bodies and message recording cost per tool call (PreToolUse +
 *    PostToolUse + the assistant/tool_result messages), with a real NodeTracerProvider and
 *    SessionSpanProcessor writing to a temp folder.
 * 2. End to end: the real SDK + CLI against the scripted API, one response with N tool calls,
 *    plain query() vs tracedQuery(), alternating runs. This includes the CLI -> SDK round trip
 *    for each hook callback, which any hook pays.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { query } from '@anthropic-ai/claude-agent-sdk';
import type { HookCallbackMatcher, HookEvent, HookInput, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import { ClaudeTracer, instrumentOptions, tracedQuery } from '../src/claude/index.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import type { ScriptedBlock } from '../src/demo/scripted-api.js';
import { claudeSandbox } from '../src/demo/claude-env.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('calls', 5000);
const RUNS = arg('runs', 7);
const TOOLS = arg('tools', 24);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const median = (xs: number[]) => pct(xs, 50);

async function inProcess(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-bench-'));
  const provider = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir }) })] });
  const tracer = new ClaudeTracer({ tracerProvider: provider });
  instrumentOptions({}, tracer);
  const signal = new AbortController().signal;
  const hook = (e: HookEvent) => (tracer.hooks[e] as HookCallbackMatcher[])[0]!.hooks[0]!;
  const pre = hook('PreToolUse');
  const post = hook('PostToolUse');
  const base = { session_id: 'bench-session', transcript_path: '/tmp/t.jsonl', cwd: '/tmp' };
  const samples: number[] = [];
  for (let i = 0; i < CALLS + 200; i++) {
    const id = `toolu_bench_${i}`;
    const input = { command: `echo ${i}`, description: 'bench' };
    const assistant = {
      type: 'assistant',
      parent_tool_use_id: null,
      session_id: 'bench-session',
      uuid: `u${i}`,
      message: { id: `msg_${i}`, model: 'claude-sonnet-4-5', role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input }], usage: { input_tokens: 10, output_tokens: 1 } },
    } as unknown as SDKMessage;
    const result = {
      type: 'user',
      parent_tool_use_id: null,
      session_id: 'bench-session',
      uuid: `r${i}`,
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: String(i), is_error: false }] },
    } as unknown as SDKMessage;
    const t0 = performance.now();
    tracer.recordMessage(assistant);
    await pre({ ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: input, tool_use_id: id } as HookInput, id, { signal });
    await post({ ...base, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: input, tool_response: { stdout: String(i), stderr: '' }, tool_use_id: id } as HookInput, id, { signal });
    tracer.recordMessage(result);
    const dt = performance.now() - t0;
    if (i >= 200) samples.push(dt * 1000); // after warm-up, in µs
  }
  const t0 = performance.now();
  tracer.finish();
  const finishMs = performance.now() - t0;
  await provider.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`\n## Claude Agent SDK hook overhead`);
  console.log(`in process, per tool call (hooks + messages + chat span), ${CALLS} calls:`);
  console.log(`  mean ${mean.toFixed(1)} µs   p50 ${pct(samples, 50).toFixed(1)} µs   p99 ${pct(samples, 99).toFixed(1)} µs   max ${Math.max(...samples).toFixed(1)} µs`);
  console.log(`  finish() with ${CALLS + 200} tool spans: ${finishMs.toFixed(1)} ms`);
}

async function endToEnd(): Promise<void> {
  const api = await startScriptedApi();
  const sandbox = claudeSandbox(api.url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-bench-'));
  const provider = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir }) })] });
  const file = path.join(String(sandbox.options.cwd), 'small.txt');
  fs.writeFileSync(file, 'hello\n');
  const script = (tag: string) => {
    const blocks: ScriptedBlock[] = Array.from({ length: TOOLS }, (_, i) => ({ type: 'tool_use', id: `toolu_${tag}_${i}`, name: 'Read', input: { file_path: file } }));
    api.script([
      { prompt: tag, blocks },
      { after: blocks.map((b) => (b as { id: string }).id), blocks: [{ type: 'text', text: 'done' }] },
    ]);
  };
  // Wall time includes spawning the CLI (the noisiest part); the result's duration_ms is the
  // CLI's own time for the turn, which is where hook round trips land. Both are shown.
  // 'hooks only': no-op PreToolUse/PostToolUse hooks and nothing else, i.e. the round trip that
  // any hook costs; 'traced' minus that is our own work plus the partial-message traffic.
  const noop: HookCallbackMatcher[] = [{ hooks: [async () => ({})] }];
  const hooksOnly = { ...sandbox.options, hooks: { PreToolUse: noop, PostToolUse: noop } };
  const modes = ['plain', 'hooks only', 'traced'] as const;
  type Mode = (typeof modes)[number];
  const wall: Record<Mode, number[]> = { plain: [], 'hooks only': [], traced: [] };
  const turn: Record<Mode, number[]> = { plain: [], 'hooks only': [], traced: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of modes) {
      const tag = `[bench:${mode}:${r}]`;
      script(tag);
      const t0 = performance.now();
      const q =
        mode === 'traced'
          ? tracedQuery({ prompt: tag, options: sandbox.options, tracerProvider: provider })
          : query({ prompt: tag, options: mode === 'plain' ? sandbox.options : hooksOnly });
      for await (const m of q) if (m.type === 'result') turn[mode].push(m.duration_ms);
      wall[mode].push(performance.now() - t0);
    }
  }
  await provider.shutdown();
  await api.close();
  sandbox.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  const line = (label: string, xs: Record<Mode, number[]>) => {
    const base = median(xs.plain);
    const cell = (m: Mode) => `${m} ${median(xs[m]).toFixed(0)} ms${m === 'plain' ? '' : ` (+${((median(xs[m]) - base) / TOOLS).toFixed(2)} ms/tool call, ×${(median(xs[m]) / base).toFixed(2)} of plain)`}`;
    console.log(`  ${label}: ${modes.map(cell).join('   ')}`);
    for (const m of modes) console.log(`    ${m}: [${xs[m].map((x) => x.toFixed(0)).join(', ')}]`);
  };
  console.log(`end to end, real SDK + CLI, ${TOOLS} tool calls per run, ${RUNS} runs each (medians):`);
  line('CLI turn time (result.duration_ms)', turn);
  line('wall time incl. CLI start', wall);
}

await inProcess();
await endToEnd();
