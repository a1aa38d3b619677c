/** mergeSessions(): one document per session across traces (one trace per interaction). */
import { describe, expect, it } from 'vitest';
import { assembleSession } from '../src/session/assemble.js';
import { mergeSessions, splitSession } from '../src/session/merge.js';
import type { Session } from '../src/session/types.js';
import { interaction, interactionRecords } from './support/interaction.js';
import { expectValidSession } from './support/schema.js';

const T1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const T2 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const T3 = 'ccccccccccccccccccccccccccccccc3';
const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
const SID = 'claude-session-1';

const first = () => interaction({ traceId: T1, at: AT, sessionId: SID, prompt: 'list the files', inputTokens: 100, outputTokens: 10, costUsd: 0.01, tags: ['a'] });
const second = () =>
  interaction({ traceId: T2, at: AT + 60_000, sessionId: SID, prompt: 'now delete them', inputTokens: 200, outputTokens: 20, costUsd: 0.02, tool: 'Write', toolError: 'denied', tags: ['b', 'a'] });

const prompts = (s: Session) => s.events.filter((e) => e.type === 'user_prompt').map((e) => (e.type === 'user_prompt' ? e.prompt : ''));

describe('mergeSessions', () => {
  it('keeps a single-trace document as it is (no traces field, no trace_id on events)', () => {
    const one = first();
    expect(one.id).toBe(SID);
    expect(mergeSessions(undefined, one)).toBe(one);
    expect(one.traces).toBeUndefined();
    expect(one.events.every((e) => e.trace_id === undefined)).toBe(true);
  });

  it('two interactions -> one document with both, in order of start, revision 2, totals over both', () => {
    const merged = mergeSessions(first(), second());
    expectValidSession(merged);
    expect(merged).toMatchObject({ id: SID, trace_id: T1, revision: 2, status: 'ok' });
    expect(merged.status_reason).toBeUndefined();
    expect(merged.traces!.map((t) => [t.trace_id, t.revision, t.status])).toEqual([
      [T1, 1, 'ok'],
      [T2, 1, 'ok'],
    ]);
    expect(prompts(merged)).toEqual(['list the files', 'now delete them']);
    // Every top-level event says which interaction it belongs to, first interaction's first.
    const owners = merged.events.map((e) => e.trace_id);
    expect(owners).toEqual([...owners].sort());
    expect(new Set(owners)).toEqual(new Set([T1, T2]));
    expect(merged.totals).toMatchObject({ input_tokens: 300, output_tokens: 30, cost_usd: 0.03, turns: 2, tool_calls: 2, errors: 1, duration_ms: 61_000 });
    expect(merged.models['claude-sonnet-4-5']).toMatchObject({ input_tokens: 300, output_tokens: 30, cost_usd: 0.03 });
    expect(merged.spans).toEqual({ kept: 6, dropped: 0 });
    expect(merged.started_at).toBe(new Date(AT).toISOString());
    expect(merged.ended_at).toBe(new Date(AT + 61_000).toISOString());
    expect(merged.tags).toEqual(['a', 'b']);
  });

  it('status is the worst of the interactions, with their reasons', () => {
    const cut = assembleSession(interactionRecords({ traceId: T2, at: AT + 60_000, sessionId: SID }), { incompleteReason: 'receiver shut down' });
    const merged = mergeSessions(first(), cut);
    expect(merged).toMatchObject({ status: 'incomplete', status_reason: 'receiver shut down' });
    expect(merged.traces!.map((t) => t.status)).toEqual(['ok', 'incomplete']);
  });

  it('is order-independent: A then B equals B then A (and three interactions in any order)', () => {
    expect(mergeSessions(second(), first())).toEqual(mergeSessions(first(), second()));
    const third = () => interaction({ traceId: T3, at: AT + 120_000, sessionId: SID, prompt: 'thanks' });
    const abc = mergeSessions(mergeSessions(first(), second()), third());
    const cab = mergeSessions(mergeSessions(third(), first()), second());
    const bca = mergeSessions(mergeSessions(second(), third()), first());
    expect(cab).toEqual(abc);
    expect(bca).toEqual(abc);
    expect(prompts(abc)).toEqual(['list the files', 'now delete them', 'thanks']);
    expect(abc.revision).toBe(3);
  });

  it('an interaction re-sent with late spans (higher revision) replaces its events instead of duplicating them', () => {
    const both = mergeSessions(first(), second());
    const late = assembleSession(interactionRecords({ traceId: T1, at: AT, sessionId: SID, prompt: 'list the files', extraTools: 2 }), { revision: 2 });
    const merged = mergeSessions(both, late);
    expectValidSession(merged);
    expect(merged.revision).toBe(3);
    expect(merged.traces!.map((t) => [t.trace_id, t.revision])).toEqual([
      [T1, 2],
      [T2, 1],
    ]);
    expect(prompts(merged)).toEqual(['list the files', 'now delete them']);
    const t1Tools = merged.events.filter((e) => e.trace_id === T1 && e.type === 'tool_call');
    expect(t1Tools).toHaveLength(3);
    expect(merged.totals.tool_calls).toBe(4);
    expect(merged.spans.kept).toBe(8);
  });

  it('an older or equal revision of a stored interaction adds nothing: the stored document itself comes back', () => {
    const both = mergeSessions(first(), second());
    expect(mergeSessions(both, first())).toBe(both);
    const late = interaction({ traceId: T1, at: AT, sessionId: SID, extraTools: 1 }, 2);
    const lateStored = mergeSessions(first(), late);
    expect(lateStored.revision).toBe(2);
    expect(lateStored.traces).toBeUndefined(); // still one trace: the single-trace shape
    expect(mergeSessions(lateStored, first())).toBe(lateStored); // an old spooled revision does not win
  });

  it('a merged document merged again gives the same parts back (split/join round trip)', () => {
    const both = mergeSessions(first(), second());
    const parts = splitSession(both);
    expect(parts.map((p) => p.header.trace_id)).toEqual([T1, T2]);
    expect(parts[0]!.events).toEqual(first().events);
    expect(parts[1]!.events).toEqual(second().events);
    expect(mergeSessions(both, both)).toBe(both);
  });

  it('names its first interaction, not an earlier part of notices only (startup events)', () => {
    const notices = interaction({ traceId: T3, at: AT - 60_000, sessionId: SID });
    notices.events = notices.events.filter((e) => e.type !== 'user_prompt');
    const merged = mergeSessions(mergeSessions(notices, first()), second());
    expectValidSession(merged);
    expect(merged.traces!.map((t) => t.trace_id)).toEqual([T3, T1, T2]);
    expect(merged.trace_id).toBe(T1);
    expect(merged.started_at).toBe(notices.started_at);
  });
});
