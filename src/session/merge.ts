/**
 * mergeSessions(): one document for a session that spans several traces (the Claude Code CLI
 * sends one trace per interaction, all sharing a session id; a generic-API user may give several
 * traces the same `ams.session.id`). Pure and deterministic, no I/O.
 *
 * A document is a set of per-trace parts. A single-trace document (what assembleSession() returns)
 * is one part: its header and its events, with no `traces` field. A document of several traces
 * keeps each trace's own header in `traces` (in order of start) and every top-level event carries
 * its `trace_id`, so the parts can be told apart again. Merging is a union of parts where, for the
 * same trace, the newer part wins (higher per-trace revision, then more spans, then later end):
 * an interaction re-sent with late spans replaces its earlier events instead of adding to them.
 * The combined header is rebuilt from the parts alone, so merging A then B gives the same document
 * as B then A (only the revision counts writes).
 */
import { addCost, combineTotals, costMixed, mostUsedModel } from './totals.js';
import type { ModelEntry, Session, SessionEvent, SessionStatus, SessionTrace } from './types.js';

/** One trace of a session: the header its own document had, and its events (without trace_id). */
export interface SessionPart {
  header: SessionTrace;
  events: SessionEvent[];
}

/**
 * Merges `incoming` (usually one trace's freshly assembled document, possibly itself a merged one)
 * into `stored`. Returns `stored` itself (the same object) when `incoming` adds nothing newer,
 * `incoming` itself when nothing is stored, and otherwise a new document with revision
 * `stored.revision + 1` (for a document that is still one trace, at least that trace's revision).
 */
export function mergeSessions(stored: Session | undefined, incoming: Session): Session {
  if (!stored) return incoming;
  const parts = new Map<string, SessionPart>();
  for (const p of splitSession(stored)) parts.set(p.header.trace_id, p);
  let changed = false;
  for (const p of splitSession(incoming)) {
    const current = parts.get(p.header.trace_id);
    if (!current || supersedes(p.header, current.header)) {
      parts.set(p.header.trace_id, p);
      changed = true;
    }
  }
  if (!changed) return stored;
  return joinParts(stored.schema_version, stored.id, [...parts.values()], stored.revision + 1);
}

/** A newer version of the same trace: higher revision, then more spans kept, then a later end. */
function supersedes(a: SessionTrace, b: SessionTrace): boolean {
  if (a.revision !== b.revision) return a.revision > b.revision;
  if (a.spans.kept !== b.spans.kept) return a.spans.kept > b.spans.kept;
  return Date.parse(a.ended_at) > Date.parse(b.ended_at);
}

/** The per-trace parts of a document. */
export function splitSession(doc: Session): SessionPart[] {
  if (!doc.traces || doc.traces.length === 0) return [{ header: headerOf(doc), events: doc.events }];
  const byTrace = new Map<string, SessionEvent[]>();
  for (const t of doc.traces) byTrace.set(t.trace_id, []);
  // An event without a known trace id (hand-edited document) stays with the first trace.
  const fallback = byTrace.get(doc.traces[0]!.trace_id)!;
  for (const e of doc.events) {
    const list = (e.trace_id !== undefined ? byTrace.get(e.trace_id) : undefined) ?? fallback;
    const copy = { ...e };
    delete copy.trace_id;
    list.push(copy);
  }
  return doc.traces.map((t) => ({ header: t, events: byTrace.get(t.trace_id)! }));
}

/** The header of a single-trace document, key by key in the model's order. */
function headerOf(doc: Session): SessionTrace {
  const h = { trace_id: doc.trace_id } as SessionTrace;
  if (doc.root_span_id !== undefined) h.root_span_id = doc.root_span_id;
  if (doc.conversation_id !== undefined) h.conversation_id = doc.conversation_id;
  h.revision = doc.revision;
  h.status = doc.status;
  if (doc.status_reason !== undefined) h.status_reason = doc.status_reason;
  if (doc.error_type !== undefined) h.error_type = doc.error_type;
  h.agent = doc.agent;
  if (doc.service !== undefined) h.service = doc.service;
  if (doc.environment !== undefined) h.environment = doc.environment;
  h.tags = doc.tags;
  h.metadata = doc.metadata;
  if (doc.model !== undefined) h.model = doc.model;
  if (doc.system_prompt !== undefined) h.system_prompt = doc.system_prompt;
  h.models = doc.models;
  h.started_at = doc.started_at;
  h.ended_at = doc.ended_at;
  h.totals = doc.totals;
  h.spans = doc.spans;
  return h;
}

const ms = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

function byStart(a: SessionPart, b: SessionPart): number {
  const d = ms(a.header.started_at) - ms(b.header.started_at);
  if (d !== 0) return d;
  return a.header.trace_id < b.header.trace_id ? -1 : a.header.trace_id > b.header.trace_id ? 1 : 0;
}

const STATUS_RANK: Record<SessionStatus, number> = { ok: 0, incomplete: 1, error: 2 };

function firstDefined<T>(parts: SessionPart[], pick: (h: SessionTrace) => T | undefined): T | undefined {
  for (const p of parts) {
    const v = pick(p.header);
    if (v !== undefined) return v;
  }
  return undefined;
}

