import { Command } from 'commander';
import { compileFilter } from '../../src/query/filter.js';
import { followIndex } from '../../src/query/follow.js';
import { querySessions } from '../../src/query/query.js';
import { describeReader } from '../../src/query/reader.js';
import { readAllIndex } from '../../src/query/scan.js';
import type { SessionIndexEntry } from '../../src/session/types.js';
import { addStorageOptions, addFilterOptions, EXIT_FAIL, EXIT_OK, filterFrom, intFlag, readerFor, reportSkipped, storeErrorMessage } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { entryLine, toJson } from '../format.js';

/** Sessions printed before following, like tail(1)'s 10 lines. */
export const DEFAULT_BACKLOG = 10;

export function tailCommand(ctx: CliContext): Command {
  const cmd = new Command('tail')
    .summary('follow new sessions as they are written')
    .description(
      [
        'Prints the last sessions (-n, default 10, oldest first), then follows new ones as they are',
        'written, one line each (like tail -f); Ctrl-C stops. -n 0: only new sessions.',
        'Polls the newest index partitions (--poll-ms first, up to 15 s while idle); a session shows',
        'up once its writer writes its index segment (AMS_INDEX_FLUSH_MS, default 5 s).',
        'A session rewritten with late spans (receiver revisions) is printed again.',
      ].join('\n'),
    )
    .argument('[words...]', 'text search, like -q')
    .option('-n, --lines <n>', 'print the last n matching sessions first (0 = none)', String(DEFAULT_BACKLOG))
    .option('--json', 'one JSON index entry per line')
    .option('--poll-ms <n>', 'first poll interval', '1000');
  addFilterOptions(cmd);
  addStorageOptions(cmd);
  return cmd.action(async (words: string[], opts: Values) => {
    ctx.code = await tail(cmd, ctx, opts, words);
  });
}

async function tail(cmd: Command, ctx: CliContext, v: Values, words: string[]): Promise<number> {
  const filter = filterFrom(v, words);
  const match = compileFilter(filter);
  const backlog = intFlag(v, 'lines', 'lines', DEFAULT_BACKLOG, { note: '0 = only new sessions', label: '-n/--lines' });
  const pollMs = Math.max(50, intFlag(v, 'pollMs', 'poll-ms', 1000));
  const reader = await readerFor(cmd, ctx);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastError = '';
  // A bucket that does not exist will not appear by waiting: said once, exit 1.
  let fatal: string | undefined;
  const fatalStoreError = (err: unknown): boolean => {
    if ((err as { name?: unknown } | undefined)?.name !== 'NoSuchBucket') return false;
    fatal ??= storeErrorMessage(err, ctx.store);
    stop.abort();
    return true;
  };
  const line = (e: SessionIndexEntry): string => (v.json ? `${toJson(e)}\n` : `${entryLine(e)}\n`);
  // The backlog is read once the follower has its baseline, so nothing falls between the two;
  // entries the follower reports meanwhile wait, and one already printed in the backlog is skipped.
  let pending: SessionIndexEntry[] | undefined = backlog > 0 ? [] : undefined;
  const printedInBacklog = new Set<string>();
  const printBacklog = async (): Promise<void> => {
    try {
      const recent = querySessions(await readAllIndex(reader, undefined, reportSkipped('tail'), { since: filter.since }), filter, { limit: backlog }).sessions.reverse();
      for (const e of recent) {
        const text = line(e);
        printedInBacklog.add(text);
        process.stdout.write(text);
      }
    } catch (err) {
      if (!fatalStoreError(err)) process.stderr.write(`ams tail: could not read the last sessions: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    const queued = pending ?? [];
    pending = undefined;
    for (const e of queued) emit(e);
  };
  const emit = (e: SessionIndexEntry): void => {
    if (!match(e)) return;
    if (pending) {
      pending.push(e);
      return;
    }
    const text = line(e);
    if (printedInBacklog.delete(text)) return;
    process.stdout.write(text);
  };
  await followIndex(reader, {
    signal: stop.signal,
    pollMs,
    onReady: () => {
      process.stderr.write(`following ${describeReader(reader)} (Ctrl-C to stop)\n`);
      if (backlog > 0) void printBacklog();
    },
    onEntry: emit,
    onError: (err) => {
      if (fatalStoreError(err)) return;
      // Said once per distinct error, not once per poll.
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== lastError) process.stderr.write(`ams tail: ${msg} (retrying)\n`);
      lastError = msg;
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (fatal) {
    process.stderr.write(`ams tail: ${fatal}\n`);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}
