/**
 * Cuts text values too long to assemble cheaply, before assembly: a 50 MB attribute would
 * otherwise be parsed as JSON, scanned by every redaction pattern and serialized again, all on
 * the host's event loop (the processor writes in the background of the application), stalling it
 * for over a second. A value longer than MAX_VALUE_CHARS keeps its first part with the marker the
 * emitter uses, and `<key>.original_size` records its length in characters. Records are never
 * mutated: a record with a long value is copied, the others are passed through.
 */
import { truncate } from '../emitter/text.js';
import { setOwn } from '../spans/own.js';
import type { Attributes, SpanRecord } from '../spans/record.js';
import { AMS_TRUNCATED_SUFFIX } from '../spans/semconv.js';

/**
 * Longest text value assembled into a session (characters). Far above what instrumentation
 * records on purpose (the emitter cuts at AMS_MAX_ATTRIBUTE_LENGTH, 64 K by default) and low
 * enough that parsing, redacting and serializing one costs a few milliseconds.
 */
export const MAX_VALUE_CHARS = 1024 * 1024;

function capAttributes(attrs: Attributes, max: number): Attributes | undefined {
  let out: Attributes | undefined;
  for (const key in attrs) {
    const v = attrs[key];
    if (typeof v !== 'string' || v.length <= max) continue;
    out ??= copy(attrs);
    const cut = truncate(v, max);
    setOwn(out, key, cut.value);
    if (attrs[`${key}${AMS_TRUNCATED_SUFFIX}`] === undefined) setOwn(out, `${key}${AMS_TRUNCATED_SUFFIX}`, cut.originalSize!);
  }
  return out;
}

function copy(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const key in attrs) setOwn(out, key, attrs[key]);
  // for-in skips nothing own and enumerable, `__proto__` included (it is an own data property).
  return out;
}

/** `records` with every text value longer than `max` cut (the same array when none is). */
export function capRecordValues(records: SpanRecord[], max = MAX_VALUE_CHARS): SpanRecord[] {
  let out: SpanRecord[] | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const attributes = capAttributes(r.attributes, max);
    let events: SpanRecord['events'] | undefined;
    for (let j = 0; j < r.events.length; j++) {
      const e = r.events[j]!;
      const a = capAttributes(e.attributes, max);
      if (!a) continue;
      events ??= r.events.slice();
      events[j] = { ...e, attributes: a };
    }
    if (!attributes && !events) continue;
    out ??= records.slice();
    out[i] = { ...r, attributes: attributes ?? r.attributes, events: events ?? r.events };
  }
  return out ?? records;
}
