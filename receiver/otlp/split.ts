/**
 * Splits one ExportTraceServiceRequest into per-shard requests by trace id, so each assembly worker
 * sees every span of the traces it owns (see receiver/shard/). Protobuf is split at the wire level:
 * the walk reads only tags and lengths down to each Span's trace_id, and the shard requests are
 * built from the original bytes (resource, scope, schema URLs and unknown fields kept as they
 * were), so the worker's decoder sees exactly what the client sent. Validation stays with that
 * decoder: a body the walk finds malformed goes whole to shard 0, whose decoder refuses it with
 * the same 400 message as the single-threaded receiver.
 *
 * Shard of a trace: the last 4 bytes of its 16-byte id, big-endian, modulo the shard count (the
 * same number for the protobuf bytes and the OTLP/JSON hex). Spans without a valid id go to shard 0,
 * whose decoder rejects them through partial_success as usual.
 */
import { splitJsonRaw } from './split-json.js';

/** The walk found the body malformed: it goes whole to shard 0's decoder for the precise error. */
class Malformed extends Error {}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_GROUP_START = 3;
const WIRE_GROUP_END = 4;
const WIRE_I32 = 5;

/** A shard's request body, or undefined when none of the request's spans belong to it. */
export type ShardBodies = Array<Uint8Array | undefined>;

export function shardOfTraceIdBytes(buf: Uint8Array, start: number, end: number, shards: number): number {
  if (end - start !== 16) return 0;
  return (((buf[start + 12]! << 24) | (buf[start + 13]! << 16) | (buf[start + 14]! << 8) | buf[start + 15]!) >>> 0) % shards;
}

export function shardOfTraceIdHex(hex: unknown, shards: number): number {
  if (typeof hex !== 'string' || hex.length !== 32) return 0;
  const n = Number.parseInt(hex.slice(24), 16);
  return Number.isNaN(n) ? 0 : n % shards;
}

class Walk {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    private readonly what: string,
  ) {
    this.pos = start;
  }

  fail(why: string): never {
    throw new Malformed(`${why} in ${this.what} at byte ${this.pos}`);
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      // Lengths and tags fit in 32 bits; larger varints (int64 fields) are only skipped.
      if (shift < 28) result |= (b & 0x7f) << shift;
      else if (shift === 28) result += (b & 0x7f) * 2 ** 28;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** Skips the value of a field with wire type `wire`; for LEN returns [start, end] of its content. */
  value(wire: number): number {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return -1;
      case WIRE_I64:
        return this.advance(8);
      case WIRE_I32:
        return this.advance(4);
      case WIRE_LEN: {
        const len = this.varint();
        const start = this.pos;
        this.advance(len);
        return start;
      }
      case WIRE_GROUP_START: {
        // Deprecated groups (never in OTLP, but legal in unknown fields): skip to the matching end.
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === WIRE_GROUP_END) return -1;
          this.value(tag & 7);
        }
      }
      default:
        return this.fail(`unexpected wire type ${wire}`);
    }
  }

  private advance(n: number): number {
    if (n > this.end - this.pos) this.fail('length past the end of the message');
    this.pos += n;
    return -1;
  }
}

/** Byte ranges [start, end) within the body, flattened pairs. */
type Ranges = number[];

interface ScopeGroup {
  /** Every field of the ScopeSpans except its spans, as raw field bytes. */
  header: Ranges;
  /** Per shard: raw field bytes (tag + length + Span) of the spans it owns. */
  spans: Ranges[];
}

interface ResourceGroup {
  header: Ranges;
  scopes: ScopeGroup[];
}

function newShardLists(shards: number): Ranges[] {
  return Array.from({ length: shards }, () => []);
}

/**
 * Per-shard protobuf request bodies for `body`. With one shard, or when every span maps to one
 * shard, that shard gets `body` itself (not copied).
 */
export function splitProtobufByTrace(body: Uint8Array, shards: number): ShardBodies {
  const out: ShardBodies = new Array<Uint8Array | undefined>(shards).fill(undefined);
  if (shards <= 1) {
    out[0] = body;
    return out;
  }
  try {
    return splitWalk(body, shards, out);
  } catch {
    // Malformed, or nested past the stack (groups): the decoder gives the precise answer.
    out.fill(undefined);
    out[0] = body;
    return out;
  }
}

