/**
 * `ams query` benchmark (issue 13): 100,000 index entries in a local folder, in the default index
 * layout: segments of 1,000 entries (a writer's AMS_INDEX_FLUSH_ENTRIES), each in the partition of
 * the hour its last entry was written (segments.ts), about 100 objects; and in the same run
 *   floor        readAllIndex(): the storage reader's one pass over the entries (what every query pays)
 *   load         floor + flatten + temp NDJSON + DuckDB read_json into the `sessions` table (SqlSession.open)
 *   appender     the same rows loaded through DuckDB's appender instead of read_json, for comparison
 *   GROUP BY     SELECT agent_version, count(*), sum(cost_usd) FROM sessions GROUP BY 1 (median of ROUNDS)
 *   ams query    the built CLI spawned as users run it (node start-up, read, load, query, print)
 * Ratios are to the floor. Target: the GROUP BY in ≤ 1 s.
 *
 *   npx tsx bench/query.ts      (npm run bench runs it; BENCH_QUERY_SESSIONS to change the size)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, LIST, listValue, timestampValue, VARCHAR } from '@duckdb/node-api';
import type { DuckDBAppender } from '@duckdb/node-api';
import { LocalStorage } from '../src/index.js';
import type { SessionIndexEntry } from '../src/index.js';
import { readAllIndex } from '../src/query/scan.js';
import { SESSION_SQL_COLUMNS, sessionRow } from '../src/query/sql-rows.js';
import { SqlSession } from '../src/query/sql.js';
import { toIndexEntry } from '../src/session/index-entry.js';
import { sessionKey } from '../src/storage/keys.js';
import { encodeSegment, partitionOf, SEGMENT_SUFFIX } from '../src/storage/segments.js';
import { goldenSession } from '../test/fixtures/stores/build.js';

const SESSIONS = Number(process.env.BENCH_QUERY_SESSIONS ?? 100_000);
const ROUNDS = 5;
const SQL = 'SELECT agent_version, count(*), sum(cost_usd) FROM sessions GROUP BY 1';
const root = path.resolve(import.meta.dirname, '..');
const CLI = path.join(root, 'dist/cli/main.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0).padStart(6)} ms`;

/** Entries per segment: what a writer flushes at AMS_INDEX_FLUSH_ENTRIES' default. */
const SEGMENT_ENTRIES = 1000;

/** Writes the entries as a writer's segments; returns how many segments. */
async function fillIndex(storage: LocalStorage): Promise<number> {
  const templates = [goldenSession('agent-with-subagent'), goldenSession('sdk-totals'), goldenSession('agentless-error')];
  const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0'];
  const start = Date.parse('2026-01-01T00:00:00Z');
  let segment: SessionIndexEntry[] = [];
  let written = 0;
  let segments = 0;
  const flush = async () => {
    segments++;
    await storage.putObject(`${partitionOf(storage.prefix, written)}bench-writer-${String(segments).padStart(6, '0')}${SEGMENT_SUFFIX}`, encodeSegment(segment));
    segment = [];
  };
  for (let j = 0; j < SESSIONS; j++) {
    const s = structuredClone(templates[j % templates.length]!);
    s.id = `bench-${String(j).padStart(6, '0')}`;
    s.trace_id = j.toString(16).padStart(32, '0');
    s.agent = { name: `agent-${j % 7}`, version: versions[j % versions.length]! };
    s.started_at = new Date(start + j * 60_000).toISOString();
    s.ended_at = new Date(start + j * 60_000 + 10_000).toISOString();
    written = start + j * 60_000 + 11_000;
    // Every fourth session has no known cost (null, never 0).
    s.totals.cost_usd = j % 4 === 0 ? null : (j % 100) / 1000;
    segment.push(toIndexEntry(s, sessionKey(storage.prefix, s)));
    if (segment.length === SEGMENT_ENTRIES) await flush();
  }
  if (segment.length > 0) await flush();
  return segments;
}

