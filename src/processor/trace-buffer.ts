/**
 * TraceBuffer: groups ended spans by trace and decides when a session is complete. Shared by the
 * in-process SessionSpanProcessor (items are SDK ReadableSpans, described cheaply and converted
 * only at assembly) and the receiver (items are SpanRecords decoded from OTLP, in any order).
 *
 * Completion rules (README "When a session is written"):
 * - a session root is a top-level invoke_agent span; in a trace without one, the local trace root;
 * - when a root ends, its session is emitted after `waitMs` (late children still make it);
 * - a trace that has seen no new span for `idleMs` is emitted as it is (rootless: incomplete);
 * - a trace open longer than `maxAgeMs` is emitted as incomplete;
 * - with `retainMs`, an emitted trace is kept that long: a late span re-emits its session with
 *   revision + 1; without it, late spans are counted as dropped.
 * Memory is bounded by `maxTraces` (the oldest trace is emitted as incomplete to make room) and
 * `maxSpansPerTrace` (further spans are counted and the session marked incomplete) and
 * `maxBufferedSpans` across traces (the oldest trace is emitted as incomplete to make room) and
 * `maxBufferedBytes` across traces, written traces retained for late spans included (room is
 * made the same way: retained traces are let go of first, then the oldest open one is emitted as
 * incomplete; a span that still does not fit is dropped, counted, its session marked incomplete).
 */
import type { SpanRecord } from '../spans/record.js';

/** Why a trace written on its idle timeout is incomplete (a log-only trace never has a root: see SessionWriter). */
export const IDLE_ROOTLESS_REASON = 'idle timeout: the root span never arrived';

/** What the buffer needs to know about a span, read in O(1). */
export interface SpanInfo {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** No parent, or a parent in another process. */
  isLocalRoot: boolean;
  /** gen_ai.operation.name = invoke_agent. */
  isAgent: boolean;
}

export interface SessionBatch {
  traceId: string;
  /** The session root; undefined when the root never arrived (rootless trace). */
  rootSpanId?: string;
  /** Session id the buffer chose (stable across revisions of the same session). */
  sessionId: string;
  records: SpanRecord[];
  revision: number;
  incompleteReason?: string;
  droppedSpans: number;
}

export interface TraceBufferOptions<T> {
  describe(item: T): SpanInfo;
  toRecord(item: T): SpanRecord;
  onSessionReady(batch: SessionBatch): void;
  waitMs: number;
  maxAgeMs: number;
  maxTraces: number;
  maxSpansPerTrace: number;
  /** Spans buffered across all traces; past it the oldest trace is written to make room (default 200,000). */
  maxBufferedSpans?: number;
  /** Bytes of the spans held (as `sizeOf` weighs them), retained ones included; no bound when absent. */
  maxBufferedBytes?: number;
  /** A span's weight in bytes, for maxBufferedBytes (default: what add() is given, else 0). */
  sizeOf?(item: T): number;
  /**
   * false: past maxBufferedBytes only retained traces are let go of; open ones are neither written
   * early nor dropped (the receiver bounds those itself, with 503s before they get there). Default true.
   */
  bytesBoundOpenTraces?: boolean;
  idleMs?: number;
  retainMs?: number;
  /** Called with a reason whenever spans are dropped (for logging; counters are in stats()). */
  onDrop?(count: number, reason: DropReason): void;
  now?: () => number;
}

export type DropReason = 'max_spans_per_trace' | 'max_buffered_bytes' | 'late' | 'evicted_unwritable';

export interface TraceBufferStats {
  openTraces: number;
  bufferedSpans: number;
  /** Bytes of the spans held (open and retained), as weighed for maxBufferedBytes. */
  bufferedBytes: number;
  sessionsEmitted: number;
  sessionsIncomplete: number;
  tracesEvicted: number;
  tracesExpired: number;
  droppedSpans: Record<DropReason, number>;
}

interface RootState {
  sessionId?: string;
  /** Revision last emitted (0 = never). */
  revision: number;
  /** Number of subtree spans at the last emission, to tell whether a rewrite is needed. */
  emittedSpans: number;
}

