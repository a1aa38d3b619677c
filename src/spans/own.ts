/**
 * Sets `key` on a plain object as its own property, whatever the name. `o[key] = v` with the
 * key `__proto__` calls Object.prototype's setter instead (a string value is silently dropped,
 * an object one replaces the prototype), so an attribute named `__proto__` would vanish between
 * the decoder and the session document. Every place that builds an object from keys it was sent
 * (attributes, kvlist values, step attributes, their redacted copies) goes through here.
 */
export function setOwn(o: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else (o as Record<string, unknown>)[key] = value;
}
