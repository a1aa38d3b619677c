/** The receiver serves the viewer and query API under /ui, reading the storage it writes to. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { assembleSession, LocalStorage } from '../src/index.js';
import type { SpanRecord } from '../src/index.js';
import { tempDir } from './support/tmp.js';

const spans = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/assemble/agent-with-subagent.spans.json'), 'utf8')) as SpanRecord[];

describe('receiver /ui', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function start(options: { host?: string; ui?: boolean }) {
    const dir = tempDir('recv-ui');
    const storage = new LocalStorage({ dir });
    await storage.putSession(assembleSession(spans));
    const receiver = createReceiver({ storage, walDir: false, env: {}, ...options });
    // Listen on loopback whatever the configured host says: only the mount decision depends on it.
    const { url } = await receiver.start({ host: '127.0.0.1', port: 0 });
    stops.push(() => receiver.stop());
    return url;
  }

  it('serves the page and the query API on a loopback receiver', async () => {
    const url = await start({});
    const page = await fetch(`${url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<html');
    const list = (await (await fetch(`${url}/ui/api/sessions?agent=support-bot`)).json()) as { sessions?: Array<{ id: string }> };
    expect(JSON.stringify(list)).toContain('0af7651916cd43dd8448eb211c80319c');
    const one = await fetch(`${url}/ui/api/sessions/0af7651916cd43dd8448eb211c80319c`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { trace_id: string }).trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('is off by default when the receiver is configured for a non-loopback address', async () => {
    const url = await start({ host: '0.0.0.0' });
    expect((await fetch(`${url}/ui/api/sessions`)).status).toBe(404);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('can be switched on explicitly for a non-loopback address', async () => {
    const url = await start({ host: '0.0.0.0', ui: true });
    expect((await fetch(`${url}/ui/api/sessions`)).status).toBe(200);
  });
});
