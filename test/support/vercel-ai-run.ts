/**
 * One Vercel AI SDK run (the real `ai` package, `experimental_telemetry` on) against the scripted
 * Anthropic or OpenAI API: the model calls a tool that succeeds and one that throws, then answers.
 * Shared by test/vercel-ai.test.ts and the golden-fixture recorder.
 */
import type { Tracer } from '@opentelemetry/api';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import type { ScriptedApi } from '../../src/demo/scripted-api.js';
import type { ScriptedOpenAi } from './scripted-openai.js';

export type Provider = 'anthropic' | 'openai-responses' | 'openai-chat';
export type Mode = 'generate' | 'stream';

export const PROMPT = 'Where is order A1? Refund it if it is late.';
export const ANSWER = 'Order A1 shipped yesterday; the refund failed.';
/** Anthropic's answer thinks first (the OpenAI scripts have no reasoning). */
export const THINKING = 'The lookup worked; the refund did not.';
export const TOOL_OK_RESULT = { status: 'shipped', eta: 'yesterday' };
export const TOOL_ERROR = 'refunds are disabled';

/** Scripts a model call that fails with an HTTP 400 (not retried). */
export function scriptFailure(provider: Provider, api: ScriptedApi | ScriptedOpenAi, tag: string): void {
  const error = { status: 400, type: 'invalid_request_error', message: 'prompt is too long' };
  if (provider === 'anthropic') (api as ScriptedApi).script([{ name: 'fail', prompt: tag, error }]);
  else (api as ScriptedOpenAi).script([{ name: 'fail', prompt: tag, error }]);
}

/** Scripts the two turns (tool calls, then the answer) on either API, marked by `tag`. */
export function scriptTurns(provider: Provider, api: ScriptedApi | ScriptedOpenAi, tag: string): { okId: string; failId: string } {
  const okId = `call_${tag}_ok`;
  const failId = `call_${tag}_fail`;
  if (provider === 'anthropic') {
    (api as ScriptedApi).script([
      {
        name: 'tools',
        prompt: tag,
        blocks: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: okId, name: 'lookup_order', input: { orderId: 'A1' } },
          { type: 'tool_use', id: failId, name: 'refund', input: { orderId: 'A1' } },
        ],
        usage: { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 40, cache_creation_input_tokens: 10 },
      },
      {
        name: 'answer',
        prompt: tag,
        after: [okId, failId],
        blocks: [
          { type: 'thinking', thinking: THINKING },
          { type: 'text', text: ANSWER },
        ],
        usage: { input_tokens: 200, output_tokens: 12, cache_read_input_tokens: 60 },
      },
    ]);
  } else {
    (api as ScriptedOpenAi).script([
      {
        name: 'tools',
        prompt: tag,
        blocks: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_call', id: okId, name: 'lookup_order', arguments: { orderId: 'A1' } },
          { type: 'tool_call', id: failId, name: 'refund', arguments: { orderId: 'A1' } },
        ],
        usage: { input_tokens: 140, output_tokens: 30, cached_tokens: 40 },
      },
      { name: 'answer', prompt: tag, after: [okId, failId], blocks: [{ type: 'text', text: ANSWER }], usage: { input_tokens: 260, output_tokens: 12, cached_tokens: 60 } },
    ]);
  }
  return { okId, failId };
}

export async function runVercelAi(opts: { provider: Provider; mode: Mode; baseUrl: string; tracer: Tracer; tag: string }): Promise<string> {
  const model =
    opts.provider === 'anthropic'
      ? createAnthropic({ baseURL: `${opts.baseUrl}/v1`, apiKey: 'sk-ant-test' })('claude-sonnet-4-5')
      : opts.provider === 'openai-chat'
        ? createOpenAI({ baseURL: `${opts.baseUrl}/v1`, apiKey: 'sk-test' }).chat('gpt-4o-mini')
        : createOpenAI({ baseURL: `${opts.baseUrl}/v1`, apiKey: 'sk-test' })('gpt-4o-mini');
  const args = {
    model,
    system: 'You are a support bot.',
    prompt: `${PROMPT} [${opts.tag}]`,
    tools: {
      lookup_order: tool({
        description: 'Looks an order up',
        inputSchema: z.object({ orderId: z.string() }),
        execute: async () => TOOL_OK_RESULT,
      }),
      refund: tool({
        description: 'Refunds an order',
        inputSchema: z.object({ orderId: z.string() }),
        execute: async (): Promise<string> => {
          throw new Error(TOOL_ERROR);
        },
      }),
    },
    stopWhen: stepCountIs(4),
    experimental_telemetry: { isEnabled: true, functionId: 'support-bot', metadata: { team: 't_42' }, tracer: opts.tracer },
  };
  if (opts.mode === 'generate') return (await generateText(args)).text;
  // The error reaches the caller anyway (NoOutputGeneratedError); the default onError would print it.
  const result = streamText({ ...args, onError: () => undefined });
  let text = '';
  for await (const chunk of result.textStream) text += chunk;
  await result.response;
  return text;
}
