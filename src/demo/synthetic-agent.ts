/**
 * A representative agent run emitted as real OpenTelemetry spans through a real Tracer, following
 * the span contract the Claude instrumentation uses (see README "Span and attribute mapping").
 * Used by the demo, tests and the benchmark; not part of the package.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import * as sc from '../spans/semconv.js';

export interface SyntheticRunOptions {
  agent?: string;
  environment?: string;
  tags?: string[];
  metadata?: Record<string, string | number | boolean>;
  prompt?: string;
  model?: string;
  /** Epoch ms the run starts at (spans get explicit, deterministic times). */
  startMs?: number;
  /** Size of each tool result in bytes. */
  toolResultBytes?: number;
  /** Extra successful tool calls after the fixed script (to reach a span count). */
  extraToolCalls?: number;
  /** Include the subagent (Agent tool → nested invoke_agent). */
  subagent?: boolean;
  /** Root-reported SDK totals (as tracedQuery sets them). */
  sdkTotals?: boolean;
  /** End the root span (false leaves the run open). */
  endRoot?: boolean;
  /** Parent context (e.g. an HTTP server span around the agent). */
  parent?: ReturnType<typeof context.active>;
}

export interface SyntheticRun {
  traceId: string;
  rootSpanId: string;
  spanCount: number;
  root: Span;
}