function splitWalk(body: Uint8Array, shards: number, out: ShardBodies): ShardBodies {
  const resources: ResourceGroup[] = [];
  const used = new Set<number>();
  const req = new Walk(body, 0, body.length, 'ExportTraceServiceRequest');
  while (req.pos < req.end) {
    const tag = req.varint();
    const start = req.value(tag & 7);
    if (tag >>> 3 === 1 && (tag & 7) !== WIRE_LEN) req.fail('resource_spans with the wrong wire type');
    if (tag !== ((1 << 3) | WIRE_LEN)) continue; // not resource_spans: ignored, as a decoder would
    const group: ResourceGroup = { header: [], scopes: [] };
    resources.push(group);
    const rs = new Walk(body, start, req.pos, 'ResourceSpans');
    while (rs.pos < rs.end) {
      const f = rs.pos;
      const t = rs.varint();
      const s = rs.value(t & 7);
      if (t >>> 3 <= 2 && (t & 7) !== WIRE_LEN) rs.fail('a message field with the wrong wire type');
      if (t !== ((2 << 3) | WIRE_LEN)) {
        group.header.push(f, rs.pos);
        continue;
      }
      const scope: ScopeGroup = { header: [], spans: newShardLists(shards) };
      group.scopes.push(scope);
      const ss = new Walk(body, s, rs.pos, 'ScopeSpans');
      while (ss.pos < ss.end) {
        const sf = ss.pos;
        const st = ss.varint();
        const sstart = ss.value(st & 7);
        if (st >>> 3 <= 2 && (st & 7) !== WIRE_LEN) ss.fail('a message field with the wrong wire type');
        if (st !== ((2 << 3) | WIRE_LEN)) {
          scope.header.push(sf, ss.pos);
          continue;
        }
        const shard = shardOfSpan(body, sstart, ss.pos, shards);
        used.add(shard);
        scope.spans[shard]!.push(sf, ss.pos);
      }
    }
  }
  if (used.size <= 1) {
    out[used.size === 1 ? [...used][0]! : 0] = body;
    return out;
  }
  for (const shard of used) out[shard] = encodeShard(body, resources, shard);
  return out;
}

function shardOfSpan(body: Uint8Array, start: number, end: number, shards: number): number {
  const span = new Walk(body, start, end, 'Span');
  let idStart = -1;
  let idEnd = -1;
  while (span.pos < span.end) {
    const tag = span.varint();
    const s = span.value(tag & 7);
    if (tag >>> 3 === 1 && (tag & 7) !== WIRE_LEN) span.fail('trace_id with the wrong wire type');
    if (tag === ((1 << 3) | WIRE_LEN)) {
      // Last one wins, as in any protobuf decoder.
      idStart = s;
      idEnd = span.pos;
    }
  }
  return idStart < 0 ? 0 : shardOfTraceIdBytes(body, idStart, idEnd, shards);
}

const rangesBytes = (r: Ranges): number => {
  let n = 0;
  for (let i = 0; i < r.length; i += 2) n += r[i + 1]! - r[i]!;
  return n;
};

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function encodeShard(body: Uint8Array, resources: ResourceGroup[], shard: number): Uint8Array {
  // Sizes first (nested lengths), then one pass writing into an exact-size buffer.
  const rsSizes: number[] = [];
  const ssSizes: number[] = [];
  let total = 0;
  for (const rg of resources) {
    let rsSize = rangesBytes(rg.header);
    let any = false;
    for (const sg of rg.scopes) {
      const spans = sg.spans[shard]!;
      if (spans.length === 0) {
        ssSizes.push(-1);
        continue;
      }
      any = true;
      const ssSize = rangesBytes(sg.header) + rangesBytes(spans);
      ssSizes.push(ssSize);
      rsSize += 1 + varintSize(ssSize) + ssSize;
    }
    rsSizes.push(any ? rsSize : -1);
    if (any) total += 1 + varintSize(rsSize) + rsSize;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  const varint = (n: number): void => {
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[pos++] = n;
  };
  const copy = (r: Ranges): void => {
    for (let i = 0; i < r.length; i += 2) {
      out.set(body.subarray(r[i]!, r[i + 1]!), pos);
      pos += r[i + 1]! - r[i]!;
    }
  };
  let si = 0;
  resources.forEach((rg, ri) => {
    const rsSize = rsSizes[ri]!;
    if (rsSize < 0) {
      si += rg.scopes.length;
      return;
    }
    out[pos++] = (1 << 3) | WIRE_LEN;
    varint(rsSize);
    copy(rg.header);
    for (const sg of rg.scopes) {
      const ssSize = ssSizes[si++]!;
      if (ssSize < 0) continue;
      out[pos++] = (2 << 3) | WIRE_LEN;
      varint(ssSize);
      copy(sg.header);
      copy(sg.spans[shard]!);
    }
  });
  return out;
}

/** A field by its OTLP/JSON name or its proto name, as the decoder reads it. */
function field(o: unknown, camel: string, snake: string): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  const v = (o as Record<string, unknown>)[camel];
  return v !== undefined ? v : (o as Record<string, unknown>)[snake];
}

