/** Turning user values into bounded span attribute text. Never throws (cycles, BigInt, getters). */
import type { Attributes, AttributeValue, HrTime, Span } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import { AMS_TRUNCATED_SUFFIX } from '../spans/semconv.js';

let lastMs = 0;

/**
 * One clock for every span and event this API records, strictly increasing. The SDK anchors each
 * span to Date.now() separately, which lets spans started within a millisecond of each other come
 * out of order; the assembler orders events by these times, so ours come from one monotonic source.
 */
export function now(): HrTime {
  let ms = performance.timeOrigin + performance.now();
  if (ms <= lastMs) ms = lastMs + 0.001;
  lastMs = ms;
  const sec = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
  return [sec, nanos];
}

/** JSON text of a value; strings stay as they are. */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const seen = new WeakSet<object>();
    const s = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '[circular]';
        seen.add(v);
      }
      return v;
    });
    return s ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return '[unserializable]';
    }
  }
}

const marker = (cut: number) => `…[truncated ${cut} chars]`;

/** Cuts `text` to at most `max` characters including a marker saying how much was cut. */
export function cut(text: string, max: number): { value: string; originalSize?: number } {
  if (text.length <= max) return { value: text };
  let keep = Math.max(0, max - marker(text.length).length);
  const code = text.charCodeAt(keep - 1);
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep -= 1; // do not split a surrogate pair
  return { value: text.slice(0, keep) + marker(text.length - keep), originalSize: text.length };
}

/** Sets `key` to the (cut) JSON text of `value`, and `key.original_size` when cut. */
export function setText(span: Span, key: string, value: unknown, max: number): void {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    span.setAttribute(key, value); // kept as a number / boolean in the document
    return;
  }
  const t = cut(jsonText(value), max);
  const attrs: Attributes = { [key]: t.value };
  if (t.originalSize !== undefined) attrs[key + AMS_TRUNCATED_SUFFIX] = t.originalSize;
  span.setAttributes(attrs);
}

/** An attribute value OpenTelemetry accepts, or undefined. */
export function toAttributeValue(v: unknown): AttributeValue | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (v === undefined || v === null) return undefined;
  return jsonText(v);
}

let internalErrors = 0;

/** Runs our own instrumentation code: whatever it throws goes to diag, never to the caller. */
export function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    internalErrors += 1;
    if (internalErrors === 1 || internalErrors % 1000 === 0) {
      diag.error(`ams-otel: ${what} failed (${internalErrors} internal error(s) so far): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
