/**
 * The generic tracing API for agents not built on the Claude Agent SDK: sessions, steps, tool and
 * LLM calls, streams, a function wrapper and method decorators. Everything is an ordinary span
 * through @opentelemetry/api (so the in-process processor, the collector and the receiver all see
 * it), named by the GenAI conventions the assembler reads: `invoke_agent {agent}`,
 * `chat {model}`, `execute_tool {tool}`, and plain spans for steps.
 *
 * Sync and async: a callback that returns a promise ends its span when the promise settles; one
 * that returns a value ends it at once. The span is active inside the callback, so nested calls
 * (and anything another instrumentation creates) become its children, across `await` as long as
 * a context manager is registered (NodeTracerProvider.register() installs one).
 *
 * Never throws into user code: our own failures go to diag; the user's own errors are recorded
 * (status, exception, a classified `failure`) and rethrown unchanged.
 */
import { context, createContextKey, INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, HrTime, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import type { Env } from '../config/env.js';
import { resolveCapture } from '../emitter/capture.js';
import type { CaptureConfig, CaptureOptions } from '../emitter/capture.js';
import { GenAiEmitter, toAttributeValue } from '../emitter/emitter.js';
import type { OutputPart } from '../emitter/emitter.js';
import { jsonText } from '../emitter/text.js';
import * as sc from '../spans/semconv.js';
import type { Usage as SessionUsage } from '../session/types.js';
import type { FailureCategory, FailureInfo } from './failure.js';
import { addFailure, classifyError, errorMessageOf } from './failure.js';
import { namedInput, parameterNames } from './params.js';
import { BoundedStream } from './stream.js';
import type { StreamHandle, StreamOptions } from './stream.js';
import { now, safely } from './values.js';

export const TRACER_NAME = 'ams-otel/generic';

/** Capture options (captureContent, captureInput, captureOutput, captureThinking, maxAttributeLength: see src/emitter/capture.ts). */
export interface TracingOptions extends CaptureOptions {
  /** Default: the global provider (`trace.getTracerProvider()`), looked up on each call. */
  tracerProvider?: TracerProvider;
  /** Environment to read defaults from (default process.env). */
  env?: Env;
}

export interface SessionOptions {
  /** Agent name (and version). */
  agent: string | { name: string; version?: string };
  environment?: string;
  tags?: readonly string[];
  metadata?: Readonly<Record<string, string | number | boolean>>;
  /** Your conversation / thread id (`gen_ai.conversation.id`). */
  conversationId?: string;
  /** Explicit session id (safe characters); default: derived from the trace id. */
  sessionId?: string;
  /** The user's prompt, recorded as the session's first `user_prompt`. */
  prompt?: string;
  /** Main model, shown in the session header. */
  model?: string;
  /** What this agent does (`gen_ai.agent.description`); shown on a subagent. */
  description?: string;
  /** The system prompt the agent runs with (`gen_ai.system_instructions`; an input: only when inputs are recorded). */
  systemPrompt?: string;
}

export interface SpanHandle {
  /** The OpenTelemetry span, for anything this API does not cover. */
  readonly span: Span;
  readonly spanId: string;
  setInput(value: unknown): void;
  setOutput(value: unknown): void;
  setAttribute(key: string, value: unknown): void;
  /** Records a classified failure on this span (its name is the default `step`). */
  recordFailure(failure: FailureInfo): void;
}

export interface SessionHandle extends SpanHandle {
  /** Adds a user prompt (a new turn). */
  prompt(text: string): void;
  /** Adds a notification (status message, warning). */
  notify(message: string, kind?: string): void;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
}

export interface LlmOutput {
  text?: string;
  thinking?: string;
  toolCalls?: ReadonlyArray<{ id?: string; name: string; arguments?: unknown }>;
  finishReason?: string;
}

export interface LlmHandle extends SpanHandle {
  setUsage(usage: Usage): void;
  setCost(usd: number): void;
  /** The model's answer: text, or parts. Also read from the return value when not set. */
  setOutput(output: string | LlmOutput): void;
  setResponseModel(model: string): void;
}

export interface CallOptions {
  /** Recorded as the input (unless input capture is off). */
  input?: unknown;
  captureInput?: boolean;
  captureOutput?: boolean;
  /** Attempt number (1 = first try) when this call is a retry. */
  attempt?: number;
  /** Span id of the attempt this one retries. */
  retryOf?: string;
  /** Extra span attributes. */
  attributes?: Readonly<Record<string, unknown>>;
}

export interface StepOptions extends CallOptions {
  /** What kind of step: 'step' (default), 'retrieval', or your own label. Failures of a 'retrieval' step are typed retrieval. */
  kind?: string;
}

export interface ToolOptions extends CallOptions {
  /** The model's tool_use id, linking the call to the message that asked for it. */
  callId?: string;
}

export interface LlmOptions extends CallOptions {
  /** `gen_ai.provider.name` (openai, anthropic, ...). */
  provider?: string;
}

export type TracedKind = 'step' | 'tool' | 'llm' | 'retrieval' | 'agent';

export interface TracedOptions {
  kind?: TracedKind;
  /** Span name (tool name, model, agent); default the function's name. */
  name?: string;
  /** Record arguments (one argument as itself, several as an array). */
  captureInput?: boolean;
  /** Record the return value. */
  captureOutput?: boolean;
  /**
   * Key-value facts about this call. On an `agent` the session's metadata; on other kinds span
   * attributes under their own keys (a step shows them in its `attributes`; tool and model calls
   * keep them on the span, for OpenTelemetry backends).
   */
  metadata?: Readonly<Record<string, string | number | boolean>>;
  /** Extra span attributes (win over `metadata` on the same key). */
  attributes?: Readonly<Record<string, unknown>>;
}

/** A time: a Date, epoch milliseconds, or an ISO 8601 string. */
export type EventTime = Date | number | string;

/** An event that already happened, recorded by logEvent(). */
export interface LoggedEvent {
  /** Tool name (kind tool), model (kind llm), or step name (kind step). */
  name: string;
  /** Default 'step'. */
  kind?: 'tool' | 'llm' | 'step';
  input?: unknown;
  /** The tool's result, the model's answer (text or parts), or the step's output. */
  output?: unknown;
  /** When it started. Default: `endTime - latencyMs`, else the end. */
  startTime?: EventTime;
  /** When it ended. Default: `startTime + latencyMs`, else now. `time` is the same thing. */
  endTime?: EventTime;
  time?: EventTime;
  /** How long it took, in milliseconds. */
  latencyMs?: number;
  /** Default 'error' when `error` is given, else 'ok'. */
  status?: 'ok' | 'error';
  /** What went wrong: an Error or a message. Recorded as the span's error and a classified failure. */
  error?: unknown;
  metadata?: Readonly<Record<string, string | number | boolean>>;
  attributes?: Readonly<Record<string, unknown>>;
  /** kind llm: token counts, cost and provider. */
  usage?: Usage;
  costUsd?: number;
  provider?: string;
  /** kind tool: the model's tool_use id. */
  callId?: string;
  /** With no session active, the event gets a session of its own, of this agent (default: the event's name). */
  agent?: string;
}

export interface RetryOptions extends StepOptions {
  /** Most attempts, including the first (default 3). */
  attempts?: number;
  /** Whether an error is worth another attempt (default: always). */
  retryIf?(args: { error: unknown; attempt: number; code: string }): boolean;
  /** Wait before attempt n+1, in ms (default 0). */
  delayMs?: number | ((args: { attempt: number; error: unknown }) => number);
}

type Kind = 'agent' | 'step' | 'tool' | 'llm';

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const categoryOf = (kind: Kind, stepKind?: string): FailureCategory =>
  kind === 'tool' ? 'tool' : kind === 'llm' ? 'model' : stepKind === 'retrieval' ? 'retrieval' : 'orchestration';

export class AgentTracing {
  private readonly provider?: TracerProvider;
  private cachedTracer?: Tracer;
  /** Writes every attribute, under the resolved capture settings. */
  private readonly emitter: GenAiEmitter;

  constructor(options: TracingOptions = {}) {
    this.provider = options.tracerProvider;
    this.emitter = new GenAiEmitter(resolveCapture(options, options.env));
  }

  /** The resolved capture settings (options > environment > default). */
  get capture(): CaptureConfig {
    return this.emitter.capture;
  }

  private tracer(): Tracer {
    if (this.provider) return (this.cachedTracer ??= this.provider.getTracer(TRACER_NAME));
    return trace.getTracer(TRACER_NAME);
  }

  // ---- public API ----------------------------------------------------------------------------

  /** Runs `fn` as one agent session (an `invoke_agent` span); nested inside another session it is a subagent. */
  startSession<T>(options: SessionOptions, fn: (session: SessionHandle) => T): T {
    const agent = typeof options.agent === 'string' ? { name: options.agent } : options.agent;
    const attrs = this.emitter.agentAttributes({ ...options, agent });
    // Read only when this session runs inside another one: the subagent's "why".
    this.emitter.subagentPrompt(attrs, options.prompt);
    this.emitter.systemInstructions(attrs, options.systemPrompt);
    return this.run('agent', agent.name, `${sc.OP_INVOKE_AGENT} ${agent.name}`, SpanKind.INTERNAL, attrs, {}, (span) => {
      const h = this.handle(span, 'agent', agent.name, {}) as SessionHandle;
      h.prompt = (text: string) =>
        safely('prompt', () => {
          span.addEvent(sc.EVENT_USER_PROMPT, this.emitter.promptEvent(String(text)), now());
        });
      h.notify = (message: string, kind?: string) =>
        safely('notify', () => {
          span.addEvent(sc.EVENT_NOTIFICATION, this.emitter.notificationEvent(String(message), kind), now());
        });
      if (options.prompt !== undefined) h.prompt(options.prompt);
      return h;
    }, fn);
  }

  /** Runs `fn` as a named step (retrieval, planning, a chain link, ...). */
  step<T>(name: string, fn: (step: SpanHandle) => T, options: StepOptions = {}): T {
    const attrs: Record<string, unknown> = { [sc.AMS_STEP_KIND]: options.kind ?? 'step' };
    return this.run('step', name, name, SpanKind.INTERNAL, attrs, options, (span) => this.handle(span, 'step', name, options), fn);
  }

  /** Runs `fn` as a tool call (`execute_tool {name}`); its return value is the tool result. */
  toolCall<T>(name: string, fn: (tool: SpanHandle) => T, options: ToolOptions = {}): T {
    const attrs = this.emitter.toolCallAttributes({ name, id: options.callId });
    return this.run('tool', name, `${sc.OP_EXECUTE_TOOL} ${name}`, SpanKind.INTERNAL, attrs, options, (span) => this.handle(span, 'tool', name, options), fn);
  }

  /**
   * Runs `fn` as one model call (`chat {model}`). Set usage and cost on the handle; the output is
   * taken from setOutput(), else from the return value (a string, or an OpenAI / Anthropic
   * response object, whose usage is read too).
   */
  llmCall<T>(model: string, fn: (call: LlmHandle) => T, options: LlmOptions = {}): T {
    const attrs = this.emitter.chatAttributes({ model, provider: options.provider });
    return this.run('llm', model, `${sc.OP_CHAT} ${model}`, SpanKind.CLIENT, attrs, options, (span) => this.handle(span, 'llm', model, options), fn);
  }

  /** Opens a bounded event stream under the active span; call end() when it is done. */
  stream(name: string, options: StreamOptions = {}): StreamHandle {
    let span: Span;
    try {
      span = this.tracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes: { [sc.AMS_STEP_KIND]: 'stream' }, startTime: now() });
    } catch (err) {
      safely('stream', () => {
        throw err;
      });
      span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    return new BoundedStream(
      span,
      {
        maxEvents: options.maxEvents ?? 1000,
        maxEventDataLength: options.maxEventDataLength ?? 1000,
        captureData: options.captureData ?? this.capture.captureOutput,
      },
      (error) =>
        safely('stream.end', () => {
          if (error !== undefined) {
            addFailure(span, { type: 'orchestration', step: name, error });
            span.recordException(error instanceof Error ? error : { message: errorMessageOf(error) }, now());
          }
          span.end(now());
        }),
    );
  }

  /** Records a classified failure on the active span. */
  recordFailure(failure: FailureInfo): void {
    safely('recordFailure', () => {
      const span = trace.getActiveSpan();
      if (span) addFailure(span, failure);
    });
  }

  /**
   * Runs `fn` up to `attempts` times; each attempt is its own step span with `ams.attempt` and,
   * from the second on, `ams.retry_of` = the span id of the attempt it retries. Every failed
   * attempt records a classified failure. Returns the first success or throws the last error.
   */
  async retry<T>(name: string, fn: (attempt: SpanHandle & { attempt: number }) => T | Promise<T>, options: RetryOptions = {}): Promise<T> {
    const attempts = Math.max(1, Math.floor(options.attempts ?? 3));
    let previous: string | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let spanId: string | undefined;
      try {
        return await this.step(
          name,
          (h) => {
            spanId = h.spanId;
            return fn(Object.assign(h, { attempt }));
          },
          { ...options, attempt, retryOf: previous },
        );
      } catch (error) {
        lastError = error;
        previous = spanId;
        const code = classifyError(error);
        let again = attempt < attempts;
        if (again && options.retryIf) {
          try {
            again = options.retryIf({ error, attempt, code }) === true;
          } catch {
            again = false;
          }
        }
        if (!again) break;
        const delay = typeof options.delayMs === 'function' ? options.delayMs({ attempt, error }) : (options.delayMs ?? 0);
        if (delay > 0) await new Promise<void>((r) => setTimeout(r, delay));
      }
    }
    throw lastError;
  }

  /** Wraps a function so each call is traced as `kind` (default 'step'). Keeps `this` and arguments. */
  traced<A extends unknown[], R>(fn: (...args: A) => R, options: TracedOptions = {}): (...args: A) => R {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper must keep the caller's `this`
    const self = this;
    const name = options.name ?? (fn.name || 'anonymous');
    const names = parameterNames(fn as (...args: never[]) => unknown);
    return function (this: unknown, ...args: A): R {
      return self.invoke(options.kind ?? 'step', name, options, () => fn.apply(this, args), args, names);
    };
  }

  /**
   * Records an event that already happened (a tool call, model call or step you timed yourself)
   * as a span with its own start and end, under the active span (the current session). With no
   * span active it gets a session of its own (`agent`, default the event's name) spanning the same
   * time. Returns the span id. Never throws.
   */
  logEvent(event: LoggedEvent): string | undefined {
    let spanId: string | undefined;
    safely('logEvent', () => {
      const { start, end } = eventTimes(event);
      const kind: Kind = event.kind === 'tool' || event.kind === 'llm' ? event.kind : 'step';
      const name = String(event.name);
      const attrs: Record<string, unknown> =
        kind === 'tool'
          ? this.emitter.toolCallAttributes({ name, id: event.callId })
          : kind === 'llm'
            ? this.emitter.chatAttributes({ model: name, provider: event.provider })
            : { [sc.AMS_STEP_KIND]: 'step' };
      const spanName = kind === 'tool' ? `${sc.OP_EXECUTE_TOOL} ${name}` : kind === 'llm' ? `${sc.OP_CHAT} ${name}` : name;
      const options: CallOptions = { input: event.input, attributes: { ...(event.metadata ?? {}), ...(event.attributes ?? {}) } };
      let ctx = context.active();
      let session: Span | undefined;
      const parent = trace.getSpan(ctx);
      if (!parent || !trace.isSpanContextValid(parent.spanContext())) {
        const agent = event.agent ?? name;
        const agentAttrs = this.emitter.agentAttributes({ agent: { name: agent } });
        session = this.tracer().startSpan(`${sc.OP_INVOKE_AGENT} ${agent}`, { kind: SpanKind.INTERNAL, attributes: attributesOf(agentAttrs), startTime: start }, ctx);
        ctx = trace.setSpan(ctx, session);
      }
      const span = this.tracer().startSpan(spanName, { kind: kind === 'llm' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: attributesOf({ ...attrs, ...options.attributes }), startTime: start }, ctx);
      spanId = span.spanContext().spanId;
      const h = this.handle(span, kind, name, options) as SpanHandle & Partial<LlmHandle>;
      if (kind === 'llm') {
        if (event.usage) h.setUsage?.(event.usage);
        if (typeof event.costUsd === 'number') h.setCost?.(event.costUsd);
      }
      if (event.output !== undefined) h.setOutput(kind === 'llm' && typeof event.output !== 'string' && !isLlmOutput(event.output) ? jsonText(event.output) : event.output);
      const failed = event.status === 'error' || (event.status === undefined && event.error !== undefined);
      if (failed) {
        const error = event.error ?? new Error(`${name} failed`);
        const message = errorMessageOf(error);
        span.recordException(error instanceof Error ? error : { message }, end);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        span.setAttribute(sc.ERROR_TYPE, error instanceof Error ? error.name || 'Error' : typeof error);
        addFailure(span, { type: categoryOf(kind), step: name, error }, end);
        session?.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      span.end(end);
      session?.end(end);
    });
    return spanId;
  }

  /**
   * Method decorator (TypeScript 5+ standard decorators, and legacy `experimentalDecorators`):
   * `@tracing.method({ kind: 'tool' })`. The span name defaults to `Class.method`.
   */
  method(options: TracedOptions = {}): MethodDecorator & StandardMethodDecorator {
    return methodDecorator(() => this, options);
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * @internal Runs `call` traced as `kind`; used by traced() and the decorators. `names`: the
   * function's parameter names (src/generic/params.ts), so the input is recorded by name.
   */
  invoke<R>(kind: TracedKind, name: string, options: TracedOptions, call: () => R, args: unknown[], names?: readonly string[]): R {
    const captureInput = options.captureInput ?? this.capture.captureInput;
    const input = captureInput ? namedInput(names, args) : undefined;
    const attributes = options.metadata || options.attributes ? { ...(options.metadata ?? {}), ...(options.attributes ?? {}) } : undefined;
    const callOptions: CallOptions = { input, captureInput, captureOutput: options.captureOutput, attributes };
    switch (kind) {
      case 'tool':
        return this.toolCall(name, call, callOptions);
      case 'llm':
        return this.llmCall(name, call, callOptions);
      case 'agent': {
        const prompt = captureInput && args.length === 1 && typeof args[0] === 'string' ? args[0] : undefined;
        return this.startSession({ agent: name, prompt, metadata: options.metadata }, (h) => {
          for (const [k, v] of Object.entries(options.attributes ?? {})) h.setAttribute(k, v);
          return call();
        });
      }
      case 'retrieval':
        return this.step(name, call, { ...callOptions, kind: 'retrieval' });
      default:
        return this.step(name, call, callOptions);
    }
  }

  private handle(span: Span, kind: Kind, name: string, options: CallOptions & { kind?: string }): SpanHandle {
    const state = { outputSet: false, usageSet: false };
    const emit = this.emitter.with(options);
    const put = (fill: (attrs: Attributes) => void) => {
      const attrs: Attributes = {};
      fill(attrs);
      span.setAttributes(attrs);
    };
    const h: SpanHandle & Partial<LlmHandle> = {
      span,
      spanId: span.spanContext().spanId,
      setInput: (value: unknown) =>
        safely('setInput', () => {
          if (kind === 'tool') put((a) => emit.toolArguments(a, value));
          else if (kind === 'llm') put((a) => emit.inputMessages(a, value));
          else put((a) => emit.stepInput(a, value));
        }),
      setOutput: (value: unknown) =>
        safely('setOutput', () => {
          state.outputSet = true;
          if (kind === 'tool') put((a) => emit.toolResult(a, value));
          else if (kind === 'llm') {
            if (value !== undefined) put((a) => llmOutput(emit, a, value as string | LlmOutput));
          } else put((a) => emit.stepOutput(a, value));
        }),
      setAttribute: (key: string, value: unknown) =>
        safely('setAttribute', () => {
          const v = toAttributeValue(value);
          if (v !== undefined) span.setAttribute(key, v);
        }),
      recordFailure: (failure: FailureInfo) => addFailure(span, { step: name, attempt: options.attempt, ...failure }),
    };
    if (kind === 'llm') {
      h.setUsage = (u: Usage) =>
        safely('setUsage', () => {
          state.usageSet = true;
          put((a) => emit.usage(a, fromLlmUsage(u)));
        });
      h.setCost = (usd: number) =>
        safely('setCost', () => {
          put((a) => emit.cost(a, usd));
        });
      h.setResponseModel = (model: string) => safely('setResponseModel', () => span.setAttribute(sc.GEN_AI_RESPONSE_MODEL, String(model)));
    }
    if (options.input !== undefined) h.setInput(options.input);
    handleState.set(h, state);
    return h;
  }

  /** Starts the span, runs `fn` inside it, ends it on return / settle / throw. */
  private run<H extends SpanHandle, T>(
    kind: Kind,
    label: string,
    name: string,
    spanKind: SpanKind,
    attrs: Record<string, unknown>,
    options: CallOptions & { kind?: string },
    makeHandle: (span: Span) => SpanHandle,
    fn: (h: H) => T,
  ): T {
    let span: Span | undefined;
    let h: SpanHandle | undefined;
    try {
      const attributes: Record<string, string | number | boolean | string[]> = {};
      const all = { ...attrs, ...(options.attributes ?? {}) };
      if (options.attempt !== undefined) all[sc.AMS_ATTEMPT] = options.attempt;
      if (options.retryOf !== undefined) all[sc.AMS_RETRY_OF] = options.retryOf;
      for (const [k, v] of Object.entries(all)) {
        const av = toAttributeValue(v);
        if (av !== undefined) attributes[k] = av as string | number | boolean | string[];
      }
      span = this.tracer().startSpan(name, { kind: spanKind, attributes, startTime: now() });
      h = makeHandle(span);
    } catch (err) {
      safely(`start ${name}`, () => {
        throw err;
      });
    }
    if (!span || !h) {
      // Tracing failed to start: run the user's code anyway, with a handle that records nothing.
      span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
      h = makeHandle(span);
    }
    const s = span;
    const handle = h;
    const callerCtx = context.active();
    const inherited = callerCtx.getValue(ATTEMPT_KEY);
    const attempt = options.attempt ?? (typeof inherited === 'number' ? inherited : undefined);
    let spanCtx = trace.setSpan(callerCtx, s);
    if (options.attempt !== undefined) spanCtx = spanCtx.setValue(ATTEMPT_KEY, options.attempt);
    const ok = (value: unknown) => safely(`end ${name}`, () => this.finishOk(kind, s, handle, value));
    const fail = (error: unknown) => safely(`end ${name}`, () => this.finishError(kind, s, label, options, attempt, error));

    let result: T;
    try {
      result = context.with(spanCtx, () => fn(handle as H));
    } catch (error) {
      fail(error);
      throw error;
    }
    if (result instanceof Promise) {
      // A native promise (or subclass, e.g. an SDK's APIPromise with extra methods) is returned
      // as is, so its type and methods survive; our handlers only observe it.
      result.then(ok, fail);
      return result;
    }
    if (isPromiseLike(result)) {
      // Other thenables may be lazy (query builders run on each then()): chain once, return that.
      return result.then(
        (value) => {
          ok(value);
          return value;
        },
        (error: unknown) => {
          fail(error);
          throw error;
        },
      ) as T;
    }
    ok(result);
    return result;
  }

  private finishOk(kind: Kind, span: Span, h: SpanHandle, value: unknown): void {
    const state = handleState.get(h);
    if (kind === 'llm') {
      const auto = fromLlmResponse(value);
      if (!state?.usageSet && auto.usage) {
        const attrs: Attributes = {};
        this.emitter.usage(attrs, fromLlmUsage(auto.usage));
        span.setAttributes(attrs);
      }
      if (auto.model) span.setAttribute(sc.GEN_AI_RESPONSE_MODEL, auto.model);
      if (!state?.outputSet && auto.output) h.setOutput(auto.output);
    } else if (kind !== 'agent' && !state?.outputSet && value !== undefined) {
      h.setOutput(value);
    }
    span.end(now());
  }

  private finishError(kind: Kind, span: Span, label: string, options: CallOptions & { kind?: string }, attempt: number | undefined, error: unknown): void {
    const message = errorMessageOf(error);
    span.recordException(error instanceof Error ? error : { message }, now());
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.setAttribute(sc.ERROR_TYPE, error instanceof Error ? error.name || 'Error' : typeof error);
    // One failure per error: where it happened, not again at each level it propagates through.
    const isObject = typeof error === 'object' && error !== null;
    if (!isObject || !classified.has(error)) {
      addFailure(span, { type: categoryOf(kind, options.kind), step: label, attempt, error });
      if (isObject) classified.add(error);
    }
    span.end(now());
  }
}

/**
 * A method decorator whose tracing instance is looked up on each call (so the default instance
 * can be configured after classes are defined). Handles standard and legacy decorators.
 */
export function methodDecorator(get: () => AgentTracing, options: TracedOptions = {}): MethodDecorator & StandardMethodDecorator {
  const wrap = (original: (...args: unknown[]) => unknown, methodName: string) => {
    const names = parameterNames(original);
    return function (this: unknown, ...args: unknown[]): unknown {
      const cls = (this as { constructor?: { name?: string } } | undefined)?.constructor?.name;
      const name = options.name ?? (cls && cls !== 'Object' && cls !== 'Function' ? `${cls}.${methodName}` : methodName);
      return get().invoke(options.kind ?? 'step', name, options, () => original.apply(this, args), args, names);
    };
  };
  return ((target: unknown, ctxOrKey: unknown, descriptor?: PropertyDescriptor) => {
    if (ctxOrKey && typeof ctxOrKey === 'object' && (ctxOrKey as { kind?: unknown }).kind === 'method') {
      return wrap(target as (...args: unknown[]) => unknown, String((ctxOrKey as { name: string | symbol }).name));
    }
    if (descriptor && typeof descriptor.value === 'function') {
      descriptor.value = wrap(descriptor.value as (...args: unknown[]) => unknown, String(ctxOrKey));
      return descriptor;
    }
    return undefined;
  }) as MethodDecorator & StandardMethodDecorator;
}

/** The TC39 (TypeScript 5+) method decorator signature. */
export type StandardMethodDecorator = <F extends (...args: never[]) => unknown>(value: F, context: ClassMethodDecoratorContext) => F;

/** Span attributes from plain values (what toAttributeValue cannot take is left out). */
function attributesOf(values: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(values)) {
    const av = toAttributeValue(v);
    if (av !== undefined) out[k] = av as string | number | boolean | string[];
  }
  return out;
}

