/**
 * What a span weighs in memory, roughly and cheaply (O(attributes), no serialization), for the
 * in-process byte bound (maxBufferedBytes): its text counted in characters, numbers and booleans
 * as 8 bytes, plus a fixed overhead per span, event and attribute for the objects around them.
 * A 50 MB attribute weighs 50 MB; a hundred small spans weigh what their text does.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const SPAN_OVERHEAD = 512;
const ENTRY_OVERHEAD = 32;

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v) n += typeof x === 'string' ? x.length + 8 : 8;
    return n;
  }
  return 8;
}

/** The weight of an attributes object. */
export function attributesBytes(attrs: Readonly<Record<string, unknown>> | undefined): number {
  if (!attrs) return 0;
  let n = 0;
  for (const key in attrs) n += ENTRY_OVERHEAD + key.length + valueBytes(attrs[key]);
  return n;
}

/** The weight of an SDK span: its name, attributes and events. */
export function sdkSpanBytes(span: ReadableSpan): number {
  let n = SPAN_OVERHEAD + span.name.length + attributesBytes(span.attributes);
  for (const e of span.events) n += ENTRY_OVERHEAD + e.name.length + attributesBytes(e.attributes);
  return n;
}
