/**
 * The viewer page is three real files (src/viewer/page/index.html, app.js, styles.css, linted by
 * `npm run lint`); the router serves them from embedded.ts, which `node src/viewer/page/embed.mjs`
 * generates (npm run build runs it). This fails when the committed embedded.ts lags the files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_JS, INDEX_HTML, STYLES_CSS } from '../src/viewer/page/embedded.js';

const file = (name: string): string => readFileSync(new URL(`../src/viewer/page/${name}`, import.meta.url), 'utf8');

describe('viewer page embedding (regenerate: node src/viewer/page/embed.mjs)', () => {
  it('embeds index.html, app.js and styles.css as they are', () => {
    expect(INDEX_HTML).toBe(file('index.html'));
    expect(APP_JS).toBe(file('app.js'));
    expect(STYLES_CSS).toBe(file('styles.css'));
  });
});
