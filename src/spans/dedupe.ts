/**
 * One model call, one message. When two instrumentations describe the same model call (e.g.
 * OpenInference's Anthropic instrumentation around the Anthropic SDK's own span, or OpenLLMetry
 * beside the SDK), the trace holds two chat spans for it; the session must show one message and
 * count its tokens once. Runs over the records after every dialect mapped them (so both are in the
 * same `gen_ai.*` shape and the same meaning of tokens).
 *
 * Two chat spans are the same call when they share a `gen_ai.response.id` (and overlap in time,
 * and do not disagree on usage), or when one is the other's parent and both report the same usage
 * (input, output, cache read) or none (a failed call), for the same model. The richer one (more
 * of the fields the document shows) is kept and takes what it lacks from the other (attributes,
 * events, an error status); the other is dropped, its children move to the kept one, and the kept
 * one spans both time ranges and takes the outer one's place in the tree. Pure; returns the input
 * array itself when nothing is merged.
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
  return i === undefined || o === undefined ? undefined : `${i}/${o}/${readNumber(r.attributes, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS) ?? 0}`;
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
    // Keep the richer; on a tie the outer (parent) one, else the earlier.
    const outer = b.parentSpanId === a.spanId ? a : a.parentSpanId === b.spanId ? b : a.startTimeMs <= b.startTimeMs ? a : b;
    const ra = richness(a);
    const rb = richness(b);
    const keep = ra === rb ? outer : ra > rb ? a : b;
    const drop = keep === a ? b : a;
    const attributes = { ...keep.attributes };
    for (const k in drop.attributes) if (attributes[k] === undefined && drop.attributes[k] !== undefined) attributes[k] = drop.attributes[k];
    const merged: SpanRecord = {
      ...keep,
      attributes,
      events: [...keep.events, ...drop.events],
      startTimeMs: Math.min(keep.startTimeMs, drop.startTimeMs),
      endTimeMs: Math.max(keep.endTimeMs, drop.endTimeMs),
      status: keep.status.code === 'error' || drop.status.code !== 'error' ? keep.status : drop.status,
    };
    // The kept one takes the outer one's place in the tree.
    if (keep !== outer) {
      if (outer.parentSpanId === undefined) delete merged.parentSpanId;
      else merged.parentSpanId = outer.parentSpanId;
      if (outer.parentIsRemote) merged.parentIsRemote = true;
      else delete merged.parentIsRemote;
    }
    current.set(keep.spanId, merged);
    current.delete(drop.spanId);
    alias.set(drop.spanId, keep.spanId);
  }
  const out: SpanRecord[] = [];
  for (const r of records) {
    const now = current.get(r.spanId);
    if (!now) continue;
    const parent = now.parentSpanId === undefined ? undefined : resolve(now.parentSpanId);
    out.push(parent === now.parentSpanId || parent === now.spanId ? now : { ...now, parentSpanId: parent });
  }
  return out;
}
