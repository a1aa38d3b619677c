/**
 * SessionSpanProcessor: add it next to your existing span processors; it groups spans by trace
 * and writes one session document when an agent run's root span ends.
 *
 * Hot path: onStart/onEnd do O(1) work (a map lookup, a few attribute reads, an array push) and
 * never await. Conversion, assembly, serialization and I/O happen later, on a timer, with storage
 * I/O under suppressTracing so our own writes are not traced. Nothing throws into the host.
 */
import { context, diag } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { globalErrorHandler, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resolve, SETTINGS } from '../config/env.js';
import type { PrivacyOptions, ResolvedPrivacy } from '../privacy/options.js';
import { resolvePrivacy } from '../privacy/options.js';
import { applyPrivacy } from '../privacy/redact.js';
import { assembleSession } from '../session/assemble.js';
import type { Session } from '../session/types.js';
import { fromReadableSpan } from '../spans/readable.js';
import { storageFromEnv } from '../storage/from-env.js';
import type { SessionStorage } from '../storage/types.js';
import { describeSdkSpan, isGenAiSdkSpan } from './describe.js';
import { DropLog } from './drop-log.js';
import { TraceBuffer } from './trace-buffer.js';
import type { SessionBatch, TraceBufferStats } from './trace-buffer.js';

/** Privacy options (redact, redactKeys, captureContent, captureThinking, mask) apply before every write. */
export interface SessionSpanProcessorOptions extends PrivacyOptions {
  /** Where sessions go; default storageFromEnv() (local `./ams-data` unless S3 is configured). */
  storage?: SessionStorage;
  /** Extra wait after the root span ends before writing, for stragglers (default 0). */
  waitMs?: number;
  /** Most traces buffered at once; the oldest is written as incomplete to make room (default 1,000). */
  maxTraces?: number;
  /** Most spans kept per trace; more are counted and the session marked incomplete (default 5,000). */
  maxSpansPerTrace?: number;
  /** Spans buffered across all traces; past it the oldest trace is written as incomplete (default 200,000). */
  maxBufferedSpans?: number;
  /** A trace open longer than this is written as incomplete (default 1 hour). */
  maxAgeMs?: number;
  /** Most sessions waiting to be written; more are dropped and counted (default 1,000). */
  maxPendingWrites?: number;
  /** Sessions written at once (default 4). */
  writeConcurrency?: number;
  /** Called after each session is written (or handed to storage's spool). Must not throw; if it does, it is reported. */
  onSession?(args: { session: Session; key: string }): void;
  /** `false` turns the processor into a no-op (e.g. in tests). Env `AMS_ENABLED`; default true. */
  enabled?: boolean;
}

export interface SessionSpanProcessorStats extends TraceBufferStats {
  sessionsWritten: number;
  writeFailures: number;
  /** Sessions dropped because maxPendingWrites was reached. */
  sessionsDropped: number;
  pendingWrites: number;
}

const DEFAULTS = {
  waitMs: 0,
  maxTraces: 1000,
  maxSpansPerTrace: 5000,
  maxBufferedSpans: 200_000,
  maxAgeMs: 60 * 60 * 1000,
  maxPendingWrites: 1000,
  writeConcurrency: 4,
};

export class SessionSpanProcessor implements SpanProcessor {
  private readonly buffer: TraceBuffer<ReadableSpan>;
  private readonly storage: SessionStorage;
  private readonly queue: SessionBatch[] = [];
  private readonly writing = new Set<Promise<void>>();
  private readonly drops = new DropLog();
  private readonly o: typeof DEFAULTS;
  private readonly enabled: boolean;
  private readonly privacy: ResolvedPrivacy;
  private isShutdown = false;
  private shutdownPromise?: Promise<void>;
  private counters = { sessionsWritten: 0, writeFailures: 0, sessionsDropped: 0 };

