/** The one SessionWriter: per-session ordering, the GenAI rule, overflow, and the receiver's flush deadline. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { LocalStorage } from '../src/index.js';
import type { Session, SessionStorage, SpanRecord } from '../src/index.js';
import type { SessionBatch } from '../src/processor/trace-buffer.js';
import { SessionWriter } from '../src/writer/SessionWriter.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { tempDir } from './support/tmp.js';

const records = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];
const batch = (revision: number, recs: SpanRecord[] = records, sessionId = 'sess-1'): SessionBatch => ({
  traceId: recs[0]!.traceId,
  sessionId,
  records: recs,
  revision,
  droppedSpans: 0,
});

describe('SessionWriter', () => {
  it('writes revisions of one session in order: revision 2 waits for revision 1', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let releaseFirst!: () => void;
    const storage: SessionStorage = {
      putSession: async (s) => {
        started.push(s.revision);
        if (s.id === 'sess-1' && s.revision === 1) await new Promise<void>((r) => (releaseFirst = r));
        finished.push(s.revision);
        return s.id;
      },
    };
    const writer = new SessionWriter({ storage, env: {} });
    const first = writer.write(batch(1));
    const second = writer.write(batch(2));
    // Another session is not held up by sess-1's slow write.
    expect(await writer.write(batch(1, records, 'other'))).toBe('written');
    expect(started).toEqual([1, 1]);
    releaseFirst();
    expect(await first).toBe('written');
    expect(await second).toBe('written');
    expect(finished).toEqual([1, 1, 2]);
    await writer.drain();
    expect(writer.stats()).toMatchObject({ sessionsWritten: 3, pendingWrites: 0 });
  });

  it('applies the GenAI rule at write time: a trace without gen_ai.* spans is skipped and counted', async () => {
    const written: Session[] = [];
    const writer = new SessionWriter({ storage: { putSession: async (s) => (written.push(s), s.id) }, env: {} });
    const plain = records.map((r) => ({ ...r, name: 'GET /', attributes: {}, events: [] }));
    expect(await writer.write(batch(1, plain))).toBe('skipped');
    expect(written).toHaveLength(0);
    expect(writer.stats()).toMatchObject({ sessionsSkippedNotGenAi: 1, sessionsWritten: 0 });
  });

  it('past maxPendingWrites a session goes to the local spool, later revisions follow it there, and the replay writes the newest', async () => {
    const dir = tempDir('writer-overflow');
    const storage = new LocalStorage({ dir, env: {} });
    const events: Array<{ revision: number; spooled: boolean }> = [];
    const writer = new SessionWriter({
      storage,
      maxPendingWrites: 0,
      spoolDir: tempDir('writer-spool'),
      env: {},
      onSessionWritten: (e) => events.push({ revision: e.revision, spooled: e.spooled }),
    });
    expect(await writer.write(batch(1))).toBe('spooled');
    expect(await writer.write(batch(2))).toBe('spooled');
    expect(events).toEqual([
      { revision: 1, spooled: true },
      { revision: 2, spooled: true },
    ]);
    await writer.settle();
    expect((await storage.getSession('sess-1'))?.revision).toBe(2);
    expect(writer.stats()).toMatchObject({ sessionsSpooled: 2, sessionsDropped: 0, pendingWrites: 0 });
    await writer.close();
  });
});

describe('receiver flush deadline', () => {
  it('flush() and stop() give up on a hung storage after flushTimeoutMs, counting what missed it', async () => {
    const hung: SessionStorage = { putSession: () => new Promise<string>(() => {}) };
    const receiver = createReceiver({ storage: hung, workers: 0, walDir: false, waitMs: 0, flushTimeoutMs: 50, env: {} });
    const { url } = await receiver.start({ port: 0 });
    const { spans } = await captureAgentTrace();
    const res = await post(`${url}/v1/traces`, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    await receiver.flush();
    expect(receiver.stats()).toMatchObject({ sessionsWritten: 0, pendingWrites: 1 });
    expect(receiver.stats().timedOutWrites).toBeGreaterThanOrEqual(1);
    await receiver.stop();
    expect(receiver.stats().timedOutWrites).toBeGreaterThanOrEqual(2);
  });
});