function isLlmOutput(v: unknown): v is LlmOutput {
  return !!v && typeof v === 'object' && ('text' in v || 'toolCalls' in v || 'thinking' in v);
}

/** A logged event's time as epoch ms, or undefined when missing or unreadable. */
function msOf(t: EventTime | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

function hrOf(ms: number): HrTime {
  const sec = Math.floor(ms / 1000);
  return [sec, Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6))];
}

/** Start and end of a logged event from whichever of start, end (or time) and latency were given. */
function eventTimes(e: LoggedEvent): { start: HrTime; end: HrTime } {
  const latency = typeof e.latencyMs === 'number' && Number.isFinite(e.latencyMs) && e.latencyMs >= 0 ? e.latencyMs : undefined;
  const startMs = msOf(e.startTime);
  const endMs = msOf(e.endTime) ?? msOf(e.time) ?? (startMs !== undefined && latency !== undefined ? startMs + latency : undefined);
  if (endMs === undefined) {
    const end = now();
    const endAsMs = end[0] * 1000 + end[1] / 1e6;
    return { start: hrOf(startMs ?? endAsMs - (latency ?? 0)), end };
  }
  const start = startMs ?? endMs - (latency ?? 0);
  return { start: hrOf(Math.min(start, endMs)), end: hrOf(endMs) };
}