/** The appender variant: the same typed rows appended column by column. */
async function appenderLoad(rows: Record<string, unknown>[]): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const t = performance.now();
    await c.run(`CREATE TABLE sessions (${SESSION_SQL_COLUMNS.map((col) => `"${col.name}" ${col.type}`).join(', ')})`);
    const a: DuckDBAppender = await c.createAppender('sessions');
    for (const row of rows) {
      for (const col of SESSION_SQL_COLUMNS) {
        const v = row[col.name];
        if (v === null || v === undefined) a.appendNull();
        else if (col.type === 'VARCHAR') a.appendVarchar(v as string);
        else if (col.type === 'JSON') a.appendVarchar(JSON.stringify(v));
        else if (col.type === 'INTEGER') a.appendInteger(v as number);
        else if (col.type === 'BIGINT') a.appendBigInt(BigInt(Math.trunc(v as number)));
        else if (col.type === 'DOUBLE') a.appendDouble(v as number);
        else if (col.type === 'BOOLEAN') a.appendBoolean(v as boolean);
        else if (col.type === 'TIMESTAMP') a.appendTimestamp(timestampValue(BigInt(Date.parse(v as string)) * 1000n));
        else if (col.type === 'VARCHAR[]') a.appendList(listValue(v as string[]), LIST(VARCHAR));
        else throw new Error(`no appender for ${col.type}`);
      }
      a.endRow();
    }
    a.closeSync();
    return performance.now() - t;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ams-bench-query-'));
try {
  const storage = new LocalStorage({ dir, env: {} });
  const t0 = performance.now();
  const segments = await fillIndex(storage);
  console.log(`\n## ams query — ${SESSIONS} index entries in a local folder, ${segments} index segments (written in ${ms(performance.now() - t0)})`);

  let t = performance.now();
  const entries = await readAllIndex(storage);
  const floor = performance.now() - t;
  if (entries.length !== SESSIONS) throw new Error(`read ${entries.length} entries, wrote ${SESSIONS}`);

  t = performance.now();
  const rows = entries.map(sessionRow);
  const flatten = performance.now() - t;
  t = performance.now();
  const db = await SqlSession.open([{ name: 'sessions', columns: SESSION_SQL_COLUMNS, rows }]);
  const load = performance.now() - t;
  const appender = await appenderLoad(rows);

  const samples: number[] = [];
  let answer;
  for (let i = 0; i < ROUNDS; i++) {
    t = performance.now();
    answer = await db.query(SQL);
    samples.push(performance.now() - t);
  }
  db.close();
  const groupBy = median(samples);
  const total = answer!.rows.reduce((n, r) => n + (r[1] as number), 0);
  if (total !== SESSIONS) throw new Error(`the GROUP BY counted ${total} sessions, not ${SESSIONS}`);

  console.log(`floor (readAllIndex)                 ${ms(floor)}`);
  console.log(`flatten to rows                      ${ms(flatten)}`);
  console.log(`load: NDJSON + read_json             ${ms(load)}   (read + flatten + load: ${((floor + flatten + load) / floor).toFixed(2)}× the floor)`);
  console.log(`load: appender (for comparison)      ${ms(appender)}   (${(appender / load).toFixed(2)}× read_json)`);
  console.log(`GROUP BY (median of ${ROUNDS})              ${ms(groupBy)}   target ≤ 1000 ms: ${groupBy <= 1000 ? 'met' : 'MISSED'}`);
  if (existsSync(CLI)) {
    const cli: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      execFileSync(process.execPath, [CLI, 'query', SQL, '--json'], { env: { ...process.env, AMS_LOCAL_DIR: dir, AMS_STORAGE: 'local' }, maxBuffer: 64 << 20 });
      cli.push(performance.now() - t);
    }
    console.log(`ams query (built CLI, median of 3)   ${ms(median(cli))}   (${(median(cli) / floor).toFixed(2)}× the floor)`);
  } else {
    console.log('ams query (built CLI): skipped, no dist/ (npm run build)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
