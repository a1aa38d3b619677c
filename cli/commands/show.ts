import { Command } from 'commander';
import { lookupSession } from '../../src/query/lookup.js';
import { describeReader } from '../../src/query/reader.js';
import { addStorageOptions, EXIT_FAIL, EXIT_OK, readerFor, write } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { clean, fmtTime, toJson } from '../format.js';
import { renderTree } from '../../src/render/session.js';

export function showCommand(ctx: CliContext): Command {
  const cmd = new Command('show')
    .summary('one session as a tree (session id, trace id or conversation id)')
    .description(
      'Prints one session as a tree: the prompt, model turns, tool calls with status and duration,\nsubagents nested with why they ran, and totals.',
    )
    .argument('<id>', 'session id, trace id, conversation id, or a session id prefix')
    .option('--json', 'print the session document as stored')
    .option('--thinking', 'unfold model thinking (folded to one line by default)')
    .option('--full', 'do not cut long prompts, outputs and tool results');
  addStorageOptions(cmd);
  return cmd.action(async (ref: string, opts: Values) => {
    ctx.code = await show(cmd, ctx, opts, ref);
  });
}

async function show(cmd: Command, ctx: CliContext, v: Values, ref: string): Promise<number> {
  const reader = await readerFor(cmd, ctx);
  const found = await lookupSession(reader, ref);
  if (!found.entry) {
    if (found.candidates.length > 1) {
      process.stderr.write(`"${clean(ref)}" is the start of ${found.candidates.length} session ids:\n`);
      for (const c of found.candidates.slice(0, 20)) process.stderr.write(`  ${clean(c.id)}  ${fmtTime(c.started_at)}\n`);
    } else {
      process.stderr.write(`no session with id, trace id or conversation id "${clean(ref)}" in ${describeReader(reader)}\n`);
    }
    return EXIT_FAIL;
  }
  if (!found.session) {
    process.stderr.write(`session ${clean(found.entry.id)} is in the index but its document (${clean(found.entry.key)}) is missing\n`);
    return EXIT_FAIL;
  }
  if (found.candidates.length > 1) {
    const what = found.matchedBy === 'trace_id' ? 'trace id' : 'conversation id';
    process.stderr.write(`${found.candidates.length} sessions share this ${what}; showing the newest. Others:\n`);
    for (const c of found.candidates.slice(1, 20)) process.stderr.write(`  ${clean(c.id)}  ${fmtTime(c.started_at)}\n`);
  }
  if (v.json) await write(process.stdout, `${toJson(found.session, 2)}\n`);
  else await write(process.stdout, `${renderTree(found.session, { thinking: !!v.thinking, full: !!v.full }).join('\n')}\n`);
  return EXIT_OK;
}
