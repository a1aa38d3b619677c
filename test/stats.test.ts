/**
 * The failure filters and the stats over a small fixture store whose figures are known by hand:
 * six sessions written through the real LocalStorage (which makes their index entries), read by
 * the built `ams` (ls, stats) and by the viewer's HTTP API (/api/sessions, /api/stats), in
 * process and under the receiver's /ui.
 */
import express from 'express';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { LocalStorage } from '../src/index.js';
import type { Session, SessionEvent, SessionIndexEntry } from '../src/index.js';
import { computeStats, percentile } from '../src/query/index.js';
import type { Stats, StatsGroup } from '../src/query/index.js';
import { createViewerRouter } from '../src/viewer/index.js';
import { BUILT_CLI, cleanEnv, runCli } from './support/ams-cli.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Spec {
  n: number;
  version?: string;
  status: Session['status'];
  errors: number;
  cost: number | null;
  turns: number;
  input: number;
  output: number;
  durationMs: number;
  metadata?: Session['metadata'];
  events?: SessionEvent[];
}

const at = iso(T0);
const failedTool = (name: string, span: string): SessionEvent => ({
  type: 'tool_call',
  span_id: span,
  name,
  error: 'exit 1',
  error_type: 'tool_error',
  status: 'error',
  started_at: at,
  ended_at: at,
  duration_ms: 0,
});
const failure = (span: string, category: 'tool' | 'model' | 'retrieval' | 'orchestration', code: string): SessionEvent => ({ type: 'failure', span_id: span, at, category, code });
const failedLlm = (span: string): SessionEvent => ({ type: 'llm_message', span_id: span, at, ended_at: at, duration_ms: 0, error: 'overloaded', error_type: 'RateLimitError' });

/** Session n starts on day n after T0 (s1: 2026-04-02, ..., s6: 2026-04-07). */
function session(spec: Spec): Session {
  const start = T0 + spec.n * DAY;
  const s: Session = {
    schema_version: 1,
    id: `stats-s${spec.n}`,
    trace_id: spec.n.toString(16).padStart(32, '0'),
    revision: 1,
    status: spec.status,
    agent: spec.version ? { name: 'bot', version: spec.version } : { name: 'bot' },
    tags: [],
    metadata: spec.metadata ?? {},
    models: {},
    started_at: iso(start),
    ended_at: iso(start + spec.durationMs),
    totals: {
      input_tokens: spec.input,
      output_tokens: spec.output,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      cost_usd: spec.cost,
      turns: spec.turns,
      tool_calls: 0,
      subagents: 0,
      errors: spec.errors,
      duration_ms: spec.durationMs,
      api_duration_ms: 0,
      sources: {},
    },
    spans: { kept: 1, dropped: 0 },
    events: spec.events ?? [],
  };
  if (spec.status !== 'ok') s.status_reason = spec.status === 'error' ? 'timed out' : '1 span(s) dropped';
  return s;
}

const SESSIONS: Session[] = [
  session({ n: 1, version: '1.0', status: 'ok', errors: 0, cost: 0.01, turns: 1, input: 100, output: 10, durationMs: 1000, metadata: { team: 'pay', tier: 1 } }),
  session({
    n: 2,
    version: '1.0',
    status: 'ok',
    errors: 2,
    cost: 0.02,
    turns: 2,
    input: 200,
    output: 20,
    durationMs: 3000,
    metadata: { team: 'pay', tier: 2 },
    // A failed tool (no failure event: tool/tool_error) and a failed model call its failure event describes (model/rate_limit).
    events: [failedTool('Bash', 'b2'), failedLlm('l2'), failure('l2', 'model', 'rate_limit')],
  }),
  session({ n: 3, version: '1.0', status: 'error', errors: 1, cost: null, turns: 1, input: 300, output: 30, durationMs: 2000, events: [failure('r3', 'orchestration', 'timeout')] }),
  session({
    n: 4,
    version: '2.0',
    status: 'ok',
    errors: 1,
    cost: null,
    turns: 1,
    input: 400,
    output: 40,
    durationMs: 5000,
    metadata: { team: 'search' },
    // A subagent that recovered from its own failed tool.
    events: [{ type: 'subagent', span_id: 'a4', status: 'ok', error: null, started_at: at, ended_at: at, duration_ms: 0, events: [failedTool('Bash', 'b4')] }],
  }),
  session({ n: 5, version: '2.0', status: 'incomplete', errors: 0, cost: null, turns: 0, input: 0, output: 0, durationMs: 800 }),
  session({ n: 6, status: 'ok', errors: 0, cost: 0.005, turns: 1, input: 50, output: 5, durationMs: 4000 }),
];

