/**
 * `ams run -- <command...>`: an embedded receiver on a free loopback port, the command run with
 * Claude Code's telemetry pointed at it (telemetry-env.ts) and the terminal handed over (stdio
 * inherited), then, when the command exits, every pending session written and listed. The exit
 * code is the command's.
 */
import { spawn } from 'node:child_process';
import type { Env } from '../../src/config/env.js';
import { storageFromEnv } from '../../src/storage/from-env.js';
import type { SessionStorage } from '../../src/storage/types.js';
import type { SessionWrittenEvent } from '../../src/writer/types.js';
import { telemetryEnv } from './telemetry-env.js';
import { locationOf } from './where.js';

export interface WrapOptions {
  command: string[];
  /** The environment with the settings flags applied (storage, capture). */
  env: Env;
  /** Content switches on unless the user's environment sets them. */
  content: boolean;
  rawBodies: boolean;
  print(line: string): void;
}

/** Exit code of a command killed by a signal, as shells report it. */
const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
const NOT_FOUND = 127;
const CANNOT_RUN = 126;

/** The receiver's environment: the user's, minus receiver settings that would get in the way (a token the command does not know, a fixed port). */
function receiverEnv(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('AMS_RECEIVER_')) out[k] = v;
  return out;
}

export async function wrapCommand(o: WrapOptions): Promise<number> {
  const [file, ...args] = o.command;
  const storage: SessionStorage = storageFromEnv(o.env);
  const written: SessionWrittenEvent[] = [];
  // Loaded on demand: Express and protobuf are only needed here.
  const { startReceiver } = await import('../../receiver/server.js');
  const running = await startReceiver({
    env: receiverEnv(o.env),
    storage,
    host: '127.0.0.1',
    port: 0,
    // Short-lived and private to this run: everything is written when the command exits, so no
    // write-ahead log (which could clash with an `ams receiver` sharing the folder), no workers, no UI.
    walDir: false,
    workers: 0,
    ui: false,
    onSessionWritten: (w) => written.push(w),
  });
  o.print(`ams run: receiver on ${running.url}; running ${o.command.join(' ')}`);

  const code = await new Promise<number>((resolve) => {
    const child = spawn(file!, args, { stdio: 'inherit', env: telemetryEnv(o.env, { endpoint: running.url, content: o.content, rawBodies: o.rawBodies }) });
    // Ctrl-C reaches the whole process group (the command too): let the command decide, and stay
    // alive to write its sessions. A SIGTERM sent to ams alone is passed on.
    const onInt = (): void => {};
    const onTerm = (): void => {
      child.kill('SIGTERM');
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (c: number): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(c);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      o.print(`ams run: cannot run ${file}: ${err.message}`);
      done(err.code === 'ENOENT' ? NOT_FOUND : CANNOT_RUN);
    });
    child.once('exit', (c, signal) => done(c ?? (signal ? 128 + (SIGNAL_CODES[signal] ?? 0) : 1)));
  });

  // Stops accepting and writes every pending session (those still open as incomplete).
  await running.stop();
  await storage.close?.();
  if (!written.length) {
    o.print('ams run: no session was written (the command sent no telemetry: is it claude, or a program using the Agent SDK?)');
  }
  // A session is rewritten (revision + 1) when late spans arrive: list each once, as last written.
  const last = new Map<string, SessionWrittenEvent>();
  for (const w of written) last.set(w.sessionId, w);
  for (const w of last.values()) o.print(`session ${w.sessionId} (${w.status}) written to ${locationOf(storage, w.key)}`);
  if (last.size) o.print(`next: ams show ${[...last.keys()].at(-1)!}`);
  return code;
}
