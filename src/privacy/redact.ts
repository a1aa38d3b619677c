/**
 * applyPrivacy(): one pure pass over an assembled Session, run before anything is written. Both
 * capture paths call it (the in-process processor directly, the receiver through withPrivacy()
 * storage), so a session is redacted the same way whichever way it came.
 *
 * Order: privacy mode drops content -> redactKeys replace named fields -> patterns redact PII and
 * secrets -> the user's mask runs last on each content value (fail closed).
 */
import { diag } from '@opentelemetry/api';
import type {
  FailureEvent,
  JsonValue,
  LlmMessageEvent,
  NotificationEvent,
  Session,
  SessionEvent,
  StepEvent,
  SubagentEvent,
  ToolCallEvent,
  UserPromptEvent,
} from '../session/types.js';
import type { AttributeValue, Attributes, SpanRecord } from '../spans/record.js';
import type { PrivacyOptions, ResolvedPrivacy } from './options.js';
import { normalizeKey, resolvePrivacy } from './options.js';
import { isCardNumber, redactedMarker, redactText } from './patterns.js';
import { setOwn } from '../spans/own.js';

/** The value of a field named in redactKeys. */
export const REDACTED = '[REDACTED]';
/** What a value becomes when the user's mask throws or returns something unusable. */
export const MASK_FAILED = '[MASK_FAILED]';
/** Content left out in privacy mode (captureContent off) where the schema needs a string. */
export const OMITTED = '[omitted]';

/** Deeper JSON than this is replaced whole rather than walked (a stack-safe bound). */
const MAX_DEPTH = 100;
/** Distinct names remembered per session; past this they are still redacted, just not cached. */
const MAX_NAMES = 10_000;

/** Step attributes whose string values are names, not content: kept in privacy mode. */
const STRUCTURAL_ATTRIBUTES = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.agent.name',
  'gen_ai.tool.name',
  'gen_ai.tool.type',
  'ams.step.kind',
  'ams.retry_of',
  'error.type',
  'openinference.span.kind',
]);

let maskFailures = 0;

function isResolved(p: PrivacyOptions | ResolvedPrivacy): p is ResolvedPrivacy {
  return typeof (p as ResolvedPrivacy).noop === 'boolean' && (p as ResolvedPrivacy).redactKeys instanceof Set;
}

/**
 * Returns a copy of `session` with the privacy settings applied (or `session` itself when they
 * change nothing). Never throws for a mask's sake: a failing mask yields MASK_FAILED.
 */
export function applyPrivacy(session: Session, privacy: PrivacyOptions | ResolvedPrivacy = {}): Session {
  const p = isResolved(privacy) ? privacy : resolvePrivacy(privacy);
  if (p.noop) return session;
  return new Redactor(p).session(session);
}

/**
 * Redaction of spans before they are kept anywhere on the way to a session (the receiver's
 * write-ahead log): with redaction on (`redact`, `redactKeys`, extra patterns), every string value
 * of the spans' attributes, events, resource and status goes through the same keys and patterns
 * as the session (JSON inside strings walked); a value under a redacted key becomes REDACTED;
 * attribute keys and span and event names are redacted as names (patterns only: the names the
 * producers' mappings read match none). Ids, numbers and times are kept, and privacy mode and the
 * user's mask are left to the session (applyPrivacy), so the document is the same whether or not
 * its spans were redacted first. Returns `records` itself
 * when redaction is off.
 */
export function redactSpanRecords(records: SpanRecord[], privacy: ResolvedPrivacy): SpanRecord[] {
  if (privacy.patterns.length === 0 && privacy.redactKeys.size === 0) return records;
  const r = new Redactor(privacy);
  return records.map((rec) => r.record(rec));
}

class Redactor {
  /** Names repeat across spans (attribute keys, models, servers): each distinct one is scanned once per session. */
  private readonly names = new Map<string, string>();

  constructor(private readonly p: ResolvedPrivacy) {}