interface TraceState<T> {
  traceId: string;
  items: T[];
  infos: SpanInfo[];
  /** Each item's weight in bytes, and their sum. */
  sizes: number[];
  bytes: number;
  /** spanId -> parentSpanId for every span seen (started or ended). */
  parents: Map<string, string | undefined>;
  agents: Set<string>;
  /** Agents known to be top-level since they started (in-process: ancestors start first). */
  topLevel: Set<string>;
  /** Spans with no parent, or a remote one. */
  localRoots: Set<string>;
  /** Agent spans started but not ended (in-process only), kept so a forced write can still read their attributes. */
  openAgents: Map<string, T>;
  roots: Map<string, RootState>;
  ended: Set<string>;
  firstAt: number;
  lastAt: number;
  dropped: number;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  /** Set once something was emitted and nothing new is pending. */
  emittedAt?: number;
  /** Sessions assigned ids so far; the first takes the trace id. */
  idsAssigned: number;
  /** A timer wake-up emits nothing before this: the last root (or late span) gets its full waitMs. */
  notBefore: number;
}

const UNROOTED = '';
/** How long written traces are remembered, so a late span is counted rather than opening a new trace. */
const CLOSED_RETENTION_MS = 60_000;
const MAX_CLOSED = 10_000;

export class TraceBuffer<T> {
  private readonly traces = new Map<string, TraceState<T>>();
  /** Traces already written and forgotten: their late spans are counted, not buffered. */
  private readonly closed = new Map<string, { at: number; idsAssigned: number }>();
  private spans = 0;
  private bytes = 0;
  private readonly counters = {
    sessionsEmitted: 0,
    sessionsIncomplete: 0,
    tracesEvicted: 0,
    tracesExpired: 0,
    droppedSpans: { max_spans_per_trace: 0, max_buffered_bytes: 0, late: 0, evicted_unwritable: 0 } as Record<DropReason, number>,
  };
  private readonly now: () => number;
  private sweeper?: NodeJS.Timeout;
  private closedDown = false;

  constructor(private readonly opts: TraceBufferOptions<T>) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * In-process hint: a span started. Lets the buffer know an agent's ancestry before it ends, and
   * keeps open agent spans so a forced write (shutdown, limits) can still name the session.
   */
  started(item: T, info: SpanInfo, createIfAbsent: boolean): void {
    let t = this.traces.get(info.traceId);
    if (!t) {
      if (!createIfAbsent || this.closedDown) return;
      t = this.create(info.traceId);
    }
    t.parents.set(info.spanId, info.parentSpanId);
    if (info.isLocalRoot) t.localRoots.add(info.spanId);
    if (info.isAgent) {
      // Every span of this trace that started since it was opened is in `parents`, and an agent
      // started earlier would have opened it: an agent with no agent ancestor there is top-level.
      if (this.ancestry(t, info.spanId) !== 'nested') t.topLevel.add(info.spanId);
      t.agents.add(info.spanId);
      t.openAgents.set(info.spanId, item);
    }
  }

