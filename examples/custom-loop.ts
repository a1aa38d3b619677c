/**
 * Hand-rolled loop: instrumentOptions() + ClaudeTracer, for streaming input, multi-turn sessions,
 * or when you call the SDK's query() yourself.
 *
 *   npx tsx examples/custom-loop.ts            # scripted local API, no key needed
 *   npx tsx examples/custom-loop.ts --live     # the real API (ANTHROPIC_API_KEY)
 */
import { query } from '@anthropic-ai/claude-agent-sdk';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js'; // 'ams-otel'
import { ClaudeTracer, instrumentOptions } from '../src/claude/index.js'; // 'ams-otel/claude'
import { exampleBackend } from '../src/demo/example-env.js';

const provider = new NodeTracerProvider({
  spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir: './ams-data' }), onSessionWritten: ({ key }) => console.log(`session written: ams-data/${key}`) })],
});
const backend = await exampleBackend('What is in this directory?');

// One tracer per run (one session); it ends when you call finish().
const tracer = new ClaudeTracer({ agent: 'custom-loop', environment: 'dev', tracerProvider: provider, sdkOptions: backend.options });
// A copy of your options with the tracer's hooks appended after yours (yours are untouched).
const options = instrumentOptions(backend.options, tracer);

let error: unknown;
try {
  for await (const message of query({ prompt: backend.prompt, options })) {
    // recordMessage() returns false for messages that exist only for tracing (partial messages
    // you did not ask for): skip those so your loop sees what query() would have given it.
    if (!tracer.recordMessage(message)) continue;
    if (message.type === 'result') console.log(`result: ${message.subtype} after ${message.num_turns} turns`);
  }
} catch (err) {
  error = err;
  throw err;
} finally {
  // Lets pending reads (subagent transcripts, for exact usage) land, then ends every open span
  // and the root: the session is written.
  await tracer.flush();
  tracer.finish(error === undefined ? {} : { error });
  await backend.close();
  await provider.shutdown();
}