function combineModels(parts: SessionPart[]): Record<string, ModelEntry> {
  const sums = new Map<string, ModelEntry>();
  const seen = new Map<string, ModelEntry[]>();
  for (const p of parts) {
    for (const [name, u] of Object.entries(p.header.models)) {
      const m: ModelEntry = sums.get(name) ?? { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: null };
      m.input_tokens += u.input_tokens;
      m.output_tokens += u.output_tokens;
      m.cache_read_input_tokens += u.cache_read_input_tokens;
      m.cache_creation_input_tokens += u.cache_creation_input_tokens;
      // Unknown stays unknown: null + null = null, null + x = x (marked partial below).
      m.cost_usd = addCost(m.cost_usd, u.cost_usd);
      // The name it was asked for, from whichever trace knew it.
      if (u.request_model !== undefined && m.request_model === undefined) m.request_model = u.request_model;
      sums.set(name, m);
      seen.set(name, [...(seen.get(name) ?? []), u]);
    }
  }
  const out: Record<string, ModelEntry> = {};
  for (const name of [...sums.keys()].sort()) {
    const { request_model, ...m } = sums.get(name)!;
    if (costMixed(seen.get(name)!)) m.cost_partial = true;
    // Key order as the model declares it: request_model first.
    out[name] = request_model !== undefined ? { request_model, ...m } : m;
  }
  return out;
}

/** Builds the document from its parts (in any order): everything derives from the parts alone. */
export function joinParts(schemaVersion: Session['schema_version'], id: string, unordered: SessionPart[], revision: number): Session {
  const parts = unordered.slice().sort(byStart);
  if (parts.length === 1) {
    // A single-trace document's revision is its trace's (what splitSession reads back).
    const { header, events } = parts[0]!;
    const doc = { schema_version: schemaVersion, id, ...header } as Session;
    doc.revision = Math.max(revision, header.revision);
    doc.events = events;
    return doc;
  }
  // The document names its first interaction (a part with a prompt), not a part of notices only
  // (e.g. the Claude Code CLI's startup events, which carry neither a prompt nor a trace).
  const first = (parts.find((p) => p.events.some((e) => e.type === 'user_prompt')) ?? parts[0]!).header;
  const doc = { schema_version: schemaVersion, id, trace_id: first.trace_id } as Session;
  if (first.root_span_id !== undefined) doc.root_span_id = first.root_span_id;
  const conversationId = firstDefined(parts, (h) => h.conversation_id);
  if (conversationId !== undefined) doc.conversation_id = conversationId;
  doc.revision = revision;
  let status: SessionStatus = 'ok';
  const reasons: string[] = [];
  for (const { header } of parts) {
    if (STATUS_RANK[header.status] > STATUS_RANK[status]) status = header.status;
    if (header.status !== 'ok' && header.status_reason && !reasons.includes(header.status_reason)) reasons.push(header.status_reason);
  }
  doc.status = status;
  if (reasons.length) doc.status_reason = reasons.join('; ');
  const errorType = firstDefined(parts, (h) => h.error_type);
  if (errorType !== undefined) doc.error_type = errorType;
  doc.agent = first.agent;
  const service = firstDefined(parts, (h) => h.service);
  if (service !== undefined) doc.service = service;
  const environment = firstDefined(parts, (h) => h.environment);
  if (environment !== undefined) doc.environment = environment;
  const tags: string[] = [];
  const metadata: Session['metadata'] = {};
  for (const { header } of parts) {
    for (const t of header.tags) if (!tags.includes(t)) tags.push(t);
    // A key set by several interactions keeps the latest one's value.
    Object.assign(metadata, header.metadata);
  }
  doc.tags = tags;
  doc.metadata = {};
  for (const k of Object.keys(metadata).sort()) doc.metadata[k] = metadata[k]!;
  const models = combineModels(parts);
  let model = mostUsedModel(models);
  for (let i = parts.length - 1; model === undefined && i >= 0; i--) model = parts[i]!.header.model;
  if (model !== undefined) doc.model = model;
  // The latest interaction's instructions are the ones in force (each trace keeps its own in traces[]).
  for (let i = parts.length - 1; doc.system_prompt === undefined && i >= 0; i--) {
    const sp = parts[i]!.header.system_prompt;
    if (sp !== undefined) doc.system_prompt = sp;
  }
  doc.models = models;
  let start = parts[0]!.header.started_at;
  let end = parts[0]!.header.ended_at;
  for (const { header } of parts) {
    if (ms(header.started_at) < ms(start)) start = header.started_at;
    if (ms(header.ended_at) > ms(end)) end = header.ended_at;
  }
  doc.started_at = start;
  doc.ended_at = end;
  doc.totals = combineTotals(
    parts.map((p) => p.header.totals),
    ms(end) - ms(start),
  );
  doc.spans = {
    kept: parts.reduce((n, p) => n + p.header.spans.kept, 0),
    dropped: parts.reduce((n, p) => n + p.header.spans.dropped, 0),
  };
  doc.traces = parts.map((p) => p.header);
  const events: SessionEvent[] = [];
  for (const { header, events: list } of parts) {
    for (const e of list) events.push({ ...e, trace_id: header.trace_id });
  }
  doc.events = events;
  return doc;
}
