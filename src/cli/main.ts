#!/usr/bin/env node
/** Entry point of the `ams` command (package.json bin). */
import { run } from './run.js';

// `ams ls | head`: a closed pipe ends the command quietly, like any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), process.env);
// Let stdout drain (pipes) before exiting; timers and watchers are closed by the commands.
process.exitCode = code;
