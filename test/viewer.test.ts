/**
 * The viewer in headless Chromium (Debian `chromium`, driven by playwright-core), mounted under
 * /ui as the receiver mounts it, over a fixture store written by the real processor: the list
 * loads, filters narrow it, a session opens with its subagent nested, hostile content stays inert,
 * and a deep link opens the right session. A screenshot of the detail page is saved to
 * test-artifacts/ for humans.
 */
import express from 'express';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { LocalStorage } from '../src/index.js';
import type { Session } from '../src/index.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { RUNS, XSS_ID, XSS_PROMPT, XSS_RESULT, buildStore, goldenSession } from './fixtures/stores/build.js';
import { tempDir } from './support/tmp.js';

const CHROMIUM = process.env.AMS_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'test-artifacts');
const BIG_ID = 'big-payload-0001';
const BIG_RESULT = `start-${'y'.repeat(20_000)}-end`;

let server: Server;
let ui: string;
let browser: Browser;
let written: Map<string, Session>;
let page: Page;
/** What the page did that it should not: dialogs, errors, CSP violations, outside requests. */
let incidents: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  const storage = new LocalStorage({ dir: tempDir('viewer-ui') });
  written = await buildStore(storage);
  const big = goldenSession('agent-with-subagent');
  big.id = BIG_ID;
  big.started_at = '2025-12-31T00:00:00.000Z';
  for (const e of big.events) if (e.type === 'tool_call') e.result = BIG_RESULT;
  await storage.putSession(big);
  written.set(BIG_ID, big);

  const app = express();
  app.use('/ui', createViewerRouter({ reader: storage }));
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

beforeEach(async () => {
  incidents = [];
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (d) => {
    incidents.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => incidents.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The list asks for /api/stats (the chart by agent version), built on another branch: a 404 until then.
    if (m.type() === 'error' && !m.location().url.includes('/api/stats')) incidents.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(ui) && !r.url().startsWith('data:')) incidents.push(`request: ${r.url()}`);
  });
});
afterEach(async () => {
  await page.close();
});

const rows = () => page.locator('#sessions tbody tr');

/**
 * Resolves once anything that markup injected into the rendered page could set off has run: an
 * <svg onload> or <iframe> fires (or is refused by the CSP, a console error) when inserted, an
 * <img onerror> once its request fails. So: wait until every image has finished loading or failed
 * (img.complete), then for one rendered frame and one more task, by which point those events and
 * the CSP reports they cause have been dispatched. No image, no network wait.
 */
async function settled(p: Page): Promise<void> {
  await p.evaluate(async () => {
    type Img = { complete: boolean; addEventListener(type: string, fn: () => void, o: { once: boolean }): void };
    const w = globalThis as unknown as {
      document: { images: ArrayLike<Img> };
      requestAnimationFrame(fn: () => void): void;
    };
    const loading = Array.from(w.document.images).filter((img) => !img.complete);
    await Promise.all(
      loading.map((img) => new Promise<void>((resolve) => ['load', 'error'].forEach((t) => img.addEventListener(t, () => resolve(), { once: true })))),
    );
    await new Promise<void>((resolve) => w.requestAnimationFrame(() => setTimeout(resolve, 0)));
  });
}

