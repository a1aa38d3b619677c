/**
 * A burst that overflows the write queue: 2,000 agent runs ended back-to-back (no yield) with
 * default options. Past maxPendingWrites the writer sends sessions to the local spool (the one an
 * S3 outage uses) instead of dropping them; the replay writes them, so every session lands.
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage, SessionSpanProcessor } from '../src/index.js';
import type { SessionStorage } from '../src/index.js';
import * as sc from '../src/spans/semconv.js';
import { DEFAULT_LIMITS } from '../src/writer/defaults.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';
import { filesUnder, readIndexSync } from './support/store.js';

const RUNS = 2000;

/** RUNS minimal agent runs (an invoke_agent root and one chat span each), all ended in one go. */
function burst(tracer: Tracer): void {
  for (let i = 0; i < RUNS; i++) {
    const root = tracer.startSpan('invoke_agent bot', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: 'bot' } });
    const chat = tracer.startSpan('chat m', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_CHAT, [sc.GEN_AI_USAGE_INPUT_TOKENS]: i } }, trace.setSpan(ROOT_CONTEXT, root));
    chat.end();
    root.end();
  }
}

async function runBurst(storage: SessionStorage) {
  const keys = new Set<string>();
  let spooledEvents = 0;
  // Default limits: only storage and the observer are given.
  const processor = new SessionSpanProcessor({
    storage,
    onSessionWritten: (e) => {
      keys.add(e.sessionId);
      if (e.spooled) spooledEvents++;
    },
  });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  burst(provider.getTracer('burst'));
  await processor.forceFlush();
  return { processor, provider, keys, spooledEvents };
}

describe('a burst that overflows the write queue is spooled, not dropped', () => {
  it('LocalStorage: all 2,000 sessions are written; the stats say how many went through the spool', async () => {
    expect(RUNS).toBeGreaterThan(DEFAULT_LIMITS.maxPendingWrites);
    const dir = tempDir('burst-local');
    const { processor, provider, keys, spooledEvents } = await runBurst(new LocalStorage({ dir, env: {} }));
    const stats = processor.stats();
    expect(stats.sessionsDropped).toBe(0);
    expect(stats.writeFailures).toBe(0);
    expect(stats.sessionsSpooled).toBeGreaterThan(0);
    expect(stats.sessionsWritten + stats.sessionsSpooled).toBe(RUNS);
    expect(spooledEvents).toBe(stats.sessionsSpooled);
    expect(keys.size).toBe(RUNS);
    // forceFlush replayed the spool: every session is in storage, one index entry each.
    expect(readIndexSync(dir)).toHaveLength(RUNS);
    await provider.shutdown();
  });

  describe('S3 (s3rver)', () => {
    let s3: TestS3;
    beforeAll(async () => {
      s3 = await new TestS3('ams-burst').start();
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('all 2,000 sessions reach the bucket: overflow waits in the S3 spool and is replayed', async () => {
      const storage = new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: tempDir('burst-spool'), env: {} });
      const { processor, provider, keys } = await runBurst(storage);
      // s3rver on a busy machine can be slower than forceFlush's 30 s deadline: wait for the outcome.
      const settled = () => processor.stats().sessionsWritten + processor.stats().sessionsSpooled + processor.stats().sessionsDropped;
      await expect.poll(settled, { timeout: 150_000, interval: 500 }).toBe(RUNS);
      const stats = processor.stats();
      expect(stats.sessionsDropped).toBe(0);
      expect(stats.writeFailures).toBe(0);
      expect(stats.sessionsSpooled).toBeGreaterThan(0);
      expect(keys.size).toBe(RUNS);
      // Written later: the spool's replay puts the overflow in the bucket. Counted in s3rver's
      // own folder (one file per stored object): listing 2,000+ keys through s3rver fails.
      const stored = () => filesUnder(path.join(s3.directory, s3.bucket, 'ams', 'sessions')).filter((f) => f.endsWith('._S3rver_object')).length;
      await expect.poll(stored, { timeout: 150_000, interval: 500 }).toBe(RUNS);
      await expect.poll(() => storage.stats().pendingInSpool, { timeout: 30_000 }).toBe(0);
      expect(storage.stats().dropped).toBe(0);
      await provider.shutdown();
      // And each is listed once by the index (its segments were flushed at shutdown).
      const listed = new Set<string>();
      for await (const e of new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS, spoolDir: tempDir('burst-reader'), env: {} }).listIndex()) listed.add(e.id);
      expect(listed.size).toBe(RUNS);
    }, 360_000);
  });
});
