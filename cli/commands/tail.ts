import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/env.js';
import { compileFilter } from '../../src/query/filter.js';
import { followIndex } from '../../src/query/follow.js';
import { describeReader } from '../../src/query/reader.js';
import { EXIT_OK, FILTER_HELP, STORAGE_HELP, filterFrom, filterOptions, intFlag, readerFor, storageOptions } from '../common.js';
import type { Values } from '../common.js';
import { entryLine } from '../format.js';

export const TAIL_USAGE = `Usage: ams tail [filters] [words...] [--json] [--poll-ms N]

Follows new sessions as they are written, one line each (like tail -f); Ctrl-C stops.
Local storage: file watching. S3: listing with backoff (--poll-ms first, up to 15 s while idle).
A session rewritten with late spans (receiver revisions) is printed again.
  --json                  one JSON index entry per line
  --poll-ms <n>           first poll interval (default 1000)

${FILTER_HELP}

${STORAGE_HELP}`;

export async function tail(argv: string[], env: Env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...storageOptions, ...filterOptions, json: { type: 'boolean' }, 'poll-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const v = values as Values;
  if (v.help) {
    process.stdout.write(`${TAIL_USAGE}\n`);
    return EXIT_OK;
  }
  const match = compileFilter(filterFrom(v, positionals));
  const pollMs = Math.max(50, intFlag(v, 'poll-ms', 1000));
  const reader = await readerFor(v, env);
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
      process.stdout.write(v.json ? `${JSON.stringify(e)}\n` : `${entryLine(e)}\n`);
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