describe('viewer in Chromium', () => {
  it('loads the list, newest first, with totals at a glance', async () => {
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(written.size);
    expect(await rows().first().getAttribute('data-id')).toBe([...written.values()].find((s) => s.started_at === new Date(RUNS[RUNS.length - 1]!.startMs).toISOString())!.id);
    expect(await page.locator('#summary .card-value').first().textContent()).toBe(String(written.size));
    // Unknown cost is '-', never $0; the summary sums the known costs and says some are unknown.
    const unpriced = goldenSession('agentless-error');
    expect(unpriced.totals.cost_usd).toBeNull();
    expect(await page.locator(`#sessions tr[data-id="${unpriced.id}"] td:nth-child(9)`).textContent()).toBe('-');
    expect(await page.locator('#summary .card').nth(1).locator('.card-value').textContent()).toMatch(/^\$[\d.]+\+$/);
    expect(incidents).toEqual([]);
  });

  it('narrows the list with a filter and the search box, and keeps the filter in the URL', async () => {
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(written.size);
    await page.selectOption('#filter-agent', 'billing-bot');
    await expect.poll(() => rows().count()).toBe(2);
    expect(page.url()).toContain('agent=billing-bot');
    expect(await page.locator('#sessions tbody td:nth-child(4)').allTextContents()).toEqual(['billing-bot', 'billing-bot']);
    await page.fill('#search', 'invoices');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().locator('.prompt').textContent()).toBe(RUNS[2]!.prompt);
    await page.selectOption('#filter-status', 'error');
    await expect.poll(() => page.locator('#empty').count()).toBe(1);
    expect(incidents).toEqual([]);
  });

  it('opens a session from the list with its subagent nested, thinking folded, and saves a screenshot', async () => {
    const run = [...written.values()].find((s) => s.environment === 'staging')!;
    await page.goto(ui);
    await page.locator(`#sessions tr[data-id="${run.id}"] td.prompt`).click();
    await page.waitForSelector(`#detail[data-id="${run.id}"]`);
    expect(page.url()).toBe(`${ui}#/s/${run.id}`);

    const sub = page.locator('#events > .ev-subagent');
    expect(await sub.count()).toBe(1);
    expect(await sub.locator('.why-text').textContent()).toBe('Find where the build test moved to.');
    // The subagent's own model turns and tool call are inside it, not beside it.
    expect(await sub.locator('.children > .ev-tool_call[data-name="Grep"]').count()).toBe(1);
    expect(await sub.locator('.children > .ev-llm_message').count()).toBe(2);
    expect(await page.locator('#events > .ev-tool_call[data-name="Grep"]').count()).toBe(0);

    // Timeline: one bar per timed event, the subagent's rows indented under it.
    expect(await page.locator('#waterfall .wf-row[data-target]').count()).toBeGreaterThanOrEqual(12);
    expect(await page.locator('#models tbody tr').count()).toBe(1);

    const thinking = page.locator('#events > .ev-llm_message details.thinking').first();
    expect(await thinking.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    await thinking.locator('summary').click();
    expect(await thinking.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
    expect(await thinking.locator('pre').textContent()).toBe('I should look at the build log and the failing test first.');

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'viewer-detail.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(incidents).toEqual([]);
  });

  it('keeps hostile prompts, tool output and names inert: shown as text, nothing runs', async () => {
    await page.goto(`${ui}#/s/${XSS_ID}`);
    await page.waitForSelector(`#detail[data-id="${XSS_ID}"]`);
    await settled(page);
    expect(incidents).toEqual([]);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1); // assets/app.js only
    expect(await page.locator('#main img, #main iframe, #main svg, #main b, #main script, #main [onerror], #main [onload], #main [onmouseover]').count()).toBe(0);
    expect(await page.locator('#main a[href^="javascript:"]').count()).toBe(0);
    expect(await page.locator('.ev-user_prompt pre').textContent()).toBe(XSS_PROMPT);
    expect(await page.locator('.ev-tool_call[data-name="Bash"] pre.result').textContent()).toBe(XSS_RESULT);
    expect(await page.locator('#detail h1 .agent').textContent()).toBe('<b onmouseover="alert(4)">evil-agent</b>');

    // The list renders the same strings as text too.
    await page.goto(ui);
    await expect.poll(() => rows().count()).toBe(written.size);
    expect(await page.locator(`#sessions tr[data-id="${XSS_ID}"] .prompt`).textContent()).toBe(XSS_PROMPT);
    expect(await page.locator('#main img, #main svg, #main b').count()).toBe(0);
    expect(incidents).toEqual([]);
  });

  it('a deep link opens the right session, by session id or by conversation id', async () => {
    const run = [...written.values()].find((s) => s.agent.name === 'billing-bot')!;
    await page.goto(`${ui}#/s/${encodeURIComponent(run.id)}`);
    await page.waitForSelector(`#detail[data-id="${run.id}"]`);
    expect(await page.locator('.ev-user_prompt pre').textContent()).toBe(RUNS.find((r) => r.startMs === Date.parse(run.started_at))!.prompt);
    expect(await page.title()).toContain(run.id);

    const other = await browser.newPage();
    await other.goto(`${ui}#/s/${encodeURIComponent(run.conversation_id!)}`);
    await other.waitForSelector(`#detail[data-id="${run.id}"]`);
    await other.close();

    await page.goto(`${ui}#/s/not-a-session`);
    await page.waitForSelector('#not-found');
    expect(await page.locator('#not-found').textContent()).toContain('no session with id');
  });

  it('cuts large tool output and expands it on demand', async () => {
    await page.goto(`${ui}#/s/${BIG_ID}`);
    await page.waitForSelector(`#detail[data-id="${BIG_ID}"]`);
    const box = page.locator('.ev-tool_call[data-name="Bash"] .payload-box').filter({ has: page.locator('pre.result') });
    const shown = (await box.locator('pre.result').textContent())!;
    expect(shown.length).toBeLessThan(5000);
    expect(shown.startsWith('start-')).toBe(true);
    await box.locator('button.more').click();
    expect(await box.locator('pre.result').textContent()).toBe(BIG_RESULT);
    expect(await page.locator('#download').getAttribute('href')).toBe(`api/sessions/${BIG_ID}?download=1`);
    expect(incidents).toEqual([]);
  });
});

describe("viewer in Chromium behind the receiver's token", () => {
  it('opening /ui/?token= once sets the cookie, drops the token from the address, and the page loads its sessions', async () => {
    const storage = new LocalStorage({ dir: tempDir('viewer-token') });
    const run = goldenSession('agent-with-subagent');
    await storage.putSession(run);
    const receiver = createReceiver({ storage, walDir: false, env: {}, token: 'browser-5ecret' });
    const { url } = await receiver.start({ host: '127.0.0.1', port: 0 });
    const own = await browser.newPage();
    const errors: string[] = [];
    own.on('pageerror', (e) => errors.push(e.message));
    own.on('response', (r) => {
      // /api/stats (the list's chart) is built on another branch: a 404 until it is merged.
      if (r.status() >= 400 && !r.url().includes('/api/stats')) errors.push(`${r.status()} ${r.url()}`);
    });
    try {
      // Without the token: the 401 text, no page.
      const refused = await own.goto(`${url}/ui/`);
      expect(refused!.status()).toBe(401);
      errors.length = 0;
      await own.goto(`${url}/ui/?token=browser-5ecret`);
      expect(own.url()).toBe(`${url}/ui/`);
      await expect.poll(() => own.locator('#sessions tbody tr').count()).toBe(1);
      expect(await own.locator('#sessions tbody tr').first().getAttribute('data-id')).toBe(run.id);
      const cookies = await own.context().cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([['ams_viewer', true, 'Strict', '/ui/']]);
      // A session opens (the API answers with the cookie alone).
      await own.goto(`${url}/ui/#/s/${run.id}`);
      await own.waitForSelector(`#detail[data-id="${run.id}"]`);
      expect(errors).toEqual([]);
    } finally {
      await own.close();
      await receiver.stop();
    }
  });
});
