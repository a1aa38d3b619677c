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
 */
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Exception, Span, SpanKind, SpanStatus, Tracer } from '@opentelemetry/api';

type Op = (span: Span) => void;

export class LazySpan {
  private span: Span | undefined;
  private readonly ops: Op[] = [];
  private readonly children: LazySpan[] = [];
  private parent: LazySpan | undefined;
  private parentContext: Context | undefined;
  private endTime: number | undefined;
  private statusSet = false;
  private status: SpanStatus | undefined;
  readonly attributes: Attributes;

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
    return this.span !== undefined;
  }

  get hasParent(): boolean {
    return this.parent !== undefined || this.parentContext !== undefined;
  }

  get ended(): boolean {
    return this.endTime !== undefined;
  }

  get hasStatus(): boolean {
    return this.statusSet;
  }

  /** The real span, once created. */
  get otelSpan(): Span | undefined {
    return this.span;
  }

  /** Sets the parent (once); creates this span and its waiting children if the parent exists. */
  setParent(parent: LazySpan): void {
    if (this.hasParent || parent === this) return;
    this.parent = parent;
    if (parent.span) this.materialize();
    else parent.children.push(this);
  }

  /** Adds a child: created now if this span exists, else when it does. */
  adopt(child: LazySpan): void {
    child.setParent(this);
  }

  private run(op: Op): void {
    if (this.span) op(this.span);
    else this.ops.push(op);
  }

  setAttribute(key: string, value: AttributeValue | undefined): void {
    if (value === undefined) return;
    this.attributes[key] = value;
    // Before creation, attributes are passed to startSpan (so they survive an early end()).
    if (this.span && this.endTime === undefined) this.span.setAttribute(key, value);
  }

  setAttributes(attrs: Attributes): void {
    for (const [k, v] of Object.entries(attrs)) this.setAttribute(k, v);
  }

  updateName(name: string): void {
    this.name = name;
    if (this.span && this.endTime === undefined) this.span.updateName(name);
  }

  addEvent(name: string, attributes: Attributes, time: number = Date.now()): void {
    this.run((s) => s.addEvent(name, attributes, time));
  }

  setStatus(status: SpanStatus): void {
    this.statusSet = true;
    this.status = status;
    if (this.span && this.endTime === undefined) this.span.setStatus(status);
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
    this.run((s) => s.end(t));
  }

  /** Attaches a parentless span to `fallback` (used when the query ends before a link arrived). */
  ensureParent(fallback: LazySpan): void {
    if (!this.hasParent) this.setParent(fallback);
  }

  private materialize(): void {
    if (this.span) return;
    const parentCtx = this.parent?.span ? trace.setSpan(context.active(), this.parent.span) : (this.parentContext ?? context.active());
    this.span = this.tracer.startSpan(this.name, { kind: this.kind, startTime: this.startTime, attributes: this.attributes }, parentCtx);
    if (this.status) this.span.setStatus(this.status);
    const ops = this.ops.splice(0);
    for (const op of ops) op(this.span);
    const waiting = this.children.splice(0);
    for (const child of waiting) child.materialize();
  }
}
