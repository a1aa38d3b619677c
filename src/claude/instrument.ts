/**
 * instrumentOptions(): the SDK options a traced run needs, without touching the caller's object.
 */
import type { HookCallbackMatcher, HookEvent, Options } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeTracer } from './tracer.js';

/**
 * Returns a copy of `options` with the tracer's hooks appended after the caller's own (theirs
 * run first and their decisions, e.g. a PreToolUse deny, still apply), and with partial messages
 * and subagent text turned on so model calls get exact usage and subagent responses are seen.
 * Messages the caller did not ask for are the ones `tracer.recordMessage()` returns false for.
 */
export function instrumentOptions(options: Options | undefined, tracer: ClaudeTracer): Options {
  tracer.noteCallerOptions(options);
  const base: Options = { ...(options ?? {}) };
  const hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>> = { ...(base.hooks ?? {}) };
  for (const [event, ours] of Object.entries(tracer.hooks) as [HookEvent, HookCallbackMatcher[]][]) {
    hooks[event] = [...(hooks[event] ?? []), ...ours];
  }
  base.hooks = hooks;
  base.includePartialMessages = true;
  base.forwardSubagentText = true;
  return base;
}
