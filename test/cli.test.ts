/**
 * The built `ams` command (npm run build, then node dist/cli/main.js) spawned against fixture
 * stores in a local folder and in s3rver: filters, lookups by every id, --json validated against
 * the JSON Schema, export line counts, and tail printing a session written after it started.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage } from '../src/index.js';
import type { Session, SessionIndexEntry, SessionStorage } from '../src/index.js';
import { BASE_MS, RUNS, XSS_ID, buildStore, goldenSession } from './fixtures/stores/build.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { expectValidIndexEntry, expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';
import { BUILT_CLI, cleanEnv, REPO_ROOT, runCli } from './support/ams-cli.js';
import type { CliResult } from './support/ams-cli.js';

const root = REPO_ROOT;
const CLI = BUILT_CLI;
type Result = CliResult;

const ams = (args: string[], env: Record<string, string>): Promise<Result> => runCli(args, { env: cleanEnv(env), cwd: tempDir('cli-cwd') });

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

// The compiled CLI is built once for every file by test/support/build-cli.ts (vitest globalSetup).

describe('ams (no store needed)', () => {
  it('prints usage, and exits 2 for an unknown command', async () => {
    const help = await ams(['--help'], {});
    expect(help.code).toBe(0);
    for (const c of ['ls', 'show', 'tail', 'export', 'view', 'receiver', 'demo']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const bad = await ams(['frobnicate'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });

  it('dispatches `ams receiver` to the receiver CLI', async () => {
    const r = await ams(['receiver', '--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain('Usage: ams receiver');
  });

  it('a bad setting is refused with exit 2 and the message the writers log, by readers and the receiver alike', async () => {
    const message = 'invalid AMS_STORAGE="bogus" (expected local or s3)';
    for (const args of [['ls'], ['show', 'some-id'], ['receiver', '--port', '0']]) {
      const r = await ams(args, { AMS_STORAGE: 'bogus', AMS_LOCAL_DIR: tempDir('cli-bad') });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toBe(`ams ${args[0]}: ${message}\n`);
    }
    const noBucket = await ams(['ls', '--storage', 's3'], {});
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain('AMS_STORAGE=s3 needs AMS_S3_BUCKET');
    const badFlag = await ams(['receiver', '--port', 'http'], {});
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('invalid --port="http" (expected a non-negative integer)');
  });

  it('`ams demo` runs the repository demo and the session it writes is listed', async () => {
    const dir = tempDir('cli-demo');
    const r = await ams(['demo'], { AMS_LOCAL_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    const id = /^session (\S+) \(/m.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeTruthy();
    const ls = await ams(['ls', '--json'], { AMS_LOCAL_DIR: dir });
    expect((JSON.parse(ls.stdout) as SessionIndexEntry[]).map((e) => e.id)).toEqual([id]);
  }, 60_000);

  it('`ams demo` without the optional Agent SDK says how to install it and exits 1', async () => {
    // An installed copy of the package whose node_modules has everything but the SDK.
    const pkg = tempDir('cli-no-sdk');
    cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
    const from = realpathSync(path.join(root, 'node_modules'));
    const link = (rel: string) => symlinkSync(realpathSync(path.join(from, rel)), path.join(pkg, 'node_modules', rel));
    mkdirSync(path.join(pkg, 'node_modules/@anthropic-ai'), { recursive: true });
    for (const name of readdirSync(from).filter((n) => !n.startsWith('.') && n !== '@anthropic-ai')) link(name);
    for (const name of readdirSync(path.join(from, '@anthropic-ai')).filter((n) => n !== 'claude-agent-sdk')) link(`@anthropic-ai/${name}`);
    const r = await new Promise<Result>((resolve) => {
      execFile(process.execPath, [path.join(pkg, 'dist/cli/main.js'), 'demo'], { env: cleanEnv({ AMS_LOCAL_DIR: tempDir('cli-no-sdk-store') }) }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('npm install @anthropic-ai/claude-agent-sdk');
  });
});

describe.each(['local', 's3'] as const)('ams against a %s fixture store', (kind) => {
  let s3: TestS3 | undefined;
  let storage: SessionStorage;
  let env: Record<string, string>;
  let written: Map<string, Session>;

  beforeAll(async () => {
    if (kind === 's3') {
      s3 = await new TestS3('cli-store').start();
      storage = new S3Storage({ bucket: s3.bucket, prefix: 'team', endpoint: s3.endpoint, credentials: S3_CREDENTIALS, spoolDir: tempDir('cli-spool') });
      env = s3.cliEnv('team');
    } else {
      const dir = tempDir('cli-store');
      storage = new LocalStorage({ dir });
      env = { AMS_LOCAL_DIR: dir };
    }
    written = await buildStore(storage);
  });
  afterAll(async () => {
    await storage.close?.();
    await s3?.stop();
  });

  const lsJson = async (...args: string[]): Promise<SessionIndexEntry[]> => {
    const r = await ams(['ls', '--json', '--limit', '0', ...args], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as SessionIndexEntry[];
  };

  it('ls --json: every entry, newest first, each valid against the index schema', async () => {
    const entries = await lsJson();
    expect(entries).toHaveLength(written.size);
    for (const e of entries) expectValidIndexEntry(e);
    const starts = entries.map((e) => Date.parse(e.started_at));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(new Set(entries.map((e) => e.id))).toEqual(new Set(written.keys()));
  });

  it('ls filters: agent, env, tag, status, model, since/until, min-cost and text', async () => {
    const n = async (...args: string[]) => (await lsJson(...args)).length;
    expect(await n('--agent', 'billing-bot')).toBe(2);
    expect(await n('--env', 'staging')).toBe(1);
    expect(await n('--tag', 'batch', '--tag', 'beta')).toBe(1);
    expect(await n('--status', 'error')).toBe(1);
    expect(await n('--model', 'claude-opus')).toBe(1);
    expect(await n('--since', new Date(BASE_MS + 2 * 86_400_000).toISOString(), '--until', '2026-03-14')).toBe(2);
    expect(await n('--min-cost', '0.02')).toBe(RUNS.length);
    expect(await n('invoices')).toBe(1);
    expect(await n('-q', 'refund lyon')).toBe(1);
    expect(await n('--limit', '2')).toBe(2);
  }, 90_000); // ten processes, one after another, on a busy 2-core machine

  it('ls prints an aligned table, newest first, with a limit', async () => {
    const r = await ams(['ls', '--limit', '3'], env);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(4);
    expect(out[0]).toMatch(/^STARTED\s+ID\s+STATUS\s+AGENT\s+ENV\s+MODEL\s+TIME\s+TOKENS\s+COST\s+TOOLS\s+ERRORS\s+PROMPT$/);
    const col = out[0]!.indexOf('STATUS');
    for (const l of out.slice(1)) expect(l.slice(col)).toMatch(/^(ok|error|incomplete)\s/);
    expect(out[1]).toContain('2026-03-14 09:00:00Z');
    expect(r.stderr).toContain(`1-3 of ${written.size} matching sessions`);
  });

  it('an unknown cost is null in ls --json, "-" in the ls table and "cost unknown" in show, never $0', async () => {
    const unpriced = goldenSession('agentless-error');
    expect(unpriced.totals.cost_usd).toBeNull();
    const entry = (await lsJson()).find((e) => e.id === unpriced.id)!;
    expect(entry.totals.cost_usd).toBeNull();
    const r = await ams(['ls', '--limit', '0'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    const costEnd = out[0]!.indexOf('COST') + 'COST'.length;
    const row = out.find((l) => l.includes(unpriced.id))!;
    expect(row.slice(0, costEnd)).toMatch(/\s-$/);
    const shown = await ams(['show', unpriced.id], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^totals: .* · - \(cost unknown\) · /m);
    expect(shown.stdout).not.toContain('$0');
  });

  it('show finds a session by id, trace id and conversation id, and prints the tree', async () => {
    const run = [...written.values()].find((s) => s.agent.name === 'support-bot' && s.environment === 'staging')!;
    for (const ref of [run.id, run.trace_id, run.conversation_id!]) {
      const r = await ams(['show', ref], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`session ${run.id}  OK`);
      expect(r.stdout).toContain('> Refund order 4411 for the customer in Lyon.');
      // The subagent is nested under its own line, with why it ran, and its tool call indented.
      expect(r.stdout).toMatch(/^↳ subagent general-purpose \(agent_7f3a\)\s+ok/m);
      expect(r.stdout).toMatch(/^│ why: Find where the build test moved to\.$/m);
      expect(r.stdout).toMatch(/^│ ✓ Grep\s+ok\s+120 ms/m);
      expect(r.stdout).toMatch(/^✗ Read\s+error/m);
      expect(r.stdout).toMatch(/^ {2}thinking: .*--thinking to unfold\)$/m);
      expect(r.stdout).toMatch(/^totals: 5 turns · 4 tool calls · 1 subagents · 1 errors/m);
    }
    const unfolded = await ams(['show', run.id, '--thinking'], env);
    expect(unfolded.stdout).toContain('thinking: I should look at the build log and the failing test first.');
  });

  it('show --json prints the stored document, valid against the session schema', async () => {
    const golden = goldenSession('agent-with-subagent');
    const r = await ams(['show', golden.conversation_id!, '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Session;
    expectValidSession(doc);
    expect(doc).toEqual(golden);
  });

  it('show strips terminal control sequences from session content', async () => {
    const r = await ams(['show', XSS_ID], env);
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain('<script>window.__xss=2;alert("tool")</script>');
  });

  it('show exits 1 with a message for an unknown id; bad flags exit 2', async () => {
    const r = await ams(['show', 'does-not-exist'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no session with id, trace id or conversation id "does-not-exist"');
    const bad = await ams(['ls', '--status', 'done'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('status must be one of ok, error, incomplete');
    const flag = await ams(['ls', '--no-such-flag'], env);
    expect(flag.code).toBe(2);
  });

  it('export --format jsonl: one line per index entry or full session, filters apply, --out writes a file', async () => {
    const idx = await ams(['export', '--format', 'jsonl'], env);
    expect(idx.code).toBe(0);
    const entries = lines(idx.stdout).map((l) => JSON.parse(l) as SessionIndexEntry);
    expect(entries).toHaveLength(written.size);
    for (const e of entries) expectValidIndexEntry(e);

    const full = await ams(['export', '--full', '--agent', 'support-bot'], env);
    expect(full.code).toBe(0);
    const docs = lines(full.stdout).map((l) => JSON.parse(l) as Session);
    expect(docs).toHaveLength([...written.values()].filter((s) => s.agent.name === 'support-bot').length);
    for (const d of docs) {
      expectValidSession(d);
      expect(d).toEqual(written.get(d.id));
    }

    const file = path.join(tempDir('cli-export'), 'sessions.jsonl');
    const toFile = await ams(['export', '--out', file, '--status', 'error'], env);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(lines(readFileSync(file, 'utf8'))).toHaveLength(1);
    expect(toFile.stderr).toContain(`wrote 1 index entries to ${file}`);

    const bad = await ams(['export', '--format', 'csv'], env);
    expect(bad.code).toBe(2);
  });

  it('on a terminal: ls fits the table to its width, export draws a progress bar on stderr', async () => {
    // util-linux `script` gives the command a real pseudo-terminal (Debian: always installed).
    const file = path.join(tempDir('cli-tty'), 'all.jsonl');
    const shell = (cmd: string) =>
      new Promise<string>((resolve, reject) => {
        execFile('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv(env) }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
    const table = await shell(`stty cols 120; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ls`);
    const rows = table.split(/\r?\n/).filter((l) => l.includes('Z  '));
    expect(rows.length).toBe(written.size);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(120);
    expect(rows.some((r) => r.endsWith('…'))).toBe(true);
    // Narrow terminals lose the least useful columns first, never the id, status, cost or errors.
    expect(table).toMatch(/STARTED\s+ID\s+STATUS\s+AGENT\s+COST\s+ERRORS\s+PROMPT/);
    const progress = await shell(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} export --out ${JSON.stringify(file)}`);
    expect(progress).toContain(`[${'#'.repeat(30)}] ${written.size}/${written.size}`);
    expect(lines(readFileSync(file, 'utf8'))).toHaveLength(written.size);
  });

  it('tail prints a session written after it started (and only that one)', async () => {
    const child = spawn(process.execPath, [CLI, 'tail', '-n', '0', '--json', '--poll-ms', '100'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stderr, { timeout: 10_000, interval: 50 }).toContain('following');
      const fresh: Session = { ...goldenSession('agent-with-subagent'), id: `tail-${kind}`, started_at: new Date().toISOString() };
      await storage.putSession(fresh);
      await storage.flush?.();
      await expect.poll(() => stdout, { timeout: 10_000, interval: 50 }).toContain(`"id":"tail-${kind}"`);
      const printed = lines(stdout).map((l) => JSON.parse(l) as SessionIndexEntry);
      expect(printed.map((e) => e.id)).toEqual([fresh.id]);
      expectValidIndexEntry(printed[0]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('view serves the query API over the same store', async () => {
    const child = spawn(process.execPath, [CLI, 'view', '--port', '0'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout, { timeout: 10_000, interval: 50 }).toMatch(/http:\/\/127\.0\.0\.1:\d+\//);
      const base = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1]!;
      const res = await fetch(`${base}/api/sessions?agent=billing-bot`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { total: number; sessions: SessionIndexEntry[] };
      expect(body.total).toBe(2);
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('ams on a store with hostile ids and fields (control characters)', () => {
  /** C1 CSI and NEL, the line separator, a bidi override, an OSC title sequence, DEL, a tab. */
  const HOSTILE = '\u009b31m\u0085\u2028\u202e\x1b]0;pwned\x07\x7f\t';
  /** What must never reach the terminal raw, in any output mode (tab and newline aside). */
  // eslint-disable-next-line no-control-regex
  const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  let env: Record<string, string>;
  const session = goldenSession('agentless-error');
  session.id = 'ctl-fixture-0001';
  session.agent = { name: `agent${HOSTILE}` };
  session.metadata = { [`key${HOSTILE}`]: `value${HOSTILE}` };
  session.events = [{ type: 'user_prompt', at: session.started_at, prompt: `hello${HOSTILE}` }, ...session.events];
  const hostileId = `ctl-fixture-0002${HOSTILE}`;

  beforeAll(async () => {
    const dir = tempDir('cli-hostile');
    const storage = new LocalStorage({ dir });
    await storage.putSession(session);
    // A second index entry whose id itself is hostile (a store anyone could write to).
    const entry = (await storage.getIndexEntry(session.id))!;
    await storage.putIndexEntry({ ...entry, id: hostileId });
    await storage.flush();
    env = { AMS_LOCAL_DIR: dir };
  });

  it('JSON modes (ls --json, export, export --full, show --json) escape them and parse back to the same values', async () => {
    const runs = {
      ls: await ams(['ls', '--json'], env),
      export: await ams(['export'], env),
      full: await ams(['export', '--full'], env),
      show: await ams(['show', session.id, '--json'], env),
    };
    for (const [name, r] of Object.entries(runs)) {
      expect(r.stdout, `${name}: ${r.stderr}`).not.toMatch(RAW);
      expect(r.stdout, name).toContain('\\u009b31m\\u0085\\u2028\\u202e\\u001b]0;pwned\\u0007\\u007f\\t');
    }
    const listed = JSON.parse(runs.ls.stdout) as SessionIndexEntry[];
    expect(listed.map((e) => e.id).sort()).toEqual([session.id, hostileId]);
    expect(lines(runs.export.stdout).map((l) => (JSON.parse(l) as SessionIndexEntry).agent.name)).toEqual([session.agent.name, session.agent.name]);
    expect((JSON.parse(lines(runs.full.stdout)[0]!) as Session).metadata).toEqual(session.metadata);
    expect((JSON.parse(runs.show.stdout) as Session).events[0]).toMatchObject({ prompt: `hello${HOSTILE}` });
  });

  it('view refuses a foreign Host (421) and answers a name given with --viewer-allowed-hosts', async () => {
    const child = spawn(process.execPath, [CLI, 'view', '--port', '0', '--viewer-allowed-hosts', 'ams.internal'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const status = (port: number, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/api/sessions', headers: { Host: host }, setHost: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      await expect.poll(() => stdout, { timeout: 10_000, interval: 50 }).toMatch(/http:\/\/127\.0\.0\.1:\d+\//);
      const port = Number(/127\.0\.0\.1:(\d+)\//.exec(stdout)![1]);
      expect(await status(port, `127.0.0.1:${port}`)).toBe(200);
      expect(await status(port, `ams.internal:${port}`)).toBe(200);
      expect(await status(port, `rebound.example:${port}`)).toBe(421);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('text modes (ls, show) show them as visible escapes', async () => {
    for (const args of [['ls'], ['show', session.id]]) {
      const r = await ams(args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, args[0]).not.toMatch(RAW);
      expect(r.stdout, args[0]).toContain('\\x9b31m\\x85\\u2028\\u202e\\x1b]0;pwned\\x07\\x7f');
    }
  });
});
