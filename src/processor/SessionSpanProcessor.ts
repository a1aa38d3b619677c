/**
 * SessionSpanProcessor: add it next to your existing span processors; it groups spans by trace
 * and writes one session document when an agent run's root span ends.
 *
 * Hot path: onStart/onEnd do O(1) work (a map lookup, a few attribute reads, an array push) and
 * never await. Conversion, assembly, serialization and I/O happen later, on a timer, with storage
 * I/O under suppressTracing so our own writes are not traced. Nothing throws into the host.
 */
import { diag } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resolve, SETTINGS } from '../config/env.js';
import type { PrivacyOptions } from '../privacy/options.js';
import type { PricingOptions } from '../session/pricing.js';
import { fromReadableSpan } from '../spans/readable.js';
import { sdkSpanBytes } from '../spans/size.js';
import { storageFromEnv } from '../storage/from-env.js';
import type { SessionStorage } from '../storage/types.js';
import { DEFAULT_LIMITS } from '../writer/defaults.js';
import { report, SessionWriter } from '../writer/SessionWriter.js';
import type { SessionWriterLimits, SessionWriterStats } from '../writer/types.js';
import { describeSdkSpan, isGenAiSdkSpan } from './describe.js';
import { DropLog } from './drop-log.js';
import { TraceBuffer } from './trace-buffer.js';
import type { TraceBufferStats } from './trace-buffer.js';

/**
 * Privacy options (redact, redactKeys, captureContent, captureThinking, mask) apply before every
 * write; the writer options (maxConcurrentWrites, maxPendingWrites, flushTimeoutMs,
 * onSessionWritten) are the receiver's too (docs/writer.md).
 */
export interface SessionSpanProcessorOptions extends PrivacyOptions, PricingOptions, SessionWriterLimits {
  /** Where sessions go; default storageFromEnv() (local `./ams-data` unless S3 is configured). */
  storage?: SessionStorage;
  /** Extra wait after the root span ends before writing, for stragglers (default 0). */
  waitMs?: number;
  /** Most traces buffered at once; the oldest is written as incomplete to make room (default 10,000). */
  maxTraces?: number;
  /** Most spans kept per trace; more are counted and the session marked incomplete (default 20,000). */
  maxSpansPerTrace?: number;
  /** Spans buffered across all traces; past it the oldest trace is written as incomplete (default 200,000). */
  maxBufferedSpans?: number;
  /**
   * Bytes of the spans buffered (their text, roughly; src/spans/size.ts): past it the oldest trace
   * is written as incomplete, and a span that still does not fit is dropped and counted
   * (stats().droppedSpans.max_buffered_bytes). Env `AMS_MAX_BUFFERED_BYTES`; default 64 MiB.
   */
  maxBufferedBytes?: number;
  /** A trace open longer than this is written as incomplete (default 1 hour). */
  maxAgeMs?: number;
  /** `false` turns the processor into a no-op (e.g. in tests). Env `AMS_ENABLED`; default true. */
  enabled?: boolean;
}

/** The trace buffer's counters and the writer's (one shape with the receiver's, docs/writer.md). */
export interface SessionSpanProcessorStats extends TraceBufferStats, SessionWriterStats {}

export class SessionSpanProcessor implements SpanProcessor {
  private readonly buffer: TraceBuffer<ReadableSpan>;
  private readonly writer: SessionWriter;
  private readonly drops = new DropLog(undefined, undefined, diag.createComponentLogger({ namespace: 'ams-otel/processor' }));
  private readonly enabled: boolean;
  private isShutdown = false;
  private shutdownPromise?: Promise<void>;

  constructor(options: SessionSpanProcessorOptions = {}) {
    this.enabled = resolve(SETTINGS.enabled, options.enabled);
    const storage = options.storage ?? (this.enabled ? storageFromEnv() : { putSession: async () => '' });
    this.writer = new SessionWriter({ ...options, storage, namespace: 'ams-otel/processor' });
    this.buffer = new TraceBuffer<ReadableSpan>({
      describe: describeSdkSpan,
      toRecord: fromReadableSpan,
      onSessionReady: (batch) => void this.writer.write(batch),
      onDrop: (count, reason) => this.drops.add(count, `spans (${reason})`),
      waitMs: options.waitMs ?? 0,
      maxAgeMs: options.maxAgeMs ?? DEFAULT_LIMITS.maxAgeMs,
      maxTraces: options.maxTraces ?? DEFAULT_LIMITS.maxTraces,
      maxSpansPerTrace: options.maxSpansPerTrace ?? DEFAULT_LIMITS.maxSpansPerTrace,
      maxBufferedSpans: options.maxBufferedSpans ?? DEFAULT_LIMITS.maxBufferedSpans,
      maxBufferedBytes: resolve(SETTINGS.maxBufferedBytes, options.maxBufferedBytes),
      sizeOf: sdkSpanBytes,
    });
  }

  onStart(span: Span, _parentContext: Context): void {
    if (!this.enabled || this.isShutdown) return;
    try {
      const traceId = span.spanContext().traceId;
      if (this.buffer.has(traceId)) this.buffer.started(span, describeSdkSpan(span), false);
      // A cheap pre-filter (the writer applies the GenAI rule again at write time): only a GenAI
      // span opens a trace, so anything else costs one map lookup.
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
    return { ...this.buffer.stats(), ...this.writer.stats() };
  }

  /**
   * Writes every session whose root has ended (skipping waitMs), and waits for all writes, at most
   * flushTimeoutMs (what missed it is logged and counted in stats().timedOutWrites).
   */
  async forceFlush(): Promise<void> {
    if (!this.enabled) return;
    try {
      this.buffer.flush(false);
    } catch (err) {
      report(err);
    }
    await this.writer.withDeadline('forceFlush', () => this.writer.settle());
  }

  /**
   * Writes everything pending (unfinished sessions as incomplete) and closes storage, within
   * shutdownTimeoutMs (AMS_SHUTDOWN_TIMEOUT_MS, default 10 s) whatever the storage does: what it
   * has not taken by then is spooled to local disk and replayed by the next processor writing to
   * the same storage (docs/storage.md). Runs once.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      if (!this.enabled) return;
      try {
        this.buffer.close();
      } catch (err) {
        report(err);
      }
      this.isShutdown = true;
      const storage = this.writer.storage;
      await this.writer.shutdown(async () => {
        await storage.close?.();
      });
      this.drops.flush();
    })();
    return this.shutdownPromise;
  }
}
