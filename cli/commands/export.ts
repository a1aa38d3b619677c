import { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { sessionOf } from '../../src/query/lookup.js';
import { querySessions } from '../../src/query/query.js';
import { readAllIndex } from '../../src/query/scan.js';
import { addStorageOptions, addFilterOptions, EXIT_FAIL, EXIT_OK, UsageError, filterFrom, readerFor, reportSkipped, write } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { toJson } from '../format.js';

/** Full documents fetched at once: S3 round trips overlap, memory stays small. */
const FETCH_CONCURRENCY = 16;

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`;
}

export function exportCommand(ctx: CliContext): Command {
  const cmd = new Command('export')
    .summary('every index entry (or --full session) as JSON Lines')
    .description(
      [
        'Writes every matching index entry (or, with --full, every full session document) as JSON Lines,',
        "newest first, to stdout or FILE: ready for DuckDB (read_json_auto('sessions.jsonl')) or jq.",
        'A progress bar goes to stderr when it is a terminal.',
      ].join('\n'),
    )
    .argument('[words...]', 'text search, like -q')
    .option('--format <format>', 'the only format', 'jsonl')
    .option('--full', 'full session documents instead of index entries')
    .option('-o, --out <file>', 'write to a file instead of stdout');
  addFilterOptions(cmd);
  addStorageOptions(cmd);
  return cmd.action(async (words: string[], opts: Values) => {
    ctx.code = await exportSessions(cmd, ctx, opts, words);
  });
}

async function exportSessions(cmd: Command, ctx: CliContext, v: Values, words: string[]): Promise<number> {
  const format = typeof v.format === 'string' ? v.format : 'jsonl';
  if (format !== 'jsonl') throw new UsageError(`--format ${format} is not supported; use --format jsonl`);
  const filter = filterFrom(v, words);
  const reader = await readerFor(cmd, ctx);
  const entries = querySessions(await readAllIndex(reader, undefined, reportSkipped('export'), { since: filter.since }), filter).sessions;

  const out = typeof v.out === 'string' ? createWriteStream(v.out) : process.stdout;
  if (out !== process.stdout) {
    out.on('error', (err) => {
      process.stderr.write(`ams export: cannot write ${String(v.out)}: ${err.message}\n`);
      process.exit(EXIT_FAIL);
    });
  }
  const showProgress = process.stderr.isTTY === true;
  let done = 0;
  let missing = 0;
  const tick = () => {
    done += 1;
    if (showProgress && (done % 50 === 0 || done === entries.length)) process.stderr.write(progressBar(done, entries.length));
  };
  if (!v.full) {
    for (const e of entries) {
      await write(out, `${toJson(e)}\n`);
      tick();
    }
  } else {
    for (let i = 0; i < entries.length; i += FETCH_CONCURRENCY) {
      const batch = await Promise.all(entries.slice(i, i + FETCH_CONCURRENCY).map((e) => sessionOf(reader, e)));
      for (const s of batch) {
        if (s) await write(out, `${toJson(s)}\n`);
        else missing += 1;
        tick();
      }
    }
  }
  if (showProgress) process.stderr.write('\n');
  if (out !== process.stdout) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
    process.stderr.write(`wrote ${entries.length - missing} ${v.full ? 'sessions' : 'index entries'} to ${String(v.out)}\n`);
  }
  if (missing > 0) {
    process.stderr.write(`${missing} session document(s) listed in the index were missing\n`);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}