/** A list as the decoder reads it: missing or null is empty; anything else not an array is `undefined`. */
function list(v: unknown): unknown[] | undefined {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : undefined;
}

/**
 * Per-shard OTLP/JSON bodies. Usually cut from the bytes without a parse (split-json.ts), so
 * only the shard's decoder parses the body; a body that walk does not handle is split from the
 * parsed request (both field spellings the decoder reads). A body that does not parse, or whose
 * lists are not lists, goes whole to shard 0, whose decoder refuses it with the precise reason.
 */
export function splitJsonByTrace(body: Buffer, shards: number): ShardBodies {
  if (shards <= 1) return [body];
  return splitJsonRaw(body, shards, (hex) => shardOfTraceIdHex(hex, shards)) ?? splitJsonParsed(body, shards);
}

/** The split from the parsed request: for bodies the byte walk leaves to it. */
export function splitJsonParsed(body: Buffer, shards: number): ShardBodies {
  const out: ShardBodies = new Array<Uint8Array | undefined>(shards).fill(undefined);
  const whole = (shard = 0): ShardBodies => ((out[shard] = body), out);
  if (shards <= 1) return whole();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return whole();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return whole();
  const resourceSpans = list(field(parsed, 'resourceSpans', 'resource_spans'));
  if (!resourceSpans) return whole();
  const perShard: unknown[][] = Array.from({ length: shards }, () => []);
  const used = new Set<number>();
  for (const rs of resourceSpans) {
    const scopeSpans = list(field(rs, 'scopeSpans', 'scope_spans'));
    if (!scopeSpans) return whole();
    const rsCopies = new Map<number, { scopeSpans: unknown[] }>();
    for (const ss of scopeSpans) {
      const spans = list(field(ss, 'spans', 'spans'));
      if (!spans) return whole();
      const ssCopies = new Map<number, unknown[]>();
      for (const span of spans) {
        const shard = shardOfTraceIdHex(field(span, 'traceId', 'trace_id'), shards);
        used.add(shard);
        let group = ssCopies.get(shard);
        if (!group) {
          ssCopies.set(shard, (group = []));
          let rsCopy = rsCopies.get(shard);
          if (!rsCopy) {
            // The resource's other fields as they were; its scope lists under the decoder's name.
            const { resourceSpans: _a, resource_spans: _b, scopeSpans: _c, scope_spans: _d, ...rest } = rs as Record<string, unknown>;
            rsCopies.set(shard, (rsCopy = { ...rest, scopeSpans: [] }));
            perShard[shard]!.push(rsCopy);
          }
          const { spans: _e, ...ssRest } = ss as Record<string, unknown>;
          rsCopy.scopeSpans.push({ ...ssRest, spans: group });
        }
        group.push(span);
      }
    }
  }
  if (used.size <= 1) return whole(used.size === 1 ? [...used][0]! : 0);
  const { resourceSpans: _r, resource_spans: _s, ...top } = parsed as Record<string, unknown>;
  for (const shard of used) out[shard] = Buffer.from(JSON.stringify({ ...top, resourceSpans: perShard[shard] }));
  return out;
}
