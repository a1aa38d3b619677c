#!/usr/bin/env node
/** Entry point of the `ams` command (package.json bin). */
import { run } from './run.js';

// The AWS SDK warns on every S3 command that its 2027 releases will need Node 22; this package
// supports Node 20 and pins the SDK, so in a one-shot CLI that line is noise. Set the variable to
// "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `ams ls | head`: a closed pipe ends the command quietly, like any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), process.env);
// Let stdout drain (pipes) before exiting; timers and watchers are closed by the commands.
process.exitCode = code;
