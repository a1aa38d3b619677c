/**
 * Durability: the receiver runs as a child process (`ams receiver`, the real `cli/main.ts` entry point),
 * acknowledges spans, and is killed with SIGKILL before its wait window ends. Restarted on the
 * same write-ahead log, it writes the session with every acknowledged span. SIGTERM writes what
 * is pending and exits 0.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../src/session/types.js';
import { LocalStorage } from '../src/storage/local.js';
import { captureAgentTrace } from './fixtures/otlp/agent-trace.js';
import { post } from './fixtures/otlp/http.js';
import { exited, killChildren, startReceiverChild } from './support/receiver-child.js';

afterEach(killChildren);

const send = async (url: string, spans: ReadableSpan[]): Promise<number> =>
  (await post(`${url}/v1/traces`, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf' })).status;


describe('receiver durability (child process)', () => {
  // In-thread and with shard workers: the WAL lives on the main thread in both.
  it.each([['0'], ['2']])('kill -9 before the wait window ends loses no acknowledged span (workers: %s)', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-kill-'));
    const data = join(dir, 'data');
    const wal = join(dir, 'wal');
    try {
      const { spans, traceId } = await captureAgentTrace();
      const isRoot = (s: ReadableSpan): boolean => s.parentSpanContext === undefined;
      const first = await startReceiverChild(['--local-dir', data, '--wal-dir', wal, '--wait-ms', '600000', '--workers', workers]);
      // Three requests: children in two, then the root.
      const children1 = spans.filter((s) => !isRoot(s));
      expect(await send(first.url, children1.slice(0, 3))).toBe(200);
      expect(await send(first.url, children1.slice(3))).toBe(200);
      expect(await send(first.url, spans.filter(isRoot))).toBe(200);
      first.child.kill('SIGKILL');
      expect((await exited(first.child)).signal).toBe('SIGKILL');

      const storage = new LocalStorage({ dir: data, env: {} });
      expect(await storage.getSession(traceId)).toBeUndefined();
      expect(readdirSync(wal).filter((n) => n.endsWith('.log')).length).toBeGreaterThan(0);

      const second = await startReceiverChild(['--local-dir', data, '--wal-dir', wal, '--wait-ms', '100', '--workers', workers]);
      expect(second.output()).toMatch(/replayed 3 request\(s\)/);
      await expect.poll(() => storage.getSession(traceId), { timeout: 20_000, interval: 50 }).toBeDefined();
      const session: Session | undefined = await storage.getSession(traceId);
      expect(session).toMatchObject({ id: traceId, status: 'ok', revision: 1, spans: { kept: 8, dropped: 0 } });
      // Once written, the log is released.
      await expect.poll(() => readdirSync(wal).some((n) => n.endsWith('.log')), { timeout: 20_000, interval: 50 }).toBe(false);

      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM writes pending sessions (as incomplete) and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ams-recv-term-'));
    const data = join(dir, 'data');
    try {
      const { spans, traceId } = await captureAgentTrace();
      const { child, output } = await startReceiverChild(['--local-dir', data, '--wal-dir', join(dir, 'wal'), '--wait-ms', '600000', '--idle-ms', '600000']);
      expect(await send(`http://${/listening on http:\/\/([^\s/]+)/.exec(output())![1]}`, spans.filter((s) => s.parentSpanContext !== undefined))).toBe(200);
      child.kill('SIGTERM');
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(output()).toMatch(/SIGTERM, writing pending sessions[\s\S]*stopped/);
      const storage = new LocalStorage({ dir: data, env: {} });
      const index = [];
      for await (const e of storage.listIndex()) index.push(e);
      expect(index).toHaveLength(1);
      expect(index[0]).toMatchObject({ trace_id: traceId, status: 'incomplete' });
      expect(existsSync(join(dir, 'wal'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ams receiver prints its own diagnostics', () => {
  it('a drop inside the receiver (here: past --max-spans-per-trace) reaches the console at the default log level', async () => {
    const { url, output } = await startReceiverChild(['--workers', '0', '--no-wal', '--max-spans-per-trace', '1', '--wait-ms', '0']);
    const trace = 'ab'.repeat(16);
    const span = (id: string, parent?: string) => ({
      traceId: trace,
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name: parent ? 'chat m' : 'invoke_agent bot',
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000001000000000',
      attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: parent ? 'chat' : 'invoke_agent' } }],
    });
    const body = { resourceSpans: [{ scopeSpans: [{ spans: [span('1'.repeat(16)), span('2'.repeat(16), '1'.repeat(16)), span('3'.repeat(16), '1'.repeat(16))] }] }] };
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    await expect.poll(() => output(), { timeout: 15_000 }).toMatch(/ams-otel\/receiver dropped \d+ spans \(max_spans_per_trace\)/);
  });
});
