/**
 * OpenLLMetry (Traceloop) spans -> the `gen_ai.*` + `ams.*` shape the assembler reads. Its model
 * spans use `gen_ai.*` names (the deprecated indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`
 * forms in older releases, which normalize.ts folds for every producer); this file adds what is
 * its own:
 *
 * | OpenLLMetry                                    | becomes                                        |
 * |------------------------------------------------|------------------------------------------------|
 * | traceloop.span.kind tool                       | execute_tool: traceloop.entity.name, .input -> arguments, .output -> result |
 * | traceloop.span.kind agent (or a root workflow) | invoke_agent: traceloop.entity.name            |
 * | an OpenAI model call's input tokens            | minus its cache reads (OpenAI's prompt_tokens include them) |
 *
 * Tokens: the document's input_tokens excludes cache reads and writes. OpenLLMetry passes each
 * provider's own count through: Anthropic's input_tokens already excludes the cache; OpenAI's
 * prompt_tokens includes the cached tokens (`gen_ai.usage.cache_read_input_tokens`), which are
 * taken out here.
 */
import type { Attributes, SpanRecord } from '../record.js';
import { inputWithoutCache, isLocalRoot, setDefault, setInputExcludingCache } from '../messages.js';
import { readNumber, readString } from '../read.js';
import * as sc from '../semconv.js';

/** Scope names of OpenLLMetry's instrumentations (JS `@traceloop/instrumentation-*`, Python `opentelemetry.instrumentation.*`). */
const SCOPE_PREFIXES = ['@traceloop/', 'opentelemetry.instrumentation.'];
const OPENAI = 'openai';

export function isOpenLLMetrySpan(span: SpanRecord): boolean {
  const a = span.attributes;
  // Its own names: span kinds, the request type, the unofficial cache counters.
  if (a[sc.TRACELOOP_SPAN_KIND] !== undefined || a[sc.LLM_REQUEST_TYPE] !== undefined || a[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY] !== undefined) return true;
  const scope = span.scope?.name;
  return scope !== undefined && SCOPE_PREFIXES.some((p) => scope.startsWith(p));
}

/** Rewrites one OpenLLMetry span's attributes into `a` (after the generic gen_ai.* folding). */
export function mapOpenLLMetrySpan(span: SpanRecord, src: Attributes, a: Attributes): void {
  if (src[sc.GEN_AI_OPERATION_NAME] === undefined && src[sc.TRACELOOP_SPAN_KIND] !== undefined) entity(span, src, a);
  const provider = readString(a, sc.GEN_AI_PROVIDER_NAME)?.toLowerCase();
  // OpenAI's prompt count includes the cached tokens; only a known cache count is taken off.
  const cached = readNumber(a, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS);
  if (provider === OPENAI && cached !== undefined) setInputExcludingCache(a, inputWithoutCache(readNumber(a, sc.GEN_AI_USAGE_INPUT_TOKENS), cached));
}

function entity(span: SpanRecord, src: Attributes, a: Attributes): void {
  const kind = readString(src, sc.TRACELOOP_SPAN_KIND);
  const name = src[sc.TRACELOOP_ENTITY_NAME] ?? span.name;
  if (kind === 'tool') {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL;
    setDefault(a, sc.GEN_AI_TOOL_NAME, name);
    setDefault(a, sc.GEN_AI_TOOL_CALL_ARGUMENTS, src[sc.TRACELOOP_ENTITY_INPUT]);
    setDefault(a, sc.GEN_AI_TOOL_CALL_RESULT, src[sc.TRACELOOP_ENTITY_OUTPUT]);
  } else if (kind === 'agent' || (kind === 'workflow' && isLocalRoot(span))) {
    a[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT;
    setDefault(a, sc.GEN_AI_AGENT_NAME, name);
  }
}
