/**
 * Finding the broken call in the viewer (issue 14), in headless Chromium over a store written by
 * the real storage and served by the real viewer router: the list's errors column, error filter and
 * Errors card; in a session, deep links to one event (`#/s/<session>/<event key>`) with a detail
 * panel, next / previous error by key, search, argument previews in the timeline, tool output by
 * type, collapsing a subagent, zoom, a 420 px screen, the stats chart by agent version, and hostile
 * content through every one of these new fields.
 */
import express from 'express';
import { existsSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/index.js';
import type { Session } from '../src/index.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { goldenSession } from './fixtures/stores/build.js';
import { tempDir } from './support/tmp.js';

const CHROMIUM = process.env.AMS_CHROMIUM ?? '/usr/bin/chromium';

type Ev = Session['events'][number];
type ToolCall = Extract<Ev, { type: 'tool_call' }>;

const NAV_ID = 'nav-two-errors-0001';
const HOSTILE_ID = 'nav-hostile-0001';
const BASH_KEY = 'b000000000000001';
const GREP_KEY = 'b000000000000004';
const SUB_KEY = 'e000000000000001';
const MISSING = 'cat: does-not-exist.txt: No such file or directory';

/**
 * A session with two failed tool calls (Bash at the top, Grep inside the subagent), a Bash call
 * whose output is {stdout, stderr}, a generic tool with a JSON result, and the golden session's
 * notification, which shares its span id with the prompt (so its key is its position, e<N>).
 */
function navSession(): Session {
  const s = goldenSession('agent-with-subagent');
  s.id = NAV_ID;
  s.trace_id = '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a';
  s.conversation_id = 'conv-nav';
  s.started_at = '2026-02-01T00:00:00.000Z';
  s.totals.errors = 2;
  const shift = (iso: string): string => new Date(Date.parse(iso) + Date.parse(s.started_at) - Date.parse('2026-01-01T00:00:00.000Z')).toISOString();
  const walk = (events: Ev[]): void => {
    for (const e of events) {
      for (const k of ['at', 'started_at', 'ended_at'] as const) if (k in e && typeof (e as Record<string, unknown>)[k] === 'string') (e as Record<string, string>)[k] = shift((e as Record<string, string>)[k]!);
      if (e.type === 'subagent' || (e.type === 'step' && e.events)) walk(e.events!);
    }
  };
  s.ended_at = shift(s.ended_at!);
  walk(s.events);
  const bash = s.events.find((e): e is ToolCall => e.type === 'tool_call' && e.name === 'Bash')!;
  bash.input = { command: 'cat does-not-exist.txt', description: 'Show the file' };
  bash.result = { stdout: '', stderr: MISSING, exit_code: 1 };
  bash.status = 'error';
  bash.error = MISSING;
  const read = s.events.find((e): e is ToolCall => e.type === 'tool_call' && e.name === 'Read')!;
  read.input = { file_path: 'src/x.ts' };
  const du: ToolCall = {
    ...read,
    span_id: 'b0000000000000a1',
    tool_use_id: 'toolu_du',
    name: 'Bash',
    input: { command: 'du -sh .' },
    result: { stdout: '4.0K\t.', stderr: '', interrupted: false },
  };
  const db: ToolCall = {
    ...read,
    span_id: 'b0000000000000a2',
    tool_use_id: 'toolu_db',
    name: 'mcp__db__query',
    input: { limit: 5, sql: 'select id from orders' },
    result: { rows: [{ id: 1 }, { id: 2 }], count: 2 },
  };
  s.events.splice(s.events.indexOf(read) + 1, 0, du, db);
  return s;
}

/** The same session with markup in every field the new views render. */
const H = {
  command: '<img src=x onerror="window.__xss=11">',
  stdout: '<script>window.__xss=12</script>',
  stderr: '<svg onload="window.__xss=13">',
  error: '<iframe src="javascript:window.__xss=14"></iframe>',
  jsonKey: '<b onmouseover="window.__xss=15">k</b>',
  why: '<img src=y onerror="window.__xss=16">',
  description: '<a href="javascript:window.__xss=17">task</a>',
  version: '<img src=z onerror="window.__xss=18">',
  model: '<svg/onload=window.__xss=19>',
  tool: '<img src=t onerror="window.__xss=21">',
  path: '<iframe srcdoc="<script>window.__xss=22</script>">',
  code: '<b onclick="window.__xss=23">timeout</b>',
};
const FAILURE_KEY = 'f000000000000001';
function hostileSession(): Session {
  const s = navSession();
  s.id = HOSTILE_ID;
  s.trace_id = '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b';
  s.conversation_id = 'conv-nav-hostile';
  s.agent = { name: 'hostile-bot', version: H.version };
  const walk = (events: Ev[]): void => {
    for (const e of events) {
      if (e.type === 'tool_call') {
        if (e.name === 'Read') e.name = H.tool;
        e.input = { command: H.command };
        e.result = e.name === 'mcp__db__query' ? { [H.jsonKey]: H.stdout } : { stdout: H.stdout, stderr: H.stderr };
        if (e.status === 'error') e.error = H.error;
      }
      if (e.type === 'llm_message') e.model = H.model;
      if (e.type === 'subagent') {
        e.why = H.why;
        e.description = H.description;
        e.agent_type = H.model;
        e.transcript_path = H.path;
        e.agent_id = H.code;
        walk(e.events);
      }
    }
  };
  walk(s.events);
  s.events.push({ type: 'failure', span_id: FAILURE_KEY, at: s.events[2]!.type === 'tool_call' ? s.events[2]!.ended_at : s.started_at, category: 'tool', code: H.code, message: H.error, step: H.tool, attempt: 2 });
  return s;
}

let server: Server;
let ui: string;
let browser: Browser;
let page: Page;
let incidents: string[];
let withErrors: string[];
let all: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  const storage = new LocalStorage({ dir: tempDir('viewer-nav') });
  const sessions = [navSession(), hostileSession(), goldenSession('agentless-error'), goldenSession('sdk-totals')];
  for (const s of sessions) await storage.putSession(s);
  all = sessions.map((s) => s.id).sort();
  withErrors = sessions.filter((s) => typeof s.totals.errors === 'number' && s.totals.errors > 0).map((s) => s.id).sort();
  expect(withErrors).toEqual([NAV_ID, HOSTILE_ID, goldenSession('agentless-error').id].sort());

  const app = express();
  app.use('/ui', createViewerRouter({ reader: storage, cacheMs: 0 }));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  ui = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ui/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

async function open(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const p = await browser.newPage({ viewport });
  p.on('dialog', (d) => {
    incidents.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  p.on('pageerror', (e) => incidents.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    // (A server without /api/stats answers 404, which the browser logs; the page hides the chart.)
    if (m.type() === 'error' && !m.location().url.includes('/api/stats')) incidents.push(`console: ${m.text()}`);
  });
  p.on('request', (r) => {
    if (!r.url().startsWith(ui) && !r.url().startsWith('data:')) incidents.push(`request: ${r.url()}`);
  });
  return p;
}

beforeEach(async () => {
  incidents = [];
  page = await open();
});
afterEach(async () => {
  await page.close();
});

const rows = () => page.locator('#sessions tbody tr');
const selected = () => page.locator('#events .ev.sel');
const row = (key: string): Locator => page.locator(`#waterfall .wf-row[data-key="${key}"]`);
const hashOf = (p: Page): string => decodeURIComponent(new URL(p.url()).hash);

async function openSession(id: string, key?: string): Promise<void> {
  await page.goto(`${ui}#/s/${id}${key ? `/${encodeURIComponent(key)}` : ''}`);
  await page.waitForSelector(`#detail[data-id="${id}"]`);
}

/** True when a and b (element boxes) share any area. */
function overlap(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('the list leads to the sessions with errors', () => {
  it('shows errors per row, filters on has_errors=1 and opens a failed session from the filtered list', async () => {
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(all.length);
    expect(await page.locator(`#sessions tr[data-id="${NAV_ID}"] td.errs`).textContent()).toBe('2');
    expect(await page.locator(`#sessions tr[data-id="${NAV_ID}"] td.errs.has-errors`).count()).toBe(1);
    expect(await page.locator(`#sessions tr[data-id="${goldenSession('sdk-totals').id}"] td.errs`).textContent()).toBe('0');

    const asked = page.waitForRequest((r) => r.url().includes('/api/sessions?') && new URL(r.url()).searchParams.get('has_errors') === '1');
    await page.click('#filter-errors');
    const req = await asked;
    expect(new URL(req.url()).searchParams.get('has_errors')).toBe('1');
    expect(page.url()).toContain('has_errors=1');
    await expect.poll(() => page.locator('#filter-errors').getAttribute('aria-pressed')).toBe('true');
    const res = await req.response();
    const ids = ((await res!.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id).sort();
    expect(ids).toEqual(withErrors);
    await expect.poll(async () => (await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).sort()).toEqual(ids);

    // One click from the filtered list lands on the first failing call, its panel open.
    await page.locator(`#sessions tr[data-id="${NAV_ID}"] td.prompt`).click();
    await page.waitForSelector(`#detail[data-id="${NAV_ID}"]`);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    expect(hashOf(page)).toBe(`#/s/${NAV_ID}/${BASH_KEY}`);
    expect(await page.locator('#error-info').textContent()).toBe('error 1 of 2');
    await page.keyboard.press('n');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(GREP_KEY);
    expect(incidents).toEqual([]);
  });

  it('the Errors card links to the filtered list', async () => {
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(all.length);
    expect(await page.locator('#errors-card').getAttribute('href')).toBe('#/?has_errors=1');
    const asked = page.waitForRequest((r) => new URL(r.url()).searchParams.get('has_errors') === '1');
    await page.click('#errors-card');
    await asked;
    expect(new URL(page.url()).hash).toBe('#/?has_errors=1');
    await expect.poll(() => page.locator('#filter-errors.on').count()).toBe(1);
    expect(incidents).toEqual([]);
  });
});

describe('inside a session', () => {
  it('jumps between the two errors with n / p and ] / [, and the address follows', async () => {
    await openSession(NAV_ID);
    expect(await page.locator('#keys-hint').textContent()).toMatch(/n \/ \] next error · p \/ \[ previous/);
    expect(await page.locator('#error-info').textContent()).toBe('2 errors');
    await page.keyboard.press('n');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    expect(hashOf(page)).toBe(`#/s/${NAV_ID}/${BASH_KEY}`);
    expect(await page.locator('#error-info').textContent()).toBe('error 1 of 2');
    await page.keyboard.press('n');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(GREP_KEY);
    expect(hashOf(page)).toBe(`#/s/${NAV_ID}/${GREP_KEY}`);
    expect(await page.locator('#panel-title').textContent()).toBe('Grep: build.test');
    await page.keyboard.press('p');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    await page.keyboard.press(']');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(GREP_KEY);
    await page.keyboard.press('[');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    // The buttons do the same, and wrap around.
    await page.click('#prev-error');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(GREP_KEY);
    expect(await selected().count()).toBe(1);
    expect(await page.locator('#waterfall .wf-row.sel').getAttribute('data-key')).toBe(GREP_KEY);
    expect(incidents).toEqual([]);
  });

  it('a deep link selects the event, scrolls to it and opens the detail panel with every field', async () => {
    await openSession(NAV_ID, BASH_KEY);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    const panel = page.locator('#panel');
    expect(await panel.isVisible()).toBe(true);
    expect(await page.locator('#panel-title').textContent()).toBe('Bash: cat does-not-exist.txt');
    expect(await page.locator('#panel-error').textContent()).toBe(MISSING);
    expect(await panel.locator('.badge').first().textContent()).toBe('error');
    const fields = Object.fromEntries(
      await panel.locator('.panel-meta .meta-item').evaluateAll((items) => items.map((i) => [i.querySelector('dt')!.textContent, i.querySelector('dd')!.textContent])),
    ) as Record<string, string>;
    expect(fields).toMatchObject({ key: BASH_KEY, duration: '60 ms', 'span id': BASH_KEY, 'tool use id': 'toolu_1', offset: '+950 ms' });
    expect(fields.started).toBe('2026-02-01 00:00:00Z');
    expect(await panel.locator('pre.stderr').textContent()).toBe(MISSING);
    expect(await panel.locator('details.json-input pre').textContent()).toBe(JSON.stringify({ command: 'cat does-not-exist.txt', description: 'Show the file' }, null, 2));
    // The panel took width from the timeline: the axis has fewer ticks, still apart.
    const tickBoxes = () => page.locator('#waterfall .wf-tick').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
    await expect.poll(async () => {
      const t = await tickBoxes();
      return t.some((a, i) => t.slice(i + 1).some((b) => overlap(a, b)));
    }).toBe(false);
    // The selected event is on screen.
    const box = (await selected().boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeLessThan(900);

    // A subagent's panel says why it ran; an event whose span id is shared has a positional key.
    const note = page.locator('#events .ev-notification');
    const noteKey = (await note.getAttribute('data-key'))!;
    expect(noteKey).toMatch(/^e\d+$/);
    await page.goto(`${ui}#/s/${NAV_ID}/${SUB_KEY}`);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(SUB_KEY);
    expect(await page.locator('#panel-why').textContent()).toBe('Find where the build test moved.');
    await page.goto(`${ui}#/s/${NAV_ID}/${noteKey}`);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(noteKey);
    expect(await page.locator('#panel .kind').first().textContent()).toBe('notification');

    // Clicking a timeline bar or an event row changes the address to that event's link.
    await row('b000000000000002').click();
    await expect.poll(() => hashOf(page)).toBe(`#/s/${NAV_ID}/b000000000000002`);
    expect(await page.locator('#panel-title').textContent()).toBe('Read: src/x.ts');
    await page.locator('#events .ev[data-key="b0000000000000a2"] > .ev-head .kind').click();
    await expect.poll(() => hashOf(page)).toBe(`#/s/${NAV_ID}/b0000000000000a2`);
    // Esc closes the panel and the link goes back to the session.
    await page.keyboard.press('Escape');
    expect(await panel.isVisible()).toBe(false);
    expect(hashOf(page)).toBe(`#/s/${NAV_ID}`);
    expect(incidents).toEqual([]);
  });

  it('searches inside the session: matches highlighted, Enter goes from one to the next', async () => {
    await openSession(NAV_ID);
    await page.fill('#session-search', 'moved');
    await page.press('#session-search', 'Enter');
    // "moved" is in the Agent call's prompt and result, in the subagent's why, and in a model turn's text.
    const first = (await selected().getAttribute('data-key'))!;
    expect(await page.locator('#match-info').textContent()).toMatch(/^match 1 of \d+$/);
    const current = page.locator('mark.hit.current');
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toBe('moved');
    // The current mark is in the selected event's row, or in the panel (which shows every field).
    const where = (m: Locator) => m.evaluate((x) => (x.closest('#panel') ? 'panel' : x.closest('.ev')!.getAttribute('data-key')));
    expect([first, 'panel']).toContain(await where(current));
    expect(await page.locator('#events mark.hit').count()).toBeGreaterThanOrEqual(3);
    await page.press('#session-search', 'Enter');
    await expect.poll(() => page.locator('#match-info').textContent()).toMatch(/^match 2 of \d+$/);
    const second = await selected().getAttribute('data-key');
    expect(second).not.toBe(first);
    expect([second, 'panel']).toContain(await where(page.locator('mark.hit.current')));
    expect(hashOf(page)).toBe(`#/s/${NAV_ID}/${second}`);
    // Case-insensitive, the page's own text kept as it was.
    await page.fill('#session-search', 'DOES-NOT-EXIST');
    await page.press('#session-search', 'Enter');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    expect(await page.locator('mark.hit.current').textContent()).toBe('does-not-exist');
    expect(await page.locator('#waterfall .wf-row.match').getAttribute('data-key')).toBe(BASH_KEY);
    // Clearing the box removes the marks and leaves the text whole.
    await page.fill('#session-search', '');
    await expect.poll(() => page.locator('mark.hit').count()).toBe(0);
    expect(await row(BASH_KEY).locator('.wf-text').textContent()).toBe('Bash: cat does-not-exist.txt');
    expect(incidents).toEqual([]);
  });

  it('timeline labels preview the arguments; tool output is shown by type', async () => {
    await openSession(NAV_ID);
    expect(await row(BASH_KEY).locator('.wf-text').textContent()).toBe('Bash: cat does-not-exist.txt');
    expect(await row('b000000000000002').locator('.wf-text').textContent()).toBe('Read: src/x.ts');
    expect(await row('b0000000000000a1').locator('.wf-text').textContent()).toBe('Bash: du -sh .');
    // A tool the page knows nothing about: its first short string argument.
    expect(await row('b0000000000000a2').locator('.wf-text').textContent()).toBe('mcp__db__query: select id from orders');
    expect(await row(GREP_KEY).locator('.wf-text').textContent()).toBe('Grep: build.test');

    // Command output: stdout as text, no JSON around it.
    const du = page.locator('#events .ev[data-key="b0000000000000a1"]');
    expect(await du.locator('pre.result.stdout').textContent()).toBe('4.0K\t.');
    expect(await du.textContent()).not.toContain('"stdout"');
    expect(await du.locator('.stream-meta').textContent()).toBe('interrupted false');
    // A JSON result is folded, one line of it in the summary; opening shows it all.
    const db = page.locator('#events .ev[data-key="b0000000000000a2"] details.json-result');
    expect(await db.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    expect(await db.locator('summary').textContent()).toBe('output · JSON, 2 keys: {"rows":[{"id":1},{"id":2}],"count":2}');
    await db.locator('summary').click();
    expect(await db.locator('pre').textContent()).toBe(JSON.stringify({ rows: [{ id: 1 }, { id: 2 }], count: 2 }, null, 2));
    expect(incidents).toEqual([]);
  });

  it('collapses a subagent in the timeline and the event list, and expands it again', async () => {
    await openSession(NAV_ID);
    expect(await row(GREP_KEY).isVisible()).toBe(true);
    const children = page.locator(`#events .ev[data-key="${SUB_KEY}"] > .children`);
    expect(await children.isVisible()).toBe(true);
    await row(SUB_KEY).locator('button.toggle').click();
    expect(await row(GREP_KEY).isVisible()).toBe(false);
    expect(await children.isVisible()).toBe(false);
    expect(await row(SUB_KEY).locator('button.toggle').getAttribute('aria-expanded')).toBe('false');
    // Toggling does not select the subagent.
    expect(await selected().count()).toBe(0);
    // Jumping to an error inside it opens it again.
    await page.keyboard.press('p');
    await expect.poll(() => selected().getAttribute('data-key')).toBe(GREP_KEY);
    expect(await row(GREP_KEY).isVisible()).toBe(true);
    expect(await children.isVisible()).toBe(true);
    // The event list's own button.
    await page.locator(`#events .ev[data-key="${SUB_KEY}"] > .ev-head button.toggle-children`).click();
    expect(await children.isVisible()).toBe(false);
    expect(await row(GREP_KEY).isVisible()).toBe(false);
    expect(incidents).toEqual([]);
  });

  it('zooms the timeline with the buttons and + / - / 0', async () => {
    await openSession(NAV_ID);
    const bar = row('b000000000000003').locator('.wf-bar');
    const w1 = (await bar.boundingBox())!.width;
    await page.click('#zoom-in');
    await expect.poll(async () => (await bar.boundingBox())!.width).toBeCloseTo(w1 * 2, 0);
    await page.keyboard.press('+');
    await expect.poll(async () => (await bar.boundingBox())!.width).toBeCloseTo(w1 * 4, 0);
    expect(await page.locator('#zoom-reset').textContent()).toBe('4×');
    await page.keyboard.press('-');
    await expect.poll(async () => (await bar.boundingBox())!.width).toBeCloseTo(w1 * 2, 0);
    await page.keyboard.press('0');
    await expect.poll(async () => (await bar.boundingBox())!.width).toBeCloseTo(w1, 0);
    // Zoomed in, the axis has more ticks (still one per ~90 px) and the labels stay in view.
    const ticks1 = await page.locator('#waterfall .wf-tick').count();
    await page.click('#zoom-in');
    await page.click('#zoom-in');
    await expect.poll(() => page.locator('#waterfall .wf-tick').count()).toBeGreaterThan(ticks1 * 3);
    const label = (await row('b000000000000003').locator('.wf-label').boundingBox())!;
    const wf = (await page.locator('#waterfall').boundingBox())!;
    expect(label.x).toBeGreaterThanOrEqual(wf.x);
    expect(incidents).toEqual([]);
  });
});

describe('a 420 px screen', () => {
  it('axis labels do not overlap, the panel stacks between timeline and events; screenshots saved', async () => {
    await page.close();
    page = await open({ width: 420, height: 860 });
    await openSession(NAV_ID, BASH_KEY);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    const ticks = await page.locator('#waterfall .wf-tick').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < ticks.length; i++) for (let j = i + 1; j < ticks.length; j++) expect(overlap(ticks[i]!, ticks[j]!), `ticks ${i} and ${j} overlap`).toBe(false);
    const wf = (await page.locator('#waterfall').boundingBox())!;
    for (const t of ticks) {
      expect(t.x).toBeGreaterThanOrEqual(wf.x);
      expect(t.x + t.width).toBeLessThanOrEqual(wf.x + wf.width + 0.5);
    }
    // No timeline label runs into its bar area, and the page does not scroll sideways.
    const label = (await row(BASH_KEY).locator('.wf-label').boundingBox())!;
    const track = (await row(BASH_KEY).locator('.wf-track').boundingBox())!;
    expect(overlap(label, track)).toBe(false);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    // One column: timeline, then the panel, then the events.
    const timeline = (await page.locator('.sb-timeline').boundingBox())!;
    const panel = (await page.locator('#panel').boundingBox())!;
    const events = (await page.locator('#events').boundingBox())!;
    expect(panel.y).toBeGreaterThanOrEqual(timeline.y + timeline.height - 1);
    expect(events.y).toBeGreaterThanOrEqual(panel.y + panel.height - 1);
    expect(panel.width).toBeLessThanOrEqual(420);
    const dir = tempDir('viewer-420');
    const shot = path.join(dir, 'viewer-session-420.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(all.length);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    // The errors column is on screen without scrolling the table.
    const errs = (await page.locator(`#sessions tr[data-id="${NAV_ID}"] td.errs`).boundingBox())!;
    expect(errs.x + errs.width).toBeLessThanOrEqual(420);
    const list = path.join(dir, 'viewer-list-420.png');
    await page.screenshot({ path: list, fullPage: true });
    expect(statSync(list).size).toBeGreaterThan(10_000);
    expect(incidents).toEqual([]);
  });
});

/** /api/stats?group_by=agent.version in the shape the stats helper builds (exactly its contract). */
function statsBody(keyA: string | null, keyB: string) {
  const group = (key: string | null, sessions: number, withErr: number, p50: number, p95: number, cost: number | null) => ({
    key,
    sessions,
    sessions_with_errors: withErr,
    error_rate: withErr / sessions,
    errors: withErr * 2,
    failures_by_category: {},
    failures_by_code: {},
    failed_tools: {},
    cost_usd: cost,
    cost_partial: false,
    input_tokens: 100,
    output_tokens: 10,
    duration_ms: { p50, p95 },
  });
  const groups = [group(keyA, 4, 2, 1000, 8000, 0.5), group(keyB, 10, 1, 2000, 4000, null)];
  return { since: '2026-01-01T00:00:00.000Z', until: '2026-03-01T00:00:00.000Z', group_by: 'agent.version', groups, total: group('all', 14, 3, 1500, 8000, 0.5) };
}

describe('stats by agent version on the list', () => {
  // The endpoint is implemented on another branch (the index helper's): here the request is answered
  // by playwright (page.route) with its contract's JSON, the only fake in this file.
  it('draws one row per version with its error rate and durations', async () => {
    await page.route('**/api/stats?*', (r) => r.fulfill({ json: statsBody('2026.06', '2026.07') }));
    const asked = page.waitForRequest((r) => r.url().includes('/api/stats?'));
    await page.goto(ui);
    expect(new URL((await asked).url()).searchParams.get('group_by')).toBe('agent.version');
    await page.waitForSelector('#stats');
    const statRows = page.locator('#stats .st-row');
    expect(await statRows.count()).toBe(2);
    expect(await statRows.locator('.st-key').allTextContents()).toEqual(['2026.06', '2026.07']);
    expect(await statRows.nth(0).locator('.st-val').allTextContents()).toEqual(['50% with errors', 'p50 1.0 s · p95 8.0 s']);
    expect(await statRows.nth(1).locator('.st-val').first().textContent()).toBe('10% with errors');
    // Unknown cost is '-', never $0.
    expect(await statRows.locator('.st-cost').allTextContents()).toEqual(['$0.5', '-']);
    const track = (await statRows.nth(0).locator('.st-track').first().boundingBox())!;
    const fill = (await statRows.nth(0).locator('.st-fill.st-err').boundingBox())!;
    expect(fill.width / track.width).toBeCloseTo(0.5, 2);
    expect(incidents).toEqual([]);
  });

  it('shows the real /api/stats groups (one row per agent version, at most 12)', async () => {
    const answered = page.waitForResponse((r) => r.url().includes('/api/stats?'));
    await page.goto(ui);
    const res = await answered;
    await expect.poll(() => rows().count()).toBe(all.length);
    expect(res.status()).toBe(200);
    const { groups } = (await res.json()) as { groups: unknown[] };
    if (groups.length) await page.waitForSelector('#stats');
    expect(await page.locator('#stats .st-row').count()).toBe(Math.min(groups.length, 12));
    expect(incidents).toEqual([]);
  });

  it('is left out when the server has no /api/stats (an older receiver: 404)', async () => {
    await page.route('**/api/stats?*', (r) => r.fulfill({ status: 404, json: { error: 'not found' } }));
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(all.length);
    expect(await page.locator('#stats .st-row').count()).toBe(0);
    expect(incidents).toEqual([]);
    await page.unroute('**/api/stats?*');
  });
});

describe('hostile content through the new views stays text', () => {
  it('argument previews, panel fields, command output, JSON, search marks, an unknown event key and the stats chart', async () => {
    await page.route('**/api/stats?*', (r) => r.fulfill({ json: statsBody(H.version, H.model) }));
    await page.goto(ui);
    await page.waitForSelector('#stats');
    expect(await page.locator('#stats .st-key').allTextContents()).toEqual([H.version, H.model]);
    expect(await page.locator(`#sessions tr[data-id="${HOSTILE_ID}"] td.errs`).textContent()).toBe('2');

    await openSession(HOSTILE_ID, BASH_KEY);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(BASH_KEY);
    expect(await row(BASH_KEY).locator('.wf-text').textContent()).toBe(`Bash: ${H.command}`);
    expect(await page.locator('#panel-title').textContent()).toBe(`Bash: ${H.command}`);
    expect(await page.locator('#panel-error').textContent()).toBe(H.error);
    expect(await page.locator('#panel pre.stdout').textContent()).toBe(H.stdout);
    expect(await page.locator('#panel pre.stderr').textContent()).toBe(H.stderr);
    expect(await page.locator(`#events .ev[data-key="${BASH_KEY}"] .ev-head .arg`).textContent()).toBe(H.command);
    const db = page.locator('#events .ev[data-key="b0000000000000a2"] details.json-result');
    await db.locator('summary').click();
    expect(JSON.parse((await db.locator('pre').textContent())!)).toEqual({ [H.jsonKey]: H.stdout });
    expect(await row('b000000000000002').locator('.wf-text').textContent()).toBe(`${H.tool}: ${H.command}`);
    await page.goto(`${ui}#/s/${HOSTILE_ID}/${SUB_KEY}`);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(SUB_KEY);
    expect(await page.locator('#panel-why').textContent()).toBe(H.why);
    expect(await page.locator('#panel-title').textContent()).toBe(`subagent ${H.model}: ${H.description}`);
    const fields = Object.fromEntries(
      await page.locator('#panel .panel-meta .meta-item').evaluateAll((items) => items.map((i) => [i.querySelector('dt')!.textContent, i.querySelector('dd')!.textContent])),
    ) as Record<string, string>;
    expect(fields).toMatchObject({ 'transcript path': H.path, 'agent id': H.code, 'agent type': H.model });
    // A classified failure: its own row, panel and place among the errors.
    await page.goto(`${ui}#/s/${HOSTILE_ID}/${FAILURE_KEY}`);
    await expect.poll(() => selected().getAttribute('data-key')).toBe(FAILURE_KEY);
    expect(await page.locator('#panel-title').textContent()).toBe(`failure tool/${H.code}`);
    expect(await page.locator('#panel-error').textContent()).toBe(H.error);
    expect(await selected().locator('.ev-head').textContent()).toContain(`in ${H.tool} (attempt 2)`);
    expect(await page.locator('#error-info').textContent()).toBe('3 errors');
    expect(await row(FAILURE_KEY).locator('.wf-text').textContent()).toBe(`failure tool/${H.code}`);
    // Search for markup: the marks hold it as text.
    await page.fill('#session-search', '<img src=');
    await page.press('#session-search', 'Enter');
    await expect.poll(() => page.locator('mark.hit.current').count()).toBe(1);
    expect(await page.locator('mark.hit.current').textContent()).toBe('<img src=');
    // An event key that is markup: reported as text.
    await page.goto(`${ui}#/s/${HOSTILE_ID}/${encodeURIComponent('<img src=x onerror="window.__xss=20">')}`);
    await page.waitForSelector('#no-event');
    expect(await page.locator('#no-event').textContent()).toBe('No event "<img src=x onerror="window.__xss=20">" in this session.');

    await page.evaluate(() => new Promise<void>((resolve) => (globalThis as unknown as { requestAnimationFrame(fn: () => void): void }).requestAnimationFrame(() => setTimeout(resolve, 0))));
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#main img, #main iframe, #main svg, #main b, #main script, #main [onerror], #main [onload], #main [onmouseover]').count()).toBe(0);
    expect(await page.locator('#main a[href^="javascript:"]').count()).toBe(0);
    expect(incidents).toEqual([]);
  });
});
