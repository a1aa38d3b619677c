/**
 * Receiver throughput: full path vs decode-only, in the same run.
 *
 *   npx tsx bench/receiver.ts [--requests 240] [--concurrency 4] [--traces-per-request 8]
 *
 * A separate process (bench/receiver-poster.ts) posts OTLP protobuf requests of 512 spans over
 * loopback to a receiver in this process (write-ahead log on, LocalStorage in a temp folder,
 * waitMs 0 so completion is not delayed on purpose). Each request holds whole agent traces
 * (64 spans each). Figures:
 * - full path: spans/s from the first request sent to the last session written
 *   (HTTP + WAL + decode + buffer + assembly + local storage);
 * - decode-only: the same payloads through protobuf decode + OTLP -> SpanRecord, in process;
 * - ratio = full / decode-only (target >= 0.5);
 * - root received -> session written, p50/p99 (the configured waitMs excluded: it is 0 here).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { otlpToSpanRecords } from '../src/spans/otlp.js';
import { LocalStorage } from '../src/storage/local.js';
import { createReceiver } from '../receiver/index.js';
import type { SessionWrittenEvent } from '../receiver/index.js';
import { decodeProtobufRequest } from '../receiver/otlp/codec.js';
import { emitAgentTrace, providerWith } from '../test/fixtures/otlp/agent-trace.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 240);
const CONCURRENCY = arg('concurrency', 4);
const TRACES_PER_REQUEST = arg('traces-per-request', 8);
const ROUNDS = 29; // 2 * 29 + 6 = 64 spans per trace
const SPANS_PER_TRACE = 2 * ROUNDS + 6;

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function buildPayloads(): Buffer[] {
  const exporter = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('ams-otel-bench', '1.0.0');
  const payloads: Buffer[] = [];
  for (let r = 0; r < REQUESTS; r++) {
    exporter.reset();
    for (let t = 0; t < TRACES_PER_REQUEST; t++) emitAgentTrace(tracer, { rounds: ROUNDS, startMs: 1_780_000_000_000 + r * 10_000 + t * 1000 });
    payloads.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!));
  }
  return payloads;
}

function decodeOnly(payloads: Buffer[]): number {
  let spans = 0;
  const t0 = performance.now();
  for (const p of payloads) spans += otlpToSpanRecords(decodeProtobufRequest(p)).records.length;
  return spans / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const payloads = buildPayloads();
  const spansPerRequest = SPANS_PER_TRACE * TRACES_PER_REQUEST;
  const totalSpans = spansPerRequest * REQUESTS;
  const totalTraces = TRACES_PER_REQUEST * REQUESTS;
  const dir = mkdtempSync(join(tmpdir(), 'ams-bench-recv-'));
  const file = join(dir, 'payloads.bin');
  writeFileSync(
    file,
    Buffer.concat(
      payloads.flatMap((p) => {
        const len = Buffer.alloc(4);
        len.writeUInt32LE(p.length);
        return [len, p];
      }),
    ),
  );

  // Warm up the decoder (JIT) before any timing.
  decodeOnly(payloads.slice(0, 20));

  const written: SessionWrittenEvent[] = [];
  let done: () => void = () => {};
  const allWritten = new Promise<void>((resolve) => (done = resolve));
  const receiver = createReceiver({
    storage: new LocalStorage({ dir: join(dir, 'data'), env: {} }),
    walDir: join(dir, 'wal'),
    waitMs: 0,
    env: {},
    onSessionWritten: (e) => {
      written.push(e);
      if (written.length === totalTraces) done();
    },
  });
  const { url } = await receiver.start({ port: 0 });

  const poster = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'receiver-poster.ts'), file, `${url}/v1/traces`, String(CONCURRENCY)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  poster.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const posted = new Promise<{ requests: number; ms: number; startedEpoch: number; statuses: Record<string, number> }>((resolve, reject) =>
    poster.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`poster exited ${code}`)))),
  );
  const result = await posted;
  await allWritten;
  const fullMs = Math.max(...written.map((e) => e.writtenAt)) - result.startedEpoch;
  const full = totalSpans / (fullMs / 1000);
  const stats = receiver.stats();
  await receiver.stop();

  const decode = decodeOnly(payloads);
  const latencies = written.filter((e) => e.rootReceivedAt !== undefined).map((e) => e.writtenAt - e.rootReceivedAt!);

  console.log(`\n## receiver: ${REQUESTS} OTLP/protobuf requests x ${spansPerRequest} spans (${TRACES_PER_REQUEST} traces of ${SPANS_PER_TRACE}), concurrency ${CONCURRENCY}`);
  console.log(`full path (HTTP + WAL + decode + buffer + assembly + local storage): ${fmt(full)} spans/s  (${fmt(totalSpans)} spans, ${totalTraces} sessions in ${fmt(fullMs)} ms; posting alone took ${fmt(result.ms)} ms; statuses ${JSON.stringify(result.statuses)}; 503 retries ${stats.rejectedFull})`);
  console.log(`decode-only (protobuf -> SpanRecord, same payloads, in process): ${fmt(decode)} spans/s`);
  console.log(`ratio full / decode-only: ${(full / decode).toFixed(2)}  (target >= 0.5)`);
  console.log(`root received -> session written: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms  (waitMs 0)`);
  rmSync(dir, { recursive: true, force: true });
}

await main();
