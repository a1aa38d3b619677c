/**
 * GenAI message helpers shared by normalize.ts and the dialects (./dialects/): the
 * `gen_ai.input/output.messages` shape ([{role, parts}]) built from other conventions' forms.
 * Pure.
 */
import type { AttributeValue, Attributes } from './record.js';
import * as sc from './semconv.js';

/** A GenAI message part (`gen_ai.input/output.messages` parts), as the dialects build them. */
export interface Part {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
}
export interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

export function setDefault(a: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined && a[key] === undefined) a[key] = value;
}

export function parseJson(v: AttributeValue | undefined): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** `prefix.N.rest` keys grouped by N, in N order: [{ rest: value }]. */
export function indexed(src: Attributes, prefix: string): Array<Record<string, AttributeValue | undefined>> {
  const groups = new Map<number, Record<string, AttributeValue | undefined>>();
  for (const key in src) {
    if (!key.startsWith(prefix)) continue;
    const m = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (!m) continue;
    const n = Number(m[1]);
    let g = groups.get(n);
    if (!g) groups.set(n, (g = {}));
    g[m[2]!] = src[key];
  }
  return [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
}

/**
 * One message from flattened keys. `inner` is the OpenInference nesting ("message."), empty for
 * the deprecated gen_ai form. Tool calls: `tool_calls.M.{id,name,arguments}` (gen_ai) or
 * `message.tool_calls.M.tool_call.{id,function.name,function.arguments}` (OpenInference).
 */
export function flatMessage(g: Record<string, AttributeValue | undefined>, defaultRole: string, inner: string): Message {
  const s = (k: string) => {
    const v = g[inner + k];
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  };
  const parts: Part[] = [];
  const content = s('content');
  if (content !== undefined && content !== '') parts.push({ type: 'text', content });
  // OpenInference multi-part contents: message.contents.J.message_content.text
  const texts = Object.keys(g)
    .map((k) => /^(?:message\.)?contents\.(\d+)\.message_content\.text$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((x, y) => Number(x[1]) - Number(y[1]));
  for (const m of texts) {
    const v = g[m[0]];
    if (typeof v === 'string' && v !== '') parts.push({ type: 'text', content: v });
  }
  const calls = new Map<number, Part>();
  for (const key of Object.keys(g)) {
    const m = /^(?:message\.)?tool_calls\.(\d+)\.(?:tool_call\.)?(id|name|arguments|function\.name|function\.arguments)$/.exec(key);
    if (!m) continue;
    const n = Number(m[1]);
    let call = calls.get(n);
    if (!call) calls.set(n, (call = { type: 'tool_call' }));
    const v = g[key];
    const field = m[2]!.replace('function.', '');
    if (field === 'arguments') call.arguments = parseJson(v);
    else if (typeof v === 'string') (call as unknown as Record<string, string>)[field] = v;
  }
  for (const [, call] of [...calls.entries()].sort((x, y) => x[0] - y[0])) parts.push({ ...call, name: call.name ?? 'unknown' });
  const msg: Message = { role: s('role') ?? defaultRole, parts };
  const finish = s('finish_reason');
  if (finish) msg.finish_reason = finish;
  return msg;
}

/** A prompt/completion value: JSON messages ([{role, content}] or the parts form) or plain text. */
export function parseMessages(v: AttributeValue | undefined, defaultRole: string): Message[] {
  if (v === undefined) return [];
  const parsed = parseJson(v);
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' ? [parsed] : undefined;
  if (!list) return typeof v === 'string' && v !== '' ? [{ role: defaultRole, parts: [{ type: 'text', content: v }] }] : [];
  const out: Message[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      out.push({ role: defaultRole, parts: [{ type: 'text', content: item }] });
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    const m = item as { role?: unknown; content?: unknown; parts?: unknown; text?: unknown; finish_reason?: unknown };
    const role = typeof m.role === 'string' ? m.role : defaultRole;
    if (Array.isArray(m.parts)) {
      out.push({ role, parts: m.parts as Part[] });
      continue;
    }
    const parts: Part[] = [];
    if (typeof m.content === 'string') parts.push({ type: 'text', content: m.content });
    else if (Array.isArray(m.content)) {
      for (const c of m.content as Array<{ type?: unknown; text?: unknown }>) {
        if (c && typeof c === 'object' && typeof c.text === 'string') parts.push({ type: 'text', content: c.text });
        else if (typeof c === 'string') parts.push({ type: 'text', content: c });
      }
    } else if (typeof m.text === 'string') parts.push({ type: 'text', content: m.text });
    const msg: Message = { role, parts };
    if (typeof m.finish_reason === 'string') msg.finish_reason = m.finish_reason;
    out.push(msg);
  }
  return out;
}

/**
 * Parts of an Anthropic-style content list (a Messages API `content`, a LangChain message's
 * `content`): text, thinking (as `reasoning`), tool_use (as `tool_call`); other blocks are left out.
 */
export function contentBlockParts(content: unknown): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const b of content as Array<Record<string, unknown>>) {
    if (typeof b === 'string') parts.push({ type: 'text', content: b });
    else if (!b || typeof b !== 'object') continue;
    else if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') parts.push({ type: 'text', content: b.text });
    else if (b.type === 'thinking' && typeof b.thinking === 'string') parts.push({ type: 'reasoning', content: b.thinking });
    else if (b.type === 'tool_use' && typeof b.name === 'string') {
      const p: Part = { type: 'tool_call', name: b.name, arguments: b.input };
      if (typeof b.id === 'string') p.id = b.id;
      parts.push(p);
    }
  }
  return parts;
}

