/**
 * The one emitter and capture config: settings resolve options > environment > default, cut
 * values stay valid, and the Claude instrumentation and the generic API write the same attributes
 * for the same tool call under the same settings (real tracer providers, in-memory exporters).
 */
import { describe, expect, it, vi } from 'vitest';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { HookCallbackMatcher, HookInput } from '@anthropic-ai/claude-agent-sdk';
import { ClaudeTracer } from '../src/claude/index.js';
import { DEFAULT_MAX_ATTRIBUTE_LENGTH, resolveCapture } from '../src/emitter/capture.js';
import { GenAiEmitter } from '../src/emitter/emitter.js';
import { createTracing } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';

function exporterProvider() {
  const exporter = new InMemorySpanExporter();
  return { exporter, provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
}

describe('capture config', () => {
  it('resolves options > environment > default, with one default per setting', () => {
    expect(resolveCapture({}, {})).toEqual({ captureContent: true, captureInput: true, captureOutput: true, captureThinking: true, maxAttributeLength: 65536 });
    expect(DEFAULT_MAX_ATTRIBUTE_LENGTH).toBe(65536);
    const env = { AMS_CAPTURE_CONTENT: 'off', AMS_MAX_ATTRIBUTE_LENGTH: '1000' };
    expect(resolveCapture({}, env)).toMatchObject({ captureContent: false, captureInput: false, captureOutput: false, maxAttributeLength: 1000 });
    expect(resolveCapture({ captureOutput: true, maxAttributeLength: 500 }, env)).toMatchObject({ captureInput: false, captureOutput: true, maxAttributeLength: 500 });
  });

  it('warns about a bad length and keeps the default', () => {
    const warn = vi.fn();
    diag.setLogger({ warn, error: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() }, DiagLogLevel.WARN);
    try {
      expect(resolveCapture({}, { AMS_MAX_ATTRIBUTE_LENGTH: '10' }).maxAttributeLength).toBe(65536);
      expect(resolveCapture({ maxAttributeLength: 3 }, {}).maxAttributeLength).toBe(65536);
      expect(warn.mock.calls.map((c) => c.join(' ')).join('\n')).toMatch(/AMS_MAX_ATTRIBUTE_LENGTH[\s\S]*maxAttributeLength=3/);
    } finally {
      diag.disable();
    }
  });
});

describe('GenAiEmitter', () => {
  it('cuts output messages part by part: the JSON stays valid and records the uncut size', () => {
    const emitter = new GenAiEmitter(resolveCapture({ maxAttributeLength: 100 }, {}));
    const attrs: Attributes = {};
    const parts = [
      { type: 'reasoning', content: 'r'.repeat(300) },
      { type: 'text', content: 't'.repeat(300) },
      { type: 'tool_call', id: 'c1', name: 'Bash', arguments: { command: 'x'.repeat(300) } },
    ] as const;
    emitter.outputMessages(attrs, parts, 'tool_use');
    const out = JSON.parse(String(attrs[sc.GEN_AI_OUTPUT_MESSAGES])) as Array<{ finish_reason: string; parts: Array<{ content?: string; arguments?: unknown }> }>;
    expect(out[0]!.finish_reason).toBe('tool_use');
    expect(out[0]!.parts.map((p) => (p.content ?? String(p.arguments)).length)).toEqual([100, 100, 100]);
    const uncut = JSON.stringify([{ role: 'assistant', parts, finish_reason: 'tool_use' }]).length;
    expect(attrs[sc.GEN_AI_OUTPUT_MESSAGES + sc.AMS_TRUNCATED_SUFFIX]).toBe(uncut);
  });

  it('keeps the shape without the content when outputs are off', () => {
    const emitter = new GenAiEmitter(resolveCapture({ captureOutput: false }, {}));
    const attrs: Attributes = {};
    emitter.outputMessages(attrs, [{ type: 'reasoning', content: 'secret thought' }, { type: 'text', content: 'secret' }, { type: 'tool_call', id: 'c1', name: 'Bash', arguments: { a: 1 } }]);
    expect(JSON.parse(String(attrs[sc.GEN_AI_OUTPUT_MESSAGES]))).toEqual([{ role: 'assistant', parts: [{ type: 'text' }, { type: 'tool_call', id: 'c1', name: 'Bash' }] }]);
  });
});

describe('the system prompt (gen_ai.system_instructions)', () => {
  it('is on the Claude root span in the parts format for a string, parts or custom prompt; not for the preset, nor without input capture', () => {
    const rootAttrs = (systemPrompt: unknown, options: { captureContent?: boolean } = {}) => {
      const { exporter, provider } = exporterProvider();
      const tracer = new ClaudeTracer({ tracerProvider: provider, ...options, sdkOptions: { systemPrompt } as never });
      tracer.finish();
      return exporter.getFinishedSpans().find((s) => s.name.startsWith('invoke_agent'))!.attributes;
    };
    const parts = (a: Attributes) => (a[sc.GEN_AI_SYSTEM_INSTRUCTIONS] === undefined ? undefined : JSON.parse(String(a[sc.GEN_AI_SYSTEM_INSTRUCTIONS])));
    expect(parts(rootAttrs('Be terse.'))).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(parts(rootAttrs(['One.', 'Two.']))).toEqual([{ type: 'text', content: 'One.\n\nTwo.' }]);
    expect(parts(rootAttrs({ type: 'custom', prompt: 'Custom.' }))).toEqual([{ type: 'text', content: 'Custom.' }]);
    expect(parts(rootAttrs({ type: 'preset', preset: 'claude_code', append: 'Also this.' }))).toBeUndefined();
    expect(parts(rootAttrs(undefined))).toBeUndefined();
    expect(parts(rootAttrs('Secret instructions.', { captureContent: false }))).toBeUndefined();
  });
});

describe('both producers, one emitter', () => {
  it('write the same tool-call attributes for the same call and settings', async () => {
    const settings = { maxAttributeLength: 200, captureInput: false };
    const input = { command: 'ls' };
    const result = 'x'.repeat(5000);

    const generic = exporterProvider();
    const t = createTracing({ tracerProvider: generic.provider, env: {}, ...settings });
    t.startSession({ agent: 'a' }, () => t.toolCall('Bash', () => result, { callId: 'toolu_1', input }));

    const claude = exporterProvider();
    const tracer = new ClaudeTracer({ tracerProvider: claude.provider, ...settings });
    const hook = (event: 'PreToolUse' | 'PostToolUse', extra: Record<string, unknown>) =>
      (tracer.hooks[event] as HookCallbackMatcher[])[0]!.hooks[0]!({ hook_event_name: event, session_id: 's', tool_use_id: 'toolu_1', tool_name: 'Bash', tool_input: input, ...extra } as unknown as HookInput, 'toolu_1', {
        signal: new AbortController().signal,
      });
    await hook('PreToolUse', {});
    await hook('PostToolUse', { tool_response: result });
    tracer.finish();

    const pick = (a: Attributes) =>
      Object.fromEntries([sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_TOOL_NAME, sc.GEN_AI_TOOL_CALL_ID, sc.GEN_AI_TOOL_CALL_ARGUMENTS, sc.GEN_AI_TOOL_CALL_RESULT, sc.GEN_AI_TOOL_CALL_RESULT + sc.AMS_TRUNCATED_SUFFIX].map((k) => [k, a[k]]));
    const g = generic.exporter.getFinishedSpans().find((s) => s.name === 'execute_tool Bash')!;
    const c = claude.exporter.getFinishedSpans().find((s) => s.name === 'execute_tool Bash')!;
    expect(pick(c.attributes)).toEqual(pick(g.attributes));
    expect(String(g.attributes[sc.GEN_AI_TOOL_CALL_RESULT])).toHaveLength(200);
    expect(g.attributes[sc.GEN_AI_TOOL_CALL_RESULT + sc.AMS_TRUNCATED_SUFFIX]).toBe(5000);
    expect(g.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
  });
});
