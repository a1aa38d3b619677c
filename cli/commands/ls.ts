import { Command } from 'commander';
import { querySessions } from '../../src/query/query.js';
import { readAllIndex } from '../../src/query/scan.js';
import { addStorageOptions, addFilterOptions, reportSkipped, EXIT_OK, filterFrom, intFlag, readerFor, write } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { ENTRY_COLUMNS, table, toJson } from '../format.js';

export function lsCommand(ctx: CliContext): Command {
  const cmd = new Command('ls')
    .alias('list')
    .summary('list sessions, newest first, with filters (--json for scripts)')
    .description('Lists sessions, newest first: an aligned table, or --json (an array of index entries) for scripts.')
    .argument('[words...]', 'text search, like -q')
    .option('--limit <n>', 'at most n sessions (0 = all)', '50')
    .option('--offset <n>', 'skip the first n matches', '0')
    .option('--json', 'print a JSON array of index entries');
  addFilterOptions(cmd);
  addStorageOptions(cmd);
  return cmd.action(async (words: string[], opts: Values) => {
    ctx.code = await ls(cmd, ctx, opts, words);
  });
}

async function ls(cmd: Command, ctx: CliContext, v: Values, words: string[]): Promise<number> {
  const filter = filterFrom(v, words);
  const limit = intFlag(v, 'limit', 'limit', 50, { note: '0 = all' });
  const offset = intFlag(v, 'offset', 'offset', 0);
  const reader = await readerFor(cmd, ctx);
  const entries = await readAllIndex(reader, undefined, reportSkipped('ls'), { since: filter.since });
  const result = querySessions(entries, filter, { limit, offset });
  if (v.json) {
    await write(process.stdout, `${toJson(result.sessions, 2)}\n`);
    return EXIT_OK;
  }
  if (result.total === 0) {
    process.stderr.write(entries.length === 0 ? 'no sessions yet (run an instrumented agent, or `ams demo`)\n' : `no session matches (of ${entries.length})\n`);
    return EXIT_OK;
  }
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 168;
  await write(process.stdout, `${table(result.sessions, ENTRY_COLUMNS, width).join('\n')}\n`);
  const shown = result.sessions.length;
  if (shown < result.total || offset > 0) {
    process.stderr.write(`${offset + 1}-${offset + shown} of ${result.total} matching sessions${result.next_offset !== null ? ` (--offset ${result.next_offset} for more, --limit 0 for all)` : ''}\n`);
  }
  return EXIT_OK;
}
