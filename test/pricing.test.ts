/**
 * Cost from a price table when the producer gives none (issue 12): the producer's figure wins,
 * then the user's own prices (option / AMS_PRICES), then the bundled @pydantic/genai-prices table;
 * what none of them can price stays unknown (`cost_source: unknown`, no cost_usd, never $0). Both
 * capture paths: the processor in-process, and the receiver's worker threads behind a real OTLP
 * exporter (the prices must reach the workers).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { ModelPrices, Session, SessionEvent } from '../src/index.js';
import { priceLookup, validatePrices } from '../src/session/pricing.js';
import * as sc from '../src/spans/semconv.js';
import { WrittenSessions } from './fixtures/otlp/http.js';
import { runCli, cleanEnv } from './support/ams-cli.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

type Llm = Extract<SessionEvent, { type: 'llm_message' }>;
interface Call {
  model: string;
  provider?: string;
  cost?: number;
}

const USAGE = { input: 1000, output: 200, cacheRead: 400, cacheWrite: 100 };

/** One agent run with a chat span per call, each with the same token counts (USAGE). */
function run(tracer: Tracer, calls: Call[]): void {
  const root = tracer.startSpan('invoke_agent priced', { attributes: { [sc.GEN_AI_OPERATION_NAME]: 'invoke_agent', [sc.GEN_AI_AGENT_NAME]: 'priced' } });
  const under = trace.setSpan(context.active(), root);
  // A millisecond apart, so the document lists them in this order.
  const at = Date.now();
  for (const [i, c] of calls.entries()) {
    const attributes = {
      [sc.GEN_AI_OPERATION_NAME]: 'chat',
      [sc.GEN_AI_REQUEST_MODEL]: c.model,
      [sc.GEN_AI_USAGE_INPUT_TOKENS]: USAGE.input,
      [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: USAGE.output,
      [sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: USAGE.cacheRead,
      [sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: USAGE.cacheWrite,
      ...(c.provider ? { [sc.GEN_AI_PROVIDER_NAME]: c.provider } : {}),
      ...(c.cost === undefined ? {} : { [sc.AMS_COST_USD]: c.cost }),
    };
    tracer.startSpan(`chat ${c.model}`, { attributes, startTime: at + i }, under).end(at + i + 1);
  }
  root.end();
}

/** Dollars for USAGE at the given per-million prices (cache at the input price unless given). */
function dollars(p: ModelPrices): number {
  return (USAGE.input * p.input_mtok + USAGE.output * p.output_mtok + USAGE.cacheRead * (p.cache_read_mtok ?? p.input_mtok) + USAGE.cacheWrite * (p.cache_write_mtok ?? p.input_mtok)) / 1e6;
}

/** claude-sonnet-4-5's list prices in the bundled table (per million: $3 in, $15 out, $0.30 cache read, $3.75 cache write). */
const SONNET: ModelPrices = { input_mtok: 3, output_mtok: 15, cache_read_mtok: 0.3, cache_write_mtok: 3.75 };
const PRIVATE: ModelPrices = { input_mtok: 1, output_mtok: 2 };
const TUNED: ModelPrices = { input_mtok: 0.5, output_mtok: 1, cache_read_mtok: 0.05, cache_write_mtok: 0.6 };
const PRICES = { 'acme-private-1': PRIVATE, 'acme-tuned-*': TUNED };

const CALLS: Call[] = [
  { model: 'claude-sonnet-4-5', provider: 'anthropic' },
  { model: 'ACME-private-1' },
  { model: 'acme-tuned-2026-01' },
  { model: 'house-unknown-7b' },
  // The producer's own figure wins over your prices.
  { model: 'acme-private-1', cost: 0.5 },
];

async function viaProcessor(options: ConstructorParameters<typeof SessionSpanProcessor>[0] extends infer O ? Omit<O & object, 'storage'> : never): Promise<Session> {
  const dir = tempDir('pricing');
  const written = new WrittenSessions();
  const provider = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor({ ...options, storage: new LocalStorage({ dir }), onSessionWritten: written.onSessionWritten })] });
  run(provider.getTracer('pricing'), CALLS);
  await provider.forceFlush();
  const event = await written.next();
  await provider.shutdown();
  return event.session;
}

