/**
 * A shard worker: one InThreadShard (buffer, assembly, storage) for the traces whose ids map to
 * this shard, on its own thread, driven by messages from its WorkerShard. The main thread keeps
 * HTTP, the WAL and the split (receiver/pipeline.ts); this side decodes its part of each request,
 * holds the records until the main thread has logged the request (commit) or refused it (abort),
 * and reports what it still needs from the WAL. Logs and errors go back to the main thread.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { specFromEnv } from '../../src/storage/from-env.js';
import { s3SpoolDir } from '../../src/storage/s3.js';
import { storageFromSpec } from '../../src/storage/spec.js';
import type { StorageSpec } from '../../src/storage/spec.js';
import type { SessionStorage } from '../../src/storage/types.js';
import { InThreadShard } from './in-thread.js';
import type { FromWorker, ShardWorkerData, ToWorker } from './protocol.js';

const port = parentPort!;
const data = workerData as ShardWorkerData;
const post = (m: FromWorker): void => port.postMessage(m);

const forward =
  (level: 'error' | 'warn' | 'info' | 'debug' | 'verbose') =>
  (message: string, ...args: unknown[]): void =>
    post({ t: 'log', level, message: args.length ? `${message} ${args.map(String).join(' ')}` : message });
const logger: DiagLogger = { error: forward('error'), warn: forward('warn'), info: forward('info'), debug: forward('debug'), verbose: forward('verbose') };
diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
setGlobalErrorHandler((err) => post({ t: 'error', message: String((err as Error)?.message ?? err), stack: (err as Error)?.stack }));

/**
 * Each worker spools to its own folder under the S3 spool folder (`shard-<n>`), so only the
 * worker that owns a session's trace ever replays it: a replay can never land over a newer
 * revision another worker wrote directly. Folders of shards that no longer exist (fewer workers
 * than last run) are taken over by shard `k % shards`; what an in-thread run left at the top is
 * replayed by the main thread's own storage.
 */
function ownSpool(spec: StorageSpec): StorageSpec {
  if (spec.kind !== 's3') return spec;
  const base = s3SpoolDir(spec.options);
  const own = join(base, `shard-${data.shard}`);
  try {
    for (const name of readdirSync(base)) {
      const k = /^shard-(\d+)$/.exec(name)?.[1];
      if (k === undefined || Number(k) < data.shards || Number(k) % data.shards !== data.shard) continue;
      mkdirSync(own, { recursive: true });
      for (const file of readdirSync(join(base, name))) renameSync(join(base, name, file), join(own, file));
      rmSync(join(base, name), { recursive: true, force: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') diag.warn(`ams receiver shard ${data.shard}: could not take over old spool folders in ${base}: ${String(err)}`);
  }
  return { kind: 's3', options: { ...spec.options, spoolDir: own } };
}

const storage: SessionStorage = storageFromSpec(ownSpool(data.storage ?? specFromEnv(data.env)));
const shard = new InThreadShard({
  index: data.shard,
  config: data.config,
  writer: {
    storage,
    ...data.privacy,
    ...data.pricing,
    env: data.env,
    spoolName: `shard-${data.shard}`,
    onSessionWritten: data.reportWritten ? (event) => post({ t: 'written', event }) : undefined,
  },
  onStateChange: reportSoon,
});

/**
 * State reports after writes are coalesced (each costs a message and a stats pass): the main
 * thread needs them to release the WAL and weigh capacity, neither of which needs every write.
 */
const REPORT_EVERY_MS = 20;
let reportTimer: NodeJS.Timeout | undefined;
function reportSoon(): void {
  reportTimer ??= setTimeout(() => {
    reportTimer = undefined;
    post({ t: 'state', ...shard.state() });
  }, REPORT_EVERY_MS);
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'decode':
      void shard.decode(m.id, m.body, m.encoding).then((reply) => post({ ...reply, id: m.id }));
      return;
    case 'hold':
      void shard.hold(m.id, m.records).then((reply) => post({ ...reply, id: m.id }));
      return;
    case 'commit':
      void shard.commit(m.id, m.seq, m.bytes, m.recovered ?? false).then(() => post({ t: 'state', id: m.id, ...shard.state() }));
      return;
    case 'abort':
      shard.abort(m.id);
      return;
    case 'flush':
    case 'shutdown': {
      const closeStorage = async (): Promise<void> => {
        await storage.close?.();
      };
      const done = m.t === 'flush' ? shard.flush() : shard.shutdown(closeStorage);
      void done
        .catch((err: unknown) => diag.error(`ams receiver shard ${data.shard}: ${m.t} failed: ${String(err)}`))
        .then(() => post({ t: 'state', id: m.id, ...shard.state() }));
      return;
    }
  }
});

post({ t: 'ready' });
