/**
 * Derives the committed artifacts from the one model (model.ts): the JSON Schema module
 * (src/session/schema.ts) and the format reference (docs/session-format.md).
 *
 *   npm run schema            # rewrite both
 *   npm run schema -- --check # exit 1 if either is out of date (a test does the same)
 *
 * Generated rather than built at runtime so that importing the package never loads zod.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SessionIndexEntryModel, SessionModel } from './model.js';

type JsonSchema = { [key: string]: unknown };

/** Files the generator owns, relative to the repository root. */
export const GENERATED = { schema: 'src/session/schema.ts', docs: 'docs/session-format.md' } as const;

function toSchema(model: z.ZodType): JsonSchema {
  return z.toJSONSchema(model, {
    target: 'draft-7',
    override: (ctx) => {
      // z.int() bounds itself to safe integers; the format only promises non-negative integers.
      const s = ctx.jsonSchema as JsonSchema;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    },
  }) as JsonSchema;
}

/** The JSON Schemas (draft-07) of the session document and the index entry. */
export function jsonSchemas(): { session: JsonSchema; index: JsonSchema } {
  return { session: toSchema(SessionModel), index: toSchema(SessionIndexEntryModel) };
}

/** Text of src/session/schema.ts. */
export function schemaModule(): string {
  const { session, index } = jsonSchemas();
  return [
    '// Generated from src/session/model.ts by `npm run schema`; do not edit.',
    '/**',
    ' * JSON Schema (draft-07) for the session document and the index entry, derived from the one',
    ' * model in model.ts. Plain data, so importing it does not load zod.',
    ' */',
    '',
    `export const sessionSchema = ${JSON.stringify(session, null, 2)} as const;`,
    '',
    `export const sessionIndexSchema = ${JSON.stringify(index, null, 2)} as const;`,
    '',
  ].join('\n');
}

// --- docs/session-format.md ------------------------------------------------------------------

// GitHub keeps underscores in heading anchors: `### model_usage` is #model_usage.
const anchor = (id: string): string => id;

function typeOf(s: JsonSchema): string {
  if (typeof s.$ref === 'string') {
    const id = s.$ref.replace('#/definitions/', '');
    return `[${id}](#${anchor(id)})`;
  }
  if (Array.isArray(s.allOf) && s.allOf.length === 1) return typeOf(s.allOf[0] as JsonSchema);
  if ('const' in s) return `\`${JSON.stringify(s.const)}\``;
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const alts = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (alts) return alts.map(typeOf).join(' | ');
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  if (types.length === 0) return 'any JSON';
  return types
    .map((t) => {
      if (t === 'array') return `${typeOf((s.items ?? {}) as JsonSchema)}[]`;
      if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
        return `map of string → ${typeOf(s.additionalProperties as JsonSchema)}`;
      }
      const facets: string[] = [];
      if (typeof s.format === 'string') facets.push(s.format);
      if (typeof s.minimum === 'number') facets.push(`≥ ${s.minimum}`);
      if (typeof s.pattern === 'string') facets.push(`\`${s.pattern}\``);
      if (typeof s.maxLength === 'number') facets.push(`≤ ${s.maxLength} chars`);
      return facets.length ? `${t} (${facets.join(', ')})` : t;
    })
    .join(' | ');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function describe(s: JsonSchema): string {
  if (typeof s.description === 'string') return s.description;
  if (Array.isArray(s.allOf) && s.allOf.length === 1) return describe(s.allOf[0] as JsonSchema);
  return '';
}

function table(s: JsonSchema, definitions: Record<string, JsonSchema>): string[] {
  const required = new Set((s.required as string[] | undefined) ?? []);
  const props = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>);
  const out = ['| field | type | presence | meaning |', '|---|---|---|---|'];
  for (const [name, p] of props) {
    const type = typeOf(p);
    const nullable = /\bnull\b/.test(type);
    const presence = required.has(name) ? (nullable ? 'always (may be null)' : 'always') : nullable ? 'optional (may be null)' : 'optional';
    // A field without a description of its own takes the one of the shape it refers to.
    const ref = typeof p.$ref === 'string' ? definitions[p.$ref.replace('#/definitions/', '')] : undefined;
    const meaning = describe(p) || (ref ? describe(ref) : '');
    out.push(`| \`${name}\` | ${cell(type)} | ${presence} | ${cell(meaning)} |`);
  }
  return out;
}

/** Text of docs/session-format.md. */
export function sessionFormatDoc(): string {
  const { session, index } = jsonSchemas();
  const defs = (session.definitions ?? {}) as Record<string, JsonSchema>;
  const out: string[] = [
    '<!-- Generated from src/session/model.ts by `npm run docs:schema`; do not edit. -->',
    '# Session format',
    '',
    'One JSON document per session, plus a small index entry per session. Both are defined once in',
    '[`src/session/model.ts`](../src/session/model.ts) (zod); the TypeScript types (`Session`,',
    '`SessionEvent`, `SessionIndexEntry`, ...) and the JSON Schema (`sessionSchema`,',
    '`sessionIndexSchema`, exported by `ams-otel`) are derived from it, and so is this page.',
    '',
    'Presence: *always* fields are in every document; *optional* fields are left out when the',
    'producer did not give them (an unknown value is absent, not a made-up default). *may be null*',
    'marks fields where `null` has a meaning of its own (e.g. `error: null` = it succeeded). No',
    'document carries fields other than those listed.',
    '',
    `## session`,
    '',
    describe(session),
    '',
    ...table(session, defs),
    '',
  ];
  const order = ['event', ...Object.keys(defs).filter((k) => k.endsWith('_event')), ...Object.keys(defs).filter((k) => k !== 'event' && !k.endsWith('_event'))];
  for (const id of order) {
    const d = defs[id];
    if (!d) continue;
    out.push(`### ${id}`, '', describe(d), '');
    if (d.properties) out.push(...table(d, defs), '');
    else out.push(`Type: ${typeOf(id === 'event' ? { anyOf: d.oneOf } : { ...d, description: undefined })}`, '');
  }
  out.push('## index entry', '', describe(index), '', ...table(index, defs), '');
  return out.join('\n');
}

/** Writes (or with `check`, compares) the generated files; returns those that were stale. */
export function generate(root: string, check: boolean): string[] {
  const stale: string[] = [];
  for (const [file, text] of [
    [GENERATED.schema, schemaModule()],
    [GENERATED.docs, sessionFormatDoc()],
  ] as const) {
    const target = path.join(root, file);
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale.push(file);
    if (!check) writeFileSync(target, text);
  }
  return stale;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const check = process.argv.includes('--check');
  const stale = generate(root, check);
  if (check && stale.length) {
    process.stderr.write(`out of date (run npm run schema): ${stale.join(', ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(stale.length ? `wrote ${stale.join(', ')}\n` : 'up to date\n');
  }
}
