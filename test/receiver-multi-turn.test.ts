/**
 * Multi-turn sessions through the real receiver: one trace per interaction, all sharing
 * `ams.session.id` (what the Claude Code CLI does with its `session.id`), posted as OTLP to
 * receivers that share one LocalStorage folder, or one S3 bucket (s3rver behind the precondition
 * proxy of test/support/s3-conditional.ts, the one fake: s3rver ignores If-Match on PUT). One
 * document holds every interaction, whichever receiver got it, including one that restarted in
 * between.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionStorage } from '../src/index.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { ConditionalS3Proxy } from './support/s3-conditional.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

async function receiverOn(dir: string, workers = 0, storage: SessionStorage = new LocalStorage({ dir, env: {} })) {
  const receiver = createReceiver({ storage, workers, walDir: false, waitMs: 0, env: {} });
  const { url } = await receiver.start({ port: 0 });
  return { receiver, url: `${url}/v1/traces` };
}

async function send(url: string, turn: number): Promise<string> {
  const { traceId, spans } = await captureAgentTrace({ startMs: T0 + turn * 60_000, sessionId: 'cc-session-1', prompt: `turn ${turn}`, rounds: 1 });
  const res = await post(url, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' });
  expect(res.status).toBe(200);
  return traceId;
}

const prompts = (s: Session) => s.events.flatMap((e) => (e.type === 'user_prompt' ? [e.prompt] : []));

describe('receiver: sessions of several traces', () => {
  it.each([0, 2])('two receivers on one folder (%i workers), then a restarted one: one document with every interaction, in order', async (workers) => {
    const dir = tempDir('multi-turn');
    const a = await receiverOn(dir, workers);
    const b = await receiverOn(dir, workers);
    const traces = await Promise.all([send(a.url, 1), send(b.url, 2), send(a.url, 3), send(b.url, 4)]);
    await a.receiver.flush();
    await b.receiver.flush();
    await a.receiver.stop();
    await b.receiver.stop();

    const restarted = await receiverOn(dir);
    traces.push(await send(restarted.url, 5));
    await restarted.receiver.flush();
    await restarted.receiver.stop();

    const doc = (await new LocalStorage({ dir, env: {} }).getSession('cc-session-1'))!;
    expectValidSession(doc);
    expect(doc.traces!.map((t) => t.trace_id)).toEqual(traces);
    expect(prompts(doc)).toEqual(['turn 1', 'turn 2', 'turn 3', 'turn 4', 'turn 5']);
    expect(doc.revision).toBe(5);
    expect(doc.trace_id).toBe(traces[0]);
    const perTurn = doc.traces![0]!.totals;
    expect(doc.totals.input_tokens).toBe(perTurn.input_tokens * 5);
    const entry = (await new LocalStorage({ dir, env: {} }).getIndexEntry('cc-session-1'))!;
    expect(entry).toMatchObject({ revision: 5, prompt_preview: 'turn 1', totals: { input_tokens: doc.totals.input_tokens } });
  });

  it('two receivers on one S3 bucket, concurrently: one document with every interaction', async () => {
    const s3 = await new TestS3('ams-multi-turn').start();
    const proxy = await new ConditionalS3Proxy(s3).start();
    const storage = () => new S3Storage({ bucket: s3.bucket, endpoint: proxy.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: tempDir('spool'), env: {} });
    const writers = [storage(), storage()];
    try {
      const a = await receiverOn('', 0, writers[0]);
      const b = await receiverOn('', 0, writers[1]);
      const traces = await Promise.all([send(a.url, 1), send(b.url, 2), send(a.url, 3), send(b.url, 4)]);
      await Promise.all([a.receiver.stop(), b.receiver.stop()]);
      const doc = (await storage().getSession('cc-session-1'))!;
      expectValidSession(doc);
      expect(doc.traces!.map((t) => t.trace_id)).toEqual(traces);
      expect(prompts(doc)).toEqual(['turn 1', 'turn 2', 'turn 3', 'turn 4']);
      expect(doc.revision).toBe(4);
      // The two writers really did race on the same document: some writes were conditional.
      expect(proxy.counts.conditional).toBeGreaterThan(0);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
      await proxy.stop();
      await s3.stop();
    }
  });
});