  /** True when the trace is already being buffered. */
  has(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** Receiver back-pressure: can `newTraces` more traces be opened without evicting one? */
  canAccept(newTraces: number): boolean {
    return this.traces.size + newTraces <= this.opts.maxTraces;
  }

  /** Buffers an ended span; `size` (bytes) overrides `sizeOf` for maxBufferedBytes. */
  add(item: T, info: SpanInfo = this.opts.describe(item), size?: number): void {
    if (this.closedDown) return;
    let t = this.traces.get(info.traceId);
    if (!t) {
      if (this.closed.has(info.traceId) && !this.opts.retainMs) {
        // A wrapper span (e.g. the HTTP request around the agent) ending after the session was
        // written is expected and belongs to no session; anything else arrived too late.
        if (!info.isLocalRoot || info.isAgent) this.drop(1, 'late');
        return;
      }
      t = this.create(info.traceId);
    }
    const now = this.now();
    t.lastAt = now;
    t.parents.set(info.spanId, info.parentSpanId);
    if (info.isLocalRoot) t.localRoots.add(info.spanId);
    if (info.isAgent) {
      t.agents.add(info.spanId);
      t.openAgents.delete(info.spanId);
    }
    const bytes = size ?? this.opts.sizeOf?.(item) ?? 0;
    if (t.items.length >= this.opts.maxSpansPerTrace) {
      t.dropped += 1;
      this.drop(1, 'max_spans_per_trace');
    } else if (!this.roomFor(bytes, t)) {
      t.dropped += 1;
      this.drop(1, 'max_buffered_bytes');
    } else {
      t.items.push(item);
      t.infos.push(info);
      t.sizes.push(bytes);
      t.bytes += bytes;
      this.bytes += bytes;
      this.spans += 1;
    }
    t.ended.add(info.spanId);
    while (this.spans > (this.opts.maxBufferedSpans ?? 200_000) && this.traces.size > 1) {
      if (!this.evictOldest(t)) break;
    }

    // Only a span that can end a session schedules work: a top-level agent (a nested one never
    // completes a session), a local root, or anything arriving after a write (a rewrite).
    const topAgent = info.isAgent && (t.topLevel.size === 0 || t.topLevel.has(info.spanId));
    const mayCompleteSession = topAgent || info.isLocalRoot || t.emittedAt !== undefined;
    if (mayCompleteSession) {
      t.notBefore = now + this.opts.waitMs;
      this.schedule(t, t.notBefore);
    } else if (this.opts.idleMs !== undefined) this.schedule(t, now + this.opts.idleMs);
  }

  /**
   * Makes room for `bytes` more under maxBufferedBytes: retained traces go first, then the oldest
   * open ones (other than `keep`) are emitted as incomplete. False when it still does not fit.
   */
  private roomFor(bytes: number, keep: TraceState<T>): boolean {
    const max = this.opts.maxBufferedBytes;
    if (max === undefined) return true;
    const open = this.opts.bytesBoundOpenTraces !== false;
    while (this.bytes + bytes > max && this.traces.size > 1) {
      if (!this.evictOldest(keep, !open)) break;
    }
    return !open || this.bytes + bytes <= max;
  }

  /** Emits every session whose root has ended (forceFlush). With `all`, also open ones, as incomplete. */
  flush(all: boolean, reason = 'flushed before the session ended'): void {
    for (const t of [...this.traces.values()]) {
      this.evaluate(t, all ? reason : undefined, all);
      this.afterEvaluate(t);
    }
  }

  stats(): TraceBufferStats {
    return {
      openTraces: this.traces.size,
      bufferedSpans: this.spans,
      bufferedBytes: this.bytes,
      sessionsEmitted: this.counters.sessionsEmitted,
      sessionsIncomplete: this.counters.sessionsIncomplete,
      tracesEvicted: this.counters.tracesEvicted,
      tracesExpired: this.counters.tracesExpired,
      droppedSpans: { ...this.counters.droppedSpans },
    };
  }

  /** Emits everything (incomplete where unfinished) and stops all timers. */
  close(reason = 'shutdown before the session ended'): void {
    if (this.closedDown) return;
    this.flush(true, reason);
    for (const t of this.traces.values()) this.forget(t);
    this.closedDown = true;
    if (this.sweeper) clearInterval(this.sweeper);
  }

  // ---- internals ---------------------------------------------------------------------------

  private create(traceId: string): TraceState<T> {
    if (this.traces.size >= this.opts.maxTraces) this.evictOldest();
    const now = this.now();
    const t: TraceState<T> = {
      traceId,
      items: [],
      infos: [],
      sizes: [],
      bytes: 0,
      parents: new Map(),
      agents: new Set(),
      topLevel: new Set(),
      localRoots: new Set(),
      openAgents: new Map(),
      roots: new Map(),
      ended: new Set(),
      firstAt: now,
      lastAt: now,
      dropped: 0,
      // A trace can hold several sessions over time; keep their ids distinct.
      idsAssigned: this.closed.get(traceId)?.idsAssigned ?? 0,
      notBefore: 0,
    };
    this.closed.delete(traceId);
    this.traces.set(traceId, t);
    this.ensureSweeper();
    return t;
  }

  /**
   * Makes room: first forgets the oldest trace that was already written and is only retained for
   * late spans; failing that, emits the oldest open trace (other than `keep`) as incomplete.
   */
  private evictOldest(keep?: TraceState<T>, retainedOnly = false): boolean {
    let oldest: TraceState<T> | undefined;
    for (const t of this.traces.values()) {
      if (t === keep) continue;
      if (t.emittedAt !== undefined && t.openAgents.size === 0 && this.unemittedRoots(t).length === 0) {
        this.forget(t);
        return true;
      }
      oldest ??= t;
    }
    if (!oldest || retainedOnly) return false;
    this.counters.tracesEvicted += 1;
    this.evaluate(oldest, 'evicted: buffer limits (maxTraces / maxBufferedSpans / maxBufferedBytes) reached while the session was open', true);
    this.forget(oldest);
    return true;
  }

  /** maxAgeMs is enforced by one unref'd sweep instead of a timer per trace. */
  private ensureSweeper(): void {
    if (this.sweeper || !Number.isFinite(this.opts.maxAgeMs)) return;
    const every = Math.max(50, Math.min(this.opts.maxAgeMs / 4, 30_000));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref?.();
  }

  private sweep(): void {
    const now = this.now();
    for (const t of [...this.traces.values()]) {
      if (now - t.firstAt < this.opts.maxAgeMs) break; // insertion order = age order
      if (t.emittedAt !== undefined && t.openAgents.size === 0) continue; // retained, not open
      this.counters.tracesExpired += 1;
      this.evaluate(t, `expired: open longer than maxAgeMs (${this.opts.maxAgeMs} ms)`, true);
      this.forget(t);
    }
    for (const [id, { at }] of this.closed) {
      if (now - at < CLOSED_RETENTION_MS) break;
      this.closed.delete(id);
    }
    if (this.traces.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private schedule(t: TraceState<T>, at: number): void {
    // Keep the earliest due time: an early wake-up just re-evaluates and re-arms.
    if (t.timer && t.timerAt !== undefined && t.timerAt <= at) return;
    if (t.timer) clearTimeout(t.timer);
    t.timerAt = at;
    t.timer = setTimeout(() => this.onTimer(t), Math.max(0, at - this.now()));
    t.timer.unref?.();
  }

  private onTimer(t: TraceState<T>): void {
    t.timer = undefined;
    t.timerAt = undefined;
    if (this.traces.get(t.traceId) !== t) return;
    const now = this.now();
    const idle = this.opts.idleMs !== undefined && now - t.lastAt >= this.opts.idleMs;
    if (!idle && now < t.notBefore) {
      // Woken early (timers keep the earliest due time): a root that just ended still gets its
      // whole waitMs for stragglers.
      this.schedule(t, t.notBefore);
      return;
    }
    this.evaluate(t, idle ? IDLE_ROOTLESS_REASON : undefined, idle);
    this.afterEvaluate(t);
  }

  private afterEvaluate(t: TraceState<T>): void {
    if (this.traces.get(t.traceId) !== t) return;
    const pending = t.openAgents.size > 0 || this.unemittedRoots(t).length > 0;
    if (pending) {
      if (this.opts.idleMs !== undefined) this.schedule(t, t.lastAt + this.opts.idleMs);
      return;
    }
    if (t.emittedAt === undefined) {
      // Nothing emitted and no root in sight: wait for the idle timeout (receiver) or for the
      // local root to end (in-process, scheduled by add()).
      if (this.opts.idleMs !== undefined) this.schedule(t, t.lastAt + this.opts.idleMs);
      return;
    }
    if (this.opts.retainMs) {
      this.schedule(t, t.lastAt + this.opts.retainMs);
      if (this.now() - t.lastAt >= this.opts.retainMs) this.forget(t);
      return;
    }
    this.forget(t);
  }

  private forget(t: TraceState<T>): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    if (this.traces.get(t.traceId) !== t) return;
    this.traces.delete(t.traceId);
    this.spans -= t.items.length;
    this.bytes -= t.bytes;
    if (this.traces.size === 0) this.bytes = 0; // no float drift when empty
    if (t.emittedAt !== undefined || t.dropped) {
      this.closed.set(t.traceId, { at: this.now(), idsAssigned: t.idsAssigned });
      if (this.closed.size > MAX_CLOSED) this.closed.delete(this.closed.keys().next().value!);
    }
  }

  private drop(count: number, reason: DropReason): void {
    this.counters.droppedSpans[reason] += count;
    this.opts.onDrop?.(count, reason);
  }

  /**
   * Session roots: agent spans with no agent ancestor; in an agentless trace, the local root.
   * An agent whose chain of parents has a gap (a parent not seen yet, as when a subagent's span
   * reaches the receiver before its Agent tool span) is not a root yet: only `force` takes it.
   */
  private sessionRoots(t: TraceState<T>, force = false): string[] {
    const roots: string[] = [];
    for (const id of t.agents) {
      if (t.topLevel.has(id)) {
        roots.push(id);
        continue;
      }
      const verdict = this.ancestry(t, id);
      if (verdict === 'top') roots.push(id);
      else if (verdict === 'unresolved' && force) {
        // Forced with a gap above the agent: the session hangs off the missing ancestor (the
        // assembler stands in for it), so siblings under the same gap stay in one session.
        const gap = this.missingAncestor(t, id);
        if (!roots.includes(gap)) roots.push(gap);
      }
    }
    if (roots.length === 0) {
      for (const info of t.infos) if (info.isLocalRoot) roots.push(info.spanId);
    }
    return roots;
  }

  private missingAncestor(t: TraceState<T>, id: string): string {
    let cur = id;
    const seen = new Set<string>();
    while (t.parents.has(cur) && !seen.has(cur)) {
      seen.add(cur);
      const parent = t.parents.get(cur);
      if (parent === undefined) break;
      cur = parent;
    }
    return cur;
  }

  private ancestry(t: TraceState<T>, id: string): 'top' | 'nested' | 'unresolved' {
    const seen = new Set<string>();
    for (let cur = id; !seen.has(cur); ) {
      seen.add(cur);
      if (!t.parents.has(cur)) return t.localRoots.has(cur) ? 'top' : 'unresolved';
      const parent = t.parents.get(cur);
      // A local root is top-level unless its (remote) parent is in this very trace: two processes'
      // spans meeting in one buffer, e.g. the Claude Code CLI's interaction under tracedQuery's
      // invoke_agent span (it passes the CLI a TRACEPARENT), are one session, not two.
      if (t.localRoots.has(cur) && (parent === undefined || !t.parents.has(parent))) return 'top';
      if (parent === undefined) return 'top';
      if (t.agents.has(parent)) return 'nested';
      cur = parent;
    }
    return 'unresolved'; // a cycle: malformed input
  }

  private unemittedRoots(t: TraceState<T>): string[] {
    return this.sessionRoots(t).filter((r) => t.ended.has(r) && (t.roots.get(r)?.revision ?? 0) === 0);
  }

  /**
   * Emits the sessions of a trace that are ready. With `force`, emits whatever is held (roots not
   * yet ended and rootless spans included) and marks those sessions incomplete with `reason`.
   */
  private evaluate(t: TraceState<T>, reason: string | undefined, force: boolean): void {
    if (this.traces.get(t.traceId) !== t) return;
    const roots = this.sessionRoots(t, force);
    if (!force && !roots.some((r) => t.ended.has(r))) return; // nothing can be ready: skip the walk
    // (Loops rather than iterator spreads and per-call closures: this runs once per session.)
    const children = new Map<string, string[]>();
    t.parents.forEach((parent, id) => {
      if (parent === undefined) return;
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    });
    const infos = t.infos;
    const indexOf = new Map<string, number>();
    for (let i = 0; i < infos.length; i++) indexOf.set(infos[i]!.spanId, i);
    const claimed = new Claimed(infos.length);
    const orphans = this.orphans(t, indexOf, children);
    let emitted = false;

    for (let n = 0; n < roots.length; n++) {
      const root = roots[n]!;
      const rootEnded = t.ended.has(root);
      if (!rootEnded && !force) continue;
      const members = this.subtree(root, children, indexOf);
      // Subtrees whose parent never arrived go with the first root; the assembler flags them.
      if (n === 0) for (const i of orphans) members.push(i);
      for (const i of members) claimed.add(i);
      let state = t.roots.get(root);
      if (state && state.revision > 0) {
        if (!this.opts.retainMs) {
          // Without retention the earlier spans are gone: a rewrite would lose them. Count instead.
          if (members.length) this.drop(members.length, 'late');
          continue;
        }
        if (members.length === state.emittedSpans) continue; // nothing new
      }
      if (members.length === 0) continue;
      if (!state) {
        state = { revision: 0, emittedSpans: 0 };
        const prior = t.roots.get(UNROOTED);
        if (prior) {
          // A rootless version was written before this root arrived: this rewrites it.
          state.sessionId = prior.sessionId;
          state.revision = prior.revision;
          t.roots.delete(UNROOTED);
        }
      }
      // An ended root means a complete session, however the emission was triggered.
      const why = rootEnded ? undefined : (reason ?? 'the session root span never ended');
      this.emit(t, root, state, sortNumbers(members), why, rootEnded ? undefined : t.openAgents.get(root));
      emitted = true;
    }

    let rootedBefore = false;
    for (const k of t.roots.keys()) if (k !== UNROOTED) rootedBefore = true;
    if (force && roots.length === 0 && !rootedBefore) {
      // A rootless trace: everything held becomes one incomplete session.
      const rest: number[] = [];
      for (let i = 0; i < infos.length; i++) if (!claimed.has(i)) rest.push(i);
      const state = t.roots.get(UNROOTED) ?? { revision: 0, emittedSpans: 0 };
      if (rest.length && !(state.revision > 0 && rest.length === state.emittedSpans)) {
        this.emit(t, UNROOTED, state, rest, reason ?? 'the root span never arrived');
        emitted = true;
      }
      for (const i of rest) claimed.add(i);
    }
    if (emitted) t.emittedAt = this.now();
    if (!this.opts.retainMs) this.release(t, claimed);
  }

  /** Spans whose chain of parents ends at a parent this trace never saw (and not a remote one). */
  private orphans(t: TraceState<T>, indexOf: Map<string, number>, children: Map<string, string[]>): number[] {
    const out: number[] = [];
    for (const info of t.infos) {
      if (info.isLocalRoot || info.parentSpanId === undefined) continue;
      if (t.parents.has(info.parentSpanId)) continue;
      for (const i of this.subtree(info.spanId, children, indexOf)) out.push(i);
    }
    return out;
  }

  /** Without retention, spans of emitted sessions are released at once. */
  private release(t: TraceState<T>, claimed: Claimed): void {
    if (claimed.size === 0) return;
    const keptItems: T[] = [];
    const keptInfos: SpanInfo[] = [];
    const keptSizes: number[] = [];
    let keptBytes = 0;
    for (let i = 0; i < t.infos.length; i++) {
      if (claimed.has(i)) continue;
      keptItems.push(t.items[i]!);
      keptInfos.push(t.infos[i]!);
      keptSizes.push(t.sizes[i]!);
      keptBytes += t.sizes[i]!;
    }
    this.spans -= t.items.length - keptItems.length;
    this.bytes -= t.bytes - keptBytes;
    t.items = keptItems;
    t.infos = keptInfos;
    t.sizes = keptSizes;
    t.bytes = keptBytes;
  }

  private subtree(root: string, children: Map<string, string[]>, indexOf: Map<string, number>): number[] {
    const out: number[] = [];
    const stack = [root];
    const seen = new Set<string>();
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const i = indexOf.get(id);
      if (i !== undefined) out.push(i);
      const kids = children.get(id);
      if (kids) for (const k of kids) stack.push(k);
    }
    return out;
  }

  private emit(t: TraceState<T>, root: string, state: RootState, members: number[], reason: string | undefined, openRoot?: T): void {
    if (!state.sessionId) {
      state.sessionId = t.idsAssigned === 0 ? t.traceId : `${t.traceId}-${root || 'rootless'}`;
      t.idsAssigned += 1;
    }
    state.revision += 1;
    state.emittedSpans = members.length;
    t.roots.set(root, state);
    const batch: SessionBatch = {
      traceId: t.traceId,
      sessionId: state.sessionId,
      records: members.map((i) => this.opts.toRecord(t.items[i]!)),
      revision: state.revision,
      droppedSpans: t.dropped,
    };
    // A root still running is included as it is now (its end time becomes "now").
    if (openRoot !== undefined) batch.records.push(this.opts.toRecord(openRoot));
    if (root !== UNROOTED) batch.rootSpanId = root;
    if (reason) batch.incompleteReason = reason;
    this.counters.sessionsEmitted += 1;
    if (reason || t.dropped) this.counters.sessionsIncomplete += 1;
    this.opts.onSessionReady(batch);
  }
}

/** The set of span indexes a trace evaluation claimed: a byte per index instead of a hash set. */
class Claimed {
  private readonly marks: Uint8Array;
  size = 0;

  constructor(length: number) {
    this.marks = new Uint8Array(length);
  }

  add(i: number): void {
    if (this.marks[i]) return;
    this.marks[i] = 1;
    this.size += 1;
  }

  has(i: number): boolean {
    return this.marks[i] === 1;
  }
}

/** Ascending numeric sort in place; insertion sort for the short lists a session has. */
function sortNumbers(list: number[]): number[] {
  if (list.length > 32) return list.sort((a, b) => a - b);
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && list[j]! > x) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
  return list;
}
