/**
 * Issue 15, point 3 and the rest of point 7: what a hostile or overloaded client can make the
 * receiver hold. JSON nested past MAX_JSON_DEPTH is refused before any parse (workers or not, with
 * /health answering meanwhile); a byte bound covers written spans kept for retainMs too; the
 * connection count is capped; an attribute named `__proto__` survives. Real loopback HTTP, real
 * LocalStorage in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import type { ReceiverApp } from '../receiver/index.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../receiver/http/json-depth.js';
import { LocalStorage } from '../src/storage/local.js';
import { post } from './fixtures/otlp/http.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('JSON nesting depth is checked before parsing', () => {
  it('counts [ and { outside strings only', () => {
    expect(jsonDepth(Buffer.from('{"a":[{"b":"[[[{{{\\"[["}]}'))).toBe(3);
    expect(jsonDepth(Buffer.from('[[[[[[[[[['), 4)).toBe(5); // stops past the limit
  });

  // 14 MB of `[`: JSON.parse would build 7,000,000 nested arrays (~0.9 GB) before finding it wrong.
  const deep = Buffer.alloc(14 * 1024 * 1024, '[');

  describe.each([{ workers: 0 }, { workers: 2 }])('workers: $workers', ({ workers }) => {
    let dir: string;
    let receiver: ReceiverApp;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ams-recv-deep-'));
      receiver = createReceiver({ storage: workers ? undefined : new LocalStorage({ dir: join(dir, 'data') }), workers, walDir: false, env: { AMS_LOCAL_DIR: join(dir, 'data') } });
      expect(receiver.config.workers).toBe(workers);
      url = (await receiver.start({ port: 0 })).url;
    });

    afterAll(async () => {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a 14 MB body nested 7,000,000 deep is a 400 naming the limit, and /health answers meanwhile', async () => {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const bodies = [1, 2, 3].map(() => post(`${url}/v1/traces`, deep, JSON_HEADERS));
      const health = await fetch(`${url}/health`);
      const replies = await Promise.all(bodies);
      delay.disable();
      expect(health.status).toBe(200);
      for (const r of replies) {
        expect(r.status).toBe(400);
        expect((JSON.parse(r.body.toString()) as { message: string }).message).toBe(
          `malformed OTLP/JSON: nested deeper than ${MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH); OTLP/JSON needs far fewer`,
        );
      }
      // Three such bodies used to stall the event loop for seconds (parsed on the main thread).
      expect(delay.max / 1e6).toBeLessThan(1000);
      expect(receiver.stats().sessionsWritten).toBe(0);
      // Logs and metrics take the same check.
      for (const path of ['/v1/logs', '/v1/metrics']) expect((await post(`${url}${path}`, deep, JSON_HEADERS)).status).toBe(400);
    });
  });
});
