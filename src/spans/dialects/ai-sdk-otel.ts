/**
 * The Vercel AI SDK 7's OpenTelemetry integration (`@ai-sdk/otel`: `registerTelemetry(new
 * OpenTelemetry())`, tracer `gen_ai`): spans in the current GenAI conventions (invoke_agent root,
 * `agent_step` steps, chat and execute_tool), read as they are but for two things. Its
 * `LegacyOpenTelemetry` integration emits ai 6's `ai.*` spans instead (dialects/vercel-ai.ts).
 *
 * | the integration sends                               | becomes                                        |
 * |-----------------------------------------------------|------------------------------------------------|
 * | gen_ai.usage.input_tokens (INCLUDES the cache, as the conventions say), on chat and the invoke_agent root | minus the cache counts: the document's meaning |
 * | gen_ai.client.operation.time_to_first_chunk (seconds, streaming) | ams.llm.ttft_ms                  |
 * | gen_ai.tool.definitions, gen_ai.client.operation.duration / time_per_output_chunk, gen_ai.execute_tool.duration | not kept: the tools offered, and timings the span's own times give |
 *
 * Found by its tracer's name (the integration's default; a custom `tracer` option hides it, and
 * then input tokens are read as they come, cache included: documented in docs/producers.md).
 */
import type { Attributes, SpanRecord } from '../record.js';
import { inputWithoutCache, setInputExcludingCache, setTtftFromSeconds } from '../messages.js';
import { readNumber } from '../read.js';
import * as sc from '../semconv.js';

const SCOPE = 'gen_ai';
const A_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';

export function isAiSdkOtelSpan(span: SpanRecord): boolean {
  return span.scope?.name === SCOPE;
}

/** Rewrites one of the integration's spans' attributes into `a`. */
export function mapAiSdkOtelSpan(src: Attributes, a: Attributes): void {
  const input = readNumber(src, sc.GEN_AI_USAGE_INPUT_TOKENS);
  setInputExcludingCache(a, inputWithoutCache(input, readNumber(src, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS), readNumber(src, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)));
  setTtftFromSeconds(a, readNumber(src, A_TIME_TO_FIRST_CHUNK));
}
