/**
 * The Anthropic TypeScript SDK's own spans (`@anthropic-ai/sdk` >= 1.x, scope
 * `com.anthropic.sdk.typescript`) -> the `gen_ai.*` + `ams.*` shape the assembler reads.
 *
 * The SDK traces every API call with the application's tracer provider, on by default
 * (`openTelemetry: false` or ANTHROPIC_OPEN_TELEMETRY=false turns it off). It records content
 * (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`) only in content
 * mode (`openTelemetry: { traces: { contentMode: 'content' } }` or
 * ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE=content); the default, metadata_only, gives model,
 * usage, ids and stop reason, so its sessions have no prompt or text.
 *
 * | anthropic.messages.create                      | becomes                                        |
 * |------------------------------------------------|------------------------------------------------|
 * | gen_ai.operation.name chat, gen_ai.request/response.model, gen_ai.response.id, content | as is |
 * | anthropic.message.stop_reason                  | gen_ai.response.finish_reasons                 |
 * | gen_ai.usage.input_tokens (INCLUDES cache: input + cache read + cache write) | minus the cache counts: the document's meaning |
 * | gen_ai.usage.cache_write.input_tokens          | gen_ai.usage.cache_creation.input_tokens       |
 * | gen_ai.response.time_to_first_chunk (seconds)  | ams.llm.ttft_ms                                |
 */
import type { Attributes, SpanRecord } from '../record.js';
import { inputWithoutCache, setDefault, setInputExcludingCache, setTtftFromSeconds } from '../messages.js';
import { readNumber, readString } from '../read.js';
import * as sc from '../semconv.js';

const SCOPE_PREFIX = 'com.anthropic.sdk';
const SPAN_PREFIX = 'anthropic.';
const A_STOP_REASON = 'anthropic.message.stop_reason';
const A_CACHE_WRITE_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
const A_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';

export function isAnthropicSdkSpan(span: SpanRecord): boolean {
  const scope = span.scope?.name;
  if (scope !== undefined) return scope.startsWith(SCOPE_PREFIX);
  // (A path that lost the scope: the span names are the SDK's methods.)
  return span.name.startsWith(SPAN_PREFIX) && span.attributes[A_STOP_REASON] !== undefined;
}

/** Rewrites one of the SDK's spans' attributes into `a`. */
export function mapAnthropicSdkSpan(src: Attributes, a: Attributes): void {
  const stop = readString(src, A_STOP_REASON);
  if (stop !== undefined) setDefault(a, sc.GEN_AI_RESPONSE_FINISH_REASONS, [stop]);
  const write = readNumber(src, A_CACHE_WRITE_TOKENS);
  setDefault(a, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, write);
  setInputExcludingCache(a, inputWithoutCache(readNumber(src, sc.GEN_AI_USAGE_INPUT_TOKENS), readNumber(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS), write));
  setTtftFromSeconds(a, readNumber(src, A_TIME_TO_FIRST_CHUNK));
}
