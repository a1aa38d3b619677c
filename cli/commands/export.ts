import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/env.js';
import { querySessions } from '../../src/query/query.js';
import { readAllIndex } from '../../src/query/scan.js';
import { EXIT_FAIL, EXIT_OK, FILTER_HELP, STORAGE_HELP, UsageError, filterFrom, filterOptions, readerFor, storageOptions, write } from '../common.js';
import type { Values } from '../common.js';

export const EXPORT_USAGE = `Usage: ams export [--format jsonl] [--full] [--out FILE] [filters] [words...]

Writes every matching index entry (or, with --full, every full session document) as JSON Lines,
newest first, to stdout or FILE: ready for DuckDB (read_json_auto('sessions.jsonl')) or jq.
A progress bar goes to stderr when it is a terminal.
  --format jsonl          the only format (default)
  --full                  full session documents instead of index entries
  -o, --out <file>        write to a file instead of stdout

${FILTER_HELP}

${STORAGE_HELP}`;

/** Full documents fetched at once: S3 round trips overlap, memory stays small. */
const FETCH_CONCURRENCY = 16;

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`;
}

export async function exportCmd(argv: string[], env: Env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...storageOptions, ...filterOptions, format: { type: 'string' }, full: { type: 'boolean' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const v = values as Values;
  if (v.help) {
    process.stdout.write(`${EXPORT_USAGE}\n`);
    return EXIT_OK;
  }
  const format = typeof v.format === 'string' ? v.format : 'jsonl';
  if (format !== 'jsonl') throw new UsageError(`--format ${format} is not supported; use --format jsonl`);
  const filter = filterFrom(v, positionals);
  const reader = await readerFor(v, env);
  const entries = querySessions(await readAllIndex(reader), filter).sessions;

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
      await write(out, `${JSON.stringify(e)}\n`);
      tick();
    }
  } else {
    for (let i = 0; i < entries.length; i += FETCH_CONCURRENCY) {
      const batch = await Promise.all(entries.slice(i, i + FETCH_CONCURRENCY).map((e) => reader.getSession(e.id)));
      for (const s of batch) {
        if (s) await write(out, `${JSON.stringify(s)}\n`);
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
