/**
 * Receiver throughput: full path vs decode-only, in the same run.
 *
 *   npx tsx bench/receiver.ts [--requests 240] [--concurrency 4] [--traces-per-request 8] [--rps 10]
 *
 * A separate process (bench/receiver-poster.ts) posts OTLP protobuf requests of 512 spans over
 * loopback to a receiver in this process (write-ahead log on, LocalStorage in a temp folder,
 * waitMs 0 so completion is not delayed on purpose). Each request holds whole agent traces
 * (8 of 64 spans by default). Figures:
 * - full path: spans/s from the first request sent to the last session written
 *   (HTTP + WAL + decode + buffer + assembly + local storage);
 * - decode-only, two ways, same payloads, same run:
 *   (a) in process: protobuf decode + OTLP -> SpanRecord in a loop, nothing else;
 *   (b) over HTTP: the same poster against an endpoint that only reads and decodes the body;
 * - ratios full / decode-only (target >= 0.5), by wall clock and by this process's CPU time
 *   (process.cpuUsage: steadier when other work shares the machine);
 * - root received -> session written, p50/p99 (the configured waitMs excluded: it is 0 here), under
 *   the saturating load above (queueing included) and then at a steady `--rps` (default 10
 *   requests/s = 5,120 spans/s; 60 requests) with a fresh receiver.
 * The storage writes the default index layout (AMS_INDEX_LAYOUT `segments`: one object per session,
 * entries rolled up into segments flushed every 1,000 entries, 5 s and at stop), or the one
 * AMS_INDEX_LAYOUT names; the full path runs once more with `per-session` (two objects per
 * session) for contrast (protobuf runs). "Done" is every session's document written (onSessionWritten); the
 * segments still buffered are flushed by the receiver's stop, timed apart, and the index is then
 * read back to check it lists every session.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import { otlpToSpanRecords } from '../receiver/otlp/records.js';
import { createReceiver } from '../receiver/index.js';
import type { SessionWrittenEvent } from '../receiver/index.js';
import { readRawBody } from '../receiver/http/body.js';
import { decodeProtobufRequest, decodeTraceRequest } from '../receiver/otlp/codec.js';
import { splitJsonByTrace, splitJsonParsed } from '../receiver/otlp/split.js';
import { emitAgentTrace, providerWith } from '../test/fixtures/otlp/agent-trace.js';
import { LocalStorage } from '../src/index.js';
import { resolve, SETTINGS } from '../src/config/env.js';
import type { IndexLayout } from '../src/config/env.js';
import { readAllIndex } from '../src/query/scan.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 240);
const CONCURRENCY = arg('concurrency', 4);
const TRACES_PER_REQUEST = arg('traces-per-request', 8);
/** --null-storage: sessions are assembled but not stored (to see what storage costs). */
const NULL_STORAGE = process.argv.includes('--null-storage');
/** --retain-ms N: the receiver's retainMs (default: the receiver default, 30 s). */
const RETAIN_MS = process.argv.includes('--retain-ms') ? arg('retain-ms', 0) : undefined;
/** --data-dir D: where sessions are written (default: a temp folder). */
const DATA_DIR = process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : undefined;
/** --workers N: the receiver's shard workers (default: the receiver's default, one per core up to 4). */
const WORKERS = process.argv.includes('--workers') ? arg('workers', 0) : undefined;
/** --json: post OTLP/JSON instead of protobuf (the JSON split by trace runs on the main thread). */
const JSON_BODIES = process.argv.includes('--json');
/** The index layout of the main runs: AMS_INDEX_LAYOUT, else the default (`segments`). */
const LAYOUT: IndexLayout = resolve(SETTINGS.indexLayout, undefined, process.env);
/** emitAgentTrace makes 2 * rounds + 4 spans: rounds sized so a request holds ~512 spans. */
const ROUNDS = Math.max(1, Math.floor((512 / TRACES_PER_REQUEST - 4) / 2));
const SPANS_PER_TRACE = 2 * ROUNDS + 4;

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function buildPayloads(): Buffer[] {
  const exporter = new InMemorySpanExporter();
  const provider = providerWith(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('ams-otel-bench', '1.0.0');
  const payloads: Buffer[] = [];
  for (let r = 0; r < REQUESTS; r++) {
    exporter.reset();
    for (let t = 0; t < TRACES_PER_REQUEST; t++) emitAgentTrace(tracer, { rounds: ROUNDS, startMs: 1_780_000_000_000 + r * 10_000 + t * 1000 });
    const spans = exporter.getFinishedSpans();
    payloads.push(Buffer.from((JSON_BODIES ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans)!));
  }
  return payloads;
}

/** Length-prefixed payloads, the poster's input format. */
function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(p.length);
      return [len, p];
    }),
  );
}

