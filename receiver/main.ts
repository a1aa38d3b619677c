#!/usr/bin/env node
/** Standalone entry point: `node dist/receiver/main.js [flags]` (what `ams receiver` runs). */
import { runReceiverFromCli } from './server.js';

runReceiverFromCli(process.argv.slice(2), process.env, {
  print: (line) => console.error(line),
  onStopped: () => process.exit(0),
}).catch((err: unknown) => {
  console.error(`ams receiver: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
