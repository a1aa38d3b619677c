/**
 * On start, the receiver indexes the sessions a previous run wrote but did not get to index (it
 * was killed between a document's write and its segment's flush): src/storage/repair.ts. In the
 * background, after the write-ahead log's replay: /health and /ready never wait for it, and a
 * failure is logged, not thrown (`ams compact` and `ams reindex` repair too).
 */
import { diag } from '@opentelemetry/api';
import { LocalStorage } from '../src/storage/local.js';
import { repairIndex } from '../src/storage/repair.js';
import { S3Storage } from '../src/storage/s3.js';
import { describeCorrupt } from '../src/query/scan.js';
import type { SessionStorage } from '../src/storage/types.js';

const log = diag.createComponentLogger({ namespace: 'ams-otel/receiver' });

/** Starts the repair of `storage` (LocalStorage / S3Storage only; any other is left alone); never rejects. */
export function repairOnStart(storage: SessionStorage, signal: AbortSignal, startedAt?: number): Promise<void> {
  if (!(storage instanceof LocalStorage) && !(storage instanceof S3Storage)) return Promise.resolve();
  return repairIndex(storage, {
    signal,
    // On start: this run's own segments (flushed before the repair lists) do not move the mark.
    ignoreWritesSince: startedAt,
    onCorrupt: (object, problem, line) => log.warn(`index repair skipped ${describeCorrupt(object, problem, line)}`),
  }).then(
    (r) => {
      if (r.repaired > 0) log.warn(`indexed ${r.repaired} session(s) written before the last stop but not indexed (a crash before the index flush)`);
      else log.debug(`index repair: nothing to index (${r.candidates} recent documents checked)`);
    },
    (err: unknown) => log.error(`index repair on start failed (run \`ams compact\` or \`ams reindex\` later): ${String((err as Error)?.message ?? err)}`),
  );
}
