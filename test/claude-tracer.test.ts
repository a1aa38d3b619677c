/**
 * ClaudeTracer in isolation: a recorded real run (test/fixtures/claude/subagent-run.jsonl, made
 * by test/support/claude-record.ts from the real CLI) replayed into a real TracerProvider, in the
 * order it happened and in the order a slow consumer would see it; plus the content switches,
 * truncation, configuration and the never-throw guarantees.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { HookCallbackMatcher, HookEvent, HookInput, Options, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { ClaudeTracer, instrumentOptions, tracedQuery } from '../src/claude/index.js';
import type { ClaudeTracerOptions } from '../src/claude/index.js';
import { resolveConfig } from '../src/claude/config.js';
import { truncate } from '../src/emitter/text.js';
import { ResultTotals } from '../src/claude/totals.js';
import * as sc from '../src/spans/semconv.js';

const here = path.dirname(fileURLToPath(import.meta.url));
type Entry = { kind: 'hook'; event: HookEvent; toolUseId: string | null; input: HookInput } | { kind: 'message'; message: SDKMessage };
const recorded: Entry[] = fs
  .readFileSync(path.join(here, 'fixtures/claude/subagent-run.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Entry);

function setup(options: Omit<ClaudeTracerOptions, 'tracerProvider'> = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = new ClaudeTracer({ ...options, tracerProvider: provider });
  instrumentOptions({}, tracer);
  return { exporter, tracer };
}

async function callHook(tracer: ClaudeTracer, event: HookEvent, input: unknown, toolUseId?: string): Promise<unknown> {
  const matchers = tracer.hooks[event] as HookCallbackMatcher[];
  return matchers[0]!.hooks[0]!(input as HookInput, toolUseId, { signal: new AbortController().signal });
}

async function replay(tracer: ClaudeTracer, entries: Entry[]): Promise<void> {
  for (const e of entries) {
    if (e.kind === 'hook') await callHook(tracer, e.event, e.input, e.toolUseId ?? undefined);
    else tracer.recordMessage(e.message);
  }
  tracer.finish();
}

/** parent name > child name lines, for comparing trees. */
function shape(spans: ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const label = (s: ReadableSpan) => `${s.name}${s.attributes[sc.GEN_AI_TOOL_CALL_ID] ? `#${String(s.attributes[sc.GEN_AI_TOOL_CALL_ID])}` : ''}`;
  return spans
    .map((s) => {
      const parent = s.parentSpanContext ? byId.get(s.parentSpanContext.spanId) : undefined;
      return `${parent ? label(parent) : '(root)'} > ${label(s)}`;
    })
    .sort();
}

const EXPECTED_SHAPE = [
  '(root) > invoke_agent claude-agent',
  'execute_tool Agent#toolu_demo_agent > invoke_agent general-purpose',
  'invoke_agent claude-agent > chat claude-sonnet-4-5',
  'invoke_agent claude-agent > chat claude-sonnet-4-5',
  'invoke_agent claude-agent > chat claude-sonnet-4-5',
  'invoke_agent claude-agent > execute_tool Agent#toolu_demo_agent',
  'invoke_agent claude-agent > execute_tool Bash#toolu_demo_count',
  'invoke_agent claude-agent > execute_tool Bash#toolu_demo_missing',
  'invoke_agent general-purpose > chat claude-sonnet-4-5',
  'invoke_agent general-purpose > chat claude-sonnet-4-5',
  'invoke_agent general-purpose > execute_tool Bash#toolu_demo_du',
].sort();

