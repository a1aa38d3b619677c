/** The `ams` command: one function per subcommand, dispatched here. */
import type { Env } from '../src/config/env.js';
import { FilterError } from '../src/query/filter.js';
import { ReaderConfigError } from '../src/query/reader.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError } from './common.js';

export const USAGE = `Usage: ams <command> [options]

Commands:
  ls                list sessions, newest first, with filters (--json for scripts)
  show <id>         one session as a tree (session id, trace id or conversation id)
  tail              follow new sessions as they are written
  export            every index entry (or --full session) as JSON Lines
  view              the web viewer and its query API on http://127.0.0.1:4320/
  receiver          the OTLP/HTTP receiver (sessions from any OpenTelemetry collector)
  demo              write a demo session (needs @anthropic-ai/claude-agent-sdk)

ams <command> --help shows a command's options. Storage: ./ams-data by default, or
AMS_LOCAL_DIR / AMS_S3_BUCKET (+ AMS_S3_PREFIX, AMS_S3_ENDPOINT_URL, AMS_S3_REGION).`;

async function receiver(argv: string[], env: Env): Promise<number> {
  // Loaded on demand: the reading commands do not pay for Express + protobuf start-up.
  const { runReceiverFromCli } = await import('../receiver/server.js');
  const running = await runReceiverFromCli(argv, env, { print: (line) => process.stderr.write(`${line}\n`) });
  if (!running) return EXIT_OK;
  // runReceiverFromCli stops on SIGTERM/SIGINT; wait for the server to close.
  await new Promise<void>((resolve) => running.server.once('close', () => resolve()));
  return EXIT_OK;
}

export async function run(argv: string[], env: Env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      // Each command is loaded on demand: `ams ls` does not pay for Express or the AWS SDK.
      case 'ls':
      case 'list':
        return await (await import('./commands/ls.js')).ls(rest, env);
      case 'show':
        return await (await import('./commands/show.js')).show(rest, env);
      case 'tail':
        return await (await import('./commands/tail.js')).tail(rest, env);
      case 'export':
        return await (await import('./commands/export.js')).exportCmd(rest, env);
      case 'view':
        return await (await import('./commands/view.js')).view(rest, env);
      case 'receiver':
        return await receiver(rest, env);
      case 'demo':
        return await (await import('./commands/demo.js')).demo(rest);
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        process.stderr.write(`ams: unknown command "${command}"\n\n${USAGE}\n`);
        return EXIT_USAGE;
    }
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof FilterError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ams ${command}: ${msg}${usage ? `\n(ams ${command} --help for options)` : ''}\n`);
    if (err instanceof ReaderConfigError) return EXIT_USAGE;
    return usage ? EXIT_USAGE : EXIT_FAIL;
  }
}
