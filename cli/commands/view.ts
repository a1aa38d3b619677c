import { Command } from 'commander';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolve, SETTINGS } from '../../src/config/env.js';
import { describeReader } from '../../src/query/reader.js';
import { addStorageOptions, EXIT_FAIL, EXIT_OK, UsageError, intFlag, readerFor } from '../common.js';
import { addSettingOptions, envWithFlags, settingsOf } from '../settings.js';
import type { CliContext, Values } from '../common.js';

const VIEWER = settingsOf(['viewer']);

export function viewCommand(ctx: CliContext): Command {
  const cmd = new Command('view')
    .summary('the web viewer and its query API on http://127.0.0.1:4320/')
    .description(
      [
        'Serves the web viewer (works offline) and its query API:',
        '  GET /                       the viewer; a session\'s link is /#/s/<id>',
        '  GET /api/sessions           index entries: filters as query parameters, offset, limit',
        '  GET /api/sessions/:id       one session (id, trace id or conversation id)',
        '  GET /api/stats              figures over the matching sessions, ?group_by=agent.version',
      ].join('\n'),
    )
    .option('--port <n>', 'port (0 = any free port)', '4320')
    .option('--host <addr>', 'listen address (sessions hold prompts and tool output: keep it local)', '127.0.0.1');
  addSettingOptions(cmd, VIEWER, 'Viewer (flags win over the environment):');
  addStorageOptions(cmd);
  return cmd.action(async (opts: Values) => {
    ctx.code = await view(cmd, ctx, opts);
  });
}

/** Why the viewer cannot listen, and what to do about it. */
function listenProblem(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === 'EADDRINUSE') return `port ${port} on ${host} is in use (another ams view or ams receiver?); pick another with --port <n>, or --port 0 for any free port`;
  if (err.code === 'EACCES') return `not allowed to listen on port ${port} (ports below 1024 need privileges); pick another with --port <n>`;
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return `cannot listen on ${host}: no such local address; check --host`;
  return `cannot listen on ${host}:${port}: ${err.message}`;
}

async function view(cmd: Command, ctx: CliContext, v: Values): Promise<number> {
  const port = intFlag(v, 'port', 'port', 4320, { note: '0 = any free port' });
  if (port > 65535) throw new UsageError(`--port must be at most 65535; got ${port}`);
  const host = typeof v.host === 'string' ? v.host : '127.0.0.1';
  const reader = await readerFor(cmd, ctx);
  const env = envWithFlags(cmd, VIEWER, ctx.env);
  // Loaded here: the other commands do not pay for Express.
  const [{ default: express }, { createViewerRouter }] = await Promise.all([import('express'), import('../../src/viewer/router.js')]);
  const app = express();
  app.disable('x-powered-by');
  // A name given to --host is a name this viewer answers to (addresses always are).
  const allowedHosts = [...resolve(SETTINGS.viewerAllowedHosts, undefined, env), ...(isIP(host) ? [] : [host.toLowerCase()])];
  app.use(createViewerRouter({ reader, allowedHosts }));
  const server = app.listen(port, host);
  const failed = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('listening', () => resolve(undefined));
    server.once('error', resolve);
  });
  if (failed) {
    process.stderr.write(`ams view: ${listenProblem(failed, host, port)}\n`);
    return EXIT_FAIL;
  }
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`ams viewer: http://${h}:${addr.port}/ (sessions from ${describeReader(reader)}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT_OK;
}
