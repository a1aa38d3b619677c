/**
 * Any agent, no Claude SDK: the generic API (startSession, step, llmCall, toolCall, retry,
 * stream, traced, decorators, recordFailure) on a small scripted "support agent". The model is a
 * local function so the example runs anywhere; swap in your OpenAI / Anthropic / local client
 * (llmCall reads usage and text from their response objects by itself).
 *
 *   npx tsx examples/any-agent.ts
 *
 * Writes the session to ./ams-data (LocalStorage), appends it to ./ams-data/sessions.jsonl, and
 * prints a one-line summary — with PII and secret redaction on.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ConsoleSink,
  fanOut,
  JsonlSink,
  llmCall,
  LocalStorage,
  recordFailure,
  retry,
  SessionSpanProcessor,
  startSession,
  step,
  stream,
  toolCall,
  traced,
  traceMethod,
} from '../src/index.js'; // 'ams-otel'

// 1. Once at startup: a provider with the SessionSpanProcessor. register() also installs the
//    async context manager, so steps nest correctly across `await`.
const provider = new NodeTracerProvider({
  spanProcessors: [
    new SessionSpanProcessor({
      storage: fanOut(new LocalStorage({ dir: './ams-data' }), new JsonlSink({ path: './ams-data/sessions.jsonl' }), new ConsoleSink()),
      redact: true, // or AMS_REDACT=on
      redactKeys: ['customer_token'],
    }),
  ],
});
provider.register();

// 2. Your agent code. A fake model keeps the example offline.
async function fakeModel(prompt: string): Promise<{ text: string; usage: { input_tokens: number; output_tokens: number } }> {
  await new Promise((r) => setTimeout(r, 20));
  return { text: `Your order A1 has shipped (re: ${prompt.slice(0, 30)}…)`, usage: { input_tokens: 420, output_tokens: 38 } };
}

class OrdersApi {
  private calls = 0;

  // A method decorator: each call is a tool call with its input and output recorded.
  @traceMethod({ kind: 'tool' })
  async lookup(orderId: string): Promise<{ id: string; status: string }> {
    this.calls += 1;
    if (this.calls === 1) throw Object.assign(new Error('orders service timed out'), { name: 'TimeoutError' });
    return { id: orderId, status: 'shipped' };
  }
}

// traced() wraps any function; here a retrieval step.
const searchFaq = traced(async (query: string) => [`FAQ: shipping takes 2-3 days (${query})`], { kind: 'retrieval', name: 'search_faq' });

const api = new OrdersApi();
const question = 'Where is order A1? My email is jane@example.com';

const answer = await startSession(
  { agent: { name: 'support-bot', version: '2026.06' }, environment: 'dev', tags: ['example'], metadata: { team_id: 't_42' }, prompt: question },
  async (session) => {
    const faq = await searchFaq(question);

    // Retries are separate steps with attempt numbers, linked to the attempt they retry.
    const order = await retry('fetch_order', () => api.lookup('A1'), { attempts: 3 });

    await step('plan', async (s) => {
      s.setOutput({ use: ['faq', 'order'], faq: faq.length, order: order.status });
    });

    // A model call: usage and cost are settable (or read from the SDK response you return).
    const reply = await llmCall(
      'local-model',
      async (call) => {
        const r = await fakeModel(question);
        call.setUsage({ inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens });
        call.setCost(0.00131);
        return r.text;
      },
      { provider: 'local', input: question },
    );

    // High-frequency events (token deltas) stay in order and bounded.
    const tokens = stream('reply_tokens', { maxEvents: 100 });
    for (const word of reply.split(' ')) tokens.event('delta', { text: word });
    tokens.end();

    await toolCall('send_reply', async () => ({ delivered: true }), { input: { to: 'jane@example.com', customer_token: 'tok_live_123', body: reply } });

    // A handled problem, classified for the session's failure list.
    recordFailure({ type: 'model', code: 'low_confidence', message: 'answer not grounded in the FAQ' });
    session.notify('reply sent', 'info');
    return reply;
  },
);

console.log(`agent answered: ${answer}`);
await provider.shutdown(); // flushes: the session is written before the process exits
