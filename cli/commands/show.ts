import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/env.js';
import { lookupSession } from '../../src/query/lookup.js';
import { describeReader } from '../../src/query/reader.js';
import { EXIT_FAIL, EXIT_OK, STORAGE_HELP, UsageError, readerFor, storageOptions, write } from '../common.js';
import type { Values } from '../common.js';
import { clean, fmtTime } from '../format.js';
import { renderTree } from '../../src/render/session.js';

export const SHOW_USAGE = `Usage: ams show <session id | trace id | conversation id | id prefix> [--json] [--thinking] [--full]

Prints one session as a tree: the prompt, model turns, tool calls with status and duration,
subagents nested with why they ran, and totals.
  --json                  print the session document as stored
  --thinking              unfold model thinking (folded to one line by default)
  --full                  do not cut long prompts, outputs and tool results

${STORAGE_HELP}`;

export async function show(argv: string[], env: Env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...storageOptions, json: { type: 'boolean' }, thinking: { type: 'boolean' }, full: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const v = values as Values;
  if (v.help) {
    process.stdout.write(`${SHOW_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError('ams show takes exactly one id (session, trace or conversation id)');
  const ref = positionals[0]!;
  const reader = await readerFor(v, env);
  const found = await lookupSession(reader, ref);
  if (!found.entry) {
    if (found.candidates.length > 1) {
      process.stderr.write(`"${clean(ref)}" is the start of ${found.candidates.length} session ids:\n`);
      for (const c of found.candidates.slice(0, 20)) process.stderr.write(`  ${c.id}  ${fmtTime(c.started_at)}\n`);
    } else {
      process.stderr.write(`no session with id, trace id or conversation id "${clean(ref)}" in ${describeReader(reader)}\n`);
    }
    return EXIT_FAIL;
  }
  if (!found.session) {
    process.stderr.write(`session ${found.entry.id} is in the index but its document (${found.entry.key}) is missing\n`);
    return EXIT_FAIL;
  }
  if (found.candidates.length > 1) {
    const what = found.matchedBy === 'trace_id' ? 'trace id' : 'conversation id';
    process.stderr.write(`${found.candidates.length} sessions share this ${what}; showing the newest. Others:\n`);
    for (const c of found.candidates.slice(1, 20)) process.stderr.write(`  ${c.id}  ${fmtTime(c.started_at)}\n`);
  }
  if (v.json) await write(process.stdout, `${JSON.stringify(found.session, null, 2)}\n`);
  else await write(process.stdout, `${renderTree(found.session, { thinking: !!v.thinking, full: !!v.full }).join('\n')}\n`);
  return EXIT_OK;
}