interface Rate {
  wall: number;
  cpu: number;
}

/** Decode-only in process: spans/s by wall clock and by CPU time. */
function decodeOnly(payloads: Buffer[]): Rate {
  let spans = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const p of payloads) spans += JSON_BODIES ? decodeTraceRequest(p, 'json').records.length : otlpToSpanRecords(decodeProtobufRequest(p)).records.length;
  const cpu = cpuMs(process.cpuUsage(c0));
  return { wall: spans / ((performance.now() - t0) / 1000), cpu: spans / (cpu / 1000) };
}

interface PostResult {
  requests: number;
  ms: number;
  startedEpoch: number;
  statuses: Record<string, number>;
  /** The poster process's own CPU time. */
  cpuMs: number;
}

const RPS = arg('rps', 10);

function runPoster(file: string, url: string, rps = 0): Promise<PostResult> {
  const poster = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'receiver-poster.ts'), file, url, String(CONCURRENCY), String(rps), JSON_BODIES ? 'application/json' : 'application/x-protobuf'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  poster.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    poster.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as PostResult) : reject(new Error(`poster exited ${code}`)))),
  );
}

/** Decode-only over HTTP: read the body, decode it to records, answer 200. */
async function decodeOnlyOverHttp(file: string, totalSpans: number): Promise<Rate> {
  const app = express();
  let decoded = 0;
  app.post('/v1/traces', (req, res, next) => {
    readRawBody(req, { maxBodyBytes: 64 << 20, maxDecompressedBytes: 64 << 20 })
      .then((body) => {
        decoded += decodeTraceRequest(body, JSON_BODIES ? 'json' : 'protobuf').records.length;
        res.status(200).type('application/x-protobuf').end();
      })
      .catch(next);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const c0 = process.cpuUsage();
  const result = await runPoster(file, `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`);
  const cpu = cpuMs(process.cpuUsage(c0));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (decoded !== totalSpans) throw new Error(`decode-only server saw ${decoded} spans, expected ${totalSpans} (${JSON.stringify(result.statuses)})`);
  return { wall: totalSpans / (result.ms / 1000), cpu: totalSpans / (cpu / 1000) };
}

/** A receiver as the benchmark runs it; `allWritten` resolves once `totalTraces` sessions' documents are written. */
async function benchReceiver(dir: string, totalTraces: number, workers = WORKERS, layout: IndexLayout = LAYOUT) {
  const dataDir = DATA_DIR ? mkdtempSync(join(DATA_DIR, 'ams-bench-')) : join(dir, 'data');
  const written: SessionWrittenEvent[] = [];
  let done: () => void = () => {};
  const allWritten = new Promise<void>((resolve) => (done = resolve));
  const receiver = createReceiver({
    // Storage from the environment (as `ams receiver` runs it), so the shard workers can build theirs.
    storage: NULL_STORAGE ? { putSession: async (session) => session.id } : undefined,
    workers,
    walDir: join(dir, 'wal'),
    waitMs: 0,
    retainMs: RETAIN_MS,
    env: { AMS_LOCAL_DIR: dataDir, AMS_INDEX_LAYOUT: layout },
    onSessionWritten: (e) => {
      written.push(e);
      if (written.length === totalTraces) done();
    },
  });
  const { url } = await receiver.start({ port: 0 });
  return { receiver, written, allWritten, url: `${url}/v1/traces`, dataDir };
}

/** A fresh receiver fed at a steady rate: latency without a backlog. */
async function steadyLatency(file: string, dir: string, totalTraces: number): Promise<number[]> {
  const { receiver, written, allWritten, url } = await benchReceiver(dir, totalTraces);
  await runPoster(file, url, RPS);
  await allWritten;
  await receiver.stop();
  return written.filter((e) => e.rootReceivedAt !== undefined).map((e) => e.writtenAt - e.rootReceivedAt!);
}

/**
 * CPU µs per atomic file create (temp file + rename, 4 KB) in a fresh folder under `base`: what
 * LocalStorage pays per object it writes (a session's document; its `index/{id}.json` too in the
 * per-session layout; one segment per 1,000 sessions in the default one). It depends on the file
 * system, not on this code, so the run measures it next to the figures it bounds.
 */
function fileCreateMicros(base: string): number {
  const d = mkdtempSync(join(base, 'ams-bench-calib-'));
  const data = 'x'.repeat(4096);
  const n = 300;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    writeFileSync(join(d, `.t${i}`), data);
    renameSync(join(d, `.t${i}`), join(d, `f${i}.json`));
  }
  const c = process.cpuUsage(c0);
  rmSync(d, { recursive: true, force: true });
  return (c.user + c.system) / n;
}

/** Files under `dir` whose relative path `match` accepts (recursive). */
function countFiles(dir: string, match: (rel: string) => boolean, rel = ''): number {
  let n = 0;
  let names: Dirent[];
  try {
    names = readdirSync(join(dir, rel), { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const d of names) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) n += countFiles(dir, match, r);
    else if (match(r)) n += 1;
  }
  return n;
}

/** CPU ms per thread of this process (Linux /proc; empty elsewhere), for profiling runs. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid === String(process.pid) ? 'main' : tid, (Number(f[11]) + Number(f[12])) * 10); // USER_HZ 100
    }
  } catch {
    // not Linux
  }
  return out;
}

function threadCpuSince(before: Map<string, number>): string {
  return [...threadCpu()]
    .map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([tid, ms]) => `${tid} ${ms}`)
    .join(', ');
}

async function main(): Promise<void> {
  const payloads = buildPayloads();
  const spansPerRequest = SPANS_PER_TRACE * TRACES_PER_REQUEST;
  const totalSpans = spansPerRequest * REQUESTS;
  const totalTraces = TRACES_PER_REQUEST * REQUESTS;
  const dir = mkdtempSync(join(tmpdir(), 'ams-bench-recv-'));
  const file = join(dir, 'payloads.bin');
  writeFileSync(file, framed(payloads));

  // Warm up the decoder (JIT) before any timing.
  decodeOnly(payloads.slice(0, 20));

  /** The full path once: `REQUESTS` posted as fast as the receiver takes them, until every session is written. */
  const fullPath = async (sub: string, workers?: number, layout: IndexLayout = LAYOUT) => {
    const { receiver, written, allWritten, url, dataDir } = await benchReceiver(join(dir, sub), totalTraces, workers, layout);
    const threads0 = threadCpu();
    const c0 = process.cpuUsage();
    const result = await runPoster(file, url);
    await allWritten;
    const fullCpuMs = cpuMs(process.cpuUsage(c0));
    const threadsLine = threadCpuSince(threads0);
    const fullMs = Math.max(...written.map((e) => e.writtenAt)) - result.startedEpoch;
    const full: Rate = { wall: totalSpans / (fullMs / 1000), cpu: totalSpans / (fullCpuMs / 1000) };
    const stats = { ...receiver.stats(), workers: receiver.config.workers ?? 0 };
    const s0 = performance.now();
    await receiver.stop(); // flushes the index segments still buffered
    const stopMs = performance.now() - s0;
    // Objects written per session: documents (rewrites included) + index objects.
    const indexObjects = layout === 'per-session' ? written.length : countFiles(join(dataDir, 'index'), (r) => r.endsWith('.ndjson.gz')) + (layout === 'both' ? written.length : 0);
    const objectsPerSession = NULL_STORAGE ? 0 : (written.length + indexObjects) / totalTraces;
    if (!NULL_STORAGE) {
      const indexed = (await readAllIndex(new LocalStorage({ dir: dataDir, env: {} }))).length;
      if (indexed !== totalTraces) throw new Error(`the index lists ${indexed} sessions after stop, ${totalTraces} were written (${layout})`);
    }
    return { full, fullMs, stats, written, result, threadsLine, stopMs, indexObjects, objectsPerSession, layout };
  };
  if (JSON_BODIES) {
    // The main thread's share of a JSON request: the split by trace (4 shards), cut from the bytes
    // vs from a parse (what it did before; the shard's decoder parses its part either way).
    const splitMs = (split: (b: Buffer, n: number) => unknown): number => {
      for (const p of payloads.slice(0, 10)) split(p, 4);
      const t0 = performance.now();
      for (const p of payloads) split(p, 4);
      return (performance.now() - t0) / payloads.length;
    };
    const kb = payloads.reduce((n, p) => n + p.length, 0) / payloads.length / 1024;
    console.log(`JSON split by trace on the main thread (${fmt(kb)} KB requests, 4 shards): from the bytes ${splitMs(splitJsonByTrace).toFixed(2)} ms/request, from a parse ${splitMs(splitJsonParsed).toFixed(2)} ms/request`);
  }
  const main = await fullPath('full');
  const { full, fullMs, stats, written, result, threadsLine } = main;
  if (process.argv.includes('--full-only')) {
    // For profiling (node --cpu-prof): the full path alone, no baselines.
    console.log(`full path: ${fmt(full.wall)} spans/s wall, ${fmt(full.cpu)} spans per CPU-second; poster CPU ${fmt(result.cpuMs)} ms`);
    console.log(`CPU ms per thread during the full path: ${threadsLine}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }

  const decode = decodeOnly(payloads);
  const http = await decodeOnlyOverHttp(file, totalSpans);
  // The same run on the main thread alone, for what the workers add (unless --workers was given).
  const single = WORKERS === undefined && stats.workers > 0 ? await fullPath('single', 0) : undefined;
  // The other layout, for contrast: two objects per session (or, when the main runs wrote per-session
  // files, segments). Not with --json, whose point is the split on the main thread.
  const contrast = NULL_STORAGE || JSON_BODIES ? undefined : await fullPath('contrast', undefined, LAYOUT === 'per-session' ? 'segments' : 'per-session');
  // The steady run uses the first 60 payloads (6 s at 10 requests/s).
  const steadyRequests = Math.min(REQUESTS, 60);
  const steadyFile = join(dir, 'steady.bin');
  writeFileSync(steadyFile, framed(payloads.slice(0, steadyRequests)));
  const steady = await steadyLatency(steadyFile, join(dir, 'steady'), steadyRequests * TRACES_PER_REQUEST);
  const latencies = written.filter((e) => e.rootReceivedAt !== undefined).map((e) => e.writtenAt - e.rootReceivedAt!);

  console.log(`\n## receiver${NULL_STORAGE ? ' (storage: none)' : ''}${RETAIN_MS !== undefined ? ` (retainMs ${RETAIN_MS})` : ''}: ${REQUESTS} OTLP/${JSON_BODIES ? 'JSON' : 'protobuf'} requests x ${spansPerRequest} spans (${TRACES_PER_REQUEST} traces of ${SPANS_PER_TRACE}), concurrency ${CONCURRENCY}`);
  console.log(
    `full path (HTTP + WAL + decode + buffer + assembly + ${NULL_STORAGE ? 'no storage' : `local storage, index layout ${LAYOUT}`}), ${stats.workers} worker(s): ${fmt(full.wall)} spans/s wall, ${fmt(full.cpu)} spans per CPU-second` +
      `  (${fmt(totalSpans)} spans, ${totalTraces} sessions in ${fmt(fullMs)} ms; posting alone ${fmt(result.ms)} ms; statuses ${JSON.stringify(result.statuses)}; 503s ${stats.rejectedFull}; rewrites ${written.filter((e) => e.revision > 1).length})`,
  );
  if (single) {
    console.log(
      `full path, main thread only (--workers 0): ${fmt(single.full.wall)} spans/s wall, ${fmt(single.full.cpu)} spans per CPU-second; ` +
        `workers x${(full.wall / single.full.wall).toFixed(2)} wall`,
    );
  }
  if (!NULL_STORAGE) {
    console.log(
      `  objects written: ${fmt(written.length)} documents + ${fmt(main.indexObjects)} index objects = ${main.objectsPerSession.toFixed(3)} per session; ` +
        `stop (flushes the buffered segments) ${fmt(main.stopMs)} ms; the index read back lists all ${fmt(totalTraces)} sessions`,
    );
  }
  if (contrast) {
    console.log(
      `full path, index layout ${contrast.layout} (for contrast), ${contrast.stats.workers} worker(s): ${fmt(contrast.full.wall)} spans/s wall, ${fmt(contrast.full.cpu)} spans per CPU-second; ` +
        `${contrast.objectsPerSession.toFixed(3)} objects per session; stop ${fmt(contrast.stopMs)} ms`,
    );
  }
  console.log(`decode-only in process (protobuf -> SpanRecord): ${fmt(decode.wall)} spans/s wall, ${fmt(decode.cpu)} per CPU-second`);
  console.log(`decode-only over HTTP (same poster; read + decode + 200): ${fmt(http.wall)} spans/s wall, ${fmt(http.cpu)} per CPU-second`);
  console.log(
    `ratio full / decode-only (target >= 0.5): in process ${(full.wall / decode.wall).toFixed(2)} wall, ${(full.cpu / decode.cpu).toFixed(2)} CPU; ` +
      `over HTTP ${(full.wall / http.wall).toFixed(2)} wall, ${(full.cpu / http.cpu).toFixed(2)} CPU` +
      (single ? `; main thread only: in process ${(single.full.wall / decode.wall).toFixed(2)}, over HTTP ${(single.full.wall / http.wall).toFixed(2)} wall` : '') +
      (contrast ? `; ${contrast.layout}: in process ${(contrast.full.wall / decode.wall).toFixed(2)} wall, ${(contrast.full.cpu / decode.cpu).toFixed(2)} CPU` : ''),
  );
  const createUs = fileCreateMicros(DATA_DIR ?? dir);
  const budgetMs = (spansPerRequest / (0.5 * decode.wall)) * 1000;
  const perSession = (objects: number) => createUs * objects;
  const floorMs = (perSession(main.objectsPerSession) * TRACES_PER_REQUEST) / 1000;
  console.log(
    `file system: an atomic file create costs ${fmt(createUs)} µs CPU here, so a session's file creates cost ${fmt(perSession(main.objectsPerSession))} µs ` +
      `(${main.objectsPerSession.toFixed(3)} objects, ${LAYOUT})` +
      (contrast ? `, ${fmt(perSession(contrast.objectsPerSession))} µs in ${contrast.layout} (${contrast.objectsPerSession.toFixed(3)} objects)` : '') +
      `; storing one request's ${TRACES_PER_REQUEST} sessions costs ${floorMs.toFixed(1)} ms CPU; the whole path may take ${budgetMs.toFixed(1)} ms per request to reach 0.5 of in-process decode-only`,
  );
  console.log(`root received -> session written, saturated (queueing included): p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms  (waitMs 0)`);
  console.log(`root received -> session written, steady ${RPS} requests/s (${fmt(RPS * spansPerRequest)} spans/s): p50 ${pct(steady, 50)} ms, p99 ${pct(steady, 99)} ms  (waitMs 0)`);
  rmSync(dir, { recursive: true, force: true });
}

await main();
