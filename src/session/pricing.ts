/**
 * Cost of a model call whose producer reported none, from a price table (docs/cost.md).
 *
 * Order: a cost the producer reported wins (`cost_source: producer`); else the user's own prices
 * (option `prices` / env `AMS_PRICES`, for private models or negotiated rates); else the maintained
 * table of `@pydantic/genai-prices` (bundled data, offline: it is never asked to fetch updates);
 * else the cost is unknown (`cost_source: unknown`, no `cost_usd`: never $0).
 *
 * The table is loaded on the first call that needs it (assembly is synchronous, so through
 * `require`), never by `import 'ams-otel'`.
 */
import { createRequire } from 'node:module';
import { diag } from '@opentelemetry/api';
import type { Usage } from './types.js';

/** A model's prices in US dollars per million tokens (the table's own unit). */
export interface ModelPrices {
  input_mtok: number;
  output_mtok: number;
  /** Cache reads; default: the input price. */
  cache_read_mtok?: number;
  /** Cache writes; default: the input price. */
  cache_write_mtok?: number;
}

export interface PricingOptions {
  /**
   * Your prices by model name, checked before the table: an exact name (case-insensitive), or a
   * prefix ending in `*` (`my-model-*`). Env `AMS_PRICES`: the same map as JSON, or a path to a
   * JSON file holding it.
   */
  prices?: Record<string, ModelPrices>;
  /** Use the bundled price table for calls without a cost (default true; env `AMS_PRICE_TABLE`). */
  priceTable?: boolean;
}

/** A price found: the cost and what priced it (`override:<key>` or `genai-prices:<provider>/<model>`). */
export interface Priced {
  cost_usd: number;
  priced_as: string;
}

export type PriceLookup = (model: string, provider: string | undefined, usage: Usage) => Priced | undefined;

// --- the user's prices ---------------------------------------------------------------------------

const PER_MTOK = 1_000_000;

