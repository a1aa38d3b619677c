/**
 * instrumentOptions(): the SDK options a traced run needs, without touching the caller's object.
 */
import { isSpanContextValid } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { HookCallbackMatcher, HookEvent, Options } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeTracer } from './tracer.js';

/** The variables the Claude Code CLI reads a parent trace context from (upper case only). */
const TRACEPARENT = 'TRACEPARENT';
const TRACESTATE = 'TRACESTATE';
const w3c = new W3CTraceContextPropagator();

/**
 * The CLI's environment with TRACEPARENT naming the run's root span, so the CLI's own telemetry
 * (CLAUDE_CODE_ENHANCED_TELEMETRY_BETA) joins this trace under our invoke_agent span instead of
 * the caller's span. Left alone when the caller set TRACEPARENT (theirs wins, as the SDK does) or
 * the root span has no valid context (no provider). `options.env` replaces the child's
 * environment, so the copy starts from the caller's env, else process.env (the SDK's default).
 */
function withTraceparent(env: Options['env'], tracer: ClaudeTracer): Options['env'] {
  const base = env ?? process.env;
  if (base[TRACEPARENT] !== undefined) return env;
  const sc = tracer.rootSpanContext;
  if (!sc || !isSpanContextValid(sc)) return env;
  const carrier: Record<string, string> = {};
  w3c.inject(tracer.context, carrier, { set: (c, k, v) => (c[k] = v) });
  if (!carrier.traceparent) return env;
  const out: Record<string, string | undefined> = { ...base, [TRACEPARENT]: carrier.traceparent };
  if (carrier.tracestate) out[TRACESTATE] = carrier.tracestate;
  else delete out[TRACESTATE];
  return out;
}

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
  const env = withTraceparent(base.env, tracer);
  if (env !== undefined) base.env = env;
  return base;
}
