import { Command } from 'commander';
import { lookupSession, MIN_PREFIX } from '../../src/query/lookup.js';
import type { Session } from '../../src/session/types.js';
import { looksLikeFile, readSessionFile, SessionFileError } from '../session-file.js';
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
    .argument('<id>', `session id, trace id, conversation id, a session id prefix (${MIN_PREFIX}+ characters), or a file: JSON Lines as the JSONL sink writes, or one session .json`)
    .option('--json', 'print the session document as stored')
    .option('--thinking', 'unfold model thinking (folded to one line by default)')
    .option('--full', 'do not cut long prompts, outputs and tool results');
  addStorageOptions(cmd);
  return cmd.action(async (ref: string, opts: Values) => {
    ctx.code = await show(cmd, ctx, opts, ref);
  });
}

async function print(session: Session, v: Values): Promise<void> {
  await write(process.stdout, `${renderTree(session, { thinking: !!v.thinking, full: !!v.full }).join('\n')}\n`);
}

/** `ams show sessions.jsonl`: every session in the file (the last line of each), no store needed. */
async function showFile(file: string, v: Values): Promise<number> {
  let sessions: Session[];
  try {
    sessions = await readSessionFile(file);
  } catch (err) {
    if (!(err instanceof SessionFileError)) throw err;
    process.stderr.write(`ams show: ${err.message}\n`);
    return EXIT_FAIL;
  }
  if (v.json) {
    await write(process.stdout, `${toJson(sessions.length === 1 ? sessions[0] : sessions, 2)}\n`);
    return EXIT_OK;
  }
  for (const [i, s] of sessions.entries()) {
    if (i > 0) await write(process.stdout, '\n');
    await print(s, v);
  }
  if (sessions.length > 1) process.stderr.write(`${sessions.length} sessions in ${clean(file)}\n`);
  return EXIT_OK;
}

async function show(cmd: Command, ctx: CliContext, v: Values, ref: string): Promise<number> {
  if (looksLikeFile(ref)) return showFile(ref, v);
  const reader = await readerFor(cmd, ctx);
  const found = await lookupSession(reader, ref);
  if (!found.entry) {
    if (found.candidates.length > 1) {
      process.stderr.write(`"${clean(ref)}" is the start of ${found.candidates.length} session ids:\n`);
      for (const c of found.candidates.slice(0, 20)) process.stderr.write(`  ${clean(c.id)}  ${fmtTime(c.started_at)}\n`);
    } else {
      const short = ref.trim().length < MIN_PREFIX ? `; an id prefix needs at least ${MIN_PREFIX} characters (ams ls shows the ids)` : '';
      process.stderr.write(`no session with id, trace id or conversation id "${clean(ref)}" in ${describeReader(reader)}${short}\n`);
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
  else await print(found.session, v);
  return EXIT_OK;
}
