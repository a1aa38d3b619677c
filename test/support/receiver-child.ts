/**
 * `ams receiver` as a child process (the real cli/main.ts through tsx), for tests that kill it
 * (kill -9 durability, WAL replay): started with flags, resolved with its base URL once it prints
 * its start line. Call `killChildren()` after each test.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const MAIN = new URL('../../cli/main.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];

export interface ReceiverChild {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  url: string;
  output: () => string;
}

/** Starts `ams receiver --port 0 <args>` without the caller's AMS_* environment. */
export function startReceiverChild(args: string[]): Promise<ReceiverChild> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AMS_')) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'receiver', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s/]+)\/v1\/traces/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`receiver exited early (${code}):\n${out}`)));
  });
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** SIGKILLs every child still running. */
export function killChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
