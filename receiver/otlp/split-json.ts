/**
 * The OTLP/JSON split by trace without a parse: one walk over the bytes finds the members of the
 * request, of each ResourceSpans and ScopeSpans, each span's extent and its `traceId`, and the
 * per-shard bodies are built from slices of the original (resource, scope and every other member
 * copied as sent). The shard's decoder then parses its part once; the main thread never builds
 * the objects (before, it parsed the whole body to split it and the worker parsed it again).
 *
 * The walk reads only the structure it needs and validates nothing else: strings are skipped to
 * their closing quote, containers by counting brackets outside strings. Anything it does not
 * expect (a list that is not an array, a key spelt with escapes, the same list twice, both the
 * OTLP/JSON and the proto spelling, bytes that are not JSON) returns undefined and the caller
 * falls back to the parsing split, which reads such bodies exactly as the decoder does.
 */
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-bytes.js';

/** Not the shape this walk handles: the caller uses the parsing split. */
class Unexpected extends Error {}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A key as bytes, to compare without decoding. */
const key = (s: string): Buffer => Buffer.from(`"${s}"`);
const K = {
  resourceSpans: key('resourceSpans'),
  resource_spans: key('resource_spans'),
  scopeSpans: key('scopeSpans'),
  scope_spans: key('scope_spans'),
  spans: key('spans'),
  traceId: key('traceId'),
  trace_id: key('trace_id'),
};

class Walker {
  pos = 0;
  constructor(readonly b: Buffer) {}

  fail(): never {
    throw new Unexpected();
  }

  space(): number {
    const b = this.b;
    while (this.pos < b.length && isSpace(b[this.pos]!)) this.pos++;
    return this.pos < b.length ? b[this.pos]! : -1;
  }

  expect(c: number): void {
    if (this.space() !== c) this.fail();
    this.pos++;
  }

  /** Skips a string starting at pos (a quote); returns the position after its closing quote. */
  string(): number {
    const b = this.b;
    let i = this.pos + 1;
    for (;;) {
      const q = b.indexOf(QUOTE, i);
      if (q < 0) this.fail();
      // Escaped when preceded by an odd run of backslashes.
      let k = q - 1;
      while (k >= i && b[k] === BACKSLASH) k--;
      i = q + 1;
      if ((q - 1 - k) % 2 === 0) break;
    }
    this.pos = i;
    return i;
  }

  /** Skips any value; returns [start, end). */
  value(): [number, number] {
    const c = this.space();
    const start = this.pos;
    const b = this.b;
    if (c === QUOTE) return [start, this.string()];
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      let depth = 0;
      while (this.pos < b.length) {
        const x = b[this.pos]!;
        if (x === QUOTE) {
          this.string();
          continue;
        }
        this.pos++;
        if (x === OPEN_BRACKET || x === OPEN_BRACE) depth++;
        else if (x === CLOSE_BRACKET || x === CLOSE_BRACE) {
          if (--depth === 0) return [start, this.pos];
        }
      }
      this.fail();
    }
    // number, true, false, null
    while (this.pos < b.length) {
      const x = b[this.pos]!;
      if (x === COMMA || x === CLOSE_BRACE || x === CLOSE_BRACKET || isSpace(x)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail();
    return [start, this.pos];
  }

  /** Walks an object's members: `member(keyStart, keyEnd)` must consume the value. */
  object(member: (keyStart: number, keyEnd: number) => void): void {
    this.expect(OPEN_BRACE);
    if (this.space() === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.space() !== QUOTE) this.fail();
      const ks = this.pos;
      const ke = this.string();
      this.expect(COLON);
      member(ks, ke);
      const c = this.space();
      this.pos++;
      if (c === CLOSE_BRACE) return;
      if (c !== COMMA) this.fail();
    }
  }

  /** Walks an array's elements: `element()` must consume each. */
  array(element: () => void): void {
    this.expect(OPEN_BRACKET);
    if (this.space() === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      element();
      const c = this.space();
      this.pos++;
      if (c === CLOSE_BRACKET) return;
      if (c !== COMMA) this.fail();
    }
  }

  is(ks: number, ke: number, k: Buffer): boolean {
    return ke - ks === k.length && this.b.compare(k, 0, k.length, ks, ke) === 0;
  }

  /** Which of the two spellings a key is (0 neither); a key with escapes cannot be trusted. */
  which(ks: number, ke: number, camel: Buffer, snake: Buffer): 0 | 1 | 2 {
    if (this.is(ks, ke, camel)) return 1;
    if (this.is(ks, ke, snake)) return 2;
    if (this.escaped(ks, ke)) this.fail();
    return 0;
  }

  /** True when [start, end) holds a backslash (an escape: the bytes are not the decoded text). */
  escaped(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.b[i] === BACKSLASH) return true;
    return false;
  }
}

