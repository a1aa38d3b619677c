/**
 * The session model is defined once (src/session/model.ts); the JSON Schema module and
 * docs/session-format.md are generated from it and committed. These tests fail when the committed
 * files drift from the model, when the schema stops rejecting what the model forbids, and when the
 * root entry point starts loading zod at runtime.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED, generate, jsonSchemas } from '../src/session/generate.js';
import { SessionModel } from '../src/session/model.js';
import { sessionIndexSchema, sessionSchema } from '../src/index.js';
import type { Session } from '../src/index.js';
import { expectValidSession, isValidSession } from './support/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = readdirSync(path.join(root, 'test/fixtures'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.session.json'))
  .map((f) => path.join(root, 'test/fixtures', f));
const read = (file: string): Session => JSON.parse(readFileSync(file, 'utf8')) as Session;

describe('session model', () => {
  it('the committed schema module and docs/session-format.md match the model (npm run schema)', () => {
    expect(generate(root, true), 'run `npm run schema` and commit the result').toEqual([]);
    const { session, index } = jsonSchemas();
    expect(sessionSchema).toEqual(session);
    expect(sessionIndexSchema).toEqual(index);
    const doc = readFileSync(path.join(root, GENERATED.docs), 'utf8');
    // Every field of every event type is documented.
    for (const field of ['tool_use_id', 'transcript_path', 'finish_reasons', 'cache_read_input_tokens', 'prompt_preview', 'event_sums']) {
      expect(doc).toContain(`| \`${field}\` |`);
    }
  });

  it('every fixture session is valid against both the JSON Schema and the model', () => {
    expect(fixtures.length).toBeGreaterThan(5);
    for (const file of fixtures) {
      expectValidSession(read(file));
      expect(SessionModel.safeParse(read(file)).error, file).toBeUndefined();
    }
  });

  it('the JSON Schema rejects what the model forbids', () => {
    const ok = read(path.join(root, 'test/fixtures/assemble/agent-with-subagent.session.json'));
    const bad: unknown[] = [
      { ...ok, extra: 1 },
      { ...ok, status: 'done' },
      { ...ok, totals: { ...ok.totals, input_tokens: -1 } },
      { ...ok, events: [{ type: 'tool_call', name: 'x' }] },
      { ...ok, events: [{ type: 'subagent', status: 'ok', started_at: ok.started_at, ended_at: ok.ended_at, duration_ms: 1, events: [{ type: 'nope' }] }] },
    ];
    for (const doc of bad) {
      expect(isValidSession(doc), JSON.stringify(doc).slice(0, 80)).toBe(false);
      expect(SessionModel.safeParse(doc).success).toBe(false);
    }
  });

  it('the root entry point does not load zod or the model at runtime (types only)', () => {
    // Follows the value imports (not `import type` / `export type`) from src/index.ts.
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?'([^']+)'/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
        else packages.add(spec);
      }
    };
    visit(path.join(root, 'src/index.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].map((f) => path.relative(root, f))).not.toContain('src/session/model.ts');
    expect([...packages].filter((p) => p === 'zod' || p.startsWith('zod/'))).toEqual([]);
  });
});