function group(g: Partial<StatsGroup> & Pick<StatsGroup, 'key' | 'sessions'>): StatsGroup {
  return {
    sessions_with_errors: 0,
    error_rate: 0,
    errors: 0,
    failures_by_category: {},
    failures_by_code: {},
    failed_tools: {},
    cost_usd: null,
    cost_partial: false,
    input_tokens: 0,
    output_tokens: 0,
    duration_ms: { p50: null, p95: null },
    ...g,
  };
}

/** Figures worked out by hand from SESSIONS. */
const V1 = group({
  key: '1.0',
  sessions: 3,
  sessions_with_errors: 2,
  error_rate: 0.666667,
  errors: 3,
  failures_by_category: { model: 1, orchestration: 1, tool: 1 },
  failures_by_code: { rate_limit: 1, timeout: 1, tool_error: 1 },
  failed_tools: { Bash: 1 },
  cost_usd: 0.03,
  cost_partial: true, // s3 had a model call and no cost
  input_tokens: 600,
  output_tokens: 60,
  duration_ms: { p50: 2000, p95: 3000 }, // [1000, 2000, 3000]: ranks ceil(1.5)=2, ceil(2.85)=3
});
const V2 = group({
  key: '2.0',
  sessions: 2,
  sessions_with_errors: 1,
  error_rate: 0.5,
  errors: 1,
  failures_by_category: { tool: 1 },
  failures_by_code: { tool_error: 1 },
  failed_tools: { Bash: 1 },
  cost_usd: null, // no session had a cost: unknown, not 0, and not "partial"
  input_tokens: 400,
  output_tokens: 40,
  duration_ms: { p50: 800, p95: 5000 }, // [800, 5000]: ranks 1, 2
});
const NO_VERSION = group({ key: null, sessions: 1, cost_usd: 0.005, input_tokens: 50, output_tokens: 5, duration_ms: { p50: 4000, p95: 4000 } });
const TOTAL = group({
  key: null,
  sessions: 6,
  sessions_with_errors: 3,
  error_rate: 0.5,
  errors: 4,
  failures_by_category: { tool: 2, model: 1, orchestration: 1 },
  failures_by_code: { tool_error: 2, rate_limit: 1, timeout: 1 },
  failed_tools: { Bash: 2 },
  cost_usd: 0.035,
  cost_partial: true,
  input_tokens: 1050,
  output_tokens: 105,
  duration_ms: { p50: 2000, p95: 5000 }, // [800, 1000, 2000, 3000, 4000, 5000]: ranks 3, ceil(5.7)=6
});
const ALL: Stats = { since: null, until: null, group_by: 'agent.version', groups: [V1, V2, NO_VERSION], total: TOTAL };

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = tempDir('stats-store');
  const storage = new LocalStorage({ dir });
  for (const s of SESSIONS) {
    expectValidSession(s);
    await storage.putSession(s);
  }
  const app = express();
  app.use('/', createViewerRouter({ reader: storage, cacheMs: 0 }));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const ams = (args: string[]) => runCli(args, { env: cleanEnv({ AMS_LOCAL_DIR: dir }), cwd: tempDir('stats-cwd') });
const api = async (path: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
};
const ids = (entries: SessionIndexEntry[]) => entries.map((e) => e.id.replace('stats-', '')).sort();

describe('the index entries of the fixture store', () => {
  it('carry errors and the failure lists, and validate', async () => {
    const { status, body } = await api('/api/sessions?limit=1000');
    expect(status).toBe(200);
    const entries = (body as { sessions: SessionIndexEntry[] }).sessions;
    for (const e of entries) expectValidIndexEntry(e);
    expect((body as { summary: object }).summary).toMatchObject({ sessions: 6, errors: 4, sessions_with_errors: 3 });
    const view = Object.fromEntries(entries.map((e) => [e.id, [e.errors, e.failed_tools, e.failure_categories, e.failure_codes]]));
    expect(view).toEqual({
      'stats-s1': [0, [], [], []],
      'stats-s2': [2, ['Bash'], ['tool', 'model'], ['tool_error', 'rate_limit']],
      'stats-s3': [1, [], ['orchestration'], ['timeout']],
      'stats-s4': [1, ['Bash'], ['tool'], ['tool_error']],
      'stats-s5': [0, [], [], []],
      'stats-s6': [0, [], [], []],
    });
  });
});

