/**
 * What the Claude instrumentation keeps about one run: the records behind its agent, tool and
 * model-call spans, and small readers for the SDK's loosely typed messages.
 */
import type { Usage } from '../session/types.js';
import type { LazySpan } from './lazy-span.js';

export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
export const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Tool names that start a subagent (`Task` is the legacy name of `Agent`). */
export const AGENT_TOOLS = new Set(['Agent', 'Task']);

/** The main thread ('root') or one subagent. */
export interface AgentState {
  /** 'root' for the main thread. */
  key: string;
  span: LazySpan;
  agentId?: string;
  toolUseId?: string;
  type?: string;
  background?: boolean;
  stopped: boolean;
  /** Final per-response usage and stop reason, read from the subagent's transcript after SubagentStop. */
  transcriptUsage?: Map<string, TranscriptFigures>;
  usageLoad?: 'pending' | 'done';
  /** When SubagentStop fired (its span ends then, even if finish() comes first). */
  stoppedAt?: number;
}

export interface ToolState {
  id: string;
  name: string;
  span: LazySpan;
  input?: unknown;
  ended: boolean;
}

export interface TranscriptFigures {
  usage: Usage;
  stopReason?: string;
}

/** One model call (a response), keyed by its message id. */
export interface ChatState {
  id: string;
  /** parent_tool_use_id of the stream it came from ('' for the main thread). */
  ctx: string;
  span: LazySpan;
  model?: string;
  blocks: Json[];
  usage?: Usage;
  /** Usage came from message_start + message_delta (exact), not from an assistant message. */
  streamed: boolean;
  /** Where the usage figures came from (see Chats.end). */
  usageSource?: 'stream' | 'message_start' | 'transcript';
  stopReason?: string;
  error?: { type: string; message: string };
  lastAt: number;
  ended: boolean;
}

/** Usage figures from an API usage object, over `base` (later figures win, missing ones stay). */
export function usageFrom(u: unknown, base?: Usage): Usage | undefined {
  const o = obj(u);
  if (!o) return base;
  const out: Usage = base ? { ...base } : { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  for (const k of Object.keys(out) as (keyof Usage)[]) {
    const v = num(o[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
