/**
 * One model call, one message. When two instrumentations describe the same model call (e.g.
 * OpenInference's Anthropic instrumentation around the Anthropic SDK's own span, or OpenLLMetry
 * beside the SDK), the trace holds two chat spans for it; the session must show one message and
 * count its tokens once. Runs over the records after every dialect mapped them (so both are in the
 * same `gen_ai.*` shape and the same meaning of tokens).
 *
 * Two chat spans are the same call when they share a `gen_ai.response.id` (and overlap in time,
 * and do not disagree on usage), or when one is the other's parent and both report the same usage
 * (input, output, cache read) or none (a failed call), for the same model. They become one record:
 * the outer one's place in the tree (id, parent, name), the richer one's attributes (more of the
 * fields the document shows) completed with what only the other had, both records' events, an
 * error status if either failed, both time ranges; the inner one's children move to it. Pure;
 * returns the input array itself when nothing is merged.
 */
import type { SpanRecord } from './record.js';
import { readNumber, readString } from './read.js';
import * as sc from './semconv.js';

/** The fields a session shows for a model call: the more a record has, the richer it is. */
const SHOWN = [
  sc.GEN_AI_INPUT_MESSAGES,
  sc.GEN_AI_OUTPUT_MESSAGES,
  sc.GEN_AI_SYSTEM_INSTRUCTIONS,
  sc.GEN_AI_USAGE_INPUT_TOKENS,
  sc.GEN_AI_USAGE_OUTPUT_TOKENS,
  sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  sc.GEN_AI_RESPONSE_FINISH_REASONS,
  sc.GEN_AI_RESPONSE_ID,
  sc.GEN_AI_RESPONSE_MODEL,
  sc.GEN_AI_REQUEST_MODEL,
  sc.AMS_COST_USD,
  sc.AMS_LLM_TTFT_MS,
] as const;

const isChat = (r: SpanRecord) => readString(r.attributes, sc.GEN_AI_OPERATION_NAME) === sc.OP_CHAT;

function usageKey(r: SpanRecord): string | undefined {
  const i = readNumber(r.attributes, sc.GEN_AI_USAGE_INPUT_TOKENS);
  const o = readNumber(r.attributes, sc.GEN_AI_USAGE_OUTPUT_TOKENS);
  return i === undefined || o === undefined ? undefined : `${i}/${o}/${readNumber(r.attributes, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS) ?? '-'}`;
}

/**
 * A response id alone is not proof (test data and some gateways reuse ids): two descriptions of one
 * call also overlap in time and do not disagree on usage.
 */
function sameCall(a: SpanRecord, b: SpanRecord): boolean {
  if (a.startTimeMs > b.endTimeMs || b.startTimeMs > a.endTimeMs) return false;
  const ka = usageKey(a);
  const kb = usageKey(b);
  return ka === undefined || kb === undefined || ka === kb;
}

/**
 * A chat span inside a chat span is one call described twice (a model call has no model call
 * inside it) when they report the same usage, or none at all (a failed call: both errored), and do
 * not name different models.
 */
function nestedSameCall(parent: SpanRecord, child: SpanRecord): boolean {
  if (usageKey(parent) !== usageKey(child)) return false;
  const pm = readString(parent.attributes, sc.GEN_AI_REQUEST_MODEL);
  const cm = readString(child.attributes, sc.GEN_AI_REQUEST_MODEL);
  return pm === undefined || cm === undefined || pm === cm;
}

function richness(r: SpanRecord): number {
  let n = 0;
  for (const k of SHOWN) if (r.attributes[k] !== undefined) n++;
  // Content counts by its size too: a record with the tool calls beats one with the text alone.
  const out = r.attributes[sc.GEN_AI_OUTPUT_MESSAGES];
  if (typeof out === 'string') n += out.length / 1e6;
  return n;
}

export function dedupeModelCalls(records: SpanRecord[]): SpanRecord[] {
  const chats = records.filter(isChat);
  if (chats.length < 2) return records;
  const pairs: Array<[string, string]> = [];
  const byResponse = new Map<string, SpanRecord>();
  const byId = new Map(records.map((r) => [r.spanId, r]));
  for (const c of chats) {
    const id = readString(c.attributes, sc.GEN_AI_RESPONSE_ID);
    const key = id === undefined ? undefined : `${c.traceId}/${id}`;
    const seen = key === undefined ? undefined : byResponse.get(key);
    if (seen && sameCall(seen, c)) pairs.push([seen.spanId, c.spanId]);
    else if (key !== undefined) byResponse.set(key, c);
    const parent = c.parentSpanId === undefined ? undefined : byId.get(c.parentSpanId);
    if (parent && isChat(parent) && nestedSameCall(parent, c)) pairs.push([parent.spanId, c.spanId]);
  }
  if (!pairs.length) return records;

  const current = new Map(byId);
  /** Where a dropped record went: its id -> the id of the record that absorbed it. */
  const alias = new Map<string, string>();
  const resolve = (id: string): string => {
    let cur = id;
    for (let i = 0; alias.has(cur) && i < 256; i++) cur = alias.get(cur)!;
    return cur;
  };
  for (const [x, y] of pairs) {
    const a = current.get(resolve(x));
    const b = current.get(resolve(y));
    if (!a || !b || a === b) continue;
    // The record stays where the outer one is (its id, parent, name: a root stays the root the
    // trace buffer chose), with the richer one's attributes first, then what only the other had.
    const outer = b.parentSpanId === a.spanId ? a : a.parentSpanId === b.spanId ? b : a.startTimeMs <= b.startTimeMs ? a : b;
    const inner = outer === a ? b : a;
    const [rich, poor] = richness(inner) > richness(outer) ? [inner, outer] : [outer, inner];
    const attributes = { ...rich.attributes };
    for (const k in poor.attributes) if (attributes[k] === undefined && poor.attributes[k] !== undefined) attributes[k] = poor.attributes[k];
    const merged: SpanRecord = {
      ...outer,
      attributes,
      events: [...outer.events, ...inner.events],
      startTimeMs: Math.min(outer.startTimeMs, inner.startTimeMs),
      endTimeMs: Math.max(outer.endTimeMs, inner.endTimeMs),
      status: rich.status.code === 'error' || poor.status.code !== 'error' ? rich.status : poor.status,
    };
    current.set(outer.spanId, merged);
    current.delete(inner.spanId);
    alias.set(inner.spanId, outer.spanId);
  }
  const out: SpanRecord[] = [];
  for (const r of records) {
    const now = current.get(r.spanId);
    if (!now) continue;
    const parent = now.parentSpanId === undefined ? undefined : resolve(now.parentSpanId);
    out.push(parent === now.parentSpanId ? now : { ...now, parentSpanId: parent });
  }
  return out;
}
