/**
 * The CLI's messages and exit codes (docs/cli.md, "Exit codes"), run as users run it (the built
 * `ams`): a missing store, bad flags and values, did-you-mean, the id prefix minimum, a used port;
 * and the issue-14 additions: `tail -n`, `show` on a JSONL sink file, the receiver's start line.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JsonlSink, LocalStorage } from '../src/index.js';
import type { Session, SessionIndexEntry } from '../src/index.js';
import { goldenSession } from './fixtures/stores/build.js';
import { BUILT_CLI, cleanEnv, runCli } from './support/ams-cli.js';
import type { CliResult } from './support/ams-cli.js';
import { S3_CREDENTIALS, TestS3 } from './support/s3.js';
import { tempDir } from './support/tmp.js';

const ams = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runCli(args, { env: cleanEnv(env), cwd: tempDir('cli-errors-cwd') });

/** A session like the golden one, with its own id and start time. */
function sessionAt(id: string, startedAt: string, prompt?: string): Session {
  const s = goldenSession('agent-with-subagent');
  s.id = id;
  s.started_at = startedAt;
  if (prompt) for (const e of s.events) if (e.type === 'user_prompt') e.prompt = prompt;
  return s;
}

const IDS = ['tailseed-0001', 'tailseed-0002', 'tailseed-0003', 'tailseed-0004'];

let store: string;
let storage: LocalStorage;

beforeAll(async () => {
  store = tempDir('cli-errors-store');
  storage = new LocalStorage({ dir: store });
  for (const [i, id] of IDS.entries()) await storage.putSession(sessionAt(id, `2026-04-0${i + 1}T10:00:00.000Z`));
});

