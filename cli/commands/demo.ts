import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_FAIL, EXIT_OK } from '../common.js';

/**
 * `ams demo` runs examples/demo.ts, which lives in the repository (it uses the test helpers that
 * emit a synthetic agent run, and tsx): from a clone it runs; from an installed package it says
 * how to get it, rather than pretending.
 */
export async function demo(argv: string[]): Promise<number> {
  // dist/cli/commands/demo.js or cli/commands/demo.ts -> the package root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const roots = [path.resolve(here, '../../..'), path.resolve(here, '../..')];
  const root = roots.find((r) => existsSync(path.join(r, 'examples/demo.ts')) && existsSync(path.join(r, 'node_modules/tsx')));
  if (!root) {
    process.stdout.write(
      [
        'The demo runs from a clone of the repository (it is not part of the installed package):',
        '  git clone <ams-otel repository> && cd ams-otel && npm install && npm run demo',
        'It writes one agent session to ./ams-data; then:',
        '  ams ls        ams show <id>        ams view',
        '',
      ].join('\n'),
    );
    return EXIT_OK;
  }
  // tsx is resolved from the repository, not from the user's working folder (where ./ams-data goes).
  const tsx = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'examples/demo.ts'), ...argv], { stdio: 'inherit', env: process.env });
  const code = await new Promise<number>((resolve) => {
    child.once('exit', (c) => resolve(c ?? EXIT_FAIL));
    child.once('error', () => resolve(EXIT_FAIL));
  });
  if (code === 0) process.stdout.write('\nnext: ams ls · ams show <id> · ams view\n');
  return code;
}
