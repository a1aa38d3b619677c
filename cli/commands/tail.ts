import { Command } from 'commander';
import { compileFilter } from '../../src/query/filter.js';
import { followIndex } from '../../src/query/follow.js';
import { describeReader } from '../../src/query/reader.js';
import { addStorageOptions, addFilterOptions, EXIT_OK, filterFrom, intFlag, readerFor } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { entryLine, toJson } from '../format.js';

export function tailCommand(ctx: CliContext): Command {
  const cmd = new Command('tail')
    .summary('follow new sessions as they are written')
    .description(
      [
        'Follows new sessions as they are written, one line each (like tail -f); Ctrl-C stops.',
        'Local storage: file watching. S3: listing with backoff (--poll-ms first, up to 15 s while idle).',
        'A session rewritten with late spans (receiver revisions) is printed again.',
      ].join('\n'),
    )
    .argument('[words...]', 'text search, like -q')
    .option('--json', 'one JSON index entry per line')
    .option('--poll-ms <n>', 'first poll interval', '1000');
  addFilterOptions(cmd);
  addStorageOptions(cmd);
  return cmd.action(async (words: string[], opts: Values) => {
    ctx.code = await tail(cmd, ctx, opts, words);
  });
}

async function tail(cmd: Command, ctx: CliContext, v: Values, words: string[]): Promise<number> {
  const match = compileFilter(filterFrom(v, words));
  const pollMs = Math.max(50, intFlag(v, 'pollMs', 'poll-ms', 1000));
  const reader = await readerFor(cmd, ctx);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastError = '';
  await followIndex(reader, {
    signal: stop.signal,
    pollMs,
    onReady: () => process.stderr.write(`following ${describeReader(reader)} (Ctrl-C to stop)\n`),
    onEntry: (e) => {
      if (!match(e)) return;
      process.stdout.write(v.json ? `${toJson(e)}\n` : `${entryLine(e)}\n`);
    },
    onError: (err) => {
      // Said once per distinct error, not once per poll.
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== lastError) process.stderr.write(`ams tail: ${msg} (retrying)\n`);
      lastError = msg;
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return EXIT_OK;
}
