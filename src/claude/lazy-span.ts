/**
 * A span whose parent may not be known yet.
 *
 * OpenTelemetry fixes a span's parent when the span starts, but the Claude CLI tells us who a
 * subagent belongs to through two channels that race: hooks arrive in real time (SubagentStart
 * carries only `agent_id`), while the message stream, which the caller consumes at their own
 * pace, carries the link (`task_started` / `parent_tool_use_id`). So a subagent span and
 * everything under it are recorded here with their real timestamps and created as real spans once
 * the parent is known, replaying what happened to them. Spans whose parent is known at once are
 * created immediately, so a long session still exports as it goes.
 *
 * Once a created span has ended, only its SpanContext is kept (enough to parent late children):
 * a run with thousands of tool calls must not hold every span and its 64 KiB results in memory.
 */
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Exception, Span, SpanContext, SpanKind, SpanStatus, Tracer } from '@opentelemetry/api';

type Op = (span: Span) => void;

export class LazySpan {
  /** The live span: set from creation until it ends. */
  private span: Span | undefined;
  private spanContextValue: SpanContext | undefined;
  private readonly ops: Op[] = [];
  private readonly children: LazySpan[] = [];
  private parent: LazySpan | undefined;
  private parentContext: Context | undefined;
  private endTime: number | undefined;
  private status: SpanStatus | undefined;
  /** Attributes given before creation (passed to startSpan) and those set since; emptied at the end. */
  attributes: Attributes;

  constructor(
    private readonly tracer: Tracer,
    private name: string,
    private readonly kind: SpanKind,
    readonly startTime: number,
    attributes: Attributes = {},
  ) {
    this.attributes = { ...attributes };
  }

  /** A top-level span: parented by a context (the caller's active one), created at once. */
  static root(tracer: Tracer, name: string, kind: SpanKind, startTime: number, attributes: Attributes, parentContext: Context): LazySpan {
    const s = new LazySpan(tracer, name, kind, startTime, attributes);
    s.parentContext = parentContext;
    s.materialize();
    return s;
  }

  get materialized(): boolean {
    return this.spanContextValue !== undefined;
  }

  get hasParent(): boolean {
    return this.parent !== undefined || this.parentContext !== undefined;
  }

  get ended(): boolean {
    return this.endTime !== undefined;
  }

  /** The created span's context (also after it ended). */
  get spanContext(): SpanContext | undefined {
    return this.spanContextValue;
  }

  /** Sets the parent (once); creates this span and its waiting children if the parent exists. */
  setParent(parent: LazySpan): void {
    if (this.hasParent || parent === this) return;
    this.parent = parent;
    if (parent.materialized) this.materialize();
    else parent.children.push(this);
  }

  /** Until creation, operations wait; while live they apply; after the end they are dropped. */
  private run(op: Op): void {
    if (this.span) op(this.span);
    else if (!this.materialized) this.ops.push(op);
  }

  setAttribute(key: string, value: AttributeValue | undefined): void {
    if (value === undefined) return;
    if (!this.materialized) {
      // Before creation, attributes are passed to startSpan (so they survive an early end()).
      this.attributes[key] = value;
      return;
    }
    if (!this.span) return;
    this.attributes[key] = value;
    this.span.setAttribute(key, value);
  }

  setAttributes(attrs: Attributes): void {
    for (const [k, v] of Object.entries(attrs)) this.setAttribute(k, v);
  }

  updateName(name: string): void {
    if (!this.materialized) this.name = name;
    else this.span?.updateName(name);
  }

  addEvent(name: string, attributes: Attributes, time: number = Date.now()): void {
    this.run((s) => s.addEvent(name, attributes, time));
  }

  setStatus(status: SpanStatus): void {
    if (!this.materialized) this.status = status;
    else this.span?.setStatus(status);
  }

  setError(message: string): void {
    this.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  recordException(exception: Exception, time: number = Date.now()): void {
    this.run((s) => s.recordException(exception, time));
  }

  end(time: number = Date.now()): void {
    if (this.endTime !== undefined) return;
    this.endTime = Math.max(time, this.startTime);
    const t = this.endTime;
    if (this.span) {
      this.span.end(t);
      this.release();
    } else {
      this.ops.push((s) => s.end(t));
    }
  }

  /** Attaches a parentless span to `fallback` (used when the query ends before a link arrived). */
  ensureParent(fallback: LazySpan): void {
    if (!this.hasParent) this.setParent(fallback);
  }

  private release(): void {
    this.span = undefined;
    this.attributes = {};
  }

  private materialize(): void {
    if (this.materialized) return;
    const parentSc = this.parent?.spanContextValue;
    const parentCtx = parentSc ? trace.setSpanContext(context.active(), parentSc) : (this.parentContext ?? context.active());
    const span = this.tracer.startSpan(this.name, { kind: this.kind, startTime: this.startTime, attributes: this.attributes }, parentCtx);
    this.span = span;
    this.spanContextValue = span.spanContext();
    if (this.status) span.setStatus(this.status);
    const ops = this.ops.splice(0);
    for (const op of ops) op(span);
    if (this.endTime !== undefined) this.release();
    const waiting = this.children.splice(0);
    for (const child of waiting) child.materialize();
  }
}