export function messagesJson(msgs: Message[]): string | undefined {
  return msgs.length ? JSON.stringify(msgs) : undefined;
}

export function lastUserText(v: AttributeValue | undefined): string | undefined {
  const msgs = parseMessages(v, 'user');
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!;
    if (m.role !== 'user') continue;
    const text = m.parts
      .filter((p) => p && p.type === 'text' && typeof p.content === 'string')
      .map((p) => p.content)
      .join('\n');
    if (text) return text;
  }
  return undefined;
}

/** True when the record is the root of its trace in this process (no parent, or a remote one). */
export function isLocalRoot(span: { parentSpanId?: string; parentIsRemote?: boolean }): boolean {
  return !span.parentSpanId || span.parentIsRemote === true;
}

/**
 * Input tokens without the cache (the document's one meaning, normalize.ts): a producer's total
 * less the cache counts it reported. Undefined when the total is unknown; a cache count that is
 * unknown takes nothing off (the total is then all that is known).
 */
export function inputWithoutCache(total: number | undefined, ...cache: Array<number | undefined>): number | undefined {
  if (total === undefined) return undefined;
  let rest = total;
  for (const c of cache) if (c !== undefined) rest -= c;
  return Math.max(0, rest);
}

/**
 * Writes a dialect's input count in the document's meaning (cache excluded) and marks the span, so
 * a second pass over it leaves the count alone; nothing when the count is unknown or already done.
 */
export function setInputExcludingCache(a: Attributes, fresh: number | undefined): void {
  if (fresh === undefined || a[sc.AMS_USAGE_INPUT_EXCLUDES_CACHE] !== undefined) return;
  a[sc.GEN_AI_USAGE_INPUT_TOKENS] = fresh;
  a[sc.AMS_USAGE_INPUT_EXCLUDES_CACHE] = true;
}

/** A producer's time to first token in seconds, as `ams.llm.ttft_ms` (unless one is set). */
export function setTtftFromSeconds(a: Attributes, seconds: number | undefined): void {
  if (seconds !== undefined && seconds >= 0) setDefault(a, sc.AMS_LLM_TTFT_MS, Math.round(seconds * 1000));
}
