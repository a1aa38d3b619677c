/**
 * Processor benchmark (issue 10). Same spans, same run: agent sessions × 20 spans with realistic
 * gen_ai attributes (2 KB tool results), through
 *   (a) BatchSpanProcessor + an exporter that serializes each batch with ProtobufTraceSerializer
 *       (what every user already pays to export to an OTLP backend), and
 *   (b) SessionSpanProcessor + a storage that serializes the session JSON and discards it,
 * plus a baseline with no processor, so span creation (common to all) can be subtracted.
 * Two workloads:
 *   steady  10,000 sessions, yielding to the event loop every 50 (as a live app would);
 *   burst   10,000 sessions created synchronously with no yield, limits raised so nothing is
 *           dropped (every session must be written: the count is printed).
 * Each variant runs in its own child process, rounds alternate, medians are reported. The cost is
 * the child's CPU time (user + system, GC threads included): on a shared machine wall time mostly
 * measures the neighbours; wall-time figures are printed too.
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
import type { Session } from '../src/index.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const OPEN_SESSIONS = 1000;
const CHUNK = 50;
const RUN = { extraToolCalls: 9, toolResultBytes: 2048, sdkTotals: true };

type Variant = 'baseline' | 'batch' | 'session';
type Mode = Variant | `burst-${Variant}` | 'rss-baseline' | 'rss-session';

class SerializingExporter implements SpanExporter {
  bytes = 0;
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    const buf = ProtobufTraceSerializer.serializeRequest(spans);
    this.bytes += buf?.length ?? 0;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** Sessions the storage received (burst: must equal the sessions created). */
let written = 0;

function processorFor(mode: Mode): SpanProcessor[] {
  if (mode === 'batch' || mode === 'burst-batch') {
    // Queue big enough that nothing is dropped: we measure cost, not shedding.
    return [new BatchSpanProcessor(new SerializingExporter(), { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 200 })];
  }
  const storage = {
    putSession: async (s: Session) => {
      written += 1;
      return `discarded ${JSON.stringify(s).length} bytes`;
    },
  };
  if (mode === 'session' || mode === 'rss-session') return [new SessionSpanProcessor({ storage, maxTraces: 5000 })];
  if (mode === 'burst-session') {
    // Every session is still open in the buffer when the burst ends: room for all of them.
    const limits = { maxTraces: SESSIONS, maxBufferedSpans: SESSIONS * 25, maxPendingWrites: SESSIONS };
    return [new SessionSpanProcessor({ storage, ...limits })];
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
  const burst = mode.startsWith('burst');
  let spans = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < SESSIONS; i++) {
    spans += emitAgentRun(tracer, RUN).spanCount;
    // Steady: let timers and writes run, as a live app would. Burst: no yield at all.
    if (!burst && i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
  }
  await provider.forceFlush();
  const cpu = process.cpuUsage(cpu0);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await provider.shutdown();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { spans, ms, usPerSpan: (ms * 1000) / spans, cpuUsPerSpan: (cpuMs * 1000) / spans, sessionsWritten: written };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function child(mode: Mode): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), mode], {
    encoding: 'utf8',
    env: { ...process.env, OTEL_LOG_LEVEL: 'none' },
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

const fmt = (x: number) => x.toFixed(2).padStart(6);

function report(title: string, res: Record<Variant, Array<Record<string, number>>>): void {
  console.log(title);
  for (const [key, unit] of [['cpuUsPerSpan', 'CPU'], ['usPerSpan', 'wall']] as const) {
    const base = median(res.baseline.map((r) => r[key]!));
    const a = median(res.batch.map((r) => r[key]!));
    const b = median(res.session.map((r) => r[key]!));
    console.log(`  ${unit.padEnd(4)} µs/span: baseline ${fmt(base)} · (a) batch+protobuf ${fmt(a)} (+${(a - base).toFixed(2)}) · (b) session+JSON ${fmt(b)} (+${(b - base).toFixed(2)})` +
      ` · ratio b/a processor cost only ${((b - base) / (a - base)).toFixed(2)} (whole pipeline ${(b / a).toFixed(2)})`);
  }
}

export async function runProcessorBench(rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<void> {
  console.log(`\n## Processor: ${SESSIONS} sessions × 20 spans (2 KB tool results), ${rounds} rounds, medians; target: processor cost ratio ≤ 0.5`);
  const variants = ['baseline', 'batch', 'session'] as const;
  const steady = { baseline: [], batch: [], session: [] } as Record<Variant, Array<Record<string, number>>>;
  const burst = { baseline: [], batch: [], session: [] } as Record<Variant, Array<Record<string, number>>>;
  for (let r = 0; r < rounds; r++) {
    for (const m of variants) steady[m].push(child(m));
    for (const m of variants) burst[m].push(child(`burst-${m}`));
  }
  report('steady (yield every 50 sessions)', steady);
  report('burst (no yield, limits raised so nothing drops)', burst);
  const writtenBurst = burst.session.map((r) => r.sessionsWritten!);
  console.log(`  sessions written in the burst: ${writtenBurst.join(', ')} of ${SESSIONS} (steady: ${steady.session.map((r) => r.sessionsWritten!).join(', ')})`);
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
