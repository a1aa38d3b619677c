/**
 * CLI / query API benchmark (issue 5): a local store of 10,000 sessions, and in the same run
 *   floor         readFileSync + decodeSegment of every index segment once (nothing else; the store
 *                 is written in the default index layout, segments, flushed before reading)
 *   listIndex()   the storage's own sequential reader, for reference
 *   ams ls        the built CLI spawned as users run it (node start-up included), default page
 *   ams ls -q     the same with a text filter that matches few sessions
 *   /api/sessions one HTTP request to the viewer router with its cache off (every request reads
 *                 the whole index) and with its default 2 s cache (a page flip / keystroke after it)
 * Each figure is the median of ROUNDS; ratios are to the floor.
 *
 *   npx tsx bench/cli.ts        (npm run bench runs it; BENCH_CLI_SESSIONS to change the size)
 */
import express from 'express';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalStorage } from '../src/index.js';
import type { Session } from '../src/index.js';
import { decodeSegment, SEGMENT_SUFFIX } from '../src/storage/segments.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { goldenSession } from '../test/fixtures/stores/build.js';

const SESSIONS = Number(process.env.BENCH_CLI_SESSIONS ?? 10_000);
const ROUNDS = 5;
const root = path.resolve(import.meta.dirname, '..');
const CLI = path.join(root, 'dist/cli/main.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function fillStore(storage: LocalStorage): Promise<void> {
  const templates = [goldenSession('agent-with-subagent'), goldenSession('sdk-totals'), goldenSession('agentless-error')];
  const agents = ['support-bot', 'billing-bot', 'triage', 'coder'];
  const envs = ['prod', 'staging', 'dev'];
  const start = Date.parse('2026-01-01T00:00:00Z');
  const CONCURRENCY = 32;
  for (let i = 0; i < SESSIONS; i += CONCURRENCY) {
    const batch: Promise<string>[] = [];
    for (let j = i; j < Math.min(SESSIONS, i + CONCURRENCY); j++) {
      const s: Session = structuredClone(templates[j % templates.length]!);
      s.id = `bench-${String(j).padStart(6, '0')}`;
      s.trace_id = j.toString(16).padStart(32, '0');
      s.conversation_id = `conv-${j}`;
      s.agent = { name: agents[j % agents.length]! };
      s.environment = envs[j % envs.length];
      s.started_at = new Date(start + j * 60_000).toISOString();
      s.ended_at = new Date(start + j * 60_000 + 10_000).toISOString();
      for (const e of s.events) if (e.type === 'user_prompt') e.prompt = `task ${j}: ${e.prompt}`;
      batch.push(storage.putSession(s));
    }
    await Promise.all(batch);
  }
}

/** The floor: the plainest full read of the index segments (synchronous reads, then decode). */
function floor(dir: string): number {
  const indexDir = path.join(dir, 'index');
  let n = 0;
  for (const name of readdirSync(indexDir, { recursive: true }) as string[]) {
    if (!name.endsWith(SEGMENT_SUFFIX)) continue;
    n += decodeSegment(readFileSync(path.join(indexDir, name)), name).length;
  }
  return n;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ams-bench-cli-'));
try {
  const storage = new LocalStorage({ dir, env: {} });
  const t0 = performance.now();
  await fillStore(storage);
  await storage.flush(); // the index segments still buffered
  const fillMs = performance.now() - t0;

  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  if (!existsSync(CLI)) throw new Error('npm run build did not produce dist/cli/main.js');

  const read = floor(dir);
  if (read !== SESSIONS) throw new Error(`floor read ${read} index entries, expected ${SESSIONS}`);
  const floorMs = await time(() => floor(dir));
  const listIndexMs = await time(async () => {
    for await (const e of storage.listIndex()) void e;
  });
  const nodeMs = await time(() => execFileSync(process.execPath, ['-e', '0']));
  const ams = (args: string[]) => () => execFileSync(process.execPath, [CLI, ...args, '--local-dir', dir], { stdio: ['ignore', 'ignore', 'ignore'] });
  const helpMs = await time(() => execFileSync(process.execPath, [CLI, '--help'], { stdio: 'ignore' }));
  const lsMs = await time(ams(['ls']));
  const lsFilteredMs = await time(ams(['ls', '-q', 'task 4242:']));

  const app = express();
  app.use('/cold', createViewerRouter({ reader: storage, cacheMs: 0 }));
  app.use('/cached', createViewerRouter({ reader: storage }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (url: string) => {
    const res = await fetch(url);
    const body = (await res.json()) as { total: number };
    if (body.total === undefined) throw new Error('bad API answer');
  };
  const apiColdMs = await time(() => get(`${base}/cold/api/sessions`));
  const apiFilteredMs = await time(() => get(`${base}/cold/api/sessions?agent=triage&env=prod&q=task`));
  await get(`${base}/cached/api/sessions`);
  const apiCachedMs = await time(() => get(`${base}/cached/api/sessions?offset=50`));
  await new Promise<void>((r) => server.close(() => r()));

  const row = (label: string, ms: number, note = '') =>
    console.log(`${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / floorMs).toFixed(2).padStart(5)}× floor${note ? `   ${note}` : ''}`);
  console.log(`\n## CLI and query API: local store of ${SESSIONS.toLocaleString('en-US')} sessions (written in ${(fillMs / 1000).toFixed(1)} s), medians of ${ROUNDS}`);
  row('floor: read + decode every index segment', floorMs, '(readFileSync + decodeSegment)');
  row('LocalStorage.listIndex() (sequential)', listIndexMs);
  row('ams ls (spawned, default page of 50)', lsMs, `(start-up: node ${nodeMs.toFixed(0)} ms, node + ams --help ${helpMs.toFixed(0)} ms)`);
  row('ams ls -q <text> (spawned)', lsFilteredMs);
  row('GET /api/sessions (cache off)', apiColdMs);
  row('GET /api/sessions?agent&env&q (cache off)', apiFilteredMs);
  row('GET /api/sessions page 2 (2 s cache warm)', apiCachedMs);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