function expectPriced(s: Session): void {
  expectValidSession(s);
  const msgs = s.events.filter((e): e is Llm => e.type === 'llm_message');
  expect(msgs.map((m) => [m.model, m.cost_source, m.priced_as])).toEqual([
    ['claude-sonnet-4-5', 'price_table', 'genai-prices:anthropic/claude-sonnet-4-5'],
    ['ACME-private-1', 'price_table', 'override:acme-private-1'],
    ['acme-tuned-2026-01', 'price_table', 'override:acme-tuned-*'],
    ['house-unknown-7b', 'unknown', undefined],
    ['acme-private-1', 'producer', undefined],
  ]);
  const [sonnet, priv, tuned, unknown, reported] = msgs;
  expect(sonnet!.cost_usd).toBeCloseTo(dollars(SONNET), 12);
  expect(priv!.cost_usd).toBeCloseTo(dollars(PRIVATE), 12);
  expect(tuned!.cost_usd).toBeCloseTo(dollars(TUNED), 12);
  expect(unknown).not.toHaveProperty('cost_usd');
  expect(reported!.cost_usd).toBe(0.5);
  // The unknown call is left out of the sum, and the sum says so.
  expect(s.totals.cost_usd).toBeCloseTo(dollars(SONNET) + dollars(PRIVATE) + dollars(TUNED) + 0.5, 9);
  expect(s.totals.cost_partial).toBe(true);
  expect(s.models['house-unknown-7b']!.cost_usd).toBeNull();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('cost from a price table', () => {
  it('processor: producer > your prices (exact, case-insensitive, or prefix*) > the bundled table > unknown', async () => {
    expectPriced(await viaProcessor({ prices: PRICES }));
  });

  it('AMS_PRICES as a file path; AMS_PRICE_TABLE=off leaves what only the table knows unknown', async () => {
    const file = path.join(tempDir('prices'), 'prices.json');
    writeFileSync(file, JSON.stringify(PRICES));
    vi.stubEnv('AMS_PRICES', file);
    vi.stubEnv('AMS_PRICE_TABLE', 'off');
    const s = await viaProcessor({});
    const msgs = s.events.filter((e): e is Llm => e.type === 'llm_message');
    expect(msgs.map((m) => m.cost_source)).toEqual(['unknown', 'price_table', 'price_table', 'unknown', 'producer']);
    expect(msgs[1]!.cost_usd).toBeCloseTo(dollars(PRIVATE), 12);
    // An option wins over the environment.
    const on = await viaProcessor({ priceTable: true, prices: PRICES });
    expect(on.events.filter((e): e is Llm => e.type === 'llm_message')[0]!.cost_source).toBe('price_table');
  });

  it('nothing to price without tokens or a model: unknown, never $0', () => {
    const price = priceLookup({ prices: PRICES });
    expect(price).not.toBe(false);
    if (price === false) return;
    expect(price('house-unknown-7b', undefined, { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 })).toBeUndefined();
    // The table applies its own tiers: claude-sonnet-4-5 costs double past 200k input tokens.
    const big = price('claude-sonnet-4-5', 'anthropic', { input_tokens: 300_000, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(big).toEqual({ cost_usd: expect.closeTo(300_000 * 6 / 1e6, 9) as number, priced_as: 'genai-prices:anthropic/claude-sonnet-4-5' });
    expect(priceLookup({ priceTable: false })).toBe(false);
  });

  it('a bad price map is refused naming the entry', () => {
    expect(() => validatePrices({ 'm-1': { input_mtok: 1 } }, 'AMS_PRICES')).toThrow('AMS_PRICES: "m-1" needs input_mtok and output_mtok');
    expect(() => validatePrices({ 'm-1': { input_mtok: 1, output_mtok: -2 } }, 'prices')).toThrow(/"m-1" needs/);
    expect(() => validatePrices({ 'm-1': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 'x' } }, 'prices')).toThrow('prices: "m-1".cache_read_mtok must be a number >= 0');
    expect(() => validatePrices([], 'prices')).toThrow(/expected an object/);
  });

  it('ams receiver refuses a bad --prices with a usage error (exit 2)', async () => {
    const r = await runCli(['receiver', '--port', '0', '--prices', '{"m-1": {"input_mtok": 1}}'], { env: cleanEnv({ AMS_LOCAL_DIR: tempDir('prices-cli') }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--prices');
    expect(r.stderr).toContain('input_mtok');
  });

  it('receiver with worker threads: AMS_PRICES reaches the workers, the table prices the rest', async () => {
    const dir = tempDir('pricing-recv');
    const written = new WrittenSessions();
    const receiver = createReceiver({
      storage: new LocalStorage({ dir }),
      workers: 2,
      walDir: false,
      waitMs: 0,
      env: { AMS_PRICES: JSON.stringify(PRICES) },
      onSessionWritten: written.onSessionWritten,
    });
    const url = `${(await receiver.start({ port: 0 })).url}/v1/traces`;
    try {
      const tp = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))] });
      run(tp.getTracer('pricing'), CALLS);
      await tp.shutdown();
      expectPriced((await written.next()).session);
    } finally {
      await receiver.stop();
    }
  });
});
