/**
 * `ams run` end to end, as users run it: the built CLI (npm run build, then node dist/cli/main.js)
 * spawned with the real Claude Agent SDK and its real CLI binary against the scripted local
 * Anthropic API, a real stdio MCP server (test/fixtures/mcp/echo-server.mjs), a real OTLP capture
 * server for OTEL_EXPORTER_OTLP_ENDPOINT, and, for `ams run -- <command>`, the embedded receiver
 * fed by a child process. Each test asserts the session document written to disk and what the
 * terminal showed.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../src/index.js';
import { TEST_MODEL } from '../src/demo/claude-env.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import type { ScriptedApi } from '../src/demo/scripted-api.js';
import { eventsOfType } from './support/claude-harness.js';
import { startOtlpCapture } from './support/otlp-capture.js';
import type { OtlpCapture } from './support/otlp-capture.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';
import { CLAUDE_BINARY } from './support/claude-code-cli.js';
import { BUILT_CLI, cleanEnv, REPO_ROOT, runCli } from './support/ams-cli.js';
import type { CliResult } from './support/ams-cli.js';

const root = REPO_ROOT;
const CLI = BUILT_CLI;
const MCP_SERVER = path.join(root, 'test/fixtures/mcp/echo-server.mjs');

type Result = CliResult;

/** Without ams, AWS, OpenTelemetry or Claude settings: only what a test passes applies. */
const RUN_ENV_DROP = /^(AMS_|AWS_|OTEL_|CLAUDE_|ANTHROPIC_)/;
const ams = (args: string[], env: Record<string, string>, cwd: string): Promise<Result> => runCli(args, { env: cleanEnv(env, RUN_ENV_DROP), cwd });

/**
 * `ams` from an installed copy of the package (dist + package.json) whose node_modules has every
 * package but those whose name starts with `without` (e.g. an optional peer dependency).
 */