const usage = (input: number, output: number, cacheRead = 0): Attributes => ({
  [sc.GEN_AI_USAGE_INPUT_TOKENS]: input,
  [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: output,
  [sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: cacheRead,
  [sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
});

function output(parts: object[], finish: string): string {
  return JSON.stringify([{ role: 'assistant', parts, finish_reason: finish }]);
}

export function emitAgentRun(tracer: Tracer, o: SyntheticRunOptions = {}): SyntheticRun {
  const model = o.model ?? 'claude-sonnet-4-5';
  const agent = o.agent ?? 'support-bot';
  const bytes = o.toolResultBytes ?? 200;
  let t = o.startMs ?? Date.now();
  let spans = 0;
  const tick = (ms: number) => (t += ms);

  const start = (name: string, attributes: Attributes, parent: Span | undefined, kind = SpanKind.INTERNAL): Span => {
    spans += 1;
    const ctx = parent ? trace.setSpan(o.parent ?? context.active(), parent) : (o.parent ?? context.active());
    return tracer.startSpan(name, { kind, attributes, startTime: t }, ctx);
  };

  const chat = (parent: Span, parts: object[], finish: string, input: number, out: number, cost: number) => {
    const s = start(`chat ${model}`, { [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT, [sc.GEN_AI_PROVIDER_NAME]: 'anthropic', [sc.GEN_AI_REQUEST_MODEL]: model }, parent, SpanKind.CLIENT);
    tick(800);
    s.setAttributes({
      [sc.GEN_AI_RESPONSE_MODEL]: model,
      [sc.GEN_AI_RESPONSE_ID]: `msg_${spans}`,
      [sc.GEN_AI_RESPONSE_FINISH_REASONS]: [finish],
      [sc.GEN_AI_OUTPUT_MESSAGES]: output(parts, finish),
      [sc.AMS_COST_USD]: cost,
      ...usage(input, out, 100),
    });
    s.end(t);
  };

  const tool = (parent: Span, name: string, id: string, input: object, result: string | undefined, error?: string): Span => {
    const s = start(`execute_tool ${name}`, {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_EXECUTE_TOOL,
      [sc.GEN_AI_TOOL_NAME]: name,
      [sc.GEN_AI_TOOL_CALL_ID]: id,
      [sc.GEN_AI_TOOL_TYPE]: 'function',
      [sc.GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify(input),
    }, parent);
    tick(120);
    if (error) {
      s.setAttributes({ [sc.AMS_TOOL_STATUS]: 'error', [sc.ERROR_TYPE]: 'tool_error' });
      s.setStatus({ code: SpanStatusCode.ERROR, message: error });
    } else {
      s.setAttributes({ [sc.GEN_AI_TOOL_CALL_RESULT]: result ?? '', [sc.AMS_TOOL_STATUS]: 'ok' });
    }
    return s;
  };

  const metadata: Attributes = {};
  for (const [k, v] of Object.entries(o.metadata ?? { team_id: 't_42' })) metadata[`${sc.AMS_METADATA_PREFIX}${k}`] = v;
  const root = start(`invoke_agent ${agent}`, {
    [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT,
    [sc.GEN_AI_PROVIDER_NAME]: 'anthropic',
    [sc.GEN_AI_AGENT_NAME]: agent,
    [sc.GEN_AI_AGENT_VERSION]: '2026.06',
    [sc.GEN_AI_REQUEST_MODEL]: model,
    [sc.GEN_AI_CONVERSATION_ID]: `conv-${Math.random().toString(16).slice(2, 10)}`,
    [sc.AMS_ENVIRONMENT]: o.environment ?? 'prod',
    [sc.AMS_TAGS]: o.tags ?? ['voice'],
    ...metadata,
  }, undefined);
  const prompt = o.prompt ?? 'The nightly build is failing. Find out why and fix it.';
  root.addEvent(sc.EVENT_USER_PROMPT, { [sc.AMS_PROMPT]: prompt }, t);
  tick(5);

  const big = 'x'.repeat(bytes);
  chat(root, [
    { type: 'reasoning', content: 'I should look at the build log and the failing test first.' },
    { type: 'text', content: 'Let me check the build log and the test file.' },
    { type: 'tool_call', id: 'toolu_01', name: 'Bash', arguments: { command: 'npm run build' } },
    { type: 'tool_call', id: 'toolu_02', name: 'Read', arguments: { file_path: '/repo/test/build.test.ts' } },
  ], 'tool_use', 1200, 180, 0.0063);
  tool(root, 'Bash', 'toolu_01', { command: 'npm run build' }, `error TS2345 in src/app.ts:12 ${big}`).end(t);
  tool(root, 'Read', 'toolu_02', { file_path: '/repo/test/build.test.ts' }, undefined, 'ENOENT: no such file or directory').end(t);

  chat(root, [
    { type: 'reasoning', content: 'The test file is missing; a subagent can search the repository.' },
    { type: 'tool_call', id: 'toolu_03', name: 'Agent', arguments: { description: 'Find the test', prompt: 'Find where the build test moved to.' } },
  ], 'tool_use', 1500, 90, 0.0058);

  if (o.subagent !== false) {
    const agentTool = tool(root, 'Agent', 'toolu_03', { description: 'Find the test', prompt: 'Find where the build test moved to.', subagent_type: 'general-purpose' }, undefined);
    const sub = start('invoke_agent general-purpose', {
      [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT,
      [sc.GEN_AI_AGENT_NAME]: 'general-purpose',
      [sc.GEN_AI_AGENT_ID]: 'agent_7f3a',
      [sc.AMS_SUBAGENT_TYPE]: 'general-purpose',
      [sc.AMS_SUBAGENT_PROMPT]: 'Find where the build test moved to.',
      [sc.AMS_SUBAGENT_DESCRIPTION]: 'Find the test',
      [sc.AMS_SUBAGENT_TRANSCRIPT_PATH]: '/home/dev/.claude/projects/repo/agent_7f3a.jsonl',
    }, agentTool);
    tick(5);
    chat(sub, [{ type: 'tool_call', id: 'toolu_04', name: 'Grep', arguments: { pattern: 'build.test' } }], 'tool_use', 900, 40, 0.003);
    tool(sub, 'Grep', 'toolu_04', { pattern: 'build.test' }, 'test/ci/build.test.ts').end(t);
    chat(sub, [{ type: 'text', content: 'It moved to test/ci/build.test.ts.' }], 'end_turn', 1000, 30, 0.0031);
    sub.end(t);
    agentTool.setAttribute(sc.GEN_AI_TOOL_CALL_RESULT, 'It moved to test/ci/build.test.ts.');
    agentTool.end(tick(3));
  }

  for (let i = 0; i < (o.extraToolCalls ?? 0); i++) {
    tool(root, 'Read', `toolu_x${i}`, { file_path: `/repo/src/file${i}.ts` }, big).end(t);
  }

  root.addEvent(sc.EVENT_NOTIFICATION, { [sc.AMS_MESSAGE]: 'Build fixed; waiting for review', [sc.AMS_NOTIFICATION_KIND]: 'idle' }, t);
  chat(root, [
    { type: 'reasoning', content: 'Update the import path and re-run the build.' },
    { type: 'text', content: 'The test moved to test/ci/; I updated the import and the build passes.' },
  ], 'end_turn', 1800, 120, 0.0074);

  if (o.sdkTotals) {
    root.setAttributes({
      ...usage(6400, 460, 500),
      [sc.AMS_COST_USD]: 0.0256,
      [sc.AMS_USAGE_SOURCE]: 'sdk',
      [sc.AMS_TURNS]: 3,
      [sc.AMS_DURATION_MS]: t - (o.startMs ?? t),
    });
  }
  const rootSpanId = root.spanContext().spanId;
  if (o.endRoot !== false) root.end(tick(2));
  return { traceId: root.spanContext().traceId, rootSpanId, spanCount: spans, root };
}
