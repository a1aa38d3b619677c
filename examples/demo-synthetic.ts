/**
 * `npm run demo:synthetic`: without the Claude SDK, a representative agent run (a prompt, model turns with thinking, tool calls —
 * one failing — and a subagent with its own tool call) through a real NodeTracerProvider and
 * SessionSpanProcessor, written to ./ams-data. No keys, no network.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import path from 'node:path';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session } from '../src/index.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';
import { renderTree } from '../src/render/session.js';

const storage = new LocalStorage({ dir: process.env.AMS_LOCAL_DIR ?? './ams-data' });
let written: { session: Session; key: string } | undefined;
const processor = new SessionSpanProcessor({ storage, onSessionWritten: (w) => (written = w) });
const provider = new NodeTracerProvider({ spanProcessors: [processor] });
const tracer = provider.getTracer('ams-otel-demo');

emitAgentRun(tracer, { startMs: Date.now() - 8000, sdkTotals: true });
await provider.shutdown();

if (!written) {
  console.error('demo: no session was written; see the warnings above');
  process.exit(1);
}
const { session, key } = written;
console.log(renderTree(session).join('\n'));
console.log(`\nsession ${session.id} (${session.status}) written to ${path.join(storage.dir, key)}`);
