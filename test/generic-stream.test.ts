/**
 * stream(): 100,000 high-frequency events through a real provider and processor. The stream's
 * memory stays within its bound (maxEvents kept, the rest counted as dropped), the kept events
 * are in order (first half + most recent half, with their sequence numbers), and the written
 * session says how many were seen and dropped.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofType, harness } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

interface KeptEvent {
  seq: number;
  t: number;
  name: string;
  data?: string;
}

describe('stream', () => {
  it('100,000 events stay within the bound, keep their order, and count what was dropped', async () => {
    const h = harness();
    const N = 100_000;
    const MAX = 500;
    let sizes: number[] = [];
    await h.t.startSession({ agent: 'streamer' }, async () => {
      const s = h.t.stream('tokens', { maxEvents: MAX, maxEventDataLength: 40 });
      for (let i = 0; i < N; i++) {
        s.event(i % 2 ? 'delta' : 'tick', { i, text: `token-${i}`.padEnd(100, '.') });
        // The stream's own buffer never holds more than MAX events.
        if (i % 10_000 === 0) sizes.push((s as unknown as { events(): unknown[] }).events().length);
        if (i % 25_000 === 0) await Promise.resolve();
      }
      expect(s.count).toBe(N);
      expect(s.dropped).toBe(N - MAX);
      s.end();
      s.event('after-end', 1); // ignored
      expect(s.count).toBe(N);
    });
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX);
    sizes = [];

    const { sessions } = await h.flushAndRead();
    const session = sessions[0]!;
    expectValidSession(session);
    const step = ofType(session.events, 'step').find((e) => e.name === 'tokens')!;
    expect(step.attributes['ams.step.kind']).toBe('stream');
    expect(step.attributes['ams.stream.count']).toBe(N);
    expect(step.attributes['ams.stream.dropped']).toBe(N - MAX);
    const kept = JSON.parse(step.attributes['ams.stream.events'] as string) as KeptEvent[];
    expect(kept).toHaveLength(MAX);
    // Order: strictly increasing sequence numbers and non-decreasing times.
    for (let i = 1; i < kept.length; i++) {
      expect(kept[i]!.seq).toBeGreaterThan(kept[i - 1]!.seq);
      expect(kept[i]!.t).toBeGreaterThanOrEqual(kept[i - 1]!.t);
    }
    // The first half and the most recent half.
    expect(kept.slice(0, MAX / 2).map((e) => e.seq)).toEqual([...Array(MAX / 2).keys()]);
    expect(kept.slice(MAX / 2).map((e) => e.seq)).toEqual([...Array(MAX / 2).keys()].map((i) => N - MAX / 2 + i));
    expect(kept[0]!.name).toBe('tick');
    expect(kept.at(-1)!.name).toBe('delta');
    // Each event's data is cut to its own bound.
    expect(kept.every((e) => (e.data ?? '').length <= 40)).toBe(true);
    expect(kept[0]!.data!.startsWith('{"i":0')).toBe(true);
  });

  it('an ended-with-error stream is a failed step with a failure event; data capture can be off', async () => {
    const h = harness();
    await h.t.startSession({ agent: 'streamer' }, async () => {
      const s = h.t.stream('audio', { captureData: false });
      s.event('chunk', { secret: 'pcm bytes' });
      s.end(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));
      s.end(); // second end is a no-op
    });
    const { sessions } = await h.flushAndRead();
    expectValidSession(sessions[0]);
    const step = ofType(sessions[0]!.events, 'step').find((e) => e.name === 'audio')!;
    expect(step.status).toBe('error');
    expect(JSON.parse(step.attributes['ams.stream.events'] as string)).toEqual([{ seq: 0, t: expect.any(Number), name: 'chunk' }]);
    expect(ofType(sessions[0]!.events, 'failure')).toEqual([expect.objectContaining({ category: 'orchestration', code: 'timeout', step: 'audio' })]);
  });
});
