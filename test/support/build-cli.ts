/**
 * Vitest globalSetup: builds the package once (`npm run build` -> dist/), before any test file
 * runs, so the files that spawn the compiled `ams` (test/cli.test.ts, test/cli-run.test.ts) never
 * race each other rewriting dist/ while the other spawns it. tsc emits even when another part of
 * the tree has a type error (the typecheck in `npm run lint` guards that), so only a missing or
 * stale output fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export default function setup(): void {
  const started = Date.now();
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    console.warn(`npm run build reported errors:\n${String((err as { stdout?: Buffer }).stdout ?? err)}`);
  }
  if (!existsSync(BUILT_CLI) || statSync(BUILT_CLI).mtimeMs < started - 1000) throw new Error(`npm run build did not produce ${BUILT_CLI}`);
}
