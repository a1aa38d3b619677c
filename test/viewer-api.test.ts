/**
 * The viewer's HTTP side, in process over a real LocalStorage fixture store: the query API
 * (filters, pages, lookups, errors), the security headers, the page assets, and mounting under
 * /ui as the receiver does.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/index.js';
import type { Session, SessionIndexEntry } from '../src/index.js';
import { CONTENT_SECURITY_POLICY, createViewerRouter } from '../src/viewer/index.js';
import { APP_JS } from '../src/viewer/page/embedded.js';
import { BASE_MS, RUNS, XSS_ID, buildStore, goldenSession } from './fixtures/stores/build.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

let server: Server;
let base: string;
let storage: LocalStorage;
let written: Map<string, Session>;

interface ListBody {
  sessions: SessionIndexEntry[];
  total: number;
  offset: number;
  limit: number;
  next_offset: number | null;
  indexed: number;
  summary: { sessions: number; cost_usd: number; by_status: Record<string, number> };
  facets: { agents: string[]; environments: string[]; models: string[]; tags: string[] };
}

beforeAll(async () => {
  storage = new LocalStorage({ dir: tempDir('viewer-api') });
  written = await buildStore(storage);
  const app = express();
  // As the receiver mounts it, and as `ams view` does at the root (cache off: every request reads).
  app.use('/ui', createViewerRouter({ reader: storage }));
  app.use('/', createViewerRouter({ reader: storage, cacheMs: 0 }));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const list = async (query: string, prefix = ''): Promise<ListBody> => {
  const res = await fetch(`${base}${prefix}/api/sessions${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ListBody;
};

describe('GET /api/sessions', () => {
  it('lists index entries newest first with totals, facets and a page', async () => {
    const body = await list('');
    expect(body.total).toBe(written.size);
    expect(body.indexed).toBe(written.size);
    expect(body.limit).toBe(50);
    expect(body.next_offset).toBeNull();
    for (const e of body.sessions) expectValidIndexEntry(e);
    expect(body.sessions[0]!.started_at).toBe(new Date(RUNS[RUNS.length - 1]!.startMs).toISOString());
    expect(body.facets.agents).toEqual(expect.arrayContaining(['billing-bot', 'support-bot', 'chat-api']));
    expect(body.facets.environments).toEqual(['prod', 'staging']);
    expect(body.summary.by_status).toEqual({ ok: written.size - 1, error: 1, incomplete: 0 });
  });

  it('applies the same filters as the CLI, and pages', async () => {
    expect((await list('?agent=billing-bot')).total).toBe(2);
    expect((await list('?env=staging&tag=beta')).total).toBe(1);
    expect((await list('?status=error')).sessions.map((e) => e.agent.name)).toEqual(['chat-api']);
    expect((await list('?model=claude-haiku')).total).toBe(2);
    expect((await list(`?since=${new Date(BASE_MS + 3 * 86_400_000).toISOString()}`)).total).toBe(2);
    expect((await list('?min_cost=0.02')).total).toBe(RUNS.length);
    expect((await list('?q=duplicate%20charge')).total).toBe(1);
    const p1 = await list('?limit=3');
    const p2 = await list(`?limit=3&offset=${p1.next_offset}`);
    expect(p1.sessions).toHaveLength(3);
    expect(p2.offset).toBe(3);
    expect(new Set([...p1.sessions, ...p2.sessions].map((e) => e.id)).size).toBe(6);
  });

  it('answers 400 with a message for a bad filter or page', async () => {
    for (const q of ['?status=finished', '?since=someday', '?min_cost=abc', '?limit=-1', '?offset=x']) {
      const res = await fetch(`${base}/api/sessions${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/status|time|min-cost|limit|offset/);
    }
  });

  it('sees a session written after the previous request when the cache is off', async () => {
    const before = (await list('')).total;
    const extra = { ...goldenSession('agentless-error'), id: 'late-arrival' };
    await storage.putSession(extra);
    await storage.flush(); // its index segment, which the API's reader lists
    expect((await list('')).total).toBe(before + 1);
    expect((await list('?q=late-arrival')).sessions.map((e) => e.id)).toEqual(['late-arrival']);
  });
});

describe('GET /api/sessions/:id', () => {
  it('returns the document by id, trace id or conversation id, and says how it matched', async () => {
    const golden = goldenSession('agent-with-subagent');
    for (const [ref, how] of [[golden.id, 'id'], ['FEEDFACEFEEDFACEFEEDFACEFEEDFACE', 'trace_id'], ['conv-123', 'conversation_id']] as const) {
      const res = await fetch(`${base}/api/sessions/${encodeURIComponent(ref)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ams-matched-by')).toBe(how);
      const doc = (await res.json()) as Session;
      expectValidSession(doc);
      expect(doc.id).toBe(how === 'trace_id' ? XSS_ID : golden.id);
    }
  });

  it('404s an unknown id as JSON, and offers a download with a file name', async () => {
    const missing = await fetch(`${base}/api/sessions/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no session with id, trace id or conversation id "nope"' });
    const dl = await fetch(`${base}/api/sessions/${XSS_ID}?download=1`);
    expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="ams-session-${XSS_ID}.json"`);
    expect(((await dl.json()) as Session).id).toBe(XSS_ID);
    const other = await fetch(`${base}/api/elsewhere`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toMatch(/application\/json/);
  });
});

describe('page and headers', () => {
  it('serves the page, script and stylesheet locally with a strict CSP on every response', async () => {
    for (const p of ['/', '/assets/app.js', '/assets/styles.css', '/api/sessions', '/api/sessions/nope']) {
      const res = await fetch(`${base}${p}`);
      expect(res.headers.get('content-security-policy'), p).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|https?:|\*/);
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toContain('<script src="assets/app.js" defer></script>');
    // No inline script or style, and nothing from another origin.
    expect(html).not.toMatch(/<script>|<style|style=|https?:\/\//);
    expect((await fetch(`${base}/assets/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('the script parses as a classic script and never writes HTML from data', () => {
    expect(() => new vm.Script(APP_JS, { filename: 'app.js' })).not.toThrow();
    expect(APP_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it('mounted under /ui: /ui redirects to /ui/ so relative URLs stay inside the mount', async () => {
    const res = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/ui/');
    expect((await fetch(`${base}/ui/`)).status).toBe(200);
    expect((await list('?agent=billing-bot', '/ui')).total).toBe(2);
  });
});
