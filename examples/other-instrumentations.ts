/**
 * Sessions from other GenAI instrumentations: spans that OpenInference (Arize / Phoenix,
 * LangChain / LlamaIndex instrumentors) or OpenLLMetry (deprecated gen_ai.prompt.* forms) would
 * emit go through the same SessionSpanProcessor and become the same readable session. Here the
 * spans are emitted by hand with the attributes those libraries set, so the example runs offline;
 * with the real instrumentors you only add the processor to your provider.
 *
 *   npx tsx examples/other-instrumentations.ts
 */
import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ConsoleSink, SessionSpanProcessor } from '../src/index.js'; // 'ams-otel'
import type { Session } from '../src/index.js';

const sessions: Session[] = [];
const provider = new NodeTracerProvider({
  spanProcessors: [new SessionSpanProcessor({ storage: new ConsoleSink(), onSessionWritten: ({ session }) => sessions.push(session) })],
});
const tracer = provider.getTracer('example');

// OpenInference (what openinference-instrumentation-langchain records).
const chain = tracer.startSpan('AgentExecutor', {
  attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': JSON.stringify({ input: 'What is 2 + 3 * 4?' }), 'session.id': 'sess-1', 'tag.tags': ['demo'] },
});
const ctx = trace.setSpan(context.active(), chain);
const llm = tracer.startSpan(
  'ChatOpenAI',
  {
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'What is 2 + 3 * 4?',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'calculator',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"expr": "2 + 3 * 4"}',
      'llm.token_count.prompt': 60,
      'llm.token_count.completion': 18,
    },
  },
  ctx,
);
llm.end();
const tool = tracer.startSpan('calculator', { attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'calculator', 'input.value': '{"expr": "2 + 3 * 4"}', 'output.value': '14' } }, ctx);
tool.end();
// OpenLLMetry's deprecated gen_ai.* forms, in the same run.
const legacy = tracer.startSpan(
  'openai.chat',
  {
    attributes: {
      'gen_ai.system': 'openai',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.prompt.0.role': 'user',
      'gen_ai.prompt.0.content': 'Explain the result.',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Multiplication binds tighter than addition: 2 + 12 = 14.',
      'gen_ai.usage.prompt_tokens': 30,
      'gen_ai.usage.completion_tokens': 14,
    },
  },
  ctx,
);
legacy.end();
chain.end();

await provider.shutdown();
const s = sessions[0]!;
for (const e of s.events) {
  if (e.type === 'llm_message') console.log(`  llm ${e.model}: ${e.text ?? e.tool_uses?.map((u) => `→ ${u.name}(${JSON.stringify(u.input)})`).join(', ')}`);
  else if (e.type === 'tool_call') console.log(`  tool ${e.name}: ${JSON.stringify(e.input)} = ${JSON.stringify(e.result)}`);
  else if (e.type === 'user_prompt') console.log(`  prompt: ${e.prompt}`);
}
