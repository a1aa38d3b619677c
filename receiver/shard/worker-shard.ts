/**
 * WorkerShard: a Shard whose InThreadShard runs on a worker thread (worker.ts), so decoding,
 * assembly and storage of its traces use another core. Calls are messages with ids; the worker
 * reports its state (load, stats, WAL low-water mark) after commits and writes. A worker that
 * exits or fails is `dead`: pending calls reject and the core replaces it.
 */
import { diag } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { report } from '../../src/writer/SessionWriter.js';
import type { SpanRecord } from '../../src/spans/record.js';
import type { SessionWrittenEvent } from '../../src/writer/types.js';
import type { OtlpEncoding } from '../otlp/codec.js';
import type { FromWorker, ShardWorkerData, ToWorker } from './protocol.js';
import type { DecodeReply, Shard, ShardState, ShardStats } from './types.js';

const ZERO_STATS: ShardStats = {
  openTraces: 0,
  openSpans: 0,
  bufferedSpans: 0,
  bufferedBytes: 0,
  heldBytes: 0,
  sessionsWritten: 0,
  sessionsSpooled: 0,
  sessionsSkippedNotGenAi: 0,
  sessionsDropped: 0,
  writeFailures: 0,
  pendingWrites: 0,
  timedOutWrites: 0,
  storageFailing: 0,
};

/** Every shard's counters added up, key by key (so a counter added to ShardStats is summed too). */
export function sumShardStats(all: readonly ShardStats[]): ShardStats {
  const out = { ...ZERO_STATS };
  for (const st of all) for (const k of Object.keys(out) as Array<keyof ShardStats>) out[k] += st[k];
  return out;
}

export const EMPTY_STATE: ShardState = {
  load: { traces: 0, openSpans: 0, bufferedBytes: 0 },
  stats: ZERO_STATS,
  low: Number.MAX_SAFE_INTEGER,
};

export interface WorkerShardHooks {
  onStateChange(): void;
  onSessionWritten?(event: SessionWrittenEvent): void;
  onDeath(shard: WorkerShard, why: string): void;
}

export class WorkerShard implements Shard {
  readonly index: number;
  readonly worker: Worker;
  readonly started: Promise<void>;
  dead?: string;
  private current: ShardState = EMPTY_STATE;
  private nextId = 0;
  private readonly calls = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();

  constructor(data: ShardWorkerData, private readonly hooks: WorkerShardHooks) {
    this.index = data.shard;
    this.worker = spawnWorker(data);
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.started = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    // Nobody may be waiting on `started` when a replacement dies early.
    this.started.catch(() => undefined);
    this.worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') return started();
      if (m.t === 'state') {
        this.current = { load: m.load, stats: m.stats, low: m.low };
        this.hooks.onStateChange();
      }
      const id = 'id' in m ? m.id : undefined;
      if (id !== undefined) {
        const call = this.calls.get(id);
        this.calls.delete(id);
        call?.resolve(m);
        return;
      }
      this.onMessage(m);
    });
    const die = (why: string): void => {
      if (this.dead) return;
      this.dead = why;
      failed(new Error(why));
      for (const call of this.calls.values()) call.reject(new Error(why));
      this.calls.clear();
      this.hooks.onDeath(this, why);
    };
    this.worker.on('error', (err) => die(`shard worker ${this.index} failed: ${err.stack ?? String(err)}`));
    this.worker.on('exit', (code) => die(`shard worker ${this.index} exited (code ${code})`));
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'written':
        try {
          this.hooks.onSessionWritten?.(m.event);
        } catch (err) {
          report(err);
        }
        return;
      case 'log':
        diag[m.level](m.message);
        return;
      case 'error': {
        const err = new Error(m.message);
        if (m.stack) err.stack = m.stack;
        report(err);
        return;
      }
      default:
        return;
    }
  }

  private call(m: ToWorker, transfer?: ArrayBuffer[]): Promise<FromWorker> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      this.calls.set(m.id, { resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  private send(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  state(): ShardState {
    return this.current;
  }

  async decode(id: number, part: Uint8Array, encoding: OtlpEncoding): Promise<DecodeReply> {
    const moved = movable(part);
    return this.reply(await this.call({ t: 'decode', id, body: moved, encoding }, [moved.buffer as ArrayBuffer]));
  }

  async hold(id: number, records: SpanRecord[]): Promise<DecodeReply> {
    // Plain data: the structured clone copies it to the worker.
    return this.reply(await this.call({ t: 'hold', id, records }));
  }

  private reply(m: FromWorker): DecodeReply {
    if (m.t === 'decoded') return { t: 'decoded', records: m.records, newTraces: m.newTraces, rejectedSpans: m.rejectedSpans, errorMessage: m.errorMessage };
    if (m.t === 'refused') return { t: 'refused', status: m.status, message: m.message };
    throw new Error(`shard worker ${this.index}: unexpected reply ${m.t}`);
  }

  async commit(id: number, seq: number, bytes: number, recovered: boolean): Promise<void> {
    await this.call({ t: 'commit', id, seq, bytes, recovered });
  }

  abort(id: number): void {
    this.send({ t: 'abort', id });
  }

  /** Ids for flush/shutdown calls, apart from the core's request ids. */
  private controlId(): number {
    return -++this.nextId;
  }

  async flush(): Promise<void> {
    if (!this.dead) await this.call({ t: 'flush', id: this.controlId() });
  }

  async shutdown(): Promise<void> {
    if (!this.dead) await this.call({ t: 'shutdown', id: this.controlId() });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Built, the worker is plain JS next to this file. From the TypeScript sources (tests, tsx) it is
 * loaded through tsx's loader, registered inside the worker (execArgv `--import tsx` does not
 * reach a worker's entry module on Node 20).
 */
function spawnWorker(data: ShardWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(code, { eval: true, workerData: data });
}

/** A part of a request, copied into its own buffer so it can be moved to the worker. */
function movable(part: Uint8Array): Uint8Array {
  if (part.byteOffset === 0 && part.byteLength === part.buffer.byteLength && !(part instanceof Buffer)) return part;
  return new Uint8Array(part);
}
