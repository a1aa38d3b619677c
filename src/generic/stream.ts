/**
 * A bounded event stream: high-frequency `event(name, data)` calls (token deltas, progress ticks)
 * recorded in order without unbounded memory. It keeps the first half of its budget and a ring
 * of the most recent half; everything between is counted as dropped. On end() the kept events
 * go onto the stream's span as one JSON attribute (`ams.stream.events`, each with its `seq`, so
 * gaps are visible) with `ams.stream.count` and `ams.stream.dropped`.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import * as sc from '../spans/semconv.js';
import { jsonText, truncate } from '../emitter/text.js';
import { safely } from './values.js';

export interface StreamOptions {
  /** Most events kept (first half + latest half); default 1,000. */
  maxEvents?: number;
  /** Longest data text per event; default 1,000 characters. */
  maxEventDataLength?: number;
  /** Record each event's data (default: the tracer's captureOutput). */
  captureData?: boolean;
}

export interface StreamHandle {
  /** Records one event. O(1), never throws, ignored after end(). */
  event(name: string, data?: unknown): void;
  /** Ends the stream (with an error, if given). Runs once. */
  end(error?: unknown): void;
  /** Events seen so far. */
  readonly count: number;
  /** Events not kept because of the bound. */
  readonly dropped: number;
  readonly spanId: string;
}

interface Kept {
  seq: number;
  /** Milliseconds since the stream started. */
  t: number;
  name: string;
  data?: string;
}

export class BoundedStream implements StreamHandle {
  private readonly head: Kept[] = [];
  private readonly ring: Array<Kept | undefined>;
  private ringNext = 0;
  private seen = 0;
  private ended = false;
  private readonly headMax: number;
  private readonly started = performance.now();

  constructor(
    private readonly span: Span,
    private readonly opts: { maxEvents: number; maxEventDataLength: number; captureData: boolean },
    private readonly onEnd: (error: unknown) => void,
  ) {
    const max = Math.max(2, Math.floor(opts.maxEvents));
    this.headMax = Math.ceil(max / 2);
    this.ring = new Array<Kept | undefined>(max - this.headMax);
  }

  get count(): number {
    return this.seen;
  }

  get dropped(): number {
    return Math.max(0, this.seen - this.head.length - this.ring.length);
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  event(name: string, data?: unknown): void {
    if (this.ended) return;
    safely('stream.event', () => {
      const e: Kept = { seq: this.seen, t: Math.round((performance.now() - this.started) * 1000) / 1000, name: String(name) };
      if (data !== undefined && this.opts.captureData) e.data = truncate(jsonText(data), this.opts.maxEventDataLength).value;
      this.seen += 1;
      if (this.head.length < this.headMax) this.head.push(e);
      else {
        this.ring[this.ringNext] = e;
        this.ringNext = (this.ringNext + 1) % this.ring.length;
      }
    });
  }

  /** Kept events in seq order. */
  events(): Kept[] {
    const tail: Kept[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[(this.ringNext + i) % this.ring.length];
      if (e) tail.push(e);
    }
    return [...this.head, ...tail];
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    safely('stream.end', () => {
      this.span.setAttributes({
        [sc.AMS_STREAM_COUNT]: this.seen,
        [sc.AMS_STREAM_DROPPED]: this.dropped,
        [sc.AMS_STREAM_EVENTS]: JSON.stringify(this.events()),
      });
      if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR });
    });
    this.onEnd(error);
    this.head.length = 0;
    this.ring.fill(undefined);
  }
}
