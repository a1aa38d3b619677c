import { Command } from 'commander';
import { compactIndex } from '../../src/storage/compact.js';
import { repairIndex } from '../../src/storage/repair.js';
import { addStorageOptions, EXIT_OK, readerFor, reportSkipped } from '../common.js';
import type { CliContext, Values } from '../common.js';

/**
 * `ams compact [--day] [--dry-run]`: first indexes the sessions a crashed writer left unindexed
 * (repair), then merges each past hour's index segments into one (each past day's with --day).
 * Safe while writers write and idempotent (docs/storage.md, "Compaction and repair"): run it
 * from cron, hourly, and with --day once a day.
 */
export function compactCommand(ctx: CliContext): Command {
  const cmd = new Command('compact')
    .summary("merge past hours' index segments into one each (--day: past days'); index what a crash left out")
    .description(
      'Indexes the sessions written since the index\'s high-water mark that it does not list (a writer killed before its flush), then merges the index segments of each hour that ended over an hour ago into one segment (keeping the highest revision of each session) and deletes them. Safe while writers write; a rerun changes nothing. Corrupt segments are named; one with nothing readable is kept in place.',
    )
    .option('--day', "merge each past day's segments into one (in the day's hour=23 folder) instead of each hour's")
    .option('--dry-run', 'say what would be done, write and delete nothing');
  addStorageOptions(cmd);
  return cmd.action(async (opts: Values) => {
    ctx.code = await compact(cmd, ctx, opts);
  });
}

async function compact(cmd: Command, ctx: CliContext, v: Values): Promise<number> {
  const dryRun = v.dryRun === true;
  const scope = v.day === true ? 'day' : 'hour';
  const store = await readerFor(cmd, ctx);
  const onCorrupt = reportSkipped('compact');
  try {
    const repaired = await repairIndex(store, { onCorrupt, dryRun });
    const mark = repaired.highWaterMark === null ? 'no index yet: every document checked' : `since ${new Date(repaired.highWaterMark).toISOString()} less the lookback`;
    process.stdout.write(`repair: ${dryRun ? 'would index' : 'indexed'} ${repaired.repaired} unindexed sessions (${repaired.candidates} documents checked, ${mark}; ${repaired.corrupt} corrupt skipped)\n`);
    const r = await compactIndex(store, { scope, onCorrupt, dryRun });
    process.stdout.write(
      `compact (${scope}): ${dryRun ? 'would merge' : 'merged'} ${r.partitions} partitions: read ${r.segmentsRead} segments, ${dryRun ? 'would write' : 'wrote'} ${r.segmentsWritten} (${r.entries} entries), ${dryRun ? 'would delete' : 'deleted'} ${r.segmentsDeleted}` +
        (r.segmentsKept > 0 ? `; kept ${r.segmentsKept} unreadable segments in place (named above)` : '') +
        '\n',
    );
  } finally {
    await store.close();
  }
  return EXIT_OK;
}
