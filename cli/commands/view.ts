import express from 'express';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/env.js';
import { describeReader } from '../../src/query/reader.js';
import { createViewerRouter } from '../../src/viewer/router.js';
import { EXIT_OK, STORAGE_HELP, UsageError, intFlag, readerFor, storageOptions } from '../common.js';
import type { Values } from '../common.js';

export const VIEW_USAGE = `Usage: ams view [--port 4320] [--host 127.0.0.1]

Serves the web viewer (works offline) and its query API:
  GET /                       the viewer; a session's link is /#/s/<id>
  GET /api/sessions           index entries: filters as query parameters, offset, limit
  GET /api/sessions/:id       one session (id, trace id or conversation id)
  --port <n>              default 4320 (0 = any free port)
  --host <addr>           default 127.0.0.1 (sessions hold prompts and tool output: keep it local)

${STORAGE_HELP}`;

export async function view(argv: string[], env: Env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...storageOptions, port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const v = values as Values;
  if (v.help) {
    process.stdout.write(`${VIEW_USAGE}\n`);
    return EXIT_OK;
  }
  const port = intFlag(v, 'port', 4320);
  if (port > 65535) throw new UsageError('--port must be at most 65535');
  const host = typeof v.host === 'string' ? v.host : '127.0.0.1';
  const reader = await readerFor(v, env);
  const app = express();
  app.disable('x-powered-by');
  app.use(createViewerRouter({ reader }));
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
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
