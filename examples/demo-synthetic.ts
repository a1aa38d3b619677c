/**
 * `npm run demo:synthetic`: without the Claude SDK, a representative agent run (a prompt, model turns with thinking, tool calls —
 * one failing — and a subagent with its own tool call) through a real NodeTracerProvider and
 * SessionSpanProcessor, written to ./ams-data. No keys, no network.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import path from 'node:path';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionEvent } from '../src/index.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';

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
const line = (e: SessionEvent, depth: number): string[] => {
  const pad = '  '.repeat(depth);
  switch (e.type) {
    case 'user_prompt':
      return [`${pad}> ${e.prompt}`];
    case 'llm_message':
      return [`${pad}• ${e.model} (${e.usage.input_tokens} in / ${e.usage.output_tokens} out)${e.text ? `: ${e.text}` : ''}${e.tool_uses ? ` → ${e.tool_uses.map((u) => u.name).join(', ')}` : ''}`];
    case 'tool_call':
      return [`${pad}⚙ ${e.name} ${e.status}${e.error ? ` (${e.error})` : ''} ${e.duration_ms} ms`];
    case 'subagent':
      return [`${pad}↳ subagent ${e.agent_type}: why "${e.why}"`, ...e.events.flatMap((c) => line(c, depth + 1))];
    case 'notification':
      return [`${pad}! ${e.message}`];
    case 'failure':
      return [`${pad}✗ ${e.category}/${e.code}${e.message ? `: ${e.message}` : ''}`];
    case 'step':
      return [`${pad}- ${e.name}`];
  }
};
console.log(`session ${session.id} (${session.status}) — agent ${session.agent.name}, ${session.environment}, model ${session.model}`);
for (const l of session.events.flatMap((e) => line(e, 1))) console.log(l);
const t = session.totals;
console.log(`totals: ${t.input_tokens} in / ${t.output_tokens} out tokens, $${t.cost_usd} (${t.sources.cost_usd ?? 'events'}), ${t.tool_calls} tool calls, ${t.subagents} subagent, ${t.errors} error`);
console.log(`written to ${path.join(storage.dir, key)}`);
