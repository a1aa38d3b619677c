/**
 * A real Claude Agent SDK session, traced into ./ams-data and printed as a tree.
 *
 *   npm run demo                             # the real SDK + CLI against a scripted local API (no key)
 *   ANTHROPIC_API_KEY=... npm run demo -- --live "your prompt"   # the real API
 */
import path from 'node:path';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { Session, SessionEvent } from '../src/index.js';
import { tracedQuery } from '../src/claude/index.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import { claudeSandbox } from '../src/demo/claude-env.js';
import { DEMO_PROMPT, demoScript } from '../src/demo/script.js';

const live = process.argv.includes('--live');
if (live && !process.env.ANTHROPIC_API_KEY) {
  console.error('demo: --live needs ANTHROPIC_API_KEY');
  process.exit(2);
}

const storage = new LocalStorage({ dir: process.env.AMS_LOCAL_DIR ?? './ams-data' });
let written: { session: Session; key: string } | undefined;
const processor = new SessionSpanProcessor({ storage, onSessionWritten: (w) => (written = w) });
const provider = new NodeTracerProvider({ spanProcessors: [processor] });

const api = live ? undefined : await startScriptedApi();
const sandbox = api ? claudeSandbox(api.url) : undefined;
api?.script(demoScript());
const prompt = live ? (process.argv.slice(2).find((a) => a !== '--live') ?? 'List the files here and tell me what this project is.') : DEMO_PROMPT;

try {
  const q = tracedQuery({
    prompt,
    options: sandbox
      ? sandbox.options
      : { permissionMode: 'default', canUseTool: async (_name, input) => ({ behavior: 'allow', updatedInput: input }), maxTurns: 8 },
    agent: { name: 'demo-agent', version: '0.1.0' },
    environment: live ? 'live' : 'demo',
    tags: ['demo', live ? 'live' : 'scripted'],
    metadata: { team: 'docs' },
    tracerProvider: provider,
  });
  for await (const m of q) {
    if (m.type === 'result') console.log(`result: ${m.subtype}${'result' in m ? ` — ${m.result}` : ''}\n`);
  }
} finally {
  await provider.shutdown();
  await api?.close();
  sandbox?.cleanup();
}

if (!written) {
  console.error('demo: no session was written');
  process.exit(1);
}

const line = (e: SessionEvent, depth: number): string[] => {
  const pad = '  '.repeat(depth);
  switch (e.type) {
    case 'user_prompt':
      return [`${pad}> ${e.synthetic ? '(synthetic) ' : ''}${e.prompt.split('\n')[0]}`];
    case 'llm_message': {
      const out = [`${pad}• ${e.model} ${e.duration_ms} ms (${e.usage.input_tokens} in / ${e.usage.output_tokens} out)${e.error ? ` ERROR ${e.error}` : ''}`];
      if (e.thinking) out.push(`${pad}    thinking: ${e.thinking}`);
      if (e.text) out.push(`${pad}    text: ${e.text}`);
      if (e.tool_uses) out.push(`${pad}    → ${e.tool_uses.map((u) => `${u.name}(${JSON.stringify(u.input)})`).join(', ')}`);
      return out;
    }
    case 'tool_call':
      return [`${pad}⚙ ${e.name} [${e.status}] ${e.duration_ms} ms${e.error ? ` — ${e.error.replace(/\s*\n\s*/g, " ⏎ ")}` : ''}`];
    case 'subagent':
      return [`${pad}↳ subagent ${e.agent_type} (${e.agent_id}) — why: "${e.why}"`, ...e.events.flatMap((c) => line(c, depth + 1))];
    case 'notification':
      return [`${pad}! [${e.kind}] ${e.message}`];
    case 'failure':
      return [`${pad}✗ ${e.category}/${e.code}${e.message ? `: ${e.message}` : ''}`];
    case 'step':
      return [`${pad}- ${e.name}`];
  }
};

const { session, key } = written;
console.log(`session ${session.id} (${session.status}${session.status_reason ? `: ${session.status_reason}` : ''})`);
console.log(`  agent ${session.agent.name} ${session.agent.version ?? ''}, env ${session.environment}, model ${session.model}, conversation ${session.conversation_id}`);
for (const l of session.events.flatMap((e) => line(e, 1))) console.log(l);
const t = session.totals;
console.log(
  `totals (${t.sources.tokens ?? 'events'}): ${t.input_tokens} in / ${t.output_tokens} out / ${t.cache_read_input_tokens} cache read tokens, $${t.cost_usd.toFixed(6)}, ${t.turns} turns, ${t.tool_calls} tool calls, ${t.subagents} subagent(s), ${t.errors} error(s)`,
);
if (t.event_sums) console.log(`  per-call sums differ from the SDK's figures: ${JSON.stringify(t.event_sums)}`);
console.log(`written to ${path.join(storage.dir, key)}`);
