/**
 * A real Claude Agent SDK session, traced into ./ams-data and printed as a tree. The same code
 * runs as `ams demo` (src/demo/run.ts).
 *
 *   npm run demo                             # the real SDK + CLI against a scripted local API (no key)
 *   ANTHROPIC_API_KEY=... npm run demo -- --live "your prompt"   # the real API
 */
import { demoReport, runDemo } from '../src/demo/run.js';

const live = process.argv.includes('--live');
try {
  const result = await runDemo({ live, prompt: process.argv.slice(2).find((a) => a !== '--live') });
  console.log(demoReport(result).join('\n'));
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
