import { Command } from 'commander';
import { toIndexEntry } from '../../src/session/index-entry.js';
import { readAllIndex } from '../../src/query/scan.js';
import { parseSessionDocument } from '../../src/storage/repair.js';
import { revisionOf } from '../../src/storage/segments.js';
import { describeReader } from '../../src/query/reader.js';
import { addStorageOptions, EXIT_FAIL, EXIT_OK, readerFor, reportSkipped } from '../common.js';
import type { CliContext } from '../common.js';

/**
 * `ams reindex`: writes every session's index entry again (in the layout written, AMS_INDEX_LAYOUT) from the documents under `sessions/`, so old
 * entries gain the current fields and lost entries come back. A document that is not a session
 * (not JSON, no id) is named and skipped. Two documents of one id (a leftover of a moved start
 * date): the higher revision wins. An entry whose stored revision is already higher than the
 * document's (a writer rewrote the session meanwhile, and wrote that entry) is left alone.
 */
export function reindexCommand(ctx: CliContext): Command {
  const cmd = new Command('reindex')
    .summary('rebuild the index entries from the session documents')
    .description('Reads every session document under sessions/ and writes its index entry again (current fields; lost entries restored). Corrupt documents are named and skipped.');
  addStorageOptions(cmd);
  return cmd.action(async () => {
    ctx.code = await reindex(cmd, ctx);
  });
}

async function reindex(cmd: Command, ctx: CliContext): Promise<number> {
  const store = await readerFor(cmd, ctx);
  // What the index holds now, read once: an entry already newer than a document is left alone.
  const indexed = new Map((await readAllIndex(store, undefined, reportSkipped('reindex'))).map((e) => [e.id, e]));
  const best = new Map<string, number>();
  let read = 0;
  let written = 0;
  const corrupt: string[] = [];
  for await (const doc of store.listDocuments()) {
    const text = await store.readDocument(doc.key);
    if (text === undefined) continue; // removed since listed
    read++;
    const { session, problem } = parseSessionDocument(text);
    if (!session) {
      corrupt.push(doc.key);
      process.stderr.write(`skipped ${doc.key}: ${problem}\n`);
      continue;
    }
    const revision = revisionOf(session);
    const seen = best.get(session.id);
    if (seen !== undefined && seen >= revision) continue;
    const current = indexed.get(session.id);
    if (current && revisionOf(current) > revision) continue;
    best.set(session.id, revision);
    await store.putIndexEntry(toIndexEntry(session, doc.key));
    written++;
  }
  await store.flush();
  // A segment the store refused is spooled, not written: say so instead of reporting success.
  const waiting = store.index.stats()?.segmentsWaiting;
  if (waiting) {
    process.stderr.write(`ams reindex: ${waiting} index segment(s) could not be written to ${describeReader(store)} (the store refused them); the documents are unchanged: run ams reindex again once the store takes writes\n`);
    return EXIT_FAIL;
  }
  process.stdout.write(`read ${read} documents, wrote ${written} index entries, skipped ${corrupt.length} corrupt${corrupt.length ? `: ${corrupt.join(', ')}` : ''}\n`);
  return EXIT_OK;
}
