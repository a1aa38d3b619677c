/**
 * One set of defaults for the limits the in-process processor and the receiver share. Before, the
 * processor had 1k traces / 5k spans per trace / 200k spans and the receiver 10k / 20k / 500k;
 * a session captured either way should be cut at the same place.
 */
export const DEFAULT_LIMITS = {
  /**
   * Traces buffered at once. An idle open trace costs little (its spans count against
   * maxBufferedSpans, the real memory bound); evicting a live agent run writes it as incomplete,
   * so this is generous: 10,000 concurrent runs is more than any one host or receiver shard sees.
   */
  maxTraces: 10_000,
  /** Spans kept per trace: a long Claude Code session (thousands of tool calls) fits in 20,000. */
  maxSpansPerTrace: 20_000,
  /**
   * Spans buffered across traces: the memory bound (a span record is ~0.5-2 KB, so ≤ ~400 MB at
   * worst). 200,000 keeps an in-process host safe; a dedicated receiver may raise it.
   */
  maxBufferedSpans: 200_000,
  /** A trace open longer than an hour is written as incomplete. */
  maxAgeMs: 60 * 60 * 1000,
  /**
   * Sessions waiting in memory for a storage write. A pending session holds its spans' records
   * (often 10-100 KB), so 1,000 is at most ~100 MB; past it sessions go to the local spool on
   * disk and are written later, not dropped.
   */
  maxPendingWrites: 1000,
  /**
   * Storage writes in flight. S3 PUTs are latency-bound (~20-50 ms each), so 16 in flight is
   * ~300-800 sessions/s, far below S3's per-prefix limit; synchronous local writes ignore it.
   */
  maxConcurrentWrites: 16,
  /** forceFlush()/shutdown() give up after this long (the SDK's default export timeout, 30 s). */
  flushTimeoutMs: 30_000,
  /**
   * One storage call (a session write: for S3 a few requests) is abandoned after this long, S3
   * requests aborted; the write is retried, then spooled. S3 answers in tens of ms; 10 s is a
   * stall, not a slow day.
   */
  storageTimeoutMs: 10_000,
  /**
   * shutdown() (processor) and stop / SIGTERM (receiver) finish within this whatever the storage
   * does: writes get most of it, what is left is spooled in the rest (docs/storage.md).
   */
  shutdownTimeoutMs: 10_000,
} as const;

/**
 * The receiver's span bound, the one limit where it differs from DEFAULT_LIMITS on purpose: a
 * dedicated receiver process holds every producer's traces (and written ones for the retain
 * window) and has the host to itself, so it takes 2.5x what an in-process host should give up.
 */
export const RECEIVER_MAX_BUFFERED_SPANS = 500_000;
