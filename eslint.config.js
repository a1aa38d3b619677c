// @ts-check
import css from '@eslint/css';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'ams-data/**', 'test-artifacts/**', 'coverage/**', '.tmp/**'] },
  { files: ['**/*.{js,mjs,cjs,ts}'], ...js.configs.recommended },
  ...tseslint.configs.recommended.map((c) => ({ files: ['**/*.{js,mjs,cjs,ts}'], ...c })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Library code reports through OpenTelemetry's diag, never the console; the CLI, examples,
    // benchmarks and tests may print.
    files: ['src/**/*.ts', 'receiver/**/*.ts'],
    ignores: ['receiver/main.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The viewer page's script: a classic browser script (served as a file, the CSP forbids inline
    // code) that renders untrusted session content. Content reaches the page through textContent and
    // CSSOM only: any API that parses a string as markup or code is an error here.
    files: ['src/viewer/page/app.js'],
    languageOptions: { ecmaVersion: 2020, sourceType: 'script', globals: globals.browser },
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln', 'createContextualFragment', 'parseFromString', 'srcdoc'].map((property) => ({
          property,
          message: 'session content is untrusted: build nodes with el() and set textContent',
        })),
      ],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-script-url': 'error',
      strict: ['error', 'function'],
    },
  },
  {
    // The page embedder, run by node outside TypeScript.
    files: ['src/viewer/page/embed.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/viewer/page/styles.css'],
    plugins: { css },
    language: 'css/css',
    ...css.configs.recommended,
    rules: {
      ...css.configs.recommended.rules,
      // Both have fallbacks everywhere: ui-monospace heads a font stack, and browsers without
      // word-break: break-word ignore it and still wrap (white-space: pre-wrap).
      'css/use-baseline': ['error', { allowPropertyValues: { 'font-family': ['ui-monospace'], 'word-break': ['break-word'] } }],
    },
  },
);
