/**
 * `ams ls --since 1d` over a fleet's index (issue 13): 100,000 sessions' index entries in an
 * S3-protocol server (s3rver, loopback), laid out as a fleet has them after compaction: started
 * over the last 7 days, one compacted segment per past day (in that day's hour=23 partition) and one
 * per hour for today's hours. In the same run:
 *   floor        GET of exactly the segments holding a session started in the last day (all at
 *                once, through the SDK) + decodeSegment: reading what the answer needs once
 *   ls --since   what the command runs, in process: readAllIndex(storage, …, { since, onRequest })
 *                + querySessions (default page of 50); its requests counted by `onRequest` and by
 *                the server
 *   full read    the same without --since (every partition), for contrast
 *   ams ls       the built CLI spawned as users run it (node start-up included), and `ams --help`
 *                for the start-up alone
 * Medians of ROUNDS (floor and ls alternate). Targets: ls --since ≤ 2× the floor, ≤ 50 requests.
 *
 *   npx tsx bench/ls-since.ts      (npm run bench runs it; BENCH_LS_SESSIONS to change the size)
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import S3rver from 's3rver';
import { S3Storage } from '../src/index.js';
import type { SessionIndexEntry } from '../src/index.js';
import { parseFilter } from '../src/query/filter.js';
import { querySessions } from '../src/query/query.js';
import { readAllIndex } from '../src/query/scan.js';
import { sessionKey } from '../src/storage/keys.js';
import { decodeSegment, encodeSegment, HOUR_MS, partitionOf, SEGMENT_SUFFIX } from '../src/storage/segments.js';
import { toIndexEntry } from '../src/session/index-entry.js';
import { goldenSession } from '../test/fixtures/stores/build.js';

const SESSIONS = Number(process.env.BENCH_LS_SESSIONS ?? 100_000);
const DAYS = 7;
const ROUNDS = 5;
const DAY_MS = 24 * HOUR_MS;
const BUCKET = 'ams-bench';
const PREFIX = 'ams';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const root = path.resolve(import.meta.dirname, '..');
const CLI = path.join(root, 'dist/cli/main.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0).padStart(6)} ms`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Segment {
  key: string;
  entries: SessionIndexEntry[];
  /** Latest start among its entries (epoch ms). */
  newestStart: number;
}

/**
 * The fleet's index after compaction. Session j starts at an even spacing over the last DAYS days
 * and is written (its document, hence its entry) 30 s to 10 min later, never after `now`; a past
 * day's entries go to that day's hour=23 partition, today's to the partition of the hour written.
 */
function fleetSegments(now: number): Segment[] {
  const templates = ['agent-with-subagent', 'sdk-totals', 'agentless-error'].map((name) => {
    const s = goldenSession(name);
    return toIndexEntry(s, sessionKey(PREFIX, s));
  });
  const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0'];
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const first = now - DAYS * DAY_MS;
  const step = (DAYS * DAY_MS - 15 * 60_000) / SESSIONS;
  const byKey = new Map<string, Segment>();
  for (let j = 0; j < SESSIONS; j++) {
    const t = templates[j % templates.length]!;
    const started = Math.floor(first + j * step);
    const written = started + 30_000 + (j % 20) * 30_000;
    const id = `${j.toString(16).padStart(8, '0')}-4bench-${String(j).padStart(6, '0')}`;
    const startedAt = new Date(started).toISOString();
    const e: SessionIndexEntry = {
      ...t,
      id,
      trace_id: j.toString(16).padStart(32, '0'),
      agent: { name: `agent-${j % 7}`, version: versions[j % versions.length]! },
      started_at: startedAt,
      ended_at: new Date(written - 1000).toISOString(),
      // Every fourth session has no known cost (null, never a made-up number).
      totals: { ...t.totals, cost_usd: j % 4 === 0 ? null : (j % 100) / 1000 },
      key: sessionKey(PREFIX, { id, started_at: startedAt }),
    };
    const day = Math.floor(written / DAY_MS) * DAY_MS;
    const partition = day < today ? partitionOf(PREFIX, day + 23 * HOUR_MS) : partitionOf(PREFIX, written);
    const key = `${partition}compact-${partition.replace(/^.*dt=(\d{4})-(\d{2})-(\d{2})\/hour=(\d{2})\/$/, '$1$2$3$4')}-000001${SEGMENT_SUFFIX}`;
    let seg = byKey.get(key);
    if (!seg) byKey.set(key, (seg = { key, entries: [], newestStart: 0 }));
    seg.entries.push(e);
    seg.newestStart = Math.max(seg.newestStart, started);
  }
  return [...byKey.values()];
}

async function median5<T>(fn: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const samples: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    last = await fn();
    samples.push(performance.now() - t);
  }
  return { ms: median(samples), last: last! };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ams-bench-ls-'));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] });
const { port } = await server.run();
/** Requests the server saw (the CLI's included: it runs in another process). */
let served = 0;
(server as unknown as { httpServer: Server }).httpServer.on('request', () => served++);
const endpoint = `http://127.0.0.1:${port}`;
const cliEnv = { ...process.env, AMS_S3_BUCKET: BUCKET, AMS_S3_PREFIX: PREFIX, AMS_S3_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
const storage = new S3Storage({ bucket: BUCKET, prefix: PREFIX, endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, env: {} });
const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });

try {
  const now = Date.now();
  let t = performance.now();
  const segments = fleetSegments(now);
  const built = performance.now() - t;
  t = performance.now();
  let bytes = 0;
  for (const seg of segments) {
    const body = encodeSegment(seg.entries);
    bytes += body.length;
    await storage.putObject(seg.key, body);
  }
  const stored = performance.now() - t;
  console.log(
    `\n## ams ls --since 1d — ${fmt(SESSIONS)} sessions over ${DAYS} days in s3rver (loopback), ${segments.length} compacted segments, ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MiB gzip'd (built in ${built.toFixed(0)} ms, written in ${stored.toFixed(0)} ms)`,
  );

  const filter = parseFilter({ since: '1d' }, now);
  const since = filter.since!;
  const needed = segments.filter((s) => s.newestStart >= since);
  const expected = segments.reduce((n, s) => n + s.entries.filter((e) => Date.parse(e.started_at) >= since).length, 0);

  /** The floor: the segments the answer needs, each GET once (all at once), and decoded. */
  const floorRead = async (): Promise<number> => {
    const parts = await Promise.all(
      needed.map(async (s) => {
        const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: s.key }));
        return decodeSegment(await res.Body!.transformToByteArray(), s.key);
      }),
    );
    return parts.reduce((n, p) => n + p.length, 0);
  };

  interface Run {
    total: number;
    read: number;
    list: number;
    get: number;
    served: number;
  }
  /** What `ams ls [--since 1d]` runs, in process. */
  const ls = async (withSince: boolean): Promise<Run> => {
    const counts = { list: 0, get: 0 };
    const before = served;
    const entries = await readAllIndex(storage, undefined, undefined, { since: withSince ? since : undefined, onRequest: (kind) => counts[kind]++ });
    const result = querySessions(entries, withSince ? filter : {}, { limit: 50, offset: 0 });
    return { total: result.total, read: entries.length, ...counts, served: served - before };
  };

  // Warm-up (SDK import, connections, JIT), then floor and ls --since alternate.
  await floorRead();
  await ls(true);
  const floorSamples: number[] = [];
  const lsSamples: number[] = [];
  let decoded = 0;
  let run: Run | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    t = performance.now();
    decoded = await floorRead();
    floorSamples.push(performance.now() - t);
    t = performance.now();
    run = await ls(true);
    lsSamples.push(performance.now() - t);
  }
  if (run!.total !== expected) throw new Error(`ls --since 1d found ${run!.total} sessions; ${expected} started since then`);
  const floor = median(floorSamples);
  const lsMs = median(lsSamples);
  const full = await median5(() => ls(false));
  if (full.last.total !== SESSIONS) throw new Error(`the full read found ${full.last.total} sessions, not ${SESSIONS}`);

  const requests = run!.list + run!.get;
  console.log(`floor: GET the ${needed.length} segments the answer needs + decode (${fmt(decoded)} entries)   ${ms(floor)}   1.00×`);
  console.log(
    `ams ls --since 1d, in process (readAllIndex + querySessions)          ${ms(lsMs)}   ${(lsMs / floor).toFixed(2)}× the floor (target ≤ 2: ${lsMs <= 2 * floor ? 'met' : 'MISSED'}); ` +
      `${requests} requests (${run!.list} LIST, ${run!.get} GET; the server saw ${run!.served}; target ≤ 50: ${requests <= 50 ? 'met' : 'MISSED'}); ` +
      `${fmt(run!.read)} entries read, ${fmt(run!.total)} match`,
  );
  console.log(
    `full read, no --since (for contrast)                                ${ms(full.ms)}   ${(full.ms / floor).toFixed(2)}× the floor; ` +
      `${full.last.list + full.last.get} requests (${full.last.list} LIST, ${full.last.get} GET); ${fmt(full.last.read)} entries`,
  );
  console.log(`(the layout before segments: one GET per session, ${fmt(SESSIONS)} requests for the full read)`);

  if (existsSync(CLI)) {
    // Spawned asynchronously: s3rver answers from this process's event loop.
    const exec = promisify(execFile);
    let stderr = '';
    const spawnMs = async (args: string[]): Promise<number> => {
      const t0 = performance.now();
      stderr = (await exec(process.execPath, [CLI, ...args], { env: cliEnv, maxBuffer: 64 << 20 })).stderr;
      return performance.now() - t0;
    };
    await spawnMs(['ls', '--since', '1d']); // warm the file cache
    // Its `now` is a little later than ours: a session starts every ~6 s, so a few fewer may match.
    const said = Number(/of (\d+) matching sessions/.exec(stderr)?.[1]);
    if (!(said <= expected && said >= expected - 100)) throw new Error(`ams ls --since 1d said: ${stderr}(expected about ${expected})`);
    const cli: number[] = [];
    const startup: number[] = [];
    let cliRequests = 0;
    for (let i = 0; i < 3; i++) {
      startup.push(await spawnMs(['--help']));
      const before = served;
      cli.push(await spawnMs(['ls', '--since', '1d']));
      cliRequests = served - before;
    }
    console.log(
      `ams ls --since 1d, the built CLI spawned (median of 3)              ${ms(median(cli))}   ${(median(cli) / floor).toFixed(2)}× the floor; ` +
        `${cliRequests} requests seen by the server; \`ams --help\` alone (start-up) ${median(startup).toFixed(0)} ms`,
    );
  } else {
    console.log('ams ls (built CLI): skipped, no dist/ (npm run build)');
  }
} finally {
  client.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
