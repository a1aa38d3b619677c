/** Validates documents against the project's JSON Schema with a real validator (ajv). */
import { Ajv } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { expect } from 'vitest';
import { sessionIndexSchema, sessionSchema } from '../../src/index.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext that is `.default.default`.
type Plugin = (ajv: Ajv) => Ajv;
const mod = ajvFormats as unknown as { default: Plugin | { default: Plugin } };
const addFormats: Plugin = typeof mod.default === 'function' ? mod.default : mod.default.default;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateSession = ajv.compile(sessionSchema);
const validateIndex = ajv.compile(sessionIndexSchema);

/** True when the document matches the session schema (for tests that expect a rejection). */
export function isValidSession(doc: unknown): boolean {
  return validateSession(doc);
}

export function expectValidSession(doc: unknown): void {
  const ok = validateSession(doc);
  expect(validateSession.errors ?? [], 'session document must match the JSON Schema').toEqual([]);
  expect(ok).toBe(true);
}

export function expectValidIndexEntry(doc: unknown): void {
  const ok = validateIndex(doc);
  expect(validateIndex.errors ?? [], 'index entry must match the JSON Schema').toEqual([]);
  expect(ok).toBe(true);
}
