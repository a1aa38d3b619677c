// One run of the Vercel AI SDK 7 (Node >= 22) with its OpenTelemetry integration (@ai-sdk/otel),
// started by test/vercel-ai-7.test.ts as a Node 22 child: the model calls a tool that succeeds
// and one that throws, then answers (the same scenario as test/support/vercel-ai-run.ts).
// Spans go to ams-otel's SessionSpanProcessor (built dist/) or to an OTLP exporter.
//   node run.mjs <anthropic|openai-chat> <generate|stream> <model API base URL> <tag> processor <dir>
//   node run.mjs <anthropic|openai-chat> <generate|stream> <model API base URL> <tag> otlp <url>
import process from 'node:process';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { generateText, registerTelemetry, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { LocalStorage, SessionSpanProcessor } from '../../dist/src/index.js';

const [provider, mode, baseUrl, tag, sink, target] = process.argv.slice(2);
const processor =
  sink === 'processor' ? new SessionSpanProcessor({ storage: new LocalStorage({ dir: target }) }) : new BatchSpanProcessor(new OTLPTraceExporter({ url: target }));
const tp = new NodeTracerProvider({ spanProcessors: [processor] });
tp.register();
registerTelemetry(new OpenTelemetry());

const model =
  provider === 'anthropic'
    ? createAnthropic({ baseURL: `${baseUrl}/v1`, apiKey: 'sk-ant-test' })('claude-sonnet-4-5')
    : createOpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'sk-test' }).chat('gpt-4o-mini');
const call = {
  model,
  system: 'You are a support agent.',
  prompt: `Where is order A1? Refund it if it is late. [${tag}]`,
  tools: {
    lookup_order: tool({ description: 'Look an order up', inputSchema: z.object({ orderId: z.string() }), execute: async () => ({ status: 'shipped', eta: 'yesterday' }) }),
    refund: tool({
      description: 'Refund an order',
      inputSchema: z.object({ orderId: z.string() }),
      execute: async () => {
        throw new Error('refunds are disabled');
      },
    }),
  },
  stopWhen: stepCountIs(4),
  telemetry: { isEnabled: true, functionId: 'support-bot' },
};
let text;
if (mode === 'stream') {
  const result = streamText(call);
  await result.consumeStream();
  text = await result.text;
} else {
  text = (await generateText(call)).text;
}
await tp.shutdown();
process.stdout.write(JSON.stringify({ text }));
