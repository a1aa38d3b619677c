/**
 * Receiver memory under bounded overload: RSS against the configured byte bound.
 *
 *   npx tsx bench/memory.ts [--requests 600] [--bounds 32,128,512]
 *
 * For each bound (MiB of AMS_RECEIVER_MAX_BUFFERED_BYTES) a fresh receiver process (default
 * workers, WAL on, default waitMs / retainMs, LocalStorage in a temp folder) is fed, as fast as it
 * takes them, OTLP/protobuf requests of 32 spans carrying a 16 KB attribute each (~0.5 MB), by
 * bench/receiver-poster.ts (8 at a time, retrying 503s like an exporter). Printed per bound: the
 * peak RSS, the receiver's peak heldBytes (request bytes of the spans it held, retained ones
 * included), how many 503s it answered, and how long it took. The bound caps what the buffers
 * hold in request bytes; RSS adds the decoded records (several times their wire size), the
 * process itself, the workers' heaps and garbage not yet collected.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createReceiver } from '../receiver/index.js';
import * as sc from '../src/spans/semconv.js';
import { providerWith } from '../test/fixtures/otlp/agent-trace.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MiB = 1024 * 1024;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

interface ChildResult {
  peakRssMiB: number;
  startRssMiB: number;
  peakHeldMiB: number;
  rejectedFull: number;
  ms: number;
  workers: number;
  statuses: Record<string, number>;
}

/** In the child: one receiver with `bound` MiB, fed from `file`; prints a ChildResult. */
async function child(boundMiB: number, file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ams-bench-mem-'));
  const receiver = createReceiver({ walDir: join(dir, 'wal'), maxBufferedBytes: boundMiB * MiB, env: { AMS_LOCAL_DIR: join(dir, 'data') } });
  const { url } = await receiver.start({ port: 0 });
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  let peakHeld = 0;
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeld = Math.max(peakHeld, (receiver.stats() as { heldBytes?: number }).heldBytes ?? 0);
  }, 50);
  const t0 = Date.now();
  const poster = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'receiver-poster.ts'), file, `${url}/v1/traces`, '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  poster.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => poster.on('exit', resolve));
  const ms = Date.now() - t0;
  clearInterval(sample);
  const result: ChildResult = {
    peakRssMiB: peakRss / MiB,
    startRssMiB: startRss / MiB,
    peakHeldMiB: peakHeld / MiB,
    rejectedFull: receiver.stats().rejectedFull,
    ms,
    workers: receiver.config.workers ?? 0,
    statuses: (JSON.parse(out) as { statuses: Record<string, number> }).statuses,
  };
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** `requests` payloads of one agent run each: an invoke_agent root and 31 children with 16 KB of text. */
function payloads(requests: number): Buffer {
  const exporter = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('ams-otel-bench');
  const text = 'z'.repeat(16 * 1024);
  const frames: Buffer[] = [];
  for (let r = 0; r < requests; r++) {
    exporter.reset();
    const root = tracer.startSpan('invoke_agent mem', { attributes: { [sc.GEN_AI_OPERATION_NAME]: sc.OP_INVOKE_AGENT, [sc.GEN_AI_AGENT_NAME]: 'mem' } });
    for (let i = 0; i < 31; i++) tracer.startSpan(`step ${i}`, { attributes: { 'app.payload': text } }, trace.setSpan(context.active(), root)).end();
    root.end();
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    frames.push(len, body);
  }
  return Buffer.concat(frames);
}

async function main(): Promise<void> {
  const requests = Number(arg('requests') ?? 600);
  const bounds = (arg('bounds') ?? '32,128,512').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'ams-bench-mem-'));
  const file = join(dir, 'payloads.bin');
  const data = payloads(requests);
  writeFileSync(file, data);
  console.log(`\n## receiver memory under overload: ${requests} requests x 32 spans of 16 KB (${fmt(data.length / MiB)} MiB posted, 8 at a time, 503s retried)`);
  for (const bound of bounds) {
    const proc = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', String(bound), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => proc.on('exit', resolve));
    const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
    console.log(
      `maxBufferedBytes ${bound} MiB (${r.workers} worker(s)): peak RSS ${fmt(r.peakRssMiB)} MiB (${fmt(r.startRssMiB)} at start), ` +
        `peak held ${fmt(r.peakHeldMiB)} MiB, 503s ${fmt(r.rejectedFull)}, ${fmt(r.ms)} ms; statuses ${JSON.stringify(r.statuses)}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--child')) await child(Number(arg('child')), process.argv[process.argv.indexOf('--child') + 2]!);
else await main();
