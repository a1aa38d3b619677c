/**
 * The completion logic the receiver relies on, fed SpanRecords the way a collector delivers them:
 * out of order, in pieces, sometimes without a root. Fake timers stand in for the wait windows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assembleSession } from '../src/index.js';
import type { SpanRecord } from '../src/index.js';
import { describeRecord } from '../src/processor/describe.js';
import { TraceBuffer } from '../src/processor/trace-buffer.js';
import type { SessionBatch } from '../src/processor/trace-buffer.js';

const spans = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];
const byId = (id: string) => spans.find((s) => s.spanId === id)!;
const ROOT = 'a000000000000001';
const SUBAGENT = 'e000000000000001';
const AGENT_TOOL = 'b000000000000003';

function buffer(opts: { retainMs?: number; idleMs?: number } = {}) {
  const batches: SessionBatch[] = [];
  const b = new TraceBuffer<SpanRecord>({
    describe: describeRecord,
    toRecord: (r) => r,
    onSessionReady: (batch) => batches.push(batch),
    waitMs: 2000,
    idleMs: opts.idleMs ?? 30_000,
    retainMs: opts.retainMs,
    maxAgeMs: 10 * 60_000,
    maxTraces: 100,
    maxSpansPerTrace: 1000,
  });
  return { b, batches };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TraceBuffer, collector-side', () => {
  it('does not mistake a subagent that arrives before its parents for a session root', async () => {
    const { b, batches } = buffer();
    // The subagent and its children arrive first (they end first); the rest 10 s later.
    const early = spans.filter((s) => [SUBAGENT, 'c000000000000003', 'b000000000000004'].includes(s.spanId));
    for (const s of early) b.add(s);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(batches).toHaveLength(0);
    for (const s of spans.filter((x) => !early.includes(x))) b.add(s);
    await vi.advanceTimersByTimeAsync(2000);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.rootSpanId).toBe(ROOT);
    expect(batches[0]!.records).toHaveLength(spans.length);
    const session = assembleSession(batches[0]!.records, { rootSpanId: batches[0]!.rootSpanId, revision: batches[0]!.revision });
    expect(session.status).toBe('ok');
    expect(session.totals.subagents).toBe(1);
  });

  it('writes the root after waitMs when children came first', async () => {
    const { b, batches } = buffer();
    for (const s of spans.filter((x) => x.spanId !== ROOT)) b.add(s);
    await vi.advanceTimersByTimeAsync(5000);
    expect(batches).toHaveLength(0);
    b.add(byId(ROOT));
    await vi.advanceTimersByTimeAsync(1999);
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((x) => [x.revision, x.records.length])).toEqual([[1, spans.length]]);
  });

  it('gives a root the full waitMs even when an earlier idle timer is about to fire', async () => {
    const { b, batches } = buffer({ idleMs: 30_000 });
    for (const s of spans.filter((x) => x.spanId !== ROOT)) b.add(s);
    await vi.advanceTimersByTimeAsync(29_999);
    b.add(byId(ROOT));
    await vi.advanceTimersByTimeAsync(1999); // the idle timer (due 1 ms after the root) must not write it
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((x) => [x.rootSpanId, x.records.length, x.incompleteReason])).toEqual([[ROOT, spans.length, undefined]]);
  });

  it('rewrites with revision 2 when late spans arrive within retainMs', async () => {
    const { b, batches } = buffer({ retainMs: 60_000 });
    const late = byId('c000000000000004');
    for (const s of spans.filter((x) => x !== late)) b.add(s);
    await vi.advanceTimersByTimeAsync(2000);
    expect(batches.map((x) => x.revision)).toEqual([1]);
    b.add(late);
    await vi.advanceTimersByTimeAsync(2000);
    expect(batches.map((x) => [x.revision, x.records.length, x.sessionId])).toEqual([
      [1, spans.length - 1, spans[0]!.traceId],
      [2, spans.length, spans[0]!.traceId],
    ]);
  });

  it('writes a rootless trace as incomplete after idleMs, then the whole session when the root shows up', async () => {
    const { b, batches } = buffer({ idleMs: 30_000, retainMs: 120_000 });
    for (const s of spans.filter((x) => x.spanId !== ROOT)) b.add(s);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.rootSpanId).toBe(ROOT);
    expect(batches[0]!.incompleteReason).toMatch(/idle/);
    expect(assembleSession(batches[0]!.records, { rootSpanId: ROOT, incompleteReason: batches[0]!.incompleteReason }).status).toBe('incomplete');
    b.add(byId(ROOT));
    await vi.advanceTimersByTimeAsync(2000);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toMatchObject({ revision: 2, sessionId: batches[0]!.sessionId, rootSpanId: ROOT });
    expect(batches[1]!.incompleteReason).toBeUndefined();
  });

  it('writes a trace with no agent and no root once idle, as one incomplete session', async () => {
    const { b, batches } = buffer({ idleMs: 30_000 });
    const chat = { ...byId('c000000000000001'), traceId: 'f'.repeat(32), parentSpanId: '9'.repeat(16) };
    b.add(chat);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.rootSpanId).toBeUndefined();
    expect(assembleSession(batches[0]!.records, { incompleteReason: batches[0]!.incompleteReason }).status).toBe('incomplete');
  });

  it('writes a subagent whose parents never come once idle, under a stand-in root', async () => {
    const { b, batches } = buffer({ idleMs: 30_000 });
    b.add(byId(SUBAGENT));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(batches).toHaveLength(1);
    // The missing Agent tool span stands in as the root; the subagent hangs under it.
    expect(batches[0]!.rootSpanId).toBe(AGENT_TOOL);
    const session = assembleSession(batches[0]!.records, { rootSpanId: AGENT_TOOL, incompleteReason: batches[0]!.incompleteReason });
    expect(session.status).toBe('incomplete');
    expect(session.events.map((e) => e.type)).toEqual(['subagent']);
  });

  it('close() emits everything pending', () => {
    const { b, batches } = buffer();
    for (const s of spans) b.add(s);
    b.close();
    expect(batches).toHaveLength(1);
    expect(b.stats().openTraces).toBe(0);
  });
});
