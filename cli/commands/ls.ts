import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/env.js';
import { querySessions } from '../../src/query/query.js';
import { readAllIndex } from '../../src/query/scan.js';
import { EXIT_OK, FILTER_HELP, STORAGE_HELP, filterFrom, filterOptions, intFlag, readerFor, storageOptions, write } from '../common.js';
import type { Values } from '../common.js';
import { ENTRY_COLUMNS, table } from '../format.js';

export const LS_USAGE = `Usage: ams ls [filters] [words...] [--limit N] [--offset N] [--json]

Lists sessions, newest first: an aligned table, or --json (an array of index entries) for scripts.
  --limit <n>             at most n sessions (default 50; 0 = all)
  --offset <n>            skip the first n matches
  --json                  print a JSON array of index entries

${FILTER_HELP}

${STORAGE_HELP}`;

export async function ls(argv: string[], env: Env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...storageOptions, ...filterOptions, limit: { type: 'string' }, offset: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const v = values as Values;
  if (v.help) {
    process.stdout.write(`${LS_USAGE}\n`);
    return EXIT_OK;
  }
  const filter = filterFrom(v, positionals);
  const limit = intFlag(v, 'limit', 50);
  const offset = intFlag(v, 'offset', 0);
  const reader = await readerFor(v, env);
  const entries = await readAllIndex(reader);
  const result = querySessions(entries, filter, { limit, offset });
  if (v.json) {
    await write(process.stdout, `${JSON.stringify(result.sessions, null, 2)}\n`);
    return EXIT_OK;
  }
  if (result.total === 0) {
    process.stderr.write(entries.length === 0 ? 'no sessions yet (run an instrumented agent, or `ams demo`)\n' : `no session matches (of ${entries.length})\n`);
    return EXIT_OK;
  }
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 160;
  await write(process.stdout, `${table(result.sessions, ENTRY_COLUMNS, width).join('\n')}\n`);
  const shown = result.sessions.length;
  if (shown < result.total || offset > 0) {
    process.stderr.write(`${offset + 1}-${offset + shown} of ${result.total} matching sessions${result.next_offset !== null ? ` (--offset ${result.next_offset} for more, --limit 0 for all)` : ''}\n`);
  }
  return EXIT_OK;
}
