/**
 * `ams receiver`: the OTLP/HTTP receiver as a process. Its flags are the storage, capture and
 * receiver settings of the table (flags > env > defaults); SIGTERM/SIGINT write everything
 * pending before it exits.
 */
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import { allSettings, lookup, resolve, settingFlag, SettingError, SETTINGS } from '../../src/config/env.js';
import type { Env, LogLevel } from '../../src/config/env.js';
import { storageKind, storageSettingsProblem } from '../../src/config/storage.js';
import type { RunningReceiver } from '../../receiver/server.js';
import { EXIT_OK, isHelpExit, quiet, usageErrorOf } from '../common.js';
import type { CliContext } from '../common.js';
import { addSettingOptions, envWithFlags, settingsOf } from '../settings.js';

const STORAGE = settingsOf(['storage'], { writer: true });
const CAPTURE = settingsOf(['capture']);
const WRITER = settingsOf(['writer']);
const RECEIVER = settingsOf(['receiver']);
const VIEWER = settingsOf(['viewer']);
const SETTINGS_USED = [...STORAGE, ...CAPTURE, ...WRITER, ...RECEIVER, ...VIEWER];

export interface CliIo {
  print(line: string): void;
  /** Called after a signal-triggered stop has finished. */
  onStopped?(signal: NodeJS.Signals | undefined): void;
}

/**
 * The `receiver` command. `onStarted` gets the running receiver (which stops itself on
 * SIGTERM/SIGINT).
 */
export function receiverCommand(ctx: CliContext, io: CliIo, onStarted: (running: RunningReceiver) => Promise<void> | void): Command {
  const cmd = new Command('receiver')
    .summary('the OTLP/HTTP receiver (sessions from any OpenTelemetry collector)')
    .description('OTLP/HTTP receiver: POST /v1/traces, /v1/logs and /v1/metrics (protobuf or JSON, gzip), one session document per agent session.');
  addSettingOptions(cmd, RECEIVER, 'Receiver (flags win over the environment):');
  cmd.addOption(new Option('--no-wal', 'run without a write-ahead log: acknowledged spans die with the process (AMS_RECEIVER_WAL_DIR=off)').helpGroup('Receiver (flags win over the environment):'));
  addSettingOptions(cmd, WRITER, 'Session writer:');
  addSettingOptions(cmd, STORAGE, 'Storage:');
  addSettingOptions(cmd, CAPTURE, 'Capture and privacy:');
  addSettingOptions(cmd, VIEWER, 'Viewer (/ui):');
  const envOnly = allSettings().filter((s) => s.group === 'receiver' && !settingFlag(s));
  cmd.addHelpText('after', `\nEnvironment only:\n${envOnly.map((s) => `  ${s.env.padEnd(28)} ${s.doc.replace(/`/g, '')}`).join('\n')}`);
  return cmd.action(async (opts: { wal?: boolean }) => {
    const running = await start(cmd, ctx.env, opts.wal === false, io);
    await onStarted(running);
  });
}

const DIAG_LEVEL: Record<Exclude<LogLevel, 'none'>, DiagLogLevel> = {
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
};

/** Where sessions are written, as a user would type it: an absolute folder or s3://bucket/prefix. */
function storageTarget(env: Env): string {
  if (storageKind(env) === 's3') {
    const prefix = lookup(SETTINGS.s3Prefix, env).value;
    const endpoint = lookup(SETTINGS.s3Endpoint, env).value;
    return `s3://${lookup(SETTINGS.s3Bucket, env).value ?? ''}${prefix ? `/${prefix}` : ''}${endpoint ? ` (endpoint ${endpoint})` : ''}`;
  }
  return path.resolve(lookup(SETTINGS.localDir, env).value);
}

