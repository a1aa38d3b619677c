/**
 * tracedQuery(): a drop-in for the SDK's query() that records the run as one session.
 */
import { context } from '@opentelemetry/api';
import { query as sdkQuery } from '@anthropic-ai/claude-agent-sdk';
import type { Options, Query, SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeTracingOptions } from './config.js';
import { instrumentOptions } from './instrument.js';
import { ClaudeTracer } from './tracer.js';

export interface TracedQueryParams extends ClaudeTracingOptions {
  prompt: string | AsyncIterable<SDKUserMessage>;
  options?: Options;
  /** The SDK's query function (default: the installed SDK's); for wrappers and other versions. */
  query?: typeof sdkQuery;
}

/** A Query whose run is traced; `tracer` gives access to the trace (e.g. its id). */
export type TracedQuery = Query & { readonly tracer: ClaudeTracer };

/**
 * Same as `query({ prompt, options })`, plus tracing. Yields exactly the messages query() would
 * have yielded with the caller's options; the Query's methods (interrupt, setModel, ...) still
 * work. The root span ends when the generator finishes, not at the first `result` (a background
 * subagent produces a later turn and result), and also on break/return and on throw (the error
 * is recorded and rethrown unchanged).
 */
export function tracedQuery(params: TracedQueryParams): TracedQuery {
  const { prompt, options, query = sdkQuery, ...tracing } = params;
  const tracer = new ClaudeTracer({ ...tracing, sdkOptions: options, parentContext: context.active() });
  let inner: Query;
  try {
    inner = query({ prompt, options: instrumentOptions(options, tracer) });
  } catch (err) {
    tracer.finish({ error: err });
    throw err;
  }

  async function* run(): AsyncGenerator<SDKMessage, void> {
    let error: unknown;
    let failed = false;
    let done = false;
    try {
      for await (const message of inner) {
        if (tracer.recordMessage(message)) yield message;
      }
      done = true;
    } catch (err) {
      failed = true;
      error = err;
      throw err;
    } finally {
      await tracer.flush();
      tracer.finish(failed ? { error } : { abandoned: !done });
    }
  }
  const wrapped = run();

  // Generator protocol from the wrapper; everything else (interrupt, setModel, ...) from the SDK.
  const own: Record<PropertyKey, unknown> = {
    next: wrapped.next.bind(wrapped),
    return: wrapped.return.bind(wrapped),
    throw: wrapped.throw.bind(wrapped),
    [Symbol.asyncIterator]: () => proxy,
    // close() may come without the generator ever being read: end the run here too.
    close: () => {
      try {
        inner.close();
      } finally {
        tracer.finish({ abandoned: true });
      }
    },
    tracer,
  };
  if (Symbol.asyncDispose in wrapped) own[Symbol.asyncDispose] = async () => {
    await wrapped.return(undefined);
  };
  const proxy = new Proxy(inner, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(own, prop)) return own[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as TracedQuery;
  return proxy;
}