describe('ClaudeTracer replaying a recorded real run', () => {
  it('builds the span tree in the order things happened', async () => {
    const { exporter, tracer } = setup();
    await replay(tracer, recorded);
    const spans = exporter.getFinishedSpans();
    expect(shape(spans)).toEqual(EXPECTED_SHAPE);
    const root = spans.find((s) => s.name === 'invoke_agent claude-agent')!;
    // The root ends last, after every child: the session is complete when it is written.
    for (const s of spans) expect(s.endTime[0] * 1e9 + s.endTime[1]).toBeLessThanOrEqual(root.endTime[0] * 1e9 + root.endTime[1]);
    expect(spans.at(-1)).toBe(root);
    const sub = spans.find((s) => s.name === 'invoke_agent general-purpose')!;
    expect(sub.attributes[sc.AMS_SUBAGENT_PROMPT]).toMatch(/^\[demo-sub\] Check the disk usage/);
    expect(sub.attributes[sc.GEN_AI_AGENT_ID]).toMatch(/^a[0-9a-f]+$/);
    expect(sub.attributes[sc.AMS_SUBAGENT_TRANSCRIPT_PATH]).toMatch(/^\/home\/test\/.*agent-a[0-9a-f]+\.jsonl$/);
    expect(root.attributes[sc.GEN_AI_CONVERSATION_ID]).toMatch(/^[0-9a-f-]{36}$/);
    expect(root.attributes[sc.AMS_USAGE_SOURCE]).toBe('sdk');
  });

  it('builds the same tree when the caller reads messages late (every hook first)', async () => {
    const { exporter, tracer } = setup();
    const hooks = recorded.filter((e) => e.kind === 'hook');
    const messages = recorded.filter((e) => e.kind === 'message');
    await replay(tracer, [...hooks, ...messages]);
    expect(shape(exporter.getFinishedSpans())).toEqual(EXPECTED_SHAPE);
  });

  it('builds the same tree from the message stream alone (recordMessage without hooks)', async () => {
    const { exporter, tracer } = setup();
    await replay(tracer, recorded.filter((e) => e.kind === 'message'));
    const spans = exporter.getFinishedSpans();
    expect(shape(spans)).toEqual(EXPECTED_SHAPE);
    const failed = spans.find((s) => s.attributes[sc.GEN_AI_TOOL_CALL_ID] === 'toolu_demo_missing')!;
    expect(failed.attributes[sc.AMS_TOOL_STATUS]).toBe('error');
    expect(failed.status.message).toMatch(/does-not-exist/);
  });

  it('omits content and thinking when the switches are off, and keeps the structure', async () => {
    const { exporter, tracer } = setup({ captureContent: false, captureThinking: false });
    await replay(tracer, recorded);
    const spans = exporter.getFinishedSpans();
    expect(shape(spans)).toEqual(EXPECTED_SHAPE);
    const all = JSON.stringify(spans.map((s) => ({ a: s.attributes, e: s.events })));
    expect(all).not.toContain('du -sh');
    expect(all).not.toContain('healthy');
    expect(all).not.toContain('can go to a subagent'); // no reasoning text
    expect(all).not.toContain('How big is this project');
    const tool = spans.find((s) => s.attributes[sc.GEN_AI_TOOL_CALL_ID] === 'toolu_demo_count')!;
    expect(tool.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
    expect(tool.attributes[sc.GEN_AI_TOOL_CALL_RESULT]).toBeUndefined();
    expect(tool.attributes[sc.GEN_AI_TOOL_NAME]).toBe('Bash');
    const root = spans.find((s) => s.name === 'invoke_agent claude-agent')!;
    const prompt = root.events.find((e) => e.name === sc.EVENT_USER_PROMPT)!;
    expect(prompt.attributes?.[sc.AMS_PROMPT]).toBeUndefined();
    const chat = spans.find((s) => s.name.startsWith('chat') && String(s.attributes[sc.GEN_AI_OUTPUT_MESSAGES]).includes('tool_call'))!;
    const out = JSON.parse(String(chat.attributes[sc.GEN_AI_OUTPUT_MESSAGES])) as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(out[0]!.parts.some((p) => p.type === 'reasoning')).toBe(false);
    expect(out[0]!.parts.filter((p) => p.type === 'tool_call').every((p) => p.arguments === undefined && typeof p.name === 'string')).toBe(true);
  });

  it('cuts long values with a marker and records the original size', async () => {
    const { exporter, tracer } = setup({ maxAttributeLength: 200 });
    const big = 'x'.repeat(5000);
    await callHook(tracer, 'PreToolUse', { hook_event_name: 'PreToolUse', session_id: 's', tool_name: 'Bash', tool_use_id: 'toolu_big', tool_input: { command: big } });
    await callHook(tracer, 'PostToolUse', { hook_event_name: 'PostToolUse', session_id: 's', tool_name: 'Bash', tool_use_id: 'toolu_big', tool_input: { command: big }, tool_response: big });
    tracer.finish();
    const tool = exporter.getFinishedSpans().find((s) => s.name === 'execute_tool Bash')!;
    const result = String(tool.attributes[sc.GEN_AI_TOOL_CALL_RESULT]);
    expect(result.length).toBeLessThanOrEqual(200);
    expect(result).toMatch(/…\[truncated \d+ chars\]$/);
    expect(tool.attributes[sc.GEN_AI_TOOL_CALL_RESULT + sc.AMS_TRUNCATED_SUFFIX]).toBe(5000);
    expect(tool.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS + sc.AMS_TRUNCATED_SUFFIX]).toBe(JSON.stringify({ command: big }).length);
    const cut = Number(/truncated (\d+) chars/.exec(result)![1]);
    expect(result.length - `…[truncated ${cut} chars]`.length + cut).toBe(5000);
  });
});

