/**
 * The drop-in: swap the SDK's `query` for `tracedQuery` and every run is written as one session.
 *
 *   npx tsx examples/traced-query.ts            # scripted local API, no key needed
 *   npx tsx examples/traced-query.ts --live     # the real API (ANTHROPIC_API_KEY)
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js'; // 'ams-otel'
import { tracedQuery } from '../src/claude/index.js'; // 'ams-otel/claude'
import { exampleBackend } from '../src/demo/example-env.js';

// 1. Once per process: a provider with the session processor (sessions go to ./ams-data).
const provider = new NodeTracerProvider({
  spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir: './ams-data' }), onSessionWritten: ({ key }) => console.log(`session written: ams-data/${key}`) })],
});
provider.register();

const backend = await exampleBackend('Summarise the files in this directory.');
try {
  // 2. Where you called query({ prompt, options }), call tracedQuery with the same arguments,
  //    plus what the session should be labelled with.
  const q = tracedQuery({
    prompt: backend.prompt,
    options: { ...backend.options, maxTurns: 10 },
    agent: { name: 'support-bot', version: '2026.06' },
    environment: 'dev',
    tags: ['example'],
    metadata: { team_id: 't_42' },
  });
  // Exactly the messages query() would have yielded; q.interrupt(), q.setModel(), ... still work.
  for await (const message of q) {
    if (message.type === 'assistant') {
      for (const block of message.message.content) if (block.type === 'text') console.log(`assistant: ${block.text}`);
    }
    if (message.type === 'result') console.log(`result: ${message.subtype}, $${message.total_cost_usd.toFixed(4)}`);
  }
} finally {
  await backend.close();
  // 3. On exit: flush pending sessions.
  await provider.shutdown();
}
