/**
 * `ams query`: SQL over the sessions with the real DuckDB (@duckdb/node-api), through the built
 * `ams`, over a small fixture store whose answers are known by hand, in a local folder and in a
 * real S3-protocol server (s3rver).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionEvent, SessionStorage } from '../src/index.js';
import { cleanEnv, REPO_ROOT, runCli } from './support/ams-cli.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const tool = (name: string, ms: number, failed = false): SessionEvent => ({
  type: 'tool_call',
  name,
  error: failed ? 'exit 1' : null,
  status: failed ? 'error' : 'ok',
  started_at: iso(T0),
  ended_at: iso(T0 + ms),
  duration_ms: ms,
});

interface Spec {
  n: number;
  day: number;
  version?: string;
  model: string;
  cost: number | null;
  input: number;
  output: number;
  events?: SessionEvent[];
}

function session(spec: Spec): Session {
  const start = T0 + spec.day * DAY + spec.n * 60_000;
  const errors = (spec.events ?? []).filter((e) => e.type === 'tool_call' && e.status === 'error').length;
  return {
    schema_version: 1,
    id: `q-${spec.n}`,
    trace_id: spec.n.toString(16).padStart(32, '0'),
    revision: 1,
    status: 'ok',
    agent: spec.version ? { name: 'bot', version: spec.version } : { name: 'bot' },
    tags: spec.n % 2 ? ['odd'] : [],
    metadata: { team: spec.n < 3 ? 'pay' : 'search' },
    model: spec.model,
    models: {},
    started_at: iso(start),
    ended_at: iso(start + 1000 * spec.n),
    totals: {
      input_tokens: spec.input,
      output_tokens: spec.output,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      cost_usd: spec.cost,
      turns: 1,
      tool_calls: (spec.events ?? []).length,
      subagents: 0,
      errors,
      duration_ms: 1000 * spec.n,
      api_duration_ms: 0,
      sources: {},
    },
    spans: { kept: 1, dropped: 0 },
    events: spec.events ?? [],
  };
}

const SESSIONS: Session[] = [
  session({ n: 1, day: 0, version: '1.0', model: 'claude-sonnet-4-5', cost: 0.25, input: 100, output: 10, events: [tool('Read', 50)] }),
  session({ n: 2, day: 0, version: '1.0', model: 'claude-sonnet-4-5', cost: 0.5, input: 200, output: 20, events: [tool('Bash', 300, true), tool('Read', 70)] }),
  session({ n: 3, day: 1, version: '2.0', model: 'claude-haiku-4-5', cost: null, input: 300, output: 30, events: [tool('Bash', 900)] }),
  session({ n: 4, day: 1, version: '2.0', model: 'claude-haiku-4-5', cost: null, input: 400, output: 40 }),
  session({ n: 5, day: 2, model: 'claude-sonnet-4-5', cost: 0.125, input: 500, output: 50 }),
];

const BY_VERSION = `SELECT agent_version, count(*) AS n, sum(cost_usd) AS cost, sum(input_tokens) AS input FROM sessions GROUP BY 1 ORDER BY 1 NULLS LAST`;
const BY_VERSION_ROWS = [
  { agent_version: '1.0', n: 2, cost: 0.75, input: 300 },
  // Both 2.0 sessions have no known cost: the sum is NULL (unknown), never 0.
  { agent_version: '2.0', n: 2, cost: null, input: 700 },
  { agent_version: null, n: 1, cost: 0.125, input: 500 },
];

const ams = (args: string[], env: Record<string, string>, extra: NodeJS.ProcessEnv = {}) => runCli(['query', ...args], { env: { ...cleanEnv(env), ...extra } });

async function jsonOf(args: string[], env: Record<string, string>): Promise<unknown> {
  const r = await ams([...args, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

describe.each(['local', 's3'] as const)('ams query over a %s store', (kind) => {
  let s3: TestS3 | undefined;
  let storage: SessionStorage;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (kind === 's3') {
      s3 = await new TestS3('query-store').start();
      storage = new S3Storage({ bucket: s3.bucket, prefix: 'team', endpoint: s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('query-spool') });
      env = s3.cliEnv('team');
    } else {
      const dir = tempDir('query-store');
      storage = new LocalStorage({ dir });
      env = { AMS_LOCAL_DIR: dir };
    }
    for (const s of SESSIONS) await storage.putSession(s);
    await storage.flush?.(); // the index entries' segment
  });
  afterAll(async () => {
    await storage.close?.();
    await s3?.stop();
  });

  it('answers a GROUP BY exactly; a sum over unknown costs only is NULL', async () => {
    expect(await jsonOf([BY_VERSION], env)).toEqual(BY_VERSION_ROWS);
  });

  it('types the columns: timestamps, lists, JSON metadata', async () => {
    const rows = await jsonOf(
      [`SELECT id, date_trunc('day', started_at) AS day, failed_tools, tags, metadata->>'team' AS team, cost_usd IS NULL AS unknown_cost FROM sessions WHERE id IN ('q-2', 'q-3') ORDER BY id`],
      env,
    );
    expect(rows).toEqual([
      { id: 'q-2', day: '2026-05-01T00:00:00.000Z', failed_tools: ['Bash'], tags: [], team: 'pay', unknown_cost: false },
      { id: 'q-3', day: '2026-05-02T00:00:00.000Z', failed_tools: [], tags: ['odd'], team: 'search', unknown_cost: true },
    ]);
  });

  it('with --full, an events table of the full documents', async () => {
    const rows = await jsonOf(['--full', `SELECT name, count(*) AS calls, max(duration_ms) AS slowest, count(*) FILTER (status = 'error') AS failed FROM events WHERE type = 'tool_call' GROUP BY 1 ORDER BY 3 DESC`], env);
    expect(rows).toEqual([
      { name: 'Bash', calls: 2, slowest: 900, failed: 1 },
      { name: 'Read', calls: 2, slowest: 70, failed: 0 },
    ]);
  });
});

describe('ams query (local store)', () => {
  const dir = tempDir('query-local');
  const env = { AMS_LOCAL_DIR: dir };
  beforeAll(async () => {
    const storage = new LocalStorage({ dir });
    for (const s of SESSIONS) await storage.putSession(s);
    await storage.close();
  });

  it('prints an aligned table by default (NULL for unknown), the row count on stderr', async () => {
    const r = await ams([BY_VERSION], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'agent_version  n   cost  input',
      '1.0            2   0.75    300',
      '2.0            2   NULL    700',
      'NULL           1  0.125    500',
      '',
    ]);
    expect(r.stderr).toBe('3 rows\n');
  });

  it('prints CSV with --csv (an empty field for NULL, quoting where needed)', async () => {
    const r = await ams(['--csv', `SELECT agent_version, sum(cost_usd) AS cost, 'a,"b"' AS odd FROM sessions GROUP BY 1 ORDER BY 1 NULLS LAST`], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('agent_version,cost,odd\n1.0,0.75,"a,""b"""\n2.0,,"a,""b"""\n,0.125,"a,""b"""\n');
  });

  it('escapes control characters in the table', async () => {
    const r = await ams([`SELECT 'a' || chr(27) || '[31mred' || chr(7) AS x`], env);
    expect(r.code, r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\x00-\x08\x1b\x7f]/);
  });

  it('a syntax error is DuckDB\'s message, prefixed, exit 2', async () => {
    const r = await ams(['SELEC agent_version FROM sessions'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ams query: SQL error: Parser Error: syntax error at or near "SELEC"/);
    expect(r.stdout).toBe('');
  });

  it('an unknown table or column is exit 2; the events table says it needs --full', async () => {
    const table = await ams(['SELECT * FROM nope'], env);
    expect(table.code).toBe(2);
    expect(table.stderr).toMatch(/^ams query: SQL error: Catalog Error: Table with name nope does not exist/);
    const column = await ams(['SELECT no_such_column FROM sessions'], env);
    expect(column.code).toBe(2);
    expect(column.stderr).toMatch(/^ams query: SQL error: Binder Error: .*no_such_column/);
    const events = await ams(['SELECT count(*) FROM events'], env);
    expect(events.code).toBe(2);
    expect(events.stderr).toContain('(the events table needs --full)');
  });

  it('a missing store is exit 1, naming it', async () => {
    const missing = path.join(dir, 'nowhere');
    const r = await ams([BY_VERSION], { AMS_LOCAL_DIR: missing });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no session store at ${missing}`);
  });

  it('--json with --csv, or empty SQL, is a usage error (exit 2)', async () => {
    expect((await ams(['--json', '--csv', BY_VERSION], env)).code).toBe(2);
    expect((await ams(['  '], env)).code).toBe(2);
  });

  it('without @duckdb/node-api installed: a message naming the install command, exit 1', async () => {
    // A resolve hook makes the package "not installed" for this one process.
    const hook = `export async function resolve(s, c, next) { if (s === '@duckdb/node-api') { const e = new Error("Cannot find package '@duckdb/node-api'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
    const r = await ams([BY_VERSION], env, { NODE_OPTIONS: `--import "data:text/javascript,${encodeURIComponent(register)}"` });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('npm install @duckdb/node-api');
  });
});

describe('revisions', () => {
  it('a session id counts once, at its highest revision', async () => {
    const dir = tempDir('query-revisions');
    const storage = new LocalStorage({ dir });
    for (const s of SESSIONS) await storage.putSession(s);
    await storage.flush();
    // q-1 rewritten at revision 3: its entry is in a later segment, the first one still lists revision 1.
    await storage.putSession({ ...SESSIONS[0]!, revision: 3, agent: { name: 'bot', version: '9.9' } });
    await storage.close();
    expect((await storage.listObjects('index/')).objects.map((o) => o.key)).toEqual([expect.stringMatching(/\.ndjson\.gz$/), expect.stringMatching(/\.ndjson\.gz$/)]);
    const rows = await jsonOf(["SELECT count(*) AS n, count(DISTINCT id) AS ids, max(revision) FILTER (id = 'q-1') AS rev, any_value(agent_version) FILTER (id = 'q-1') AS version FROM sessions"], { AMS_LOCAL_DIR: dir });
    expect(rows).toEqual([{ n: 5, ids: 5, rev: 3, version: '9.9' }]);
  });
});

describe('a corrupt index entry', () => {
  it('is reported (which object) and skipped; the query answers over the rest (local and S3)', async () => {
    const dir = tempDir('query-corrupt');
    const local = new LocalStorage({ dir });
    const s3 = await new TestS3('query-corrupt').start();
    const remote = new S3Storage({ bucket: s3.bucket, endpoint: s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('query-corrupt-spool') });
    try {
      for (const s of SESSIONS) {
        await local.putSession(s);
        await remote.putSession(s);
      }
      await local.flush();
      await remote.flush();
      writeFileSync(path.join(dir, 'index', 'broken.json'), '{"id": "q-9", "revis');
      const { PutObjectCommand } = await import('@aws-sdk/client-s3');
      await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'ams/index/broken.json', Body: '{"id": "q-9", "revis' }));
      const sql = 'SELECT count(*) AS n FROM sessions';
      const l = await ams(['--json', sql], { AMS_LOCAL_DIR: dir });
      expect(l.code, l.stderr).toBe(0);
      expect(JSON.parse(l.stdout)).toEqual([{ n: 5 }]);
      expect(l.stderr).toContain(`ams query: skipped ${path.join(dir, 'index', 'broken.json')}: not valid JSON`);
      // --full: a truncated full document is reported and skipped too; the other sessions' events remain.
      const q1 = (await local.getIndexEntry('q-1'))!;
      writeFileSync(local.pathOf(q1.key), '{"id": "q-1", "eve');
      const full = await ams(['--json', '--full', "SELECT count(DISTINCT session_id) AS sessions, count(*) FILTER (type = 'tool_call') AS tools FROM events"], { AMS_LOCAL_DIR: dir });
      expect(full.code, full.stderr).toBe(0);
      expect(JSON.parse(full.stdout)).toEqual([{ sessions: 2, tools: 3 }]); // q-2 and q-3 (q-4, q-5 have no events)
      expect(full.stderr).toContain(`ams query: skipped ${q1.key}: not valid JSON`);
      const r = await ams(['--json', sql], s3.cliEnv());
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([{ n: 5 }]);
      expect(r.stderr).toContain(`ams query: skipped s3://${s3.bucket}/ams/index/broken.json: not valid JSON`);
    } finally {
      await remote.close?.();
      await s3.stop();
    }
  });
});

describe('loading', () => {
  it("neither import 'ams-otel' nor the ams command line loads DuckDB; only ams query does", () => {
    const code = `
      import { createRequire } from 'node:module';
      await import('./src/index.ts');
      await import('./cli/run.ts');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@duckdb'));
      process.stdout.write(JSON.stringify(loaded));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual([]);
  });
});
