/**
 * The generic API as plain functions over one default AgentTracing (global tracer provider,
 * settings from the environment). configureTracing() replaces it; createTracing() makes an
 * independent one (e.g. bound to a specific provider in tests).
 */
import type { FailureInfo } from './failure.js';
import type { StreamHandle, StreamOptions } from './stream.js';
import { AgentTracing, methodDecorator } from './tracing.js';
import type {
  LlmHandle,
  LlmOptions,
  LoggedEvent,
  RetryOptions,
  SessionHandle,
  SessionOptions,
  SpanHandle,
  StepOptions,
  ToolOptions,
  TracedOptions,
  TracingOptions,
} from './tracing.js';

let current: AgentTracing | undefined;
const tracing = () => (current ??= new AgentTracing());

export function createTracing(options: TracingOptions = {}): AgentTracing {
  return new AgentTracing(options);
}

/** Replaces the default instance the plain functions use. */
export function configureTracing(options: TracingOptions = {}): AgentTracing {
  current = new AgentTracing(options);
  return current;
}

export function startSession<T>(options: SessionOptions, fn: (session: SessionHandle) => T): T {
  return tracing().startSession(options, fn);
}
export function step<T>(name: string, fn: (step: SpanHandle) => T, options?: StepOptions): T {
  return tracing().step(name, fn, options);
}
export function toolCall<T>(name: string, fn: (tool: SpanHandle) => T, options?: ToolOptions): T {
  return tracing().toolCall(name, fn, options);
}
export function llmCall<T>(model: string, fn: (call: LlmHandle) => T, options?: LlmOptions): T {
  return tracing().llmCall(model, fn, options);
}
export function stream(name: string, options?: StreamOptions): StreamHandle {
  return tracing().stream(name, options);
}
export function retry<T>(name: string, fn: (attempt: SpanHandle & { attempt: number }) => T | Promise<T>, options?: RetryOptions): Promise<T> {
  return tracing().retry(name, fn, options);
}
export function traced<A extends unknown[], R>(fn: (...args: A) => R, options?: TracedOptions): (...args: A) => R {
  return tracing().traced(fn, options);
}
/** Method decorator: `@traceMethod({ kind: 'tool' })`. Uses the default instance at call time. */
export function traceMethod(options?: TracedOptions): ReturnType<AgentTracing['method']> {
  return methodDecorator(tracing, options);
}
/** Records an event that already happened (see AgentTracing.logEvent); returns its span id. */
export function logEvent(event: LoggedEvent): string | undefined {
  return tracing().logEvent(event);
}
export function recordFailure(failure: FailureInfo): void {
  tracing().recordFailure(failure);
}
