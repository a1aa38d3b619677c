/**
 * Who may reach the viewer: a foreign `Host` header (DNS rebinding) is refused with 421 by
 * `ams view`'s app and by the receiver's `/ui`, the allow-list (AMS_VIEWER_ALLOWED_HOSTS) lets a
 * name in; with a receiver token, `/ui` and its API need it (Bearer header, or the cookie that
 * `?token=` sets once). Plain HTTP requests with a forged Host (node's http.request lets us set it).
 */
import express from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { assembleSession, LocalStorage } from '../src/index.js';
import type { SpanRecord } from '../src/index.js';
import { createViewerRouter } from '../src/viewer/index.js';
import type { ViewerOptions } from '../src/viewer/index.js';
import { tempDir } from './support/tmp.js';

const spans = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];
const TRACE = '0af7651916cd43dd8448eb211c80319c';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One GET to 127.0.0.1:port with exactly these headers (Host included). */
function get(port: number, path: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function store(): Promise<LocalStorage> {
  const storage = new LocalStorage({ dir: tempDir('viewer-access') });
  await storage.putSession(assembleSession(spans));
  return storage;
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** The app `ams view` builds: the router at `/`. */
async function viewApp(options: Omit<ViewerOptions, 'reader'>): Promise<number> {
  const app = express();
  app.use(createViewerRouter({ reader: await store(), ...options }));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  stops.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function receiver(token?: string, env: Record<string, string> = {}): Promise<number> {
  const r = createReceiver({ storage: await store(), walDir: false, env, ...(token ? { token } : {}) });
  const { url } = await r.start({ host: '127.0.0.1', port: 0 });
  stops.push(() => r.stop());
  return Number(new URL(url).port);
}

describe('Host header (DNS rebinding)', () => {
  it('ams view: loopback names on its port are served; any other name, or another port, gets 421 with a message', async () => {
    const port = await viewApp({ env: {} });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await get(port, '/', { Host: host })).status, host).toBe(200);
      expect((await get(port, '/api/sessions', { Host: host })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`, '']) {
      const page = await get(port, '/', { Host: host });
      expect(page.status, host).toBe(421);
      expect(page.body).toContain('AMS_VIEWER_ALLOWED_HOSTS');
      expect(page.body).not.toContain('<html');
      const api = await get(port, `/api/sessions/${TRACE}`, { Host: host });
      expect(api.status, host).toBe(421);
      expect((JSON.parse(api.body) as { error: string }).error).toMatch(/refused Host/);
      expect(api.body).not.toContain(TRACE.slice(0, 12) + '"');
    }
  });

  it('the allow-list (AMS_VIEWER_ALLOWED_HOSTS, or the option) adds names: any port, or one port', async () => {
    const port = await viewApp({ env: { AMS_VIEWER_ALLOWED_HOSTS: 'ams.internal, proxy.example:8443' } });
    expect((await get(port, '/api/sessions', { Host: 'ams.internal:9999' })).status).toBe(200);
    expect((await get(port, '/api/sessions', { Host: 'proxy.example:8443' })).status).toBe(200);
    expect((await get(port, '/api/sessions', { Host: 'proxy.example:8444' })).status).toBe(421);
    expect((await get(port, '/api/sessions', { Host: 'evil.example' })).status).toBe(421);
    const optioned = await viewApp({ allowedHosts: ['viewer.lan'], env: { AMS_VIEWER_ALLOWED_HOSTS: 'ams.internal' } });
    expect((await get(optioned, '/', { Host: 'viewer.lan' })).status).toBe(200);
    expect((await get(optioned, '/', { Host: 'ams.internal' })).status).toBe(421); // options win over the environment
  });

  it("the receiver's /ui refuses a foreign Host too, and honours the allow-list from its environment", async () => {
    const port = await receiver(undefined, { AMS_VIEWER_ALLOWED_HOSTS: 'ams.internal' });
    expect((await get(port, '/ui/api/sessions', { Host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await get(port, '/ui/api/sessions', { Host: `ams.internal:${port}` })).status).toBe(200);
    const refused = await get(port, '/ui/', { Host: `evil.example:${port}` });
    expect(refused.status).toBe(421);
    expect(refused.body).toContain('refused Host "evil.example');
    // Only the viewer checks Host: the OTLP endpoints keep answering collectors under any name.
    expect((await get(port, '/health', { Host: `evil.example:${port}` })).status).toBe(200);
  });
});

describe("the receiver's token on /ui", () => {
  const TOKEN = 'ui-token-5ecret';

  it('page and API need the token: 401 says how; a Bearer header is let in', async () => {
    const port = await receiver(TOKEN);
    const host = { Host: `127.0.0.1:${port}` };
    const page = await get(port, '/ui/', host);
    expect(page.status).toBe(401);
    expect(page.body).toContain('/ui/?token=<token>');
    expect(page.body).not.toContain('<html');
    const api = await get(port, '/ui/api/sessions', host);
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toContain('Bearer');
    expect((await get(port, '/ui/api/sessions', { ...host, Authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await get(port, '/ui/api/sessions', { ...host, Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain(TRACE);
  });

  it('?token= once sets an HttpOnly SameSite=Strict cookie for /ui/ and redirects without the token; the cookie then opens page and API', async () => {
    const port = await receiver(TOKEN);
    const host = { Host: `localhost:${port}` };
    expect((await get(port, '/ui/?token=wrong', host)).status).toBe(401);
    const first = await get(port, `/ui?token=${TOKEN}&agent=support-bot`, host);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/ui/?agent=support-bot');
    const setCookie = first.headers['set-cookie']![0]!;
    expect(setCookie).toMatch(/^ams_viewer=[0-9a-f]{64};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\/ui\//);
    expect(setCookie).not.toContain(TOKEN); // a hash, not the token
    const cookie = setCookie.split(';')[0]!;
    const page = await get(port, '/ui/?agent=support-bot', { ...host, Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await get(port, `/ui/api/sessions/${TRACE}`, { ...host, Cookie: cookie })).status).toBe(200);
    // The cookie is not the receiver's bearer token: it does not open the API as one.
    expect((await get(port, '/ui/api/sessions', { ...host, Authorization: `Bearer ${cookie.split('=')[1]}` })).status).toBe(401);
    // A right token from a foreign Host is still refused.
    expect((await get(port, '/ui/api/sessions', { Host: `evil.example:${port}`, Authorization: `Bearer ${TOKEN}` })).status).toBe(421);
  });

  it('without a receiver token, /ui needs none', async () => {
    const port = await receiver();
    expect((await get(port, '/ui/api/sessions', { Host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});