  constructor(private readonly options: SessionSpanProcessorOptions = {}) {
    this.o = {
      waitMs: options.waitMs ?? DEFAULTS.waitMs,
      maxTraces: options.maxTraces ?? DEFAULTS.maxTraces,
      maxSpansPerTrace: options.maxSpansPerTrace ?? DEFAULTS.maxSpansPerTrace,
      maxBufferedSpans: options.maxBufferedSpans ?? DEFAULTS.maxBufferedSpans,
      maxAgeMs: options.maxAgeMs ?? DEFAULTS.maxAgeMs,
      maxPendingWrites: options.maxPendingWrites ?? DEFAULTS.maxPendingWrites,
      writeConcurrency: Math.max(1, options.writeConcurrency ?? DEFAULTS.writeConcurrency),
    };
    this.enabled = resolve(SETTINGS.enabled, options.enabled);
    this.privacy = resolvePrivacy(options);
    this.storage = options.storage ?? (this.enabled ? storageFromEnv() : { putSession: async () => '' });
    this.buffer = new TraceBuffer<ReadableSpan>({
      describe: describeSdkSpan,
      toRecord: fromReadableSpan,
      onSessionReady: (batch) => this.enqueue(batch),
      onDrop: (count, reason) => this.drops.add(count, `spans (${reason})`),
      waitMs: this.o.waitMs,
      maxAgeMs: this.o.maxAgeMs,
      maxTraces: this.o.maxTraces,
      maxSpansPerTrace: this.o.maxSpansPerTrace,
      maxBufferedSpans: this.o.maxBufferedSpans,
    });
  }

  onStart(span: Span, _parentContext: Context): void {
    if (!this.enabled || this.isShutdown) return;
    try {
      const traceId = span.spanContext().traceId;
      if (this.buffer.has(traceId)) this.buffer.started(span, describeSdkSpan(span), false);
      // Only a GenAI span opens a trace: anything else costs one map lookup.
      else if (isGenAiSdkSpan(span)) this.buffer.started(span, describeSdkSpan(span), true);
    } catch (err) {
      report(err);
    }
  }

  onEnd(span: ReadableSpan): void {
    if (!this.enabled || this.isShutdown) return;
    try {
      if (!this.buffer.has(span.spanContext().traceId) && !isGenAiSdkSpan(span)) return;
      this.buffer.add(span);
    } catch (err) {
      report(err);
    }
  }

  stats(): SessionSpanProcessorStats {
    return { ...this.buffer.stats(), ...this.counters, pendingWrites: this.queue.length + this.writing.size };
  }

  /** Writes every session whose root has ended (skipping waitMs), and waits for all writes. */
  async forceFlush(): Promise<void> {
    if (!this.enabled) return;
    try {
      this.buffer.flush(false);
      await this.drain();
      await this.storage.flush?.();
    } catch (err) {
      report(err);
    }
  }

  /** Writes everything pending (unfinished sessions as incomplete), waits, then closes storage. Runs once. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      if (!this.enabled) return;
      try {
        this.buffer.close();
        this.isShutdown = true;
        await this.drain();
        await this.storage.flush?.();
        await this.storage.close?.();
        this.drops.flush();
      } catch (err) {
        report(err);
      }
    })();
    return this.shutdownPromise;
  }

  // ---- write pipeline ----------------------------------------------------------------------

  private enqueue(batch: SessionBatch): void {
    if (this.queue.length >= this.o.maxPendingWrites) {
      this.counters.sessionsDropped += 1;
      this.drops.add(1, `sessions (write queue full: maxPendingWrites=${this.o.maxPendingWrites})`);
      return;
    }
    this.queue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.writing.size < this.o.writeConcurrency && this.queue.length) {
      const batch = this.queue.shift()!;
      const p = this.write(batch).finally(() => {
        this.writing.delete(p);
        this.pump();
      });
      this.writing.add(p);
    }
  }

  private async drain(): Promise<void> {
    while (this.writing.size || this.queue.length) {
      this.pump();
      await Promise.allSettled([...this.writing]);
    }
  }

  private async write(batch: SessionBatch): Promise<void> {
    try {
      // Privacy applies before anything leaves the process; if it fails, nothing is written.
      const session = applyPrivacy(assembleSession(batch.records, {
        rootSpanId: batch.rootSpanId,
        sessionId: batch.sessionId,
        revision: batch.revision,
        incompleteReason: batch.incompleteReason,
        droppedSpans: batch.droppedSpans,
      }), this.privacy);
      if (session.status === 'incomplete') diag.warn(`ams-otel: session ${session.id} written as incomplete: ${session.status_reason}`);
      const key = await context.with(suppressTracing(context.active()), () => this.storage.putSession(session));
      this.counters.sessionsWritten += 1;
      try {
        this.options.onSession?.({ session, key });
      } catch (err) {
        report(err);
      }
    } catch (err) {
      this.counters.writeFailures += 1;
      report(err);
    }
  }
}

/** GenAI by the gen_ai.* rule, or an OpenInference span (normalized at assembly). */
function report(err: unknown): void {
  try {
    globalErrorHandler(err instanceof Error ? err : new Error(String(err)));
  } catch {
    // A user's error handler that throws must not reach the host either.
  }
}