/** Spawns the built CLI, collecting its output; `stop()` sends SIGTERM and resolves with the exit code. */
function start(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

describe('the error table: message and exit code', () => {
  it('a store folder that does not exist is an error naming it (exit 1), for every reading command', async () => {
    const missing = path.join(tempDir('cli-errors-missing'), 'typo');
    for (const args of [['ls'], ['show', 'tailseed-0001'], ['tail'], ['export'], ['view', '--port', '0']]) {
      const viaDir = await ams([...args, '--local-dir', missing]);
      expect(viaDir.code, `${args[0]}: ${viaDir.stderr}`).toBe(1);
      expect(viaDir.stderr).toContain(`ams ${args[0]}: no session store at ${missing} (no such folder)`);
      expect(viaDir.stderr).toContain('--local-dir <path>');
      expect(viaDir.stdout).toBe('');
    }
    const viaEnv = await ams(['ls'], { AMS_LOCAL_DIR: missing });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain(`no session store at ${missing}`);
    const file = path.join(tempDir('cli-errors-file'), 'not-a-folder');
    writeFileSync(file, 'x');
    const notDir = await ams(['ls', '--local-dir', file]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr).toContain(`no session store at ${file}: it is a file, not a folder`);
    // An existing empty folder is an empty store, not an error.
    const empty = await ams(['ls', '--local-dir', tempDir('cli-errors-empty')]);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('no sessions yet');
  });

  it('S3: a bucket that does not exist, or an endpoint nobody answers, names the store (exit 1)', async () => {
    const s3 = await new TestS3('cli-errors-real').start();
    const creds = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };
    try {
      for (const args of [['ls'], ['tail', '--poll-ms', '100'], ['export']]) {
        const r = await ams(args, { AMS_S3_BUCKET: 'no-such-bucket', AMS_S3_PREFIX: 'team', AMS_S3_ENDPOINT_URL: s3.endpoint, ...creds });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`ams ${args[0]}: no session store at s3://no-such-bucket/team: the bucket does not exist; check --s3-bucket`);
      }
      const ok = await ams(['ls'], { AMS_S3_BUCKET: 'cli-errors-real', AMS_S3_ENDPOINT_URL: s3.endpoint, ...creds });
      expect(ok.code).toBe(0);
    } finally {
      await s3.stop();
    }
    const down = await ams(['ls'], { AMS_S3_BUCKET: 'b', AMS_S3_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('ams ls: cannot reach the session store at s3://b/ams (');
  }, 60_000);

  const usage: Array<[string[], string]> = [
    [['ls', '--limit', '-1'], 'ams ls: --limit must be a whole number ≥ 0 (0 = all); got "-1"'],
    [['ls', '--limit', '2.5'], '--limit must be a whole number ≥ 0 (0 = all); got "2.5"'],
    [['ls', '--offset', 'x'], '--offset must be a whole number ≥ 0; got "x"'],
    [['ls', '--limit'], 'ams ls: --limit needs a value (--limit <n>)'],
    [['ls', '--limt', '3'], 'ams ls: unknown flag --limt; did you mean --limit?'],
    // The issue's `ams ls --dir /missing`: storage flags are the settings table's, so --dir points there.
    [['ls', '--dir', '/missing'], 'ams ls: unknown flag --dir; did you mean --local-dir?'],
    [['receiver', '--bucket', 'b'], 'ams receiver: unknown flag --bucket; did you mean --s3-bucket?'],
    [['tail', '-n', 'many'], 'ams tail: -n/--lines must be a whole number ≥ 0 (0 = only new sessions); got "many"'],
    [['view', '--port', '70000'], 'ams view: --port must be at most 65535; got 70000'],
    [['show'], 'ams show: missing the <id> argument'],
    [['show', 'a', 'b'], 'ams show: too many arguments: expected at most 1, got 2'],
    [['lst'], 'ams: unknown command "lst"; did you mean ls?'],
    [['veiw'], 'ams: unknown command "veiw"; did you mean view?'],
    [['frobnicate'], 'ams: unknown command "frobnicate"\ncommands: ls, show, tail, export, stats, query, view, receiver, demo, run, prune, reindex, compact'],
    [['ls', '--status', 'done'], 'status must be one of ok, error, incomplete'],
  ];
  it.each(usage)('usage error (exit 2): ams %j', async (args, message) => {
    const r = await ams(args, { AMS_LOCAL_DIR: store });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    // Our wording, not commander's or Node's.
    expect(r.stderr).not.toMatch(/error: |ambiguous|Did you mean/);
  });

  it('show with a short id says the prefix minimum (exit 1); a 6-character prefix opens the session', async () => {
    const short = await ams(['show', 'tails', '--local-dir', store]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('an id prefix needs at least 6 characters');
    const ambiguous = await ams(['show', 'tailseed', '--local-dir', store]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('"tailseed" is the start of 4 session ids');
    const ok = await ams(['show', 'tailseed-0003', '--local-dir', store, '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as Session).id).toBe('tailseed-0003');
  });

  it('a second `ams view` on a used port says so and suggests --port (exit 1)', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await ams(['view', '--port', String(port), '--local-dir', store]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ams view: port ${port} on 127.0.0.1 is in use`);
      expect(r.stderr).toContain('--port <n>');
      expect(r.stderr).not.toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});

describe('tail -n', () => {
  it('prints the last n sessions first, oldest first, then follows new ones', async () => {
    const dir = tempDir('cli-tail-n');
    const local = new LocalStorage({ dir });
    for (const [i, id] of IDS.entries()) await local.putSession(sessionAt(id, `2026-04-0${i + 1}T10:00:00.000Z`));
    const tail = start(['tail', '-n', '2', '--json', '--poll-ms', '100', '--local-dir', dir], {});
    const ids = () =>
      tail.out.stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => (JSON.parse(l) as SessionIndexEntry).id);
    try {
      await expect.poll(ids, { timeout: 10_000, interval: 50 }).toEqual(['tailseed-0003', 'tailseed-0004']);
      await local.putSession(sessionAt('tailnew-0005', new Date().toISOString()));
      await expect.poll(ids, { timeout: 10_000, interval: 50 }).toEqual(['tailseed-0003', 'tailseed-0004', 'tailnew-0005']);
    } finally {
      expect(await tail.stop()).toBe(0);
    }
  });

  it('-n 0 prints only sessions written after it started; the default backlog is 10 (all 4 here)', async () => {
    const all = start(['tail', '--json', '--local-dir', store], {});
    try {
      await expect.poll(() => all.out.stdout.split('\n').filter((l) => l.trim()).length, { timeout: 10_000, interval: 50 }).toBe(4);
    } finally {
      await all.stop();
    }
    const none = start(['tail', '-n', '0', '--json', '--local-dir', store], {});
    try {
      await expect.poll(() => none.out.stderr, { timeout: 10_000, interval: 50 }).toContain('following');
    } finally {
      expect(await none.stop()).toBe(0);
    }
    expect(none.out.stdout).toBe('');
  });
});

describe('show <file>', () => {
  it('renders every session of a JSONL sink file (the last line of each), no store needed', async () => {
    const file = path.join(tempDir('cli-jsonl'), 'out', 'sessions.jsonl');
    const sink = new JsonlSink({ path: file });
    const first = sessionAt('jsonl-0001', '2026-04-01T10:00:00.000Z', 'first prompt, first revision');
    await sink.putSession(first);
    await sink.putSession(sessionAt('jsonl-0002', '2026-04-02T10:00:00.000Z', 'the second session'));
    await sink.putSession({ ...sessionAt('jsonl-0001', '2026-04-01T10:00:00.000Z', 'first prompt, revised'), revision: 2 } as Session);
    await sink.flush();

    const r = await ams(['show', file, '--local-dir', path.join(tempDir('cli-jsonl-none'), 'missing')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('first prompt, revised');
    expect(r.stdout).not.toContain('first prompt, first revision');
    expect(r.stdout).toContain('the second session');
    expect(r.stdout.indexOf('first prompt, revised')).toBeLessThan(r.stdout.indexOf('the second session'));
    expect(r.stderr).toContain('2 sessions in');

    const json = await ams(['show', file, '--json']);
    expect((JSON.parse(json.stdout) as Session[]).map((s) => s.id)).toEqual(['jsonl-0001', 'jsonl-0002']);

    // One session's .json (what `ams show --json` prints) works too.
    const single = path.join(tempDir('cli-json'), 'one.json');
    writeFileSync(single, JSON.stringify(first, null, 2));
    const one = await ams(['show', single, '--json']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual(first);

    const bad = path.join(tempDir('cli-jsonl-bad'), 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(first)}\nnot json\n`);
    const broken = await ams(['show', bad]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${bad}:2 is not JSON`);
    const absent = await ams(['show', './nope.jsonl']);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('no such file: ./nope.jsonl');
  });
});

describe('ams receiver start line', () => {
  const startLines = async (args: string[], env: Record<string, string>): Promise<string> => {
    const r = start(['receiver', '--port', '0', '--no-wal', '--workers', '0', ...args], env);
    try {
      await expect.poll(() => r.out.stderr, { timeout: 15_000, interval: 50 }).toContain('viewer:');
    } finally {
      expect(await r.stop()).toBe(0);
    }
    return r.out.stderr;
  };

  it('says where sessions go and where the viewer is, and whether it needs the token', async () => {
    const dir = tempDir('cli-receiver-line');
    const open = await startLines(['--local-dir', dir], {});
    expect(open).toContain(`sessions go to ${dir}\n`);
    expect(open).toMatch(/viewer: http:\/\/127\.0\.0\.1:\d+\/ui\/ \(no token needed\)/);

    const locked = await startLines(['--local-dir', dir], { AMS_RECEIVER_TOKEN: 'secret-token' });
    expect(locked).toMatch(/viewer: http:\/\/127\.0\.0\.1:\d+\/ui\/ \(needs the token \(AMS_RECEIVER_TOKEN\)/);
    expect(locked).not.toContain('secret-token');

    const s3 = await startLines(['--ui', 'off'], { AMS_S3_BUCKET: 'team-bucket', AMS_S3_PREFIX: 'agents', AMS_S3_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    expect(s3).toContain('sessions go to s3://team-bucket/agents (endpoint http://127.0.0.1:9)');
    expect(s3).toContain('viewer: off (--ui off)');
  });
});
