import { Command } from 'commander';
import { parseTime } from '../../src/query/filter.js';
import { readAllIndex } from '../../src/query/scan.js';
import type { SessionIndexEntry } from '../../src/session/types.js';
import { addStorageOptions, EXIT_OK, readerFor, reportSkipped, UsageError, write } from '../common.js';
import type { CliContext, Values } from '../common.js';

/**
 * `ams prune --older-than 30d`: removes the sessions that ended (else started) before the cut,
 * each document first, then its index entry (docs/storage.md, "Retention"). Without --dry-run it
 * deletes: the command is its own confirmation. Sessions are found through the index; a document
 * no index entry names is not seen (run `ams reindex` first to list those).
 */
export function pruneCommand(ctx: CliContext): Command {
  const cmd = new Command('prune')
    .summary('delete sessions older than a cut (--dry-run to list them first)')
    .description('Deletes the sessions that ended (else started) before the cut: the document, then its index entry. Prints the ids, one a line, and a count.')
    .requiredOption('--older-than <time>', 'the cut: a duration back (30d, 12h, 2w) or an ISO date/time (2026-11-01)')
    .option('--dry-run', 'list what would be deleted, delete nothing');
  addStorageOptions(cmd);
  return cmd.action(async (opts: Values) => {
    ctx.code = await prune(cmd, ctx, opts);
  });
}

/** When a session counts as done: ended_at, else started_at; null when neither is a time. */
function endOf(e: SessionIndexEntry): number | null {
  for (const v of [e.ended_at, e.started_at]) {
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isNaN(t)) return t;
  }
  return null;
}

async function prune(cmd: Command, ctx: CliContext, v: Values): Promise<number> {
  const raw = typeof v.olderThan === 'string' ? v.olderThan : '';
  let cut: number;
  try {
    cut = parseTime(raw);
  } catch (err) {
    throw new UsageError(`--older-than: ${(err as Error).message}`);
  }
  const dryRun = v.dryRun === true;
  const store = await readerFor(cmd, ctx);
  const entries = await readAllIndex(store, undefined, reportSkipped('prune'));
  const old = entries.filter((e) => {
    const t = endOf(e);
    return t !== null && t < cut;
  });
  const sizes = new Map<string, number | null>();
  if (old.length > 0) for await (const d of store.listDocuments()) sizes.set(d.key, d.bytes);
  let bytes = 0;
  let done = 0;
  for (const e of old) {
    bytes += sizes.get(e.key) ?? 0;
    if (!dryRun) await store.deleteSession(e.id, e.key);
    done++;
    await write(process.stdout, `${e.id}\n`);
  }
  // Then the segments' entries of what was deleted, together (each segment rewritten once).
  if (!dryRun) await store.dropIndexEntries(new Set(old.map((e) => e.id)));
  const when = new Date(cut).toISOString();
  process.stderr.write(
    dryRun
      ? `would delete ${done} of ${entries.length} sessions (${bytes} bytes of documents) ended before ${when}; run without --dry-run to delete\n`
      : `deleted ${done} of ${entries.length} sessions (${bytes} bytes of documents) ended before ${when}\n`,
  );
  return EXIT_OK;
}
