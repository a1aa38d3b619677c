/**
 * The Agent (Task) tool's result, as the session keeps it. The SDK's tool_response for a subagent
 * is mostly its own bookkeeping (harness hashes, tool statistics, server-tool counters, the prompt
 * again); the session keeps what the caller got back: the subagent's answer and what it cost.
 */
import { obj, s } from './state.js';

const USAGE_KEYS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const;

/**
 * `{ status, text, usage, total_tokens, duration_ms, tool_uses }`, each only when the SDK reported
 * it; anything that is not the SDK's subagent result object (a plain string, an error) is kept as is.
 */
export function agentToolResult(response: unknown): unknown {
  const r = obj(response);
  if (!r || (r.content === undefined && r.usage === undefined && r.agentId === undefined)) return response;
  const out: Record<string, unknown> = {};
  const status = s(r.status);
  if (status !== undefined) out.status = status;
  const text = answerText(r.content);
  if (text !== undefined) out.text = text;
  const u = obj(r.usage);
  if (u) {
    const usage: Record<string, number> = {};
    for (const k of USAGE_KEYS) if (typeof u[k] === 'number') usage[k] = u[k];
    out.usage = usage;
  }
  if (typeof r.totalTokens === 'number') out.total_tokens = r.totalTokens;
  if (typeof r.totalDurationMs === 'number') out.duration_ms = r.totalDurationMs;
  if (typeof r.totalToolUseCount === 'number') out.tool_uses = r.totalToolUseCount;
  return out;
}

/** The text parts of the subagent's final message, joined; a plain string as is. */
function answerText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    const p = obj(part);
    if (p?.type === 'text' && typeof p.text === 'string') texts.push(p.text);
  }
  return texts.length ? texts.join('\n\n') : undefined;
}