  session(s: Session): Session {
    const out: Session = { ...s };
    out.agent = { ...s.agent, name: this.text(s.agent.name) };
    if (s.agent.version !== undefined) out.agent.version = this.text(s.agent.version);
    if (s.environment !== undefined) out.environment = this.text(s.environment);
    if (s.service !== undefined) out.service = this.text(s.service);
    if (s.conversation_id !== undefined) out.conversation_id = this.text(s.conversation_id);
    if (s.status_reason !== undefined) {
      // An error's reason is often the exception text (content); incomplete reasons are ours (counts).
      out.status_reason = !this.p.captureContent && s.status === 'error' ? OMITTED : this.text(s.status_reason);
    }
    out.tags = s.tags.map((t) => this.text(t));
    const metadata: Session['metadata'] = {};
    for (const [k, v] of Object.entries(s.metadata)) {
      metadata[this.key(k, metadata)] = this.p.redactKeys.has(normalizeKey(k)) ? REDACTED : typeof v === 'string' ? this.text(v) : this.scalarNumber(v);
    }
    out.metadata = metadata;
    if (s.model !== undefined) out.model = this.name(s.model);
    // Instructions are content: masked, redacted, or omitted with the rest of it.
    if (s.system_prompt !== undefined) out.system_prompt = this.p.captureContent ? this.contentText(s.system_prompt, 'system_prompt') : OMITTED;
    const models: Session['models'] = {};
    for (const [k, v] of Object.entries(s.models)) models[this.key(k, models)] = v.request_model !== undefined ? { ...v, request_model: this.name(v.request_model) } : v;
    out.models = models;
    out.events = this.events(s.events);
    return out;
  }

  record(rec: SpanRecord): SpanRecord {
    const out: SpanRecord = { ...rec, name: this.name(rec.name), attributes: this.attributes(rec.attributes), resource: this.attributes(rec.resource) };
    if (rec.status.message !== undefined) out.status = { ...rec.status, message: this.text(rec.status.message) };
    if (rec.events.length) out.events = rec.events.map((e) => ({ ...e, name: this.name(e.name), attributes: this.attributes(e.attributes) }));
    return out;
  }

