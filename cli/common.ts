/** What the `ams` commands share: exit codes, the storage flags, the filter flags, output. */
import { CommanderError, Option } from 'commander';
import type { Command } from 'commander';
import type { Env } from '../src/config/env.js';
import { parseFilter } from '../src/query/filter.js';
import type { SessionFilter } from '../src/query/filter.js';
import { readerFromEnv } from '../src/query/reader.js';
import type { StoreReader } from '../src/query/reader.js';
import { addSettingOptions, envWithFlags, settingsOf } from './settings.js';

/** Exit codes: 0 done, 1 failed or not found, 2 bad usage (flags, arguments, settings). */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

/**
 * Makes commander report instead of exiting or printing: errors are thrown (run() prints them as
 * `ams <command>: ...` and exits 2), help text goes to `out` (printed by the caller).
 */
export function quiet(cmd: Command, out: string[]): Command {
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: () => {}, outputError: () => {} });
  }
  return cmd;
}

/** True for commander's "help was printed" (and `--version`): not an error. */
export function isHelpExit(err: unknown): boolean {
  return err instanceof CommanderError && err.exitCode === 0;
}

/** A commander usage error in our words: "Unknown option '--prot' (Did you mean --port?)". */
export function usageErrorOf(err: CommanderError): UsageError {
  const msg = err.message.replace(/^error: /, '').replace(/\n/g, ' ');
  return new UsageError(msg.charAt(0).toUpperCase() + msg.slice(1));
}

/** What a command runs with, and what it hands back (its exit code). */
export interface CliContext {
  env: Env;
  code: number;
  /** The command line as given (after `ams`), for commands that read it raw (`ams run -- ...`). */
  argv?: readonly string[];
}

/** Storage settings for the reading commands (the spool folder is a writer's). */
export const READER_SETTINGS = settingsOf(['storage']);

/** The storage flags of a reading command, from the settings table. */
export function addStorageOptions(cmd: Command): Command {
  return addSettingOptions(cmd, READER_SETTINGS, 'Storage (flags win over the environment):');
}

/** The reader the storage flags and the environment ask for; a bad setting throws SettingError. */
export function readerFor(cmd: Command, ctx: CliContext): Promise<StoreReader> {
  return readerFromEnv(envWithFlags(cmd, READER_SETTINGS, ctx.env));
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addFilterOptions(cmd: Command): Command {
  const group = 'Filters:';
  const opts = [
    new Option('--agent <name>', 'agent name'),
    new Option('--env <name>', 'environment'),
    new Option('--tag <tag>', 'has this tag (repeat: all of them)').argParser(collect),
    new Option('--status <s>', 'ok | error | incomplete (repeat or comma-separate: any of them)').argParser(collect),
    new Option('--model <prefix>', 'main model, by prefix (claude-sonnet matches claude-sonnet-4-5)'),
    new Option('--since <time>', 'started at or after: ISO date/time, or a duration back (30m, 2h, 7d)'),
    new Option('--until <time>', 'started before'),
    new Option('--min-cost <usd>', 'total cost at least this'),
    new Option('-q, --search <words>', 'words in the prompt preview, ids, agent or tags (also: trailing words)'),
    new Option('--has-errors', 'had failed calls (status ok + errors = the agent recovered)'),
    new Option('--no-errors', 'had no failed call'),
    new Option('--failure-category <c>', 'tool | model | retrieval | orchestration (repeat or comma-separate: any)').argParser(collect),
    new Option('--failure-code <code>', 'failure code or error type: timeout, rate_limit, tool_error, ... (any)').argParser(collect),
    new Option('--tool <name>', 'a call of this tool failed (repeat: any of them)').argParser(collect),
    new Option('--agent-version <v>', 'agent version, exact (repeat or comma-separate: any)').argParser(collect),
    new Option('--metadata <key=value>', 'metadata key has this value (repeat: all of them)').argParser(collect),
  ];
  for (const o of opts) cmd.addOption(o.helpGroup(group));
  return cmd;
}

export type Values = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strs(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;
}

/** --has-errors / --no-errors as the has_errors parameter (both at once: a usage error). */
function hasErrorsFlag(values: Values): string | undefined {
  if (values.hasErrors === true && values.errors === false) throw new UsageError('--has-errors and --no-errors contradict each other; give one');
  return values.hasErrors === true ? '1' : values.errors === false ? '0' : undefined;
}

/** The filter from flags (plus trailing words as text search). */
export function filterFrom(values: Values, words: string[] = []): SessionFilter {
  return parseFilter({
    has_errors: hasErrorsFlag(values),
    failure_category: strs(values.failureCategory),
    failure_code: strs(values.failureCode),
    tool: strs(values.tool),
    agent_version: strs(values.agentVersion),
    metadata: strs(values.metadata),
    agent: str(values.agent),
    env: str(values.env),
    tag: strs(values.tag),
    status: strs(values.status),
    model: str(values.model),
    since: str(values.since),
    until: str(values.until),
    'min-cost': str(values.minCost),
    q: [str(values.search), ...words].filter((s): s is string => !!s).join(' ') || undefined,
  });
}

/** A non-negative integer flag (given as `--name`), or the fallback when it is absent. */
export function intFlag(values: Values, key: string, flag: string, fallback: number): number {
  const raw = str(values[key]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative integer; got "${raw}"`);
  return n;
}

/** Writes to stdout and resolves when the data is handed off (backpressure). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', resolve);
  });
}
