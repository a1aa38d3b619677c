/** The `ams` command: one commander program, each subcommand defined in cli/commands/. */
import { Command, CommanderError } from 'commander';
import type { Env } from '../src/config/env.js';
import { SettingError } from '../src/config/env.js';
import { FilterError } from '../src/query/filter.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, isHelpExit, quiet, StoreMissingError, storeErrorMessage, UsageError, usageErrorOf } from './common.js';
import { didYouMean } from './suggest.js';
import type { CliContext } from './common.js';
import { compactCommand } from './commands/compact.js';
import { exportCommand } from './commands/export.js';
import { lsCommand } from './commands/ls.js';
import { pruneCommand } from './commands/prune.js';
import { queryCommand } from './commands/query.js';
import { receiverCommand } from './commands/receiver.js';
import { reindexCommand } from './commands/reindex.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';
import { statsCommand } from './commands/stats.js';
import { tailCommand } from './commands/tail.js';
import { viewCommand } from './commands/view.js';

const STORAGE_NOTE = `Storage: ./ams-data by default, or AMS_LOCAL_DIR / AMS_S3_BUCKET (+ AMS_S3_PREFIX,
AMS_S3_ENDPOINT_URL, AMS_S3_REGION), or the same as flags (--local-dir, --s3-bucket, ...).
Every setting: docs/configuration.md. Exit status (docs/cli.md): 0 done, 1 failed or not found
(also: no store at that folder), 2 bad usage (unknown command or flag, bad value).`;

function demoCommand(ctx: CliContext): Command {
  // The demo's own arguments pass through untouched.
  const cmd = new Command('demo')
    .summary('write a demo session and show how to look at it')
    .description('Writes one demo agent session to the configured storage.')
    .argument('[args...]')
    .allowUnknownOption()
    .allowExcessArguments();
  return cmd.action(async () => {
    const { demo } = await import('./commands/demo.js');
    ctx.code = await demo(cmd.args);
  });
}

/** The whole program; each command's action sets ctx.code. */
export function program(ctx: CliContext): Command {
  const ams = new Command('ams')
    .usage('<command> [options]')
    .description('Reads the agent sessions ams-otel writes, and runs the OTLP receiver that writes them.')
    .addHelpText('after', `\nams <command> --help shows a command's options.\n${STORAGE_NOTE}`);
  for (const cmd of [
    lsCommand(ctx),
    showCommand(ctx),
    tailCommand(ctx),
    exportCommand(ctx),
    statsCommand(ctx),
    queryCommand(ctx),
    viewCommand(ctx),
    receiverCommand(ctx, { print: (line) => process.stderr.write(`${line}\n`) }, async (running) => {
      // It stops itself on SIGTERM/SIGINT (writing what is pending); wait for the server to close.
      await new Promise<void>((resolve) => running.server.once('close', () => resolve()));
    }),
    demoCommand(ctx),
    runCommand(ctx),
    pruneCommand(ctx),
    reindexCommand(ctx),
    compactCommand(ctx),
  ]) {
    ams.addCommand(cmd);
  }
  return ams;
}

/** The usage text of `ams --help`. */
export function usage(): string {
  const out: string[] = [];
  quiet(program({ env: {}, code: EXIT_OK }), out).outputHelp();
  return out.join('').trimEnd();
}

export async function run(argv: string[], env: Env): Promise<number> {
  const ctx: CliContext = { env, code: EXIT_OK, argv };
  const out: string[] = [];
  const ams = quiet(program(ctx), out);
  const [command] = argv;
  if (command === undefined) {
    process.stdout.write(`${usage()}\n`);
    return EXIT_USAGE;
  }
  if (!command.startsWith('-') && command !== 'help' && !ams.commands.some((c) => c.name() === command || c.aliases().includes(command))) {
    const names = ams.commands.map((c) => c.name());
    const guess = didYouMean(command, [...names, ...ams.commands.flatMap((c) => c.aliases())]);
    process.stderr.write(`ams: unknown command "${command}"${guess ? `; did you mean ${guess}?` : ''}\ncommands: ${names.join(', ')} (ams --help describes them)\n`);
    return EXIT_USAGE;
  }
  try {
    await ams.parseAsync(argv, { from: 'user' });
    return ctx.code;
  } catch (caught) {
    if (isHelpExit(caught)) {
      process.stdout.write(`${out.join('').trimEnd()}\n`);
      return EXIT_OK;
    }
    const sub = ams.commands.find((c) => c.name() === command || c.aliases().includes(command));
    const flags = (sub?.options ?? []).map((o) => o.long).filter((f): f is string => !!f);
    const err = caught instanceof CommanderError ? usageErrorOf(caught, flags) : caught;
    const usageError = err instanceof UsageError || err instanceof FilterError;
    const msg = storeErrorMessage(err, ctx.store) ?? (err instanceof Error ? err.message : String(err));
    const where = command.startsWith('-') ? 'ams' : `ams ${command}`;
    process.stderr.write(`${where}: ${msg}${usageError ? `\n(${where} --help for options)` : ''}\n`);
    if (err instanceof StoreMissingError) return EXIT_FAIL;
    return usageError || err instanceof SettingError ? EXIT_USAGE : EXIT_FAIL;
  }
}