describe('ClaudeTracer guarantees', () => {
  it('never throws into the SDK or the caller and hooks always return {}', async () => {
    const { exporter, tracer } = setup();
    for (const junk of [null, undefined, 42, 'str', {}, { type: 'assistant' }, { type: 'assistant', message: { content: 'nope' } }, { type: 'user', message: null }, { type: 'result', modelUsage: 'x' }, { type: 'stream_event', event: { type: 'message_delta' } }]) {
      expect(() => tracer.recordMessage(junk as unknown as SDKMessage)).not.toThrow();
    }
    for (const event of Object.keys(tracer.hooks) as HookEvent[]) {
      await expect(callHook(tracer, event, null)).resolves.toEqual({});
      await expect(callHook(tracer, event, { hook_event_name: event, tool_use_id: 7, agent_id: {} })).resolves.toEqual({});
    }
    expect(() => tracer.finish({ error: new Error('boom') })).not.toThrow();
    expect(() => tracer.finish()).not.toThrow();
    const roots = exporter.getFinishedSpans().filter((s) => s.name === 'invoke_agent claude-agent');
    expect(roots).toHaveLength(1);
    expect(roots[0]!.events.some((e) => e.name === 'exception')).toBe(true);
    // After finish, nothing else is recorded and nothing throws.
    await expect(callHook(tracer, 'PreToolUse', { hook_event_name: 'PreToolUse', tool_use_id: 'late', tool_name: 'Bash' })).resolves.toEqual({});
    expect(exporter.getFinishedSpans().some((s) => s.name === 'execute_tool Bash')).toBe(false);
  });

  it("appends its hooks after the caller's without mutating their options", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = new ClaudeTracer({ tracerProvider: provider });
    const mine: HookCallbackMatcher = { matcher: 'Bash', hooks: [async () => ({})] };
    const options: Options = { model: 'claude-x', hooks: { PreToolUse: [mine] }, includePartialMessages: false };
    const before = JSON.stringify(options);
    const out = instrumentOptions(options, tracer);
    expect(JSON.stringify(options)).toBe(before);
    expect(options.hooks!.PreToolUse).toEqual([mine]);
    expect(out.hooks!.PreToolUse![0]).toBe(mine);
    expect(out.hooks!.PreToolUse).toHaveLength(2);
    expect(out.hooks!.SubagentStart).toHaveLength(1);
    expect(out.includePartialMessages).toBe(true);
    expect(out.model).toBe('claude-x');
    // Stream events exist only for the tracer: recordMessage says not to pass them on.
    const ev = { type: 'stream_event', event: { type: 'message_stop' }, parent_tool_use_id: null, uuid: 'u', session_id: 's' } as unknown as SDKMessage;
    expect(tracer.recordMessage(ev)).toBe(false);
    const tracer2 = new ClaudeTracer({ tracerProvider: provider });
    instrumentOptions({ includePartialMessages: true }, tracer2);
    expect(tracer2.recordMessage(ev)).toBe(true);
    tracer.finish();
    tracer2.finish();
  });
});

