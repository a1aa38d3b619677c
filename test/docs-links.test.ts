/**
 * README.md and docs/*.md link to each other and into the code; moving a file or renaming a
 * heading breaks them silently. This checks every relative link (file or folder exists, and a
 * `#anchor` names a heading of the target page) and that the front door keeps its two commands.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Pages other branches generate or write; a link to them is fine before they land. */
const COMING = new Set(['docs/configuration.md', 'docs/session-format.md', 'docs/writer.md', 'docs/capture.md']);

/** Markdown without fenced code blocks and inline code, where `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown.replace(/`([^`\n]*)`/g, '$1')).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Broken relative links of one page (`file` relative to ROOT), as `target: why`. */
function brokenLinks(file: string, markdown: string, exists: (rel: string) => boolean, read: (rel: string) => string): string[] {
  const broken: string[] = [];
  for (const [, raw] of prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = raw!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const rel = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(pathPart)));
    if (rel.startsWith('..')) {
      broken.push(`${target}: outside the repository`);
      continue;
    }
    if (!exists(rel)) {
      if (!COMING.has(rel)) broken.push(`${target}: no such file`);
      continue;
    }
    if (anchor && rel.endsWith('.md') && !anchors(read(rel)).has(anchor)) broken.push(`${target}: no heading #${anchor}`);
  }
  return broken;
}

const exists = (rel: string): boolean => existsSync(path.join(ROOT, rel));
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('documentation links', () => {
  it.each(PAGES)('%s: every relative link resolves', (page) => {
    expect(statSync(path.join(ROOT, page)).isFile()).toBe(true);
    expect(brokenLinks(page, read(page), exists, read)).toEqual([]);
  });

  it('the checker finds a missing file, a missing heading and a link out of the repository', () => {
    const files: Record<string, string> = { 'docs/a.md': '# Workers: every core\n', 'README.md': '' };
    const page = [
      '[ok](a.md#workers-every-core) [ok](../README.md) [web](https://example.com/x.md)',
      '[coming](configuration.md) `[code](nope.md)`',
      '```\n[fenced](nope.md)\n```',
      '[gone](b.md) [anchor](a.md#workers) [out](../../etc/passwd)',
    ].join('\n');
    const found = brokenLinks('docs/index.md', page, (rel) => rel in files, (rel) => files[rel]!);
    expect(found).toEqual(['b.md: no such file', 'a.md#workers: no heading #workers', '../../etc/passwd: outside the repository']);
  });

  it('the front door keeps its two commands and stays short', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(250);
  });
});