async function start(cmd: Command, env: Env, noWal: boolean, io: CliIo): Promise<RunningReceiver> {
  const merged = envWithFlags(cmd, SETTINGS_USED, env);
  if (noWal) merged.AMS_RECEIVER_WAL_DIR = 'off';
  // The library would write locally and log; a command refuses, like the reading commands.
  const problem = storageSettingsProblem(merged);
  if (problem) throw new SettingError(problem);
  // The receiver's own diagnostics (storage outages, dropped spans, internal errors; its worker
  // threads forward theirs here) go to the console: a service must not fail silently.
  const level = resolve(SETTINGS.receiverLogLevel, undefined, merged);
  if (level !== 'none') diag.setLogger(new DiagConsoleLogger(), { logLevel: DIAG_LEVEL[level], suppressOverrideMessage: true });
  // Loaded on demand: the reading commands do not pay for Express + protobuf start-up.
  const { startReceiver } = await import('../../receiver/server.js');
  const running = await startReceiver({ env: merged });
  const c = running.receiver.config;
  const replayed = running.receiver.stats().replayed;
  io.print(
    `ams receiver listening on ${running.url}/v1/traces` +
      ` (auth: ${c.token ? 'bearer token' : 'none'}; workers: ${c.workers || 'none, main thread only'}; WAL: ${c.walDir === false ? 'off' : c.walDir}` +
      `${replayed?.records ? `, replayed ${replayed.records} request(s)` : ''})`,
  );
  io.print(`  logs and metrics: ${running.url}/v1/logs, ${running.url}/v1/metrics (exporters that take a base URL: OTEL_EXPORTER_OTLP_ENDPOINT=${running.url})`);
  io.print(`  sessions go to ${storageTarget(merged)}`);
  const ui = running.receiver.uiPath;
  const viewer = `${running.url}${ui ?? '/ui'}/`;
  io.print(
    ui
      ? `  viewer: ${viewer} (${c.token ? `needs the token (AMS_RECEIVER_TOKEN): open ${viewer}?token=<token> once in a browser; scripts send Authorization: Bearer <token>` : 'no token needed'})`
      : c.ui === false
        ? '  viewer: off (--ui off)'
        : '  viewer: off (not on a loopback address; --ui on serves it at /ui, AMS_RECEIVER_TOKEN protects it)',
  );
  let signalled = false;
  const detach = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    io.print(`ams receiver: ${signal}, writing pending sessions...`);
    void running.stop().then(() => {
      detach();
      io.print('ams receiver: stopped');
      io.onStopped?.(signal);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    ...running,
    stop: async () => {
      detach();
      await running.stop();
    },
  };
}

/** The command inside an `ams` parent (so usage says `ams receiver`), reporting instead of exiting. */
function standalone(ctx: CliContext, io: CliIo, out: string[], onStarted: (running: RunningReceiver) => void): Command {
  return quiet(new Command('ams').addCommand(receiverCommand(ctx, io, onStarted)), out);
}

function usage(): string {
  const out: string[] = [];
  const cmd = standalone({ env: {}, code: EXIT_OK }, { print: () => {} }, out, () => {});
  cmd.commands[0]!.outputHelp();
  return out.join('').trimEnd();
}

/** `ams receiver --help`. */
export const RECEIVER_USAGE = usage();

/**
 * `ams receiver` as a function: parses flags, starts listening, and on SIGTERM/SIGINT stops
 * (writing every pending session) and calls io.onStopped. Returns undefined after printing help;
 * rejects with a UsageError or SettingError for bad flags or settings.
 */
export async function runReceiverFromCli(
  argv: string[],
  env: Env = process.env,
  io: CliIo = { print: (line) => process.stderr.write(`${line}\n`) },
): Promise<RunningReceiver | undefined> {
  let running: RunningReceiver | undefined;
  const out: string[] = [];
  const cmd = standalone({ env, code: EXIT_OK }, io, out, (r) => {
    running = r;
  });
  try {
    await cmd.parseAsync(['receiver', ...argv], { from: 'user' });
  } catch (err) {
    if (isHelpExit(err)) {
      io.print(out.join('').trimEnd());
      return undefined;
    }
    throw err instanceof CommanderError ? usageErrorOf(err) : err;
  }
  return running;
}
