/**
 * Running the compiled `ams` (dist/cli/main.js, built once by test/support/build-cli.ts) as users
 * do, with a clean environment: test/cli.test.ts and test/cli-run.test.ts share it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const BUILT_CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without the variables `drop` matches (default: ams and AWS settings), plus `extra`. */
export function cleanEnv(extra: Record<string, string>, drop: RegExp = /^(AMS_|AWS_)/): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!drop.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs `node <script> ...args` (default: the built CLI) and resolves with its exit code and output. */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; script?: string }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [options.script ?? BUILT_CLI, ...args], { env: options.env, cwd: options.cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