function amsInstalledWithout(without: string, args: string[], env: Record<string, string>, cwd: string): Promise<Result> {
  const pkg = tempDir('run-installed');
  cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  const from = realpathSync(path.join(root, 'node_modules'));
  const to = path.join(pkg, 'node_modules');
  for (const name of readdirSync(from).filter((n) => !n.startsWith('.'))) {
    if (!name.startsWith('@')) {
      if (!name.startsWith(without)) symlinkSync(realpathSync(path.join(from, name)), path.join(to, name));
      continue;
    }
    mkdirSync(path.join(to, name), { recursive: true });
    for (const sub of readdirSync(path.join(from, name))) {
      if (!`${name}/${sub}`.startsWith(without)) symlinkSync(realpathSync(path.join(from, name, sub)), path.join(to, name, sub));
    }
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(pkg, 'dist/cli/main.js'), ...args], { cwd, env: cleanEnv(env, RUN_ENV_DROP) }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A throwaway home for the Claude CLI, a working folder in it, and the env that points it at the scripted API. */
function sandbox(apiUrl: string): { work: string; store: string; env: Record<string, string> } {
  const home = tempDir('run-home');
  const work = path.join(home, 'work');
  mkdirSync(work, { recursive: true });
  const store = path.join(home, 'store');
  return {
    work,
    store,
    env: {
      HOME: home,
      CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
      ANTHROPIC_BASE_URL: apiUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test-scripted',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      AMS_LOCAL_DIR: store,
    },
  };
}

/** The `session <id> (<status>) written to <path>` lines ams printed. */
function writtenLines(stderr: string): Array<{ id: string; status: string; file: string }> {
  return [...stderr.matchAll(/^session (\S+) \((\w+)\) written to (.+)$/gm)].map((m) => ({ id: m[1]!, status: m[2]!, file: m[3]! }));
}

function readSession(file: string): Session {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Session;
  expectValidSession(s);
  return s;
}

let api: ScriptedApi;
let otlp: OtlpCapture;

beforeAll(async () => {
  // What users run is the compiled CLI, built once by test/support/build-cli.ts (globalSetup).
  api = await startScriptedApi({ log: process.env.AMS_TEST_LOG ? (l) => console.log(l) : undefined });
  otlp = await startOtlpCapture();
}, 120_000);

afterAll(async () => {
  await api?.close();
  await otlp?.close();
});

const SYSTEM_PROMPT = 'You are the ams run test bot. Answer in one line.';

describe('ams run "prompt"', () => {
  let agentRun: { result: Result; session: Session; file: string } | undefined;

  it('runs the Agent SDK with the MCP servers of .mcp.json, streams the answer and tool activity, writes the session and sends the spans to OTLP', async () => {
    const marker = '[run:mcp]';
    api.script([
      {
        name: 'call the MCP tool',
        prompt: marker,
        blocks: [
          { type: 'text', text: 'Asking the echo server.' },
          { type: 'tool_use', id: 'toolu_run_shout', name: 'mcp__echo__shout', input: { text: 'hello from ams' } },
        ],
      },
      { name: 'answer', after: 'toolu_run_shout', blocks: [{ type: 'text', text: 'The echo server answered HELLO FROM AMS!' }] },
    ]);
    const sb = sandbox(api.url);
    writeFileSync(path.join(sb.work, '.mcp.json'), JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [MCP_SERVER] } } }));
    const result = await ams(
      ['run', '--model', TEST_MODEL, '--system-prompt', SYSTEM_PROMPT, '--allowed-tools', 'mcp__echo__shout', '--max-turns', '4', `${marker} Shout hello from ams`],
      { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'run-test' },
      sb.work,
    );
    expect(result.code, result.stderr).toBe(0);

    // The terminal: the answer on stdout, the tool activity and where the session went on stderr.
    expect(result.stdout).toContain('Asking the echo server.');
    expect(result.stdout).toContain('The echo server answered HELLO FROM AMS!');
    expect(result.stdout).not.toContain('mcp__echo__shout');
    expect(result.stderr).toContain(`MCP servers from ${path.join(sb.work, '.mcp.json')}: echo`);
    expect(result.stderr).toContain('→ mcp__echo__shout: hello from ams');
    expect(result.stderr).toContain('✓ mcp__echo__shout: HELLO FROM AMS!');
    // Not a terminal: no color codes.
    expect(result.stdout + result.stderr).not.toContain('\x1b[');
    const written = writtenLines(result.stderr);
    expect(written).toHaveLength(1);
    const { id, status, file } = written[0]!;
    expect(status).toBe('ok');
    expect(file.startsWith(sb.store)).toBe(true);
    expect(result.stderr).toContain(`ams show ${id}`);

    // The document.
    const s = readSession(file);
    expect(s.id).toBe(id);
    expect(s.status).toBe('ok');
    expect(s.agent.name).toBe('ams-run');
    expect(s.service).toBe('run-test');
    expect(s.model).toBe(TEST_MODEL);
    expect(eventsOfType(s.events, 'user_prompt').map((p) => p.prompt)).toEqual([`${marker} Shout hello from ams`]);
    const [call] = eventsOfType(s.events, 'tool_call');
    expect(call).toMatchObject({
      name: 'mcp__echo__shout',
      tool_use_id: 'toolu_run_shout',
      mcp_server: 'echo',
      status: 'ok',
      input: { text: 'hello from ams' },
    });
    expect(JSON.stringify(call!.result)).toContain('HELLO FROM AMS!');
    expect(eventsOfType(s.events, 'llm_message').map((m) => m.text)).toEqual(['Asking the echo server.', 'The echo server answered HELLO FROM AMS!']);

    // The model was given the system prompt.
    const requests = api.requests.filter((r) => r.view.firstUserText.includes(marker));
    expect(requests.length).toBe(2);
    expect(JSON.stringify(requests[0]!.view.body.system)).toContain(SYSTEM_PROMPT);

    // The same spans went to the OTLP endpoint (the real exporter, http/json), the system prompt
    // on the root as gen_ai.system_instructions.
    const spans = otlp.of('traces').flatMap((r) => {
      const body = r.json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; name: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> };
      return body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    });
    const ours = spans.filter((sp) => sp.traceId === s.trace_id);
    expect(ours.map((sp) => sp.name)).toEqual(expect.arrayContaining(['invoke_agent ams-run', 'execute_tool mcp__echo__shout']));
    const rootSpan = ours.find((sp) => sp.name === 'invoke_agent ams-run')!;
    const instructions = rootSpan.attributes.find((a) => a.key === 'gen_ai.system_instructions')?.value.stringValue;
    expect(JSON.parse(instructions!)).toEqual([{ type: 'text', content: SYSTEM_PROMPT }]);
    agentRun = { result, session: s, file };
  }, 60_000);

  it('the session document holds the system prompt', () => {
    // NEEDS the session model to carry it (src/session, not this branch): tracedQuery records it
    // as gen_ai.system_instructions on the root span (checked above), the assembler does not yet
    // put it in the document. Uses the run of the test above.
    expect(agentRun, 'the run above failed').toBeDefined();
    const doc = JSON.parse(readFileSync(agentRun!.file, 'utf8')) as Record<string, unknown>;
    expect(doc.system_prompt).toBe(SYSTEM_PROMPT);
  });

  it('a malformed .mcp.json is refused with a clear message and exit code 2, before anything runs', async () => {
    const sb = sandbox(api.url);
    writeFileSync(path.join(sb.work, '.mcp.json'), JSON.stringify({ mcpServers: { echo: { command: 'node', args: 'server.js' } } }));
    const before = api.requests.length;
    // --cwd: the agent's folder, where .mcp.json is looked for.
    const bad = await ams(['run', '--cwd', sb.work, 'hello'], sb.env, tempDir('run-elsewhere'));
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain(`ams run: malformed MCP config ${path.join(sb.work, '.mcp.json')}: mcpServers.echo.args: expected array, received string`);

    writeFileSync(path.join(sb.work, 'broken.json'), '{"mcpServers": {');
    const notJson = await ams(['run', '--mcp-config', 'broken.json', 'hello'], sb.env, sb.work);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(`malformed MCP config ${path.join(sb.work, 'broken.json')}: not valid JSON`);

    const missing = await ams(['run', '--mcp-config', 'nope.json', 'hello'], sb.env, sb.work);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read the MCP config ${path.join(sb.work, 'nope.json')}`);
    expect(api.requests.length).toBe(before);
    expect(existsSync(sb.store)).toBe(false);
  });

  it('a missing optional package (the OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set, the Agent SDK) says how to install it (exit 1); gRPC is refused (exit 2)', async () => {
    const sb = sandbox(api.url);
    const before = api.requests.length;
    const missing = await amsInstalledWithout('@opentelemetry/exporter-trace-otlp', ['run', 'hello'], { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, sb.work);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toContain('npm install @opentelemetry/exporter-trace-otlp-proto');
    const noSdk = await amsInstalledWithout('@anthropic-ai/claude-agent-sdk', ['run', 'hello'], sb.env, sb.work);
    expect(noSdk.code, noSdk.stderr).toBe(1);
    expect(noSdk.stderr).toContain('npm install @anthropic-ai/claude-agent-sdk');
    const grpc = await ams(['run', 'hello'], { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, sb.work);
    expect(grpc.code).toBe(2);
    expect(grpc.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported by ams run: use http/protobuf or http/json');
    expect(api.requests.length).toBe(before);
  });

  it('Ctrl-C (SIGINT) stops the agent, not ams: the session is written as far as it got and the exit code is 130', async () => {
    const marker = '[run:interrupt]';
    // The model takes its time: the run is still going when the signal comes.
    api.script([{ name: 'slow', prompt: marker, delayMs: 20_000, blocks: [{ type: 'text', text: 'too late' }] }]);
    const sb = sandbox(api.url);
    const child = execFile(process.execPath, [CLI, 'run', '--model', TEST_MODEL, `${marker} take your time`], { cwd: sb.work, env: cleanEnv(sb.env, RUN_ENV_DROP) });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await expect.poll(() => api.requests.some((r) => r.turn === 'slow'), { timeout: 30_000 }).toBe(true);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('ams run: interrupted; writing the session');
    const [w] = writtenLines(stderr);
    expect(w, stderr).toBeDefined();
    const s = readSession(w!.file);
    expect(s.status).not.toBe('ok');
    expect(eventsOfType(s.events, 'user_prompt').map((p) => p.prompt)).toEqual([`${marker} take your time`]);
  }, 60_000);

  it('a run that fails (max turns reached) exits 1, says why, and still writes the session, as an error', async () => {
    const marker = '[run:fail]';
    api.script([
      { name: 'turn 1', prompt: marker, blocks: [{ type: 'tool_use', id: 'toolu_run_max', name: 'Bash', input: { command: 'echo one >&2; exit 3', description: 'fail' } }] },
      { name: 'never', after: 'toolu_run_max', blocks: [{ type: 'text', text: 'should not be asked' }] },
    ]);
    const sb = sandbox(api.url);
    // Also: an OTLP endpoint nobody listens on is reported, and the session is written anyway.
    const r = await ams(['run', '--model', TEST_MODEL, '--max-turns', '1', '--allowed-tools', 'Bash', `${marker} loop`], { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' }, sb.work);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ams run: sending spans to http://127.0.0.1:9 failed:');
    expect(r.stderr).toContain('→ Bash: echo one >&2; exit 3');
    expect(r.stderr).toMatch(/^ {2}✗ Bash error: .*one/m);
    expect(r.stderr).toMatch(/ams run: the run (failed|ended with).*maximum number of turns/);
    const [w] = writtenLines(r.stderr);
    expect(w, r.stderr).toBeDefined();
    expect(w!.status).toBe('error');
    expect(readSession(w!.file).status_reason).toMatch(/^error_max_turns/);
    const usage = await ams(['run', '--max-turns', '0', 'x'], sb.env, sb.work);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--max-turns must be a whole number ≥ 1; got "0"');
  }, 60_000);
});

describe('ams run -- <command>', () => {
  it('runs the command with the telemetry env pointed at a live receiver, writes what it sent and passes on its exit code', async () => {
    const store = tempDir('run-wrap-store');
    const envOut = path.join(tempDir('run-wrap'), 'env.json');
    const traceId = '5b8efff798038103d269b633813fc60c';
    // The child: records the env it got, POSTs one agent span to the endpoint it was given, and
    // exits 3 only if the receiver accepted it (so a 4xx shows up as a different code).
    const script = `
      const fs = require('node:fs');
      const e = process.env;
      fs.writeFileSync(${JSON.stringify(envOut)}, JSON.stringify(e));
      const ns = BigInt(Date.now()) * 1000000n;
      const attr = (key, v) => ({ key, value: { stringValue: v } });
      const body = { resourceSpans: [{ resource: { attributes: [attr('service.name', 'wrapped')] }, scopeSpans: [{ scope: { name: 'test' }, spans: [{
        traceId: '${traceId}', spanId: '051581bf3cb55c13', name: 'invoke_agent wrapped-agent', kind: 1,
        startTimeUnixNano: String(ns - 5000000n), endTimeUnixNano: String(ns),
        attributes: [attr('gen_ai.operation.name', 'invoke_agent'), attr('gen_ai.agent.name', 'wrapped-agent')],
        events: [{ name: 'ams.user_prompt', timeUnixNano: String(ns - 4000000n), attributes: [attr('ams.prompt', 'hello from the child')] }],
        status: { code: 1 } }] }] }] };
      fetch(e.OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then((res) => process.exit(res.status === 200 ? 3 : 10 + Math.floor(res.status / 100)), () => process.exit(20));
    `;
    const r = await ams(['run', '--', process.execPath, '-e', script], { AMS_LOCAL_DIR: store, OTEL_LOG_TOOL_CONTENT: '0', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/elsewhere' }, tempDir('run-wrap-cwd'));
    expect(r.code, r.stderr).toBe(3);

    const childEnv = JSON.parse(readFileSync(envOut, 'utf8')) as Record<string, string>;
    expect(childEnv.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.stderr).toContain(`receiver on ${childEnv.OTEL_EXPORTER_OTLP_ENDPOINT}`);
    expect(childEnv).toMatchObject({
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_USER_PROMPTS: '1',
      OTEL_LOG_TOOL_DETAILS: '1',
      // The user's own setting wins over the default.
      OTEL_LOG_TOOL_CONTENT: '0',
    });
    // A per-signal endpoint of the user's would send the data elsewhere: removed.
    expect(childEnv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBeUndefined();
    // Raw bodies only when asked for.
    expect(childEnv.OTEL_LOG_RAW_API_BODIES).toBeUndefined();

    const written = writtenLines(r.stderr);
    expect(written.map((w) => w.id)).toEqual([traceId]);
    const s = readSession(written[0]!.file);
    expect(s.agent.name).toBe('wrapped-agent');
    expect(s.service).toBe('wrapped');
    expect(eventsOfType(s.events, 'user_prompt').map((p) => p.prompt)).toEqual(['hello from the child']);
    expect(r.stderr).toContain(`ams show ${traceId}`);
  }, 60_000);

  it('--raw-bodies turns on the raw API bodies; a command that sends nothing still passes on its exit code', async () => {
    const envOut = path.join(tempDir('run-raw'), 'env.json');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(envOut)}, JSON.stringify(process.env)); process.exit(0);`;
    const r = await ams(['run', '--raw-bodies', '--', process.execPath, '-e', script], { AMS_LOCAL_DIR: tempDir('run-raw-store') }, tempDir('run-raw-cwd'));
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(envOut, 'utf8')) as Record<string, string>).OTEL_LOG_RAW_API_BODIES).toBe('1');
    expect(r.stderr).toContain('no session was written');
    const missing = await ams(['run', '--', 'ams-no-such-command-here'], { AMS_LOCAL_DIR: tempDir('run-missing') }, tempDir('run-missing-cwd'));
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('cannot run ams-no-such-command-here');
  });

  it('`ams run -- claude -p` writes the Claude Code session, with its prompt', async () => {
    const marker = '[run:claude-p]';
    api.script([{ name: 'claude -p answer', prompt: marker, blocks: [{ type: 'text', text: 'Answer from the scripted API.' }] }]);
    const sb = sandbox(api.url);
    const prompt = `${marker} say something`;
    const r = await ams(['run', '--', CLAUDE_BINARY, '-p', prompt, '--model', TEST_MODEL, '--output-format', 'json'], sb.env, sb.work);
    expect(r.code, r.stderr).toBe(0);
    // The CLI's own output passes through (stdio inherited): its result JSON names the session.
    const cliResult = JSON.parse(r.stdout) as { session_id: string; result: string };
    expect(cliResult.result).toBe('Answer from the scripted API.');
    const written = writtenLines(r.stderr);
    expect(written.length, r.stderr).toBeGreaterThan(0);
    const docs = written.map((w) => readSession(w.file));
    // NEEDS the receiver's /v1/logs and the Claude Code mapping (other branches of issue 11):
    // the session is keyed by the CLI's session.id and its prompt comes from the
    // claude_code.interaction span / user_prompt log. On this branch the receiver answers 404 to
    // /v1/logs and keeps the claude_code.* spans as generic steps, so these two fail here.
    const doc = docs.find((d) => d.id === cliResult.session_id || d.conversation_id === cliResult.session_id);
    expect(doc, `sessions written: ${docs.map((d) => `${d.id} (${d.conversation_id ?? '-'})`).join(', ')}`).toBeDefined();
    expect(eventsOfType(doc!.events, 'user_prompt').map((p) => p.prompt)).toContain(prompt);
  }, 60_000);
});