describe('notifications and errors', () => {
  it('puts notifications and denials on the span of the agent they belong to', async () => {
    const { exporter, tracer } = setup();
    const base = { session_id: 's1', transcript_path: '/t', cwd: '/' };
    await callHook(tracer, 'Notification', { ...base, hook_event_name: 'Notification', message: 'Claude is waiting for your input', notification_type: 'idle_prompt' });
    await callHook(tracer, 'SubagentStart', { ...base, hook_event_name: 'SubagentStart', agent_id: 'a1', agent_type: 'reviewer' });
    await callHook(tracer, 'PermissionDenied', { ...base, hook_event_name: 'PermissionDenied', agent_id: 'a1', agent_type: 'reviewer', tool_name: 'Write', tool_input: {}, tool_use_id: 'toolu_w', reason: 'auto mode said no' });
    // The same denial from the message stream is not recorded twice.
    tracer.recordMessage({ type: 'system', subtype: 'permission_denied', tool_name: 'Write', tool_use_id: 'toolu_w', agent_id: 'a1', message: 'denied', uuid: 'u', session_id: 's1' } as unknown as SDKMessage);
    tracer.recordMessage({ type: 'system', subtype: 'notification', key: 'rate-limit', text: 'Approaching the rate limit', priority: 'high', uuid: 'u2', session_id: 's1' } as unknown as SDKMessage);
    tracer.finish();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'invoke_agent claude-agent')!;
    const sub = spans.find((s) => s.name === 'invoke_agent reviewer')!;
    const notes = (span: ReadableSpan) => span.events.filter((e) => e.name === sc.EVENT_NOTIFICATION).map((e) => [e.attributes?.[sc.AMS_NOTIFICATION_KIND], e.attributes?.[sc.AMS_MESSAGE]]);
    expect(notes(root)).toEqual([
      ['idle_prompt', 'Claude is waiting for your input'],
      ['rate-limit', 'Approaching the rate limit'],
    ]);
    expect(notes(sub)).toEqual([['permission_denied', 'Write denied: auto mode said no']]);
    // A subagent whose link to a tool call never arrived still ends up in the run, under the root.
    expect(sub.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(root.attributes[sc.GEN_AI_CONVERSATION_ID]).toBe('s1');
  });

  it('records an error thrown by the query and rethrows the very same error', async () => {
    // A stand-in for query(): the real SDK's errors are covered end to end (maxTurns, 529); here
    // the point is identity, which needs an error object the test owns.
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const boom = new TypeError('transport closed');
    const fakeQuery = (() => {
      async function* gen(): AsyncGenerator<SDKMessage, void> {
        yield { type: 'system', subtype: 'init', session_id: 'sess-9', model: 'claude-x', uuid: 'u' } as unknown as SDKMessage;
        throw boom;
      }
      return gen();
    }) as unknown as NonNullable<Parameters<typeof tracedQuery>[0]['query']>;
    const q = tracedQuery({ prompt: 'hi', query: fakeQuery, tracerProvider: provider });
    let caught: unknown;
    try {
      for await (const _ of q) void _;
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(boom);
    const root = exporter.getFinishedSpans().find((s) => s.name === 'invoke_agent claude-agent')!;
    expect(root.status).toMatchObject({ code: 2, message: 'transport closed' });
    expect(root.attributes[sc.ERROR_TYPE]).toBe('TypeError');
    expect(root.attributes[sc.GEN_AI_REQUEST_MODEL]).toBe('claude-x');
    expect(root.events.some((e) => e.name === 'exception')).toBe(true);
  });
});

describe('tracedQuery lifecycle', () => {
  it('ends the run when the query is closed before it was ever read', async () => {
    // A stand-in for query() whose close() we can observe; reading is never started.
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    let closed = false;
    const fakeQuery = (() => {
      async function* gen(): AsyncGenerator<SDKMessage, void> {
        yield* [];
      }
      return Object.assign(gen(), { close: () => void (closed = true) });
    }) as unknown as NonNullable<Parameters<typeof tracedQuery>[0]['query']>;
    const q = tracedQuery({ prompt: 'hi', query: fakeQuery, tracerProvider: provider });
    q.close();
    expect(closed).toBe(true);
    const root = exporter.getFinishedSpans().find((s) => s.name === 'invoke_agent claude-agent')!;
    expect(root.events.map((e) => e.attributes?.[sc.AMS_NOTIFICATION_KIND])).toContain('abandoned');
  });
});

describe('result totals', () => {
  const result = (session: string, cost: number, input: number, extra: Partial<{ turns: number; ms: number; api: number }> = {}) => ({
    session_id: session,
    total_cost_usd: cost,
    num_turns: extra.turns ?? 1,
    duration_ms: extra.ms ?? 100,
    duration_api_ms: extra.api ?? 50,
    modelUsage: { m: { inputTokens: input, outputTokens: input / 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: cost } },
  });

  it('takes the latest running total within a query() call and sums per-result figures', () => {
    const t = new ResultTotals();
    t.add(result('s', 0.1, 1000, { turns: 2, ms: 300, api: 200 }));
    t.add(result('s', 0.25, 2500, { turns: 1, ms: 120, api: 260 }));
    expect(t.totals()).toMatchObject({ results: 2, cost_usd: 0.25, input_tokens: 2500, output_tokens: 250, turns: 3, duration_ms: 420, api_duration_ms: 260 });
  });

  it('starts a new segment on another session or when the running total drops (/clear)', () => {
    const t = new ResultTotals();
    t.add(result('s1', 0.1, 1000));
    t.add(result('s2', 0.05, 400)); // another query() recorded by the same tracer
    t.add(result('s2', 0.02, 100)); // /clear reset the running total
    const totals = t.totals();
    expect(totals.cost_usd).toBeCloseTo(0.17, 10);
    expect(totals.input_tokens).toBe(1500);
    expect(totals.models.m!.input_tokens).toBe(1500);
  });
});

describe('configuration', () => {
  it('takes options over environment over defaults, even with no options object', () => {
    expect(resolveConfig(undefined, undefined, {})).toMatchObject({ captureContent: true, captureThinking: true, agentName: 'claude-agent', maxAttributeLength: 65536 });
    expect(resolveConfig(undefined, undefined, { AMS_CAPTURE_CONTENT: 'off', AMS_CAPTURE_THINKING: 'No' })).toMatchObject({ captureContent: false, captureThinking: false });
    expect(resolveConfig({ captureContent: true }, undefined, { AMS_CAPTURE_CONTENT: '0' }).captureContent).toBe(true);
    expect(resolveConfig({}, 'sdk-agent', {}).agentName).toBe('sdk-agent');
    expect(resolveConfig({ agent: 'named' }, 'sdk-agent', {}).agentName).toBe('named');
  });

  it('warns about a bad value and falls back to the default', () => {
    const warn = vi.fn();
    diag.setLogger({ warn, error: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() }, DiagLogLevel.WARN);
    try {
      expect(resolveConfig(undefined, undefined, { AMS_CAPTURE_THINKING: 'maybe' }).captureThinking).toBe(true);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('AMS_CAPTURE_THINKING'));
    } finally {
      diag.disable();
    }
  });

  it('truncates without splitting surrogate pairs and leaves short values alone', () => {
    expect(truncate('short', 100)).toEqual({ value: 'short' });
    const emoji = '😀'.repeat(100);
    const t = truncate(emoji, 80);
    expect(t.originalSize).toBe(200);
    expect(t.value.length).toBeLessThanOrEqual(80);
    expect(t.value).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
