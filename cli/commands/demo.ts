import type * as DemoRun from '../../src/demo/run.js';
import { EXIT_FAIL, EXIT_OK } from '../common.js';

const SDK = '@anthropic-ai/claude-agent-sdk';

/**
 * `ams demo` runs the shipped demo (src/demo/run.ts, the same code as `npm run demo`): the real
 * Claude Agent SDK against a scripted local API, writing one session to ./ams-data. The SDK is an
 * optional peer dependency; without it this says how to install it.
 */
export async function demo(argv: string[]): Promise<number> {
  let run: typeof DemoRun;
  try {
    // Loaded here, not at the top: the demo pulls in the Agent SDK, which may not be installed.
    run = await import('../../src/demo/run.js');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes(SDK)) throw err;
    process.stderr.write(`ams demo runs the Claude Agent SDK, which is not installed. Install it next to ams-otel:\n  npm install ${SDK}\n`);
    return EXIT_FAIL;
  }
  const live = argv.includes('--live');
  try {
    const result = await run.runDemo({ live, prompt: argv.find((a) => a !== '--live') });
    process.stdout.write(`${run.demoReport(result).join('\n')}\n\nnext: ams ls · ams show <id> · ams view\n`);
    return EXIT_OK;
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAIL;
  }
}
