/**
 * `ams run`: run an agent and keep its session.
 * - `ams run "prompt"`: the Claude Agent SDK through tracedQuery (cli/runner/agent.ts), with MCP
 *   servers from .mcp.json, the answer and tool activity on the terminal, the session written to
 *   the configured storage (and spans sent to OTEL_EXPORTER_OTLP_ENDPOINT when set).
 * - `ams run -- <command...>`: any command (`claude -p ...`, an Agent SDK program) with Claude
 *   Code's telemetry pointed at an embedded receiver (cli/runner/wrap.ts).
 */
import { Command, Option } from 'commander';
import type { PermissionMode } from '@anthropic-ai/claude-agent-sdk';
import { resolve, SETTINGS, SettingError } from '../../src/config/env.js';
import { storageSettingsProblem } from '../../src/config/storage.js';
import { MissingDependencyError } from '../../src/storage/optional-dependency.js';
import type * as AgentRunner from '../runner/agent.js';
import { EXIT_FAIL, UsageError } from '../common.js';
import type { CliContext } from '../common.js';
import { addSettingOptions, envWithFlags, settingsOf } from '../settings.js';

const SDK = '@anthropic-ai/claude-agent-sdk';
const STORAGE = settingsOf(['storage'], { writer: true });
const CAPTURE = settingsOf(['capture']);
const SETTINGS_USED = [...STORAGE, ...CAPTURE];
const PERMISSION_MODES: PermissionMode[] = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto'];

interface RunFlags {
  model?: string;
  systemPrompt?: string;
  allowedTools?: string;
  maxTurns?: string;
  permissionMode?: PermissionMode;
  cwd?: string;
  mcpConfig?: string;
  rawBodies?: boolean;
}

const HELP_AFTER = `
Examples:
  ams run "What does this project do?" --allowed-tools Read,Glob,Grep
  ams run --system-prompt "You are terse." --max-turns 4 "Summarise README.md"
  ams run -- claude -p "fix the failing test"       any command; its Claude Code telemetry is kept
  ams run -- node my-agent.mjs                      an Agent SDK program (its CLI child reports)

"prompt" runs the Claude Agent SDK (npm install ${SDK}): the answer on stdout, tool
activity on stderr. MCP servers come from .mcp.json in --cwd (Claude Code's format), or
--mcp-config. With OTEL_EXPORTER_OTLP_ENDPOINT set, the spans also go there (Honeycomb,
Datadog, Logfire, a collector: docs/cli.md).
With -- <command>, the command's exit code is ams's; the sessions written are listed at the end.`;

function splitList(v: string | undefined): string[] | undefined {
  const items = v?.split(',').map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

function positiveInt(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\s*\+?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number ≥ 1; got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The words after `--` on the command line (the command to run), or undefined without `--`:
 * commander hands both forms over as plain arguments, so the raw argv tells them apart.
 */
function commandAfterDashes(argv: readonly string[], name: string): string[] | undefined {
  const at = argv.indexOf('--', Math.max(0, argv.indexOf(name)));
  return at < 0 ? undefined : argv.slice(at + 1);
}

export function runCommand(ctx: CliContext): Command {
  const cmd = new Command('run')
    .summary('run an agent (or any command) and write its session')
    .description('Runs a prompt through the Claude Agent SDK, or a command with Claude Code telemetry pointed at an embedded receiver, and writes the session.')
    .usage('[options] "<prompt>"  |  ams run [options] -- <command...>')
    .argument('[prompt...]');
  const agent = 'Agent run ("prompt"):';
  const opts = [
    new Option('--model <name>', 'model (default: the Claude Code default)'),
    new Option('--system-prompt <text>', 'system prompt (replaces Claude Code\'s)'),
    new Option('--allowed-tools <list>', 'tools allowed without asking, comma-separated (Read,Bash,mcp__<server>__<tool>)'),
    new Option('--max-turns <n>', 'stop after this many model turns'),
    new Option('--permission-mode <mode>', 'permission mode').choices(PERMISSION_MODES),
    new Option('--cwd <dir>', 'working directory of the agent; .mcp.json is read from it (default: .)'),
    new Option('--mcp-config <file>', 'MCP servers file in Claude Code\'s format (default: <cwd>/.mcp.json when present)'),
  ];
  for (const o of opts) cmd.addOption(o.helpGroup(agent));
  cmd.addOption(new Option('--raw-bodies', 'with -- <command>: also record raw API request/response bodies (OTEL_LOG_RAW_API_BODIES=1)').helpGroup('Command run (-- <command>):'));
  addSettingOptions(cmd, STORAGE, 'Storage:');
  addSettingOptions(cmd, CAPTURE, 'Capture and privacy:');
  cmd.addHelpText('after', HELP_AFTER);

  return cmd.action(async () => {
    const flags = cmd.opts<RunFlags>();
    const env = envWithFlags(cmd, SETTINGS_USED, ctx.env);
    // The library would write locally and log; a command refuses, like the other commands.
    const problem = storageSettingsProblem(env);
    if (problem) throw new SettingError(problem);
    const command = commandAfterDashes(ctx.argv ?? [], cmd.name());
    const print = (line: string) => process.stderr.write(`${line}\n`);

    if (command !== undefined) {
      if (command.length === 0) throw new UsageError('nothing to run after --');
      if (cmd.args.length > command.length) throw new UsageError('give a prompt or -- <command>, not both');
      const { wrapCommand } = await import('../runner/wrap.js');
      ctx.code = await wrapCommand({
        command,
        env,
        content: resolve(SETTINGS.captureContent, undefined, env),
        rawBodies: flags.rawBodies === true,
        print,
      });
      return;
    }

    const prompt = cmd.args.join(' ').trim();
    if (!prompt) throw new UsageError('give a prompt (ams run "...") or a command after --');
    const cwd = flags.cwd ?? '.';
    // Loaded on demand, so the other commands do not pay for them.
    const { loadMcpConfig } = await import('../runner/mcp-config.js');
    const { otlpExporter, otlpTargetOf } = await import('../runner/otlp-export.js');
    const maxTurns = positiveInt(flags.maxTurns, 'max-turns');
    const mcp = loadMcpConfig(cwd, flags.mcpConfig, env);
    const target = otlpTargetOf(env);
    let runner: typeof AgentRunner;
    let exporter;
    try {
      exporter = target ? await otlpExporter(target) : undefined;
      // Loaded here, not at the top: the runner pulls in the Agent SDK, which may not be installed.
      runner = await import('../runner/agent.js');
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (err instanceof MissingDependencyError) print(err.message);
      else if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(SDK)) {
        print(`ams run "prompt" runs the Claude Agent SDK, which is not installed. Install it next to ams-otel:\n  npm install ${SDK}`);
      } else throw err;
      ctx.code = EXIT_FAIL;
      return;
    }
    ctx.code = await runner.runAgent({
      prompt,
      cwd,
      model: flags.model,
      systemPrompt: flags.systemPrompt,
      allowedTools: splitList(flags.allowedTools),
      maxTurns,
      permissionMode: flags.permissionMode,
      mcp,
      otlp: target && exporter ? { target, exporter } : undefined,
      env,
      out: process.stdout,
      err: process.stderr,
    });
  });
}