/** The retry attempt a span runs in, so failures deeper down carry its number. */
const ATTEMPT_KEY = createContextKey('ams-otel.attempt');

/** Errors already recorded as a failure by an inner span. */
const classified = new WeakSet<object>();

const handleState = new WeakMap<SpanHandle, { outputSet: boolean; usageSet: boolean }>();

// ---- LLM helpers ---------------------------------------------------------------------------

/** The public camelCase usage as the session model's Usage (the emitter's input). */
function fromLlmUsage(u: Usage): Partial<SessionUsage> {
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_read_input_tokens: u.cacheReadInputTokens,
    cache_creation_input_tokens: u.cacheCreationInputTokens,
  };
}

/** A model's answer (text or parts) as gen_ai.output.messages and its finish reason. */
function llmOutput(emit: GenAiEmitter, attrs: Attributes, out: string | LlmOutput): void {
  const o: LlmOutput = typeof out === 'string' ? { text: out } : out && typeof out === 'object' ? out : { text: jsonText(out) };
  const parts: OutputPart[] = [];
  if (typeof o.thinking === 'string' && o.thinking) parts.push({ type: 'reasoning', content: o.thinking });
  if (typeof o.text === 'string' && o.text) parts.push({ type: 'text', content: o.text });
  for (const c of o.toolCalls ?? []) parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
  emit.response(attrs, { finishReason: o.finishReason });
  emit.outputMessages(attrs, parts, o.finishReason);
}

