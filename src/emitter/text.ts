/**
 * Turning values into bounded attribute text. Large values are cut, never dropped: the kept prefix
 * ends with a marker saying how much was cut, and `<attribute>.original_size` records the original
 * length in characters. Never throws (cycles, BigInt, getters that throw).
 */
import type { Attributes } from '@opentelemetry/api';
import { AMS_TRUNCATED_SUFFIX } from '../spans/semconv.js';

export function truncationMarker(cut: number): string {
  return `…[truncated ${cut} chars]`;
}

/** Cuts `value` to at most `max` characters including the marker. */
export function truncate(value: string, max: number): { value: string; originalSize?: number } {
  if (value.length <= max) return { value };
  // The marker length depends on the number it shows; two passes settle it.
  let keep = max - truncationMarker(value.length).length;
  keep = Math.max(0, max - truncationMarker(value.length - keep).length);
  // Do not split a surrogate pair.
  const code = value.charCodeAt(keep - 1);
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return { value: value.slice(0, keep) + truncationMarker(value.length - keep), originalSize: value.length };
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

/** Sets `key` to `text` (cut if needed) and, when cut, `key.original_size`. */
export function putText(attrs: Attributes, key: string, text: string, max: number): void {
  const t = truncate(text, max);
  attrs[key] = t.value;
  if (t.originalSize !== undefined) attrs[key + AMS_TRUNCATED_SUFFIX] = t.originalSize;
}

/**
 * Sets `key` to a value: numbers and booleans stay as they are (the document keeps their type),
 * anything else becomes its cut JSON text.
 */
export function putValue(attrs: Attributes, key: string, value: unknown, max: number): void {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) attrs[key] = value;
  else putText(attrs, key, jsonText(value), max);
}