  private attributes(attrs: Attributes): Attributes {
    const out: Attributes = {};
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      let value = v;
      if (this.attributeKeyRedacted(k)) value = REDACTED;
      else if (typeof v === 'string') value = this.text(v);
      else if (Array.isArray(v)) value = v.map((x) => (typeof x === 'string' ? this.text(x) : x)) as AttributeValue;
      // The key as the session would show it (names the mappings read match no pattern).
      setOwn(out, this.key(k, out), value);
    }
    return out;
  }

  private events(events: SessionEvent[]): SessionEvent[] {
    return events.map((e) => this.event(e));
  }

  private event(e: SessionEvent): SessionEvent {
    switch (e.type) {
      case 'user_prompt':
        return { ...e, prompt: this.p.captureContent ? this.contentText(e.prompt, 'user_prompt.prompt') : OMITTED } satisfies UserPromptEvent;
      case 'llm_message':
        return this.llm(e);
      case 'tool_call':
        return this.tool(e);
      case 'subagent':
        return this.subagent(e);
      case 'notification':
        return this.notification(e);
      case 'failure': {
        const out: FailureEvent = { ...e, code: this.text(e.code) };
        if (e.step !== undefined) out.step = this.text(e.step);
        if (e.error_type !== undefined) out.error_type = this.name(e.error_type);
        if (e.message !== undefined) {
          if (this.p.captureContent) out.message = this.contentText(e.message, 'failure.message');
          else delete out.message;
        }
        return out;
      }
      case 'step':
        return this.step(e);
      default:
        return e;
    }
  }

  private notification(e: NotificationEvent): NotificationEvent {
    const out: NotificationEvent = { ...e, message: this.p.captureContent ? this.contentText(e.message, 'notification.message') : OMITTED };
    if (e.kind !== undefined) out.kind = this.name(e.kind);
    return out;
  }

  private llm(e: LlmMessageEvent): LlmMessageEvent {
    const out: LlmMessageEvent = { ...e };
    if (e.model !== undefined) out.model = this.name(e.model);
    if (e.response_id !== undefined) out.response_id = this.name(e.response_id);
    if (e.finish_reasons) out.finish_reasons = e.finish_reasons.map((r) => this.name(r));
    if (!this.p.captureContent || !this.p.captureThinking) delete out.thinking;
    else if (e.thinking !== undefined) out.thinking = this.contentText(e.thinking, 'llm_message.thinking');
    if (!this.p.captureContent) delete out.text;
    else if (e.text !== undefined) out.text = this.contentText(e.text, 'llm_message.text');
    if (e.tool_uses) {
      out.tool_uses = e.tool_uses.map((u) => {
        const part = { ...u, name: this.text(u.name) };
        if (u.id !== undefined) part.id = this.name(u.id);
        if (!this.p.captureContent) delete part.input;
        else if (u.input !== undefined) part.input = this.contentJson(u.input, 'llm_message.tool_uses.input');
        return part;
      });
    }
    if (typeof e.error === 'string') out.error = this.errorText(e.error, 'llm_message.error');
    if (e.error_type !== undefined) out.error_type = this.name(e.error_type);
    return out;
  }

  private tool(e: ToolCallEvent): ToolCallEvent {
    const out: ToolCallEvent = { ...e, name: this.text(e.name) };
    if (e.tool_use_id !== undefined) out.tool_use_id = this.name(e.tool_use_id);
    if (e.mcp_server !== undefined) out.mcp_server = this.name(e.mcp_server);
    for (const f of ['input', 'result'] as const) {
      if (e[f] === undefined) continue;
      if (!this.p.captureContent) delete out[f];
      else out[f] = this.contentJson(e[f], `tool_call.${f}`);
    }
    if (typeof e.error === 'string') out.error = this.errorText(e.error, 'tool_call.error');
    if (e.error_type !== undefined) out.error_type = this.name(e.error_type);
    return out;
  }

  private subagent(e: SubagentEvent): SubagentEvent {
    const out: SubagentEvent = { ...e, events: this.events(e.events) };
    for (const f of ['why', 'description', 'transcript_path'] as const) {
      const v = e[f];
      if (v === undefined) continue;
      if (!this.p.captureContent) delete out[f];
      else out[f] = this.contentText(v, `subagent.${f}`);
    }
    if (e.name !== undefined) out.name = this.text(e.name);
    if (e.agent_type !== undefined) out.agent_type = this.text(e.agent_type);
    if (e.agent_id !== undefined) out.agent_id = this.name(e.agent_id);
    if (e.tool_use_id !== undefined) out.tool_use_id = this.name(e.tool_use_id);
    if (typeof e.error === 'string') out.error = this.errorText(e.error, 'subagent.error');
    if (e.error_type !== undefined) out.error_type = this.name(e.error_type);
    return out;
  }

  private step(e: StepEvent): StepEvent {
    const out: StepEvent = { ...e, name: this.text(e.name) };
    const attributes: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(e.attributes)) {
      // Decided on the key as sent; written under the key as redacted.
      const key = this.key(k, attributes);
      let value: JsonValue;
      if (this.attributeKeyRedacted(k)) {
        value = REDACTED;
      } else if (!this.p.captureContent && !STRUCTURAL_ATTRIBUTES.has(k) && typeof v !== 'number' && typeof v !== 'boolean' && v !== null) {
        value = OMITTED;
      } else if (STRUCTURAL_ATTRIBUTES.has(k) || typeof v === 'number' || typeof v === 'boolean' || v === null) {
        value = this.json(v, 0);
      } else {
        value = this.contentJson(v, `step.attributes.${key}`);
      }
      setOwn(attributes, key, value);
    }
    out.attributes = attributes;
    if (typeof e.error === 'string') out.error = this.errorText(e.error, 'step.error');
    if (e.error_type !== undefined) out.error_type = this.name(e.error_type);
    if (e.events) out.events = this.events(e.events);
    return out;
  }

  // ---- names and keys ----------------------------------------------------------------------

  /** An attribute whose key, whole or its last dotted segment (`ams.metadata.api_key`), is in redactKeys. */
  private attributeKeyRedacted(k: string): boolean {
    return this.p.redactKeys.has(normalizeKey(k)) || this.p.redactKeys.has(normalizeKey(k.slice(k.lastIndexOf('.') + 1)));
  }

  /**
   * A name or id (model, tool call id, MCP server, attribute or metadata key): the patterns only
   * (no JSON walk), memoized. Privacy mode keeps names, so only redaction changes them.
   */
  private name(s: string): string {
    if (this.p.patterns.length === 0) return s;
    let out = this.names.get(s);
    if (out === undefined) {
      out = redactText(s, this.p.patterns);
      if (this.names.size < MAX_NAMES) this.names.set(s, out);
    }
    return out;
  }

  /** A key redacted as a name; if two keys redact alike, later ones get `#2`, `#3`, … so no value is lost. */
  private key(k: string, taken: object): string {
    const n = this.name(k);
    if (!Object.hasOwn(taken, n)) return n;
    let i = 2;
    while (Object.hasOwn(taken, `${n}#${i}`)) i++;
    return `${n}#${i}`;
  }

  // ---- values ------------------------------------------------------------------------------

  private errorText(s: string, field: string): string {
    return this.p.captureContent ? this.contentText(s, field) : OMITTED;
  }

  /** Patterns over a string; JSON inside the string is walked so redactKeys reach it too. */
  private text(s: string): string {
    if (this.p.redactKeys.size > 0) {
      const t = s.trimStart();
      if ((t.startsWith('{') || t.startsWith('[')) && s.length < 10_000_000) {
        try {
          const parsed = JSON.parse(s) as JsonValue;
          const walked = JSON.stringify(this.json(parsed, 0));
          // Unchanged by the walk: keep the original text (and its formatting) and redact it as text.
          if (walked !== JSON.stringify(parsed)) return walked;
        } catch {
          // not JSON: plain text below
        }
      }
    }
    return this.p.patterns.length ? redactText(s, this.p.patterns) : s;
  }

  private scalarNumber(v: number | boolean): string | number | boolean {
    return typeof v === 'number' && this.p.redact && isCardNumber(v) ? redactedMarker('card') : v;
  }

  private json(v: JsonValue, depth: number): JsonValue {
    if (typeof v === 'string') return this.text(v);
    if (typeof v === 'number' || typeof v === 'boolean') return this.scalarNumber(v);
    if (v === null) return v;
    if (depth >= MAX_DEPTH) return redactedMarker('too_deep');
    if (Array.isArray(v)) return v.map((x) => this.json(x, depth + 1));
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, this.key(k, out), this.p.redactKeys.has(normalizeKey(k)) ? REDACTED : this.json(x, depth + 1));
    return out;
  }

  private contentText(s: string, field: string): string {
    const redacted = this.text(s);
    if (!this.p.mask) return redacted;
    const r = this.runMask(redacted, field);
    if (r === MASK_FAILURE) return MASK_FAILED;
    if (typeof r === 'string') return r;
    try {
      return JSON.stringify(r) ?? MASK_FAILED;
    } catch {
      return MASK_FAILED;
    }
  }

  private contentJson(v: JsonValue, field: string): JsonValue {
    const redacted = this.json(v, 0);
    if (!this.p.mask) return redacted;
    const r = this.runMask(redacted, field);
    if (r === MASK_FAILURE) return MASK_FAILED;
    try {
      // Whatever the mask returned must survive JSON; anything else fails closed.
      const text = JSON.stringify(r);
      return text === undefined ? MASK_FAILED : (JSON.parse(text) as JsonValue);
    } catch {
      return MASK_FAILED;
    }
  }

  private runMask(data: JsonValue, field: string): unknown {
    try {
      const r = this.p.mask!({ data, field });
      if (typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function') {
        // Swallow its outcome: a rejected promise must not become an unhandled rejection.
        (r as PromiseLike<unknown>).then(undefined, () => undefined);
        return maskFailed(new Error('mask returned a Promise; masks must be synchronous'), field);
      }
      if (r === undefined) {
        return maskFailed(new Error('mask returned undefined'), field);
      }
      return r;
    } catch (err) {
      return maskFailed(err, field);
    }
  }
}

const MASK_FAILURE = Symbol('mask failure');

function maskFailed(err: unknown, field: string): typeof MASK_FAILURE {
  maskFailures += 1;
  // Logged on the first failure and then every 1,000th, so a broken mask cannot flood the logs.
  if (maskFailures === 1 || maskFailures % 1000 === 0) {
    diag.warn(`ams-otel: mask failed on ${field} (${maskFailures} failure(s) so far); value replaced with ${MASK_FAILED}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return MASK_FAILURE;
}
