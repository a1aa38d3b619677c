/** What the `ams` commands share: exit codes, the storage flags, the filter flags, output. */
import { CommanderError, Option } from 'commander';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { Env } from '../src/config/env.js';
import { parseFilter } from '../src/query/filter.js';
import type { SessionFilter } from '../src/query/filter.js';
import { readerFromEnv } from '../src/query/reader.js';
import { describeReader } from '../src/query/reader.js';
import type { StoreReader } from '../src/query/reader.js';
import { LocalStorage } from '../src/storage/local.js';
import { didYouMean } from './suggest.js';
import { addSettingOptions, envWithFlags, settingsOf } from './settings.js';
import { clean } from './format.js';
import { describeCorrupt } from '../src/query/scan.js';
import type { OnCorruptEntry } from '../src/query/scan.js';

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

/**
 * A commander usage error in our words: "unknown flag --prot; did you mean --port?",
 * "--limit needs a value (--limit <n>)", "missing the <id> argument", "too many arguments".
 */
export function usageErrorOf(err: CommanderError, flags: readonly string[] = []): UsageError {
  const raw = err.message.replace(/^error: /, '');
  const m = (re: RegExp) => re.exec(raw);
  switch (err.code) {
    case 'commander.unknownOption': {
      const flag = m(/unknown option '([^']+)'/)?.[1] ?? '';
      const suggestion = m(/Did you mean (\S+?)\?/)?.[1] ?? flagSuggestion(flag, flags);
      return new UsageError(`unknown flag ${flag}${suggestion ? `; did you mean ${suggestion}?` : ''}`);
    }
    case 'commander.optionMissingArgument': {
      const flags = m(/option '([^']+)' argument missing/)?.[1] ?? '';
      const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
      return new UsageError(`${long} needs a value (${flags.replace(/^-\w, /, '')})`);
    }
    case 'commander.missingArgument':
      return new UsageError(`missing the <${m(/argument '([^']+)'/)?.[1] ?? 'argument'}> argument`);
    case 'commander.excessArguments': {
      const counts = m(/Expected (\d+) arguments? but got (\d+)/);
      return new UsageError(counts ? `too many arguments: expected at most ${counts[1]}, got ${counts[2]}` : 'too many arguments');
    }
    case 'commander.unknownCommand': {
      const name = m(/unknown command '([^']+)'/)?.[1] ?? '';
      const suggestion = m(/Did you mean (\S+?)\?/)?.[1];
      return new UsageError(`unknown command "${name}"${suggestion ? `; did you mean ${suggestion}?` : ''}`);
    }
    default: {
      const msg = raw.replace(/\n/g, ' ');
      return new UsageError(msg.charAt(0).toLowerCase() + msg.slice(1));
    }
  }
}

/**
 * Our own guess when commander has none: a flag that ends with the word given (`--dir` ->
 * `--local-dir`, `--bucket` -> `--s3-bucket`), else the closest by edit distance.
 */
function flagSuggestion(flag: string, flags: readonly string[]): string | undefined {
  if (!flag.startsWith('--') || flag.length < 4) return undefined;
  const bySuffix = flags.filter((f) => f.endsWith(`-${flag.slice(2)}`));
  if (bySuffix.length === 1) return bySuffix[0];
  return didYouMean(flag, flags);
}

/** Exit 1 (not 2): the command line is fine, but the store it names is not there. */
export class StoreMissingError extends Error {}

/** A storage failure in words that name the store: a missing bucket, an unreachable endpoint. */
export function storeErrorMessage(err: unknown, store: string | undefined): string | undefined {
  if (!store || !(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code ?? err.name;
  if (code === 'NoSuchBucket') return `no session store at ${store}: the bucket does not exist; check --s3-bucket (AMS_S3_BUCKET) and --s3-endpoint`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN') return `cannot reach the session store at ${store} (${err.message}); check --s3-endpoint (AMS_S3_ENDPOINT_URL) and the network`;
  if (code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') return `not allowed to read the session store at ${store} (${err.message}); check the AWS credentials`;
  return undefined;
}

/** What a command runs with, and what it hands back (its exit code). */
export interface CliContext {
  env: Env;
  code: number;
  /** The command line as given (after `ams`), for commands that read it raw (`ams run -- ...`). */
  argv?: readonly string[];
  /** The store a reading command opened (`/path` or `s3://bucket/prefix`), for error messages. */
  store?: string;
}

/** Storage settings for the reading commands (the spool folder is a writer's). */
export const READER_SETTINGS = settingsOf(['storage']);

/** The storage flags of a reading command, from the settings table. */
export function addStorageOptions(cmd: Command): Command {
  return addSettingOptions(cmd, READER_SETTINGS, 'Storage (flags win over the environment):');
}

/**
 * The reader the storage flags and the environment ask for; a bad setting throws SettingError, a
 * local folder that does not exist throws StoreMissingError (a typo must not look like an empty store).
 */
export async function readerFor(cmd: Command, ctx: CliContext): Promise<StoreReader> {
  const reader = await readerFromEnv(envWithFlags(cmd, READER_SETTINGS, ctx.env));
  ctx.store = describeReader(reader);
  if (reader instanceof LocalStorage) await checkLocalStore(reader.dir);
  return reader;
}

async function checkLocalStore(dir: string): Promise<void> {
  const hint = 'give the store folder with --local-dir <path> (or AMS_LOCAL_DIR), or write a session there first (ams demo, ams receiver)';
  try {
    if (!(await stat(dir)).isDirectory()) throw new StoreMissingError(`no session store at ${dir}: it is a file, not a folder; ${hint}`);
  } catch (err) {
    if (err instanceof StoreMissingError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new StoreMissingError(`no session store at ${dir} (no such folder); ${hint}`);
    throw new StoreMissingError(`cannot read the session store at ${dir}: ${(err as Error).message}`);
  }
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

/**
 * A whole-number flag (given as `--name`), at least `min`, or the fallback when it is absent:
 * "--limit must be a whole number ≥ 0 (0 = all); got -1".
 */
export function intFlag(values: Values, key: string, flag: string, fallback: number, { min = 0, note = '', label = `--${flag}` }: { min?: number; note?: string; label?: string } = {}): number {
  const raw = str(values[key]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${label} must be a whole number ≥ ${min}${note ? ` (${note})` : ''}; got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Writes to stdout and resolves when the data is handed off (backpressure). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', resolve);
  });
}

/** Tells stderr about an index object or line skipped as not an entry (which object, which line, why). */
export function reportSkipped(command: string): OnCorruptEntry {
  return (object, problem, line) => process.stderr.write(`ams ${command}: skipped ${clean(describeCorrupt(object, problem, line))}\n`);
}
