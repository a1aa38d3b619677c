/**
 * One traced run: what the hook and message channels share (the emitter, the agents, tools and
 * chats, the run's totals) and how it ends. ClaudeTracer is the public face of it.
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Attributes, Context, Exception, Tracer, TracerProvider } from '@opentelemetry/api';
import { GenAiEmitter } from '../emitter/emitter.js';
import { jsonText } from '../emitter/text.js';
import * as sc from '../spans/semconv.js';
import { Agents } from './agents.js';
import { Chats } from './chats.js';
import type { ResolvedConfig } from './config.js';
import { LazySpan } from './lazy-span.js';
import type { Json } from './state.js';
import { Tools } from './tools.js';
import { ResultTotals } from './totals.js';
import { Transcripts } from './transcripts.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.js';

/** How a run ended, for finish(). */
export interface FinishOutcome {
  /** The error the run threw, if any: recorded on the root span. */
  error?: unknown;
  /** The caller stopped consuming before the run finished (break / return). */
  abandoned?: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : jsonText(e);
}

export class Run {
  readonly tracer: Tracer;
  readonly emitter: GenAiEmitter;
  readonly agents: Agents;
  readonly tools: Tools;
  readonly chats: Chats;
  readonly transcripts: Transcripts;
  readonly results = new ResultTotals();
  requestModel: string | undefined;
  conversationId: string | undefined;
  /** What a non-success `result` said went wrong (kept as the root's status message). */
  resultError: string | undefined;
  finished = false;

  constructor(
    config: ResolvedConfig,
    provider: TracerProvider | undefined,
    requestModel: string | undefined,
    parentContext: Context | undefined,
    systemPrompt?: string,
  ) {
    this.emitter = new GenAiEmitter(config);
    this.tracer = (provider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.requestModel = requestModel;
    const attrs: Attributes = this.emitter.agentAttributes({
      agent: { name: config.agentName, version: config.agentVersion },
      provider: 'anthropic',
      model: requestModel,
      environment: config.environment,
      tags: config.tags,
      sessionId: config.sessionId,
      metadata: config.metadata,
    });
    this.emitter.systemInstructions(attrs, systemPrompt);
    const span = LazySpan.root(this.tracer, `${sc.OP_INVOKE_AGENT} ${config.agentName}`, SpanKind.INTERNAL, Date.now(), attrs, parentContext ?? context.active());
    this.agents = new Agents(this, span);
    this.tools = new Tools(this);
    this.chats = new Chats(this);
    this.transcripts = new Transcripts(this);
  }

  noteConversation(sessionId: string | undefined): void {
    if (!sessionId || this.conversationId) return;
    this.conversationId = sessionId;
    this.agents.root.span.setAttribute(sc.GEN_AI_CONVERSATION_ID, sessionId);
  }

  /** The session's main model, from the first place that names it (SDK options, init). */
  noteRequestModel(model: string): void {
    if (this.requestModel) return;
    this.requestModel = model;
    this.agents.root.span.setAttribute(sc.GEN_AI_REQUEST_MODEL, model);
  }

  /** Ends every open span and then the root, with the run's totals and outcome. */
  close(outcome: FinishOutcome, now: number): void {
    const root = this.agents.root.span;
    this.agents.adoptOrphans();
    this.chats.endAll();
    this.tools.interruptAll(now);
    this.agents.endAll(now);

    if (this.results.size) {
      const t = this.results.totals();
      const models: Record<string, Json> = {};
      for (const [model, f] of Object.entries(t.models)) models[model] = { ...f };
      const attrs: Attributes = {};
      this.emitter.usage(attrs, t);
      this.emitter.cost(attrs, t.cost_usd);
      root.setAttributes({
        ...attrs,
        [sc.AMS_USAGE_SOURCE]: 'sdk',
        [sc.AMS_TURNS]: t.turns,
        [sc.AMS_DURATION_MS]: t.duration_ms,
        [sc.AMS_API_DURATION_MS]: t.api_duration_ms,
        [sc.AMS_MODEL_USAGE]: JSON.stringify(models),
      });
    }
    if (outcome.error !== undefined) {
      const err = outcome.error;
      root.recordException(err instanceof Error ? err : (errorText(err) as Exception), now);
      root.setAttribute(sc.ERROR_TYPE, err instanceof Error ? err.name || 'Error' : typeof err);
      // A result that already said what went wrong keeps its reason as the status message.
      if (!this.resultError) root.setError(this.emitter.cut(errorText(err)));
    } else if (outcome.abandoned) {
      root.addEvent(sc.EVENT_NOTIFICATION, this.emitter.notificationEvent('The caller stopped reading the query before it finished', 'abandoned'), now);
    }
    root.end(now);
  }
}
