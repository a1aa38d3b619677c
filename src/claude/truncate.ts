/**
 * Large values are cut, never dropped: the kept prefix ends with a marker saying how much was
 * cut, and `<attribute>.original_size` records the original length in characters.
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

/** Sets `key` (cut if needed) and, when cut, `key.original_size` on an attribute map. */
export function putString(attrs: Attributes, key: string, value: string, max: number): void {
  const t = truncate(value, max);
  attrs[key] = t.value;
  if (t.originalSize !== undefined) attrs[key + AMS_TRUNCATED_SUFFIX] = t.originalSize;
}

/** JSON text of a value; strings stay as they are. Never throws (cycles, BigInt). */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return s ?? String(value);
  } catch {
    return String(value);
  }
}