describe('failure filters: the same answer from ams ls and GET /api/sessions', () => {
  const cases: Array<[string[], string, string[]]> = [
    [['--has-errors'], 'has_errors=1', ['s2', 's3', 's4']],
    [['--no-errors'], 'has_errors=0', ['s1', 's5', 's6']],
    // Recovered: the agent carried on after failed calls.
    [['--has-errors', '--status', 'ok'], 'has_errors=1&status=ok', ['s2', 's4']],
    [['--failure-category', 'model'], 'failure_category=model', ['s2']],
    [['--failure-category', 'tool,orchestration'], 'failure_category=tool,orchestration', ['s2', 's3', 's4']],
    [['--failure-code', 'TIMEOUT'], 'failure_code=timeout', ['s3']],
    [['--tool', 'bash'], 'tool=Bash', ['s2', 's4']],
    [['--agent-version', '2.0'], 'agent_version=2.0', ['s4', 's5']],
    [['--metadata', 'team=pay'], 'metadata=team%3Dpay', ['s1', 's2']],
    [['--metadata', 'team=pay', '--metadata', 'tier=2'], 'metadata=team%3Dpay&metadata=tier%3D2', ['s2']],
  ];
  it.each(cases)('ams ls %j and ?%s', async (flags, query, expected) => {
    const cli = await ams(['ls', '--json', '--limit', '0', ...flags]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(ids(JSON.parse(cli.stdout) as SessionIndexEntry[])).toEqual(expected);
    const { status, body } = await api(`/api/sessions?${query}`);
    expect(status).toBe(200);
    expect(ids((body as { sessions: SessionIndexEntry[] }).sessions)).toEqual(expected);
  });

  it('bad values and unknown parameters are refused with a message that says what is allowed', async () => {
    const category = await ams(['ls', '--failure-category', 'disk']);
    expect(category.code).toBe(2);
    expect(category.stderr).toContain('failure category must be one of tool, model, retrieval, orchestration; got "disk"');
    const meta = await ams(['ls', '--metadata', 'team']);
    expect(meta.code).toBe(2);
    expect(meta.stderr).toContain('metadata filter must be key=value');
    const both = await ams(['ls', '--has-errors', '--no-errors']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--has-errors and --no-errors contradict each other');

    expect(await api('/api/sessions?has_errors=maybe')).toEqual({ status: 400, body: { error: 'has_errors must be 1 (sessions with failed calls) or 0 (sessions without); got "maybe"' } });
    const typo = await api('/api/sessions?has_error=1');
    expect(typo.status).toBe(400);
    expect((typo.body as { error: string }).error).toMatch(/^unknown parameter "has_error"; filters: agent, .*has_errors/);
  });

  it('ams export takes the same filters', async () => {
    const out = await ams(['export', '--has-errors', '--status', 'ok']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionIndexEntry);
    expect(ids(lines)).toEqual(['s2', 's4']);
  });

  it('ams tail takes the same filters: only new sessions with a failed Bash call are printed', async () => {
    const fresh = tempDir('stats-tail');
    const storage = new LocalStorage({ dir: fresh });
    const child = spawn(process.execPath, [BUILT_CLI, 'tail', '--json', '--poll-ms', '100', '--has-errors', '--tool', 'bash'], {
      env: cleanEnv({ AMS_LOCAL_DIR: fresh }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stderr, { timeout: 10_000, interval: 50 }).toContain('following');
      for (const n of [2, 1, 3, 4]) await storage.putSession(SESSIONS[n - 1]!);
      await expect.poll(() => stdout, { timeout: 10_000, interval: 50 }).toContain('"id":"stats-s4"');
      expect(ids(stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionIndexEntry))).toEqual(['s2', 's4']);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('ams ls prints an ERRORS column: 0 for a known zero, never "-"', async () => {
    const out = await ams(['ls', '--agent-version', '1.0']);
    expect(out.code).toBe(0);
    const [header, ...rows] = out.stdout.trimEnd().split('\n');
    const col = header!.split(/\s{2,}/).indexOf('ERRORS');
    expect(col).toBeGreaterThan(0);
    const errorsById = Object.fromEntries(rows.map((r) => [r.split(/\s{2,}/)[1], r.split(/\s{2,}/)[col]]));
    expect(errorsById).toEqual({ 'stats-s1': '0', 'stats-s2': '2', 'stats-s3': '1' });
  });
});

describe('stats', () => {
  it('percentiles are nearest-rank: always an observed value', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 95)).toBeNull();
  });

  it('GET /api/stats returns exactly the documented shape and figures', async () => {
    const { status, body } = await api('/api/stats');
    expect(status).toBe(200);
    expect(body).toEqual(ALL);
    // Key order is part of the shape the viewer reads.
    expect(Object.keys(body as object)).toEqual(['since', 'until', 'group_by', 'groups', 'total']);
    expect(Object.keys((body as Stats).total)).toEqual([
      'key', 'sessions', 'sessions_with_errors', 'error_rate', 'errors', 'failures_by_category', 'failures_by_code',
      'failed_tools', 'cost_usd', 'cost_partial', 'input_tokens', 'output_tokens', 'duration_ms',
    ]);
  });

  it('ams stats --json prints the same figures as the API', async () => {
    const out = await ams(['stats', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(ALL);
  });

  it('a time window and another group-by, with the same filters in the CLI and the API', async () => {
    const since = Date.parse('2026-04-05');
    const windowed = await api('/api/stats?since=2026-04-05');
    const expected: Stats = { since, until: null, group_by: 'agent.version', groups: [V2, NO_VERSION], total: group({ key: null, sessions: 3, sessions_with_errors: 1, error_rate: 0.333333, errors: 1, failures_by_category: { tool: 1 }, failures_by_code: { tool_error: 1 }, failed_tools: { Bash: 1 }, cost_usd: 0.005, cost_partial: true, input_tokens: 450, output_tokens: 45, duration_ms: { p50: 4000, p95: 5000 } }) };
    expect(windowed.body).toEqual(expected);
    const cli = await ams(['stats', '--json', '--since', '2026-04-05']);
    expect(JSON.parse(cli.stdout)).toEqual(expected);

    const byTeam = (await api('/api/stats?group_by=metadata.team&has_errors=1')).body as Stats;
    expect(byTeam.group_by).toBe('metadata.team');
    expect(byTeam.groups.map((g) => [g.key, g.sessions, g.errors])).toEqual([
      ['pay', 1, 2],
      ['search', 1, 1],
      [null, 1, 1], // ties by key, no value last
    ]);
    expect(byTeam.total.error_rate).toBe(1);
  });

  it('the table: one row per group, then the total and the failure breakdown', async () => {
    const out = await ams(['stats']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AGENT\.VERSION\s+SESSIONS\s+W\/ERRORS\s+RATE\s+ERRORS\s+COST\s+IN\s+OUT\s+P50\s+P95\s+FAILURES$/);
    expect(lines[1]).toMatch(/^1\.0\s+3\s+2\s+66\.7%\s+3\s+\$0\.03\+\s+600\s+60\s+2\.0 s\s+3\.0 s\s+rate_limit×1, timeout×1, tool_error×1$/);
    expect(lines[2]).toMatch(/^2\.0\s+2\s+1\s+50\.0%\s+1\s+-\s+400\s+40\s+800 ms\s+5\.0 s\s+tool_error×1$/);
    expect(lines[3]).toMatch(/^\(none\)\s+1\s+0\s+0\.0%\s+0\s+\$0\.005\s+50\s+5\s+4\.0 s\s+4\.0 s\s+-$/);
    expect(lines[4]).toMatch(/^TOTAL\s+6\s+3\s+50\.0%\s+4\s+\$0\.035\+/);
    expect(lines.slice(6)).toEqual([
      'failures by category (sessions): tool×2, model×1, orchestration×1',
      'failures by code (sessions): tool_error×2, rate_limit×1, timeout×1',
      'failed tools (sessions): Bash×2',
    ]);
  });

  it('a group-by that is not one value, or a bad filter, is a usage error (CLI 2, API 400)', async () => {
    const cli = await ams(['stats', '--group-by', 'tags']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('group-by must name one value of an index entry');
    expect((await api('/api/stats?group_by=tags')).status).toBe(400);
    expect((await api('/api/stats?failure_category=disk')).status).toBe(400);
    expect((await api('/api/stats?groupby=model')).status).toBe(400);
  });

  it('computeStats over the entries directly agrees with the API', async () => {
    const entries = ((await api('/api/sessions?limit=1000')).body as { sessions: SessionIndexEntry[] }).sessions;
    expect(computeStats(entries, {})).toEqual(ALL);
  });

  it('the receiver serves /ui/api/stats from the same router', async () => {
    const receiver = createReceiver({ storage: new LocalStorage({ dir }), walDir: false, env: {} });
    const { url } = await receiver.start({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/ui/api/stats?group_by=status`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Stats;
      expect(body.groups.map((g) => [g.key, g.sessions])).toEqual([
        ['ok', 4],
        ['error', 1],
        ['incomplete', 1],
      ]);
      expect(body.total).toEqual(TOTAL);
    } finally {
      await receiver.stop();
    }
  });
});