/** Best-effort reading of common SDK responses: a string, OpenAI chat/responses, Anthropic messages. */
export function fromLlmResponse(value: unknown): { output?: LlmOutput; usage?: Usage; model?: string } {
  if (typeof value === 'string') return { output: { text: value } };
  if (!value || typeof value !== 'object') return {};
  const r = value as Record<string, unknown>;
  const out: { output?: LlmOutput; usage?: Usage; model?: string } = {};
  if (typeof r.model === 'string') out.model = r.model;
  const u = r.usage as Record<string, unknown> | undefined;
  if (u && typeof u === 'object') {
    const n = (...keys: string[]) => {
      for (const k of keys) if (typeof u[k] === 'number') return u[k] as number;
      return undefined;
    };
    const details = u.prompt_tokens_details as Record<string, unknown> | undefined;
    out.usage = {
      inputTokens: n('input_tokens', 'prompt_tokens'),
      outputTokens: n('output_tokens', 'completion_tokens'),
      cacheReadInputTokens: n('cache_read_input_tokens') ?? (typeof details?.cached_tokens === 'number' ? details.cached_tokens : undefined),
      cacheCreationInputTokens: n('cache_creation_input_tokens'),
    };
  }
  // Anthropic: content blocks.
  if (Array.isArray(r.content)) {
    const o: LlmOutput = { toolCalls: [] };
    const text: string[] = [];
    const thinking: string[] = [];
    for (const b of r.content as Array<Record<string, unknown>>) {
      if (b?.type === 'text' && typeof b.text === 'string') text.push(b.text);
      else if (b?.type === 'thinking' && typeof b.thinking === 'string') thinking.push(b.thinking);
      else if (b?.type === 'tool_use' && typeof b.name === 'string') (o.toolCalls as unknown[]).push({ id: b.id, name: b.name, arguments: b.input });
    }
    if (text.length) o.text = text.join('\n\n');
    if (thinking.length) o.thinking = thinking.join('\n\n');
    if (typeof r.stop_reason === 'string') o.finishReason = r.stop_reason;
    out.output = o;
    return out;
  }
  // OpenAI chat completions.
  if (Array.isArray(r.choices) && r.choices.length) {
    const c = r.choices[0] as { message?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown };
    const o: LlmOutput = {};
    if (typeof c.message?.content === 'string') o.text = c.message.content;
    if (Array.isArray(c.message?.tool_calls)) {
      o.toolCalls = (c.message.tool_calls as Array<{ id?: string; function?: { name?: string; arguments?: string } }>).map((t) => ({
        id: t.id,
        name: t.function?.name ?? 'unknown',
        arguments: t.function?.arguments,
      }));
    }
    if (typeof c.finish_reason === 'string') o.finishReason = c.finish_reason;
    out.output = o;
    return out;
  }
  // OpenAI responses API.
  if (typeof r.output_text === 'string') out.output = { text: r.output_text };
  return out;
}
