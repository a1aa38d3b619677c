/**
 * The package's public surface and what importing it costs.
 * - Every entry point in package.json `exports` is read with the TypeScript compiler and its export
 *   names (values and types) are compared with the committed list in test/fixtures/public-api.txt:
 *   adding, removing or renaming an export fails here until that file is updated on purpose
 *   (`npx vitest run test/package-surface.test.ts -u` rewrites it; review the diff).
 * - `import 'ams-otel'` imports no package but the OTel API and core: not the packages only some
 *   users need (S3, Express, protobufjs), not the ESM build of semantic-conventions.
 */
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE, SERVICE_NAME } from '../src/spans/semconv.js';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> };

/** package.json entry points and the source file each is built from (./dist/src/index.js -> src/index.ts). */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target !== 'string')
  .map(([name, target]) => ({
    name: name === '.' ? 'ams-otel' : `ams-otel/${name.slice(2)}`,
    source: (target as { import: string }).import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'),
  }));

interface ApiExport {
  name: string;
  /** `type` for anything exported with `export type` or that has no runtime value. */
  kind: 'class' | 'function' | 'const' | 'type';
}

/** Case-insensitive, then by code unit: the same order on every machine (no locale). */
function byName(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

function exportsOf(program: ts.Program, file: string): ApiExport[] {
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(path.join(root, file));
  if (!sourceFile) throw new Error(`${file} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile)!;
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol): ApiExport => {
      const spec = symbol.declarations?.find(ts.isExportSpecifier);
      const typeOnly = spec ? spec.isTypeOnly || spec.parent.parent.isTypeOnly : false;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const kind: ApiExport['kind'] =
        typeOnly || !(target.flags & ts.SymbolFlags.Value)
          ? 'type'
          : target.flags & ts.SymbolFlags.Class
            ? 'class'
            : target.flags & ts.SymbolFlags.Function
              ? 'function'
              : 'const';
      return { name: symbol.name, kind };
    })
    .sort((a, b) => byName(a.name, b.name));
}

function render(apis: Array<{ entry: string; source: string; exports: ApiExport[] }>): string {
  return apis.map((a) => [`# ${a.entry} (${a.source})`, ...a.exports.map((e) => `${e.kind} ${e.name}`)].join('\n')).join('\n\n') + '\n';
}

describe('public API', () => {
  const program = ts.createProgram(
    entries.map((e) => path.join(root, e.source)),
    ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!.options,
  );
  const apis = entries.map((e) => ({ entry: e.name, source: e.source, exports: exportsOf(program, e.source) }));

  it('has the entry points users import', () => {
    expect(entries.map((e) => e.name)).toEqual(['ams-otel', 'ams-otel/claude', 'ams-otel/receiver', 'ams-otel/viewer']);
  });

  it('exports exactly the names in test/fixtures/public-api.txt', async () => {
    await expect(render(apis)).toMatchFileSnapshot('./fixtures/public-api.txt');
  });

  it('keeps the names DESIGN.md promises', () => {
    const names = (entry: string) => apis.find((a) => a.entry === entry)!.exports.map((e) => e.name);
    expect(names('ams-otel')).toEqual(
      expect.arrayContaining(['SessionSpanProcessor', 'assembleSession', 'LocalStorage', 'S3Storage', 'storageFromEnv', 'Session', 'SessionEvent', 'SessionIndexEntry', 'SessionStorage']),
    );
    expect(names('ams-otel/claude')).toEqual(expect.arrayContaining(['tracedQuery', 'instrumentOptions', 'ClaudeTracer']));
    expect(names('ams-otel/receiver')).toEqual(expect.arrayContaining(['createReceiver', 'startReceiver']));
  });

  it('has, at run time, exactly the value exports the type checker sees', async () => {
    for (const api of apis) {
      const mod = (await import(path.join(root, api.source))) as Record<string, unknown>;
      expect(Object.keys(mod).sort(), api.entry).toEqual(api.exports.filter((e) => e.kind !== 'type').map((e) => e.name).sort());
    }
  });
});

describe("import 'ams-otel'", () => {
  it('imports only the OTel API and core, and no S3 SDK, Express, protobufjs, price table or DuckDB, also after constructing the storages and the processor', () => {
    // A fresh process (this test file's own imports must not count). A resolve hook reports every
    // package an ES module imports; require.cache shows what those load in turn.
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/')) process.stderr.write('IMPORTED ' + r.url + '\\n'); return r; }`;
    const code = `
      import { createRequire, register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const { LocalStorage, S3Storage, SessionSpanProcessor } = await import('./src/index.ts');
      new SessionSpanProcessor({ storage: new LocalStorage({ dir: 'unused' }) });
      new S3Storage({ bucket: 'unused', region: 'us-east-1' });
      process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const packageOf = (file: string) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const imported = new Set(child.stderr.split('\n').filter((l) => l.startsWith('IMPORTED ')).map(packageOf));
    expect([...imported].sort()).toEqual(['@opentelemetry/api', '@opentelemetry/core']);
    const loaded = new Set((JSON.parse(child.stdout) as string[]).map(packageOf));
    expect(loaded).toContain('@opentelemetry/api'); // the probe sees CommonJS packages
    expect([...loaded].filter((p) => p && /^@aws-sdk\/|^@smithy\/|^express$|^protobufjs$|^@pydantic\/genai-prices$|^@duckdb\//.test(p))).toEqual([]);
  });

  it('spells out the stable attribute names it would otherwise import (semantic-conventions costs a tenth of the import)', () => {
    expect([ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE, SERVICE_NAME]).toEqual([ATTR_ERROR_TYPE, ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE, ATTR_SERVICE_NAME]);
  });
});
