/**
 * Running the receiver as a process: startReceiver() for code, runReceiverFromCli() for
 * `ams receiver` (flags > env > defaults), with SIGTERM/SIGINT writing everything pending.
 */
import { parseArgs } from 'node:util';
import { createReceiver } from './app.js';
import type { ListeningReceiver, ReceiverApp } from './app.js';
import { RECEIVER_CONFIG } from './options.js';
import type { ReceiverOptions } from './options.js';

export interface RunningReceiver extends ListeningReceiver {
  receiver: ReceiverApp;
  stop(): Promise<void>;
}

/** Creates a receiver and listens (host/port from options, env, or 127.0.0.1:4319). */
export async function startReceiver(options: ReceiverOptions = {}): Promise<RunningReceiver> {
  const receiver = createReceiver(options);
  const listening = await receiver.start();
  return { ...listening, receiver, stop: () => receiver.stop() };
}

type Env = Record<string, string | undefined>;

/** Flag -> environment variable. Flags are applied by overriding the env the receiver reads. */
const FLAG_ENV: Record<string, string> = {
  host: 'AMS_RECEIVER_HOST',
  port: 'AMS_RECEIVER_PORT',
  'wait-ms': 'AMS_RECEIVER_WAIT_MS',
  'idle-ms': 'AMS_RECEIVER_IDLE_MS',
  'retain-ms': 'AMS_RECEIVER_RETAIN_MS',
  'max-age-ms': 'AMS_RECEIVER_MAX_AGE_MS',
  'max-traces': 'AMS_RECEIVER_MAX_TRACES',
  'max-spans-per-trace': 'AMS_RECEIVER_MAX_SPANS_PER_TRACE',
  'max-buffered-spans': 'AMS_RECEIVER_MAX_BUFFERED_SPANS',
  'max-buffered-bytes': 'AMS_RECEIVER_MAX_BUFFERED_BYTES',
  'max-body-bytes': 'AMS_RECEIVER_MAX_BODY_BYTES',
  'max-decompressed-bytes': 'AMS_RECEIVER_MAX_DECOMPRESSED_BYTES',
  'wal-dir': 'AMS_RECEIVER_WAL_DIR',
  workers: 'AMS_RECEIVER_WORKERS',
  storage: 'AMS_STORAGE',
  'local-dir': 'AMS_LOCAL_DIR',
  's3-bucket': 'AMS_S3_BUCKET',
  's3-prefix': 'AMS_S3_PREFIX',
  's3-endpoint': 'AMS_S3_ENDPOINT_URL',
  's3-region': 'AMS_S3_REGION',
};

export const RECEIVER_USAGE = `Usage: ams receiver [options]

OTLP/HTTP trace receiver: POST /v1/traces (protobuf or JSON, gzip), one session document per agent run.

Options (each also settable by the environment variable shown; flags win):
${Object.entries(FLAG_ENV)
  .map(([flag, env]) => `  --${flag.padEnd(24)} ${env}`)
  .join('\n')}
  --no-wal                   AMS_RECEIVER_WAL_DIR=off  (acknowledged spans die with the process)
  --wal-fsync                AMS_RECEIVER_WAL_FSYNC=1  (fsync before each 200)
  -h, --help

Auth: set AMS_RECEIVER_TOKEN to require "Authorization: Bearer <token>" (not a flag: argv is visible to other users).
Settings:
${Object.values(RECEIVER_CONFIG)
  .map((row) => `  ${row.env.padEnd(36)} ${row.doc}`)
  .join('\n')}
`;

export interface CliIo {
  print(line: string): void;
  /** Called after a signal-triggered stop has finished (main.ts exits the process). */
  onStopped?(signal: NodeJS.Signals | undefined): void;
}

/**
 * `ams receiver`: parses flags, starts listening, and on SIGTERM/SIGINT stops (writing every
 * pending session) and calls io.onStopped. Returns undefined after printing help.
 */
export async function runReceiverFromCli(
  argv: string[],
  env: Env = process.env,
  io: CliIo = { print: (line) => process.stderr.write(`${line}\n`) },
): Promise<RunningReceiver | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(FLAG_ENV).map((k) => [k, { type: 'string' as const }])),
      'no-wal': { type: 'boolean' },
      'wal-fsync': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.print(RECEIVER_USAGE);
    return undefined;
  }
  const merged: Env = { ...env };
  for (const [flag, name] of Object.entries(FLAG_ENV)) {
    const v = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof v === 'string') merged[name] = v;
  }
  if (values['no-wal']) merged.AMS_RECEIVER_WAL_DIR = 'off';
  if (values['wal-fsync']) merged.AMS_RECEIVER_WAL_FSYNC = '1';

  const running = await startReceiver({ env: merged });
  const c = running.receiver.config;
  const replayed = running.receiver.stats().replayed;
  io.print(
    `ams receiver listening on ${running.url}/v1/traces` +
      ` (auth: ${c.token ? 'bearer token' : 'none'}; workers: ${c.workers || 'none, main thread only'}; WAL: ${c.walDir === false ? 'off' : c.walDir}` +
      `${replayed?.records ? `, replayed ${replayed.records} request(s)` : ''})`,
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
