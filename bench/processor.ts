/**
 * Processor benchmark (issue: core). Same workload, same run: 10,000 agent sessions × 20 spans
 * with realistic gen_ai attributes (2 KB tool results), through
 *   (a) BatchSpanProcessor + an exporter that serializes each batch with ProtobufTraceSerializer
 *       (what every user already pays to export to an OTLP backend), and
 *   (b) SessionSpanProcessor + a storage that serializes the session JSON and discards it,
 * plus a baseline with no processor, so span creation (common to all) can be subtracted.
 * Each variant runs in its own child process, rounds alternate, medians are reported.
 *
 *   npx tsx bench/processor.ts            the comparison (used by `npm run bench`)
 *   npx tsx bench/processor.ts <mode>     one measurement, JSON on stdout (child mode)
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SessionSpanProcessor } from '../src/index.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const OPEN_SESSIONS = 1000;
const CHUNK = 50;
const RUN = { extraToolCalls: 9, toolResultBytes: 2048, sdkTotals: true };

type Mode = 'baseline' | 'batch' | 'session' | 'rss-baseline' | 'rss-session';

class SerializingExporter implements SpanExporter {
  bytes = 0;
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    const buf = ProtobufTraceSerializer.serializeRequest(spans);
    this.bytes += buf?.length ?? 0;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

function processorFor(mode: Mode): SpanProcessor[] {
  if (mode === 'batch') {
    // Queue big enough that nothing is dropped: we measure cost, not shedding.
    return [new BatchSpanProcessor(new SerializingExporter(), { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 200 })];
  }
  if (mode === 'session' || mode === 'rss-session') {
    return [
      new SessionSpanProcessor({
        storage: { putSession: async (s) => `discarded ${JSON.stringify(s).length} bytes` },
        maxTraces: 5000,
      }),
    ];
  }
  return [];
}

async function measure(mode: Mode): Promise<Record<string, number>> {
  const provider = new NodeTracerProvider({ spanProcessors: processorFor(mode) });
  const tracer = provider.getTracer('bench');
  if (mode.startsWith('rss')) {
    const runs = [];
    for (let i = 0; i < OPEN_SESSIONS; i++) runs.push(emitAgentRun(tracer, { ...RUN, endRoot: false }));
    const peakOpen = process.resourceUsage().maxRSS / 1024;
    for (const r of runs) r.root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return { peakRssMb: peakOpen };
  }
  let spans = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SESSIONS; i++) {
    spans += emitAgentRun(tracer, RUN).spanCount;
    if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r)); // let timers and writes run, as a live app would
  }
  await provider.forceFlush();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await provider.shutdown();
  return { spans, ms, usPerSpan: (ms * 1000) / spans };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function child(mode: Mode): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), mode], {
    encoding: 'utf8',
    env: { ...process.env, OTEL_LOG_LEVEL: 'none' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

export async function runProcessorBench(rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<void> {
  console.log(`\n## Processor: ${SESSIONS} sessions × 20 spans (2 KB tool results), ${rounds} rounds, medians`);
  const res: Record<string, number[]> = { baseline: [], batch: [], session: [] };
  for (let r = 0; r < rounds; r++) for (const m of ['baseline', 'batch', 'session'] as const) res[m]!.push(child(m).usPerSpan!);
  const base = median(res.baseline!);
  const a = median(res.batch!);
  const b = median(res.session!);
  const netA = a - base;
  const netB = b - base;
  console.log(`span creation only (baseline)         ${base.toFixed(2)} µs/span`);
  console.log(`(a) BatchSpanProcessor + protobuf     ${a.toFixed(2)} µs/span   (+${netA.toFixed(2)} over baseline)`);
  console.log(`(b) SessionSpanProcessor + JSON       ${b.toFixed(2)} µs/span   (+${netB.toFixed(2)} over baseline)`);
  console.log(`ratio b/a, whole pipeline             ${(b / a).toFixed(2)}   (target ≤ 1.0)`);
  console.log(`ratio b/a, processor cost only        ${(netB / netA).toFixed(2)}   (target ≤ 1.0)`);
  const rssBase = median([0, 1, 2].slice(0, rounds).map(() => child('rss-baseline').peakRssMb!));
  const rssSession = median([0, 1, 2].slice(0, rounds).map(() => child('rss-session').peakRssMb!));
  console.log(`peak RSS, ${OPEN_SESSIONS} sessions open at once     ${rssSession.toFixed(0)} MB (no processor: ${rssBase.toFixed(0)} MB, +${(rssSession - rssBase).toFixed(0)} MB held by the processor)`);
}

const mode = process.argv[2] as Mode | undefined;
if (mode) {
  console.log(JSON.stringify(await measure(mode)));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runProcessorBench();
}
