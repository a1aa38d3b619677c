/**
 * A cheap check before JSON.parse: how deep does a JSON body nest? One pass over the bytes counts
 * `[` and `{` outside strings and stops at the first one past the limit, so a hostile body nested
 * millions deep (14 MB of `[`) is refused in milliseconds, on the thread that received it, before
 * any parser (the split by trace, a shard's decoder) allocates for it.
 *
 * OTLP/JSON is shallow: a span attribute sits at depth 9 (resourceSpans, its element, scopeSpans,
 * its element, spans, a span, attributes, a key-value, its value) and each nested AnyValue adds 3
 * (kvlistValue / arrayValue, values, an element); Claude Code's recorded bodies reach 13. 64
 * leaves room for 18 levels of nested attribute values.
 */
import { HttpError } from './errors.js';
import { QUOTE, BACKSLASH, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE } from '../otlp/json-bytes.js';

/** Deepest `[` / `{` nesting an OTLP/JSON body may have (400 beyond). */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of `body` (UTF-8 JSON), or the first depth past `limit` (the scan stops
 * there). Malformed JSON gets a number too; the parser refuses it afterwards.
 */
export function jsonDepth(body: Uint8Array, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const c = body[i]!;
    if (c === QUOTE) {
      // Skip the string; a backslash escapes the next byte (UTF-8 continuation bytes are >= 0x80).
      for (i++; i < n; i++) {
        const s = body[i]!;
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return max;
}

/** 400 when a JSON body nests deeper than MAX_JSON_DEPTH. */
export function checkJsonDepth(body: Uint8Array, limit = MAX_JSON_DEPTH): void {
  if (jsonDepth(body, limit) > limit) {
    throw new HttpError(400, `malformed OTLP/JSON: nested deeper than ${limit} levels (MAX_JSON_DEPTH); OTLP/JSON needs far fewer`);
  }
}
