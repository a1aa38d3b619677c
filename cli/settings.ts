/**
 * The settings table (src/config/env.ts) as commander options: each setting a command uses is a
 * flag named after its variable (AMS_LOCAL_DIR <-> --local-dir), its help line is the table's,
 * and a flag is applied by overriding the variable in the environment the library reads, so the
 * library resolves flags, env and defaults through the one table.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { allSettings, describeInvalid, lookup, parseBoolean, parseNonNegativeInt, parsePositiveInt, settingFlag, SettingError } from '../src/config/env.js';
import type { Env, Setting, SettingGroup } from '../src/config/env.js';

/** The settings of these groups that have a flag; `writer`: include writer-only ones (the receiver). */
export function settingsOf(groups: SettingGroup[], { writer = false } = {}): Array<Setting<unknown>> {
  return allSettings().filter((s) => s.group && groups.includes(s.group) && settingFlag(s) && (writer || !s.writerOnly));
}

function placeholder(s: Setting<unknown>, flag: string): string {
  if (s.parse === parseBoolean) return '[on|off]';
  if (s.parse === parseNonNegativeInt || s.parse === parsePositiveInt) return '<n>';
  if (s.env === 'AMS_STORAGE') return '<local|s3>';
  if (flag.endsWith('-dir')) return '<path>';
  if (flag.endsWith('-url')) return '<url>';
  return '<value>';
}

function defaultHelp(s: Setting<unknown>): string | undefined {
  if (s.defaultDoc) return s.defaultDoc.replace(/`/g, '');
  if (typeof s.default === 'boolean') return s.default ? 'on' : 'off';
  return s.default === undefined ? undefined : String(s.default);
}

/** One commander option for a setting: `--local-dir <path>  root folder of local storage (default: ./ams-data; env: AMS_LOCAL_DIR)`. */
export function settingOption(s: Setting<unknown>, heading: string): Option {
  const flag = settingFlag(s)!;
  const def = defaultHelp(s);
  const option = new Option(`--${flag} ${placeholder(s, flag)}`, s.doc.replace(/`/g, '')).env(s.env).helpGroup(heading);
  // For --help only: envWithFlags reads values given on the command line, never this default.
  return def === undefined ? option : option.default(def, def);
}

export function addSettingOptions(cmd: Command, settings: Array<Setting<unknown>>, heading: string): Command {
  for (const s of settings) cmd.addOption(settingOption(s, heading));
  return cmd;
}

/**
 * The environment the command runs with: `env` with every setting given as a flag applied over
 * its variable. Each of `settings` is then checked, and a bad value (from a flag or the
 * environment) is refused with the library's own message: the CLI exits 2 where the library
 * would warn and fall back.
 */
export function envWithFlags(cmd: Command, settings: Array<Setting<unknown>>, env: Env): Env {
  const merged: Env = { ...env };
  const fromFlag = new Set<Setting<unknown>>();
  const opts = cmd.opts<Record<string, unknown>>();
  for (const s of settings) {
    const key = cmd.options.find((o) => o.long === `--${settingFlag(s)}`)?.attributeName();
    // Commander also reads the variable (source 'env') for --help and its own bookkeeping; only
    // the command line overrides the environment passed in.
    if (!key || cmd.getOptionValueSource(key) !== 'cli') continue;
    const v = opts[key];
    merged[s.env] = v === true ? 'true' : String(v);
    fromFlag.add(s);
  }
  for (const s of settings) {
    const { problem } = lookup(s, merged);
    if (!problem) continue;
    throw new SettingError(fromFlag.has(s) ? describeInvalid(s, merged[s.env]!, `--${settingFlag(s)}`) : problem);
  }
  return merged;
}