/** [start, end) ranges of a member (key to end of value) kept as they were. */
type Ranges = number[];

interface Scope {
  header: Ranges;
  /** Per shard: ranges of span objects. */
  spans: Map<number, Ranges>;
}
interface Resource {
  header: Ranges;
  scopes: Scope[];
}

/**
 * Per-shard OTLP/JSON bodies built from slices of `body`, or undefined when the walk cannot
 * handle it (see the file comment). `shardOf(hex)` maps a trace id to its shard.
 */
export function splitJsonRaw(body: Buffer, shards: number, shardOf: (hex: unknown) => number): Array<Uint8Array | undefined> | undefined {
  const w = new Walker(body);
  const top: Ranges = [];
  const resources: Resource[] = [];
  const used = new Set<number>();
  let seenResourceSpans = false;
  try {
    w.object((ks, ke) => {
      if (w.which(ks, ke, K.resourceSpans, K.resource_spans) === 0) {
        top.push(ks, w.value()[1]);
        return;
      }
      if (seenResourceSpans) w.fail();
      seenResourceSpans = true;
      w.array(() => {
        const res: Resource = { header: [], scopes: [] };
        resources.push(res);
        let seenScopes = false;
        w.object((rks, rke) => {
          if (w.which(rks, rke, K.scopeSpans, K.scope_spans) === 0) {
            res.header.push(rks, w.value()[1]);
            return;
          }
          if (seenScopes) w.fail();
          seenScopes = true;
          w.array(() => {
            const scope: Scope = { header: [], spans: new Map() };
            res.scopes.push(scope);
            let seenSpans = false;
            w.object((sks, ske) => {
              if (!w.is(sks, ske, K.spans)) {
                if (w.escaped(sks, ske)) w.fail();
                scope.header.push(sks, w.value()[1]);
                return;
              }
              if (seenSpans) w.fail();
              seenSpans = true;
              w.array(() => {
                const start = w.space();
                if (start !== OPEN_BRACE) w.fail();
                const spanStart = w.pos;
                let traceId: unknown;
                let seenId = false;
                w.object((tks, tke) => {
                  const which = w.which(tks, tke, K.traceId, K.trace_id);
                  const [vs, ve] = w.value();
                  if (which === 0) return;
                  if (seenId) w.fail();
                  seenId = true;
                  // A plain hex string; anything else (escapes, not a string) is the decoder's to judge.
                  if (body[vs] !== QUOTE) traceId = undefined;
                  else if (w.escaped(vs, ve)) w.fail();
                  else traceId = body.toString('latin1', vs + 1, ve - 1);
                });
                const shard = shardOf(traceId);
                used.add(shard);
                let list = scope.spans.get(shard);
                if (!list) scope.spans.set(shard, (list = []));
                list.push(spanStart, w.pos);
              });
            });
          });
        });
      });
    });
    if (w.space() !== -1) w.fail(); // trailing bytes
  } catch (err) {
    if (err instanceof Unexpected) return undefined;
    throw err;
  }
  const out: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(shards).fill(undefined);
  if (used.size <= 1) {
    out[used.size === 1 ? [...used][0]! : 0] = body;
    return out;
  }
  for (const shard of used) out[shard] = build(body, top, resources, shard);
  return out;
}

const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const SEP = Buffer.from(',');
const RESOURCE_SPANS = Buffer.from('"resourceSpans":[');
const SCOPE_SPANS = Buffer.from('"scopeSpans":[');
const SPANS = Buffer.from('"spans":[');
const END_LIST = Buffer.from(']');

function build(body: Buffer, top: Ranges, resources: Resource[], shard: number): Buffer {
  const parts: Buffer[] = [];
  const members = (r: Ranges): void => {
    for (let i = 0; i < r.length; i += 2) {
      parts.push(body.subarray(r[i]!, r[i + 1]!), SEP);
    }
  };
  const list = (r: Ranges): void => {
    for (let i = 0; i < r.length; i += 2) {
      if (i) parts.push(SEP);
      parts.push(body.subarray(r[i]!, r[i + 1]!));
    }
  };
  parts.push(OPEN);
  members(top);
  parts.push(RESOURCE_SPANS);
  let firstResource = true;
  for (const res of resources) {
    const scopes = res.scopes.filter((s) => s.spans.has(shard));
    if (scopes.length === 0) continue;
    if (!firstResource) parts.push(SEP);
    firstResource = false;
    parts.push(OPEN);
    members(res.header);
    parts.push(SCOPE_SPANS);
    scopes.forEach((scope, i) => {
      if (i) parts.push(SEP);
      parts.push(OPEN);
      members(scope.header);
      parts.push(SPANS);
      list(scope.spans.get(shard)!);
      parts.push(END_LIST, CLOSE);
    });
    parts.push(END_LIST, CLOSE);
  }
  parts.push(END_LIST, CLOSE);
  return Buffer.concat(parts);
}