function priceWith(p: ModelPrices, u: Usage): number {
  const cacheRead = p.cache_read_mtok ?? p.input_mtok;
  const cacheWrite = p.cache_write_mtok ?? p.input_mtok;
  return (
    (u.input_tokens * p.input_mtok + u.output_tokens * p.output_mtok + u.cache_read_input_tokens * cacheRead + u.cache_creation_input_tokens * cacheWrite) /
    PER_MTOK
  );
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Checks a price map (from an option or AMS_PRICES); throws naming the first bad entry. */
export function validatePrices(raw: unknown, where: string): Record<string, ModelPrices> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where}: expected an object of model name -> { input_mtok, output_mtok, cache_read_mtok?, cache_write_mtok? }`);
  const out: Record<string, ModelPrices> = Object.create(null) as Record<string, ModelPrices>;
  for (const [model, p] of Object.entries(raw as Record<string, unknown>)) {
    const e = p as Partial<Record<keyof ModelPrices, unknown>> | null;
    if (!e || typeof e !== 'object' || !isPrice(e.input_mtok) || !isPrice(e.output_mtok)) {
      throw new Error(`${where}: "${model}" needs input_mtok and output_mtok, numbers >= 0 (US dollars per million tokens)`);
    }
    for (const k of ['cache_read_mtok', 'cache_write_mtok'] as const) {
      if (e[k] !== undefined && !isPrice(e[k])) throw new Error(`${where}: "${model}".${k} must be a number >= 0`);
    }
    out[model] = e as ModelPrices;
  }
  return out;
}

function overrideLookup(prices: Record<string, ModelPrices>): (model: string) => { key: string; prices: ModelPrices } | undefined {
  const exact = new Map<string, { key: string; prices: ModelPrices }>();
  const prefixes: { prefix: string; key: string; prices: ModelPrices }[] = [];
  for (const [key, p] of Object.entries(prices)) {
    if (key.endsWith('*')) prefixes.push({ prefix: key.slice(0, -1).toLowerCase(), key, prices: p });
    else exact.set(key.toLowerCase(), { key, prices: p });
  }
  // The longest prefix is the most specific.
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return (model) => {
    const m = model.toLowerCase();
    return exact.get(m) ?? prefixes.find((p) => m.startsWith(p.prefix));
  };
}

// --- the bundled table ---------------------------------------------------------------------------

interface TableResult {
  total_price: number;
  model: { id: string };
  provider: { id: string; models: unknown[] } & Record<string, unknown>;
}
interface TableModule {
  calcPrice(usage: Record<string, number>, model: string, options?: { providerId?: string; provider?: unknown }): TableResult | null;
}

export const PRICE_TABLE_PACKAGE = '@pydantic/genai-prices';
let table: TableModule | null | undefined;

function loadTable(): TableModule | null {
  if (table !== undefined) return table;
  try {
    table = createRequire(import.meta.url)(PRICE_TABLE_PACKAGE) as TableModule;
  } catch (err) {
    diag.warn(`ams-otel: the price table (${PRICE_TABLE_PACKAGE}) could not be loaded; costs producers did not report stay unknown`, err);
    table = null;
  }
  return table;
}

/**
 * OpenTelemetry's `gen_ai.provider.name` values (and producers' variants, e.g. the Vercel AI SDK's
 * `anthropic.messages`) to the table's provider ids; a name not listed is tried as it is, then
 * left to the table's own matching on the model name.
 */
const PROVIDER_IDS: Record<string, string> = {
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
};

function providerId(provider: string | undefined): string | undefined {
  if (!provider) return undefined;
  const p = provider.toLowerCase();
  return PROVIDER_IDS[p] ?? (p.includes('.') ? p.slice(0, p.indexOf('.')) : p);
}

/** Lookups remembered per (provider, model): the table's matching is the slow part. Bounded against hostile names. */
const MEMO_LIMIT = 1_000;

function tableLookup(): PriceLookup {
  // For each (provider, model): the one-model provider the table matched (pricing through it skips
  // the search), or null when the table has no price for it.
  const memo = new Map<string, { provider: unknown; label: string } | null>();
  return (model, provider, u) => {
    const mod = loadTable();
    if (!mod) return undefined;
    // The table counts input tokens with the cache included (its parts priced at their own rates).
    const usage = {
      input_tokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
      output_tokens: u.output_tokens,
      cache_read_tokens: u.cache_read_input_tokens,
      cache_write_tokens: u.cache_creation_input_tokens,
    };
    const id = providerId(provider);
    const key = `${id ?? ''}\u0000${model}`;
    let hit = memo.get(key);
    try {
      if (hit === undefined) {
        const found = (id !== undefined ? mod.calcPrice(usage, model, { providerId: id }) : null) ?? mod.calcPrice(usage, model);
        hit = found ? { provider: { ...found.provider, models: [found.model] }, label: `genai-prices:${found.provider.id}/${found.model.id}` } : null;
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(key, hit);
        if (found) return { cost_usd: found.total_price, priced_as: hit!.label };
      }
      if (hit === null) return undefined;
      const r = mod.calcPrice(usage, model, { provider: hit.provider });
      return r ? { cost_usd: r.total_price, priced_as: hit.label } : undefined;
    } catch (err) {
      // A table entry the library cannot apply (its own data error): unknown, not a failed session.
      diag.debug(`ams-otel: the price table could not price ${model}`, err);
      return undefined;
    }
  };
}

let shared: PriceLookup | undefined;

/** The bundled table alone, shared (assembleSession's default). */
export function defaultPriceLookup(): PriceLookup {
  return (shared ??= tableLookup());
}

/** The lookup these options describe, or false when nothing may price a call. */
export function priceLookup(options: PricingOptions): PriceLookup | false {
  const own = options.prices && Object.keys(options.prices).length ? overrideLookup(options.prices) : undefined;
  const fromTable = options.priceTable === false ? undefined : defaultPriceLookup();
  if (!own && !fromTable) return false;
  if (!own) return defaultPriceLookup();
  return (model, provider, usage) => {
    const o = own?.(model);
    if (o) return { cost_usd: priceWith(o.prices, usage), priced_as: `override:${o.key}` };
    return fromTable?.(model, provider, usage);
  };
}
