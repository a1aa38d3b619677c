/**
 * Claude Code's own telemetry -> ams receiver -> one session document, live: the real CLI binary
 * (from the Agent SDK's platform package) runs `claude -p` against the scripted local Anthropic API
 * with its built-in OpenTelemetry (traces + logs + metrics, every content switch on) pointed at a
 * receiver started here, over http/protobuf and http/json. The scripted API's usage is what the
 * CLI's api_request events report, and the CLI's own `--output-format json` result gives the cost
 * it computed from them: the document must say the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/index.js';
import type { Session, SessionEvent } from '../src/index.js';
import { startScriptedApi } from '../src/demo/scripted-api.js';
import type { ScriptedApi } from '../src/demo/scripted-api.js';
import { createReceiver } from '../receiver/index.js';
import { ALL_CONTENT, makeSandbox, runCli, sessionScript } from './support/claude-code-cli.js';
import type { CliRun, Sandbox } from './support/claude-code-cli.js';
import { expectValidSession } from './support/schema.js';

type Receiver = ReturnType<typeof createReceiver>;
type ToolCall = Extract<SessionEvent, { type: 'tool_call' }>;
type LlmMessage = Extract<SessionEvent, { type: 'llm_message' }>;
type Subagent = Extract<SessionEvent, { type: 'subagent' }>;

let api: ScriptedApi;
let sandbox: Sandbox;
let dir: string;
let storage: LocalStorage;

beforeAll(async () => {
  api = await startScriptedApi({ log: process.env.AMS_TEST_LOG ? (l) => console.log(l) : undefined });
  sandbox = makeSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-cc-live-'));
  storage = new LocalStorage({ dir });
});
afterAll(async () => {
  await api.close();
  fs.rmSync(sandbox.home, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The recorded session's script, fresh (each turn answers once). */
function rescript(): void {
  api.reset();
  api.script(sessionScript());
}

async function startReceiver(): Promise<{ receiver: Receiver; url: string }> {
  // waitMs: late log batches of an interaction join it before it is written; idleMs: a log-only
  // interaction (no root span ever) is written soon after its last record.
  const receiver = createReceiver({ storage, walDir: false, workers: 0, waitMs: 1000, idleMs: 1500, env: {} });
  const { url } = await receiver.start({ port: 0 });
  return { receiver, url };
}

/** Waits until everything the receiver holds is written, then reads the session document. */
async function settledSession(receiver: Receiver, id: string): Promise<Session> {
  await expect.poll(() => {
    const s = receiver.stats();
    return s.openTraces + s.pendingWrites;
  }, { timeout: 30_000 }).toBe(0);
  const session = await storage.getSession(id);
  expect(session, `no session ${id} written`).toBeDefined();
  expectValidSession(session);
  return session!;
}

const walk = (events: SessionEvent[]): SessionEvent[] => events.flatMap((e) => (e.type === 'subagent' ? [e, ...walk(e.events)] : [e]));
const ofType = <T extends SessionEvent['type']>(s: Session, type: T) => walk(s.events).filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
const toolById = (s: Session, id: string): ToolCall | undefined => ofType(s, 'tool_call').find((t) => t.tool_use_id === id);

function expectCliRan(run: CliRun): string {
  expect(run.code, run.stderr).toBe(0);
  expect(run.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  return run.sessionId!;
}

describe.each(['http/protobuf', 'http/json'])('`claude -p` exporting %s to ams receiver', (protocol) => {
  let first: Session;
  let runOne: CliRun;
  let sessionId: string;

  it('one -p run: prompt, text, tool input/output/error, subagent with why, tokens and cost as the CLI reported', async () => {
    rescript();
    const { receiver, url } = await startReceiver();
    try {
      runOne = await runCli(sandbox, api.url, url, `[rec] ${protocol}: check this folder`, { ...ALL_CONTENT, OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
      sessionId = expectCliRan(runOne);
      first = await settledSession(receiver, sessionId);
    } finally {
      await receiver.stop();
    }
    expect(first.conversation_id).toBe(sessionId);
    expect(first.agent.name).toBe('claude-code');
    expect(first.status).not.toBe('incomplete');
    expect(ofType(first, 'user_prompt').map((p) => p.prompt)).toEqual([`[rec] ${protocol}: check this folder`]);

    const llm = ofType(first, 'llm_message');
    // Main thread: 4 model calls; the subagent: 2 (nested).
    expect(llm.map((m) => m.text ?? '')).toEqual(expect.arrayContaining(['Let me look.', 'That file is missing. Asking a subagent to check the disk.', 'One command failed (missing file); the disk is fine.', 'Disk usage is tiny.']));
    const firstCall = llm.find((m) => m.text === 'Let me look.')!;
    expect(firstCall.usage).toMatchObject({ input_tokens: 1200, output_tokens: 90, cache_read_input_tokens: 800, cache_creation_input_tokens: 300 });
    // The CLI withholds thinking from its telemetry ("<REDACTED>" even in raw bodies): the
    // document says so instead of presenting the placeholder as the model's thinking.
    expect(firstCall.thinking).toBeUndefined();
    expect(firstCall.thinking_redacted).toBe(true);
    expect(first.totals.input_tokens).toBe(1200 + 1300 + 1400 + 500 + 600 + 1600);
    expect(first.totals.output_tokens).toBe(90 + 40 + 60 + 30 + 20 + 50);
    expect(first.totals.cost_usd).toBeCloseTo(runOne.result!.total_cost_usd as number, 9);
    for (const m of llm) expect(m.cost_usd).toBeGreaterThan(0);

    const ok = toolById(first, 'toolu_rec_ok')!;
    expect(ok).toMatchObject({ name: 'Bash', status: 'ok', input: { command: 'echo hello-from-bash' } });
    expect(JSON.stringify(ok.result)).toContain('hello-from-bash');
    expect(ok.permission_decision).toBe('accept');
    const failed = toolById(first, 'toolu_rec_fail')!;
    expect(failed).toMatchObject({ name: 'Bash', status: 'error', error: 'Shell command failed', input: { command: 'cat does-not-exist.txt' } });
    expect(JSON.stringify(failed.result)).toContain('does-not-exist.txt');
    expect(first.totals.errors).toBeGreaterThanOrEqual(1);

    const agent = toolById(first, 'toolu_rec_agent')!;
    expect(agent.name).toBe('Agent');
    const sub = walk(first.events).find((e): e is Subagent => e.type === 'subagent')!;
    expect(sub.why).toBe('[rec-sub] Check the disk usage of the working directory.');
    expect(sub.agent_type).toBe('general-purpose');
    const inner = walk(sub.events);
    expect(inner.some((e) => e.type === 'tool_call' && e.tool_use_id === 'toolu_rec_sub_du')).toBe(true);
    expect(inner.some((e): e is LlmMessage => e.type === 'llm_message' && e.text === 'Disk usage is tiny.')).toBe(true);
  });

  it('--resume: the second interaction merges into the same document (a new revision), also after a receiver restart', async () => {
    // A new receiver (the first one stopped): it holds nothing of interaction 1 and merges with
    // what is stored.
    const { receiver, url } = await startReceiver();
    let runTwo: CliRun;
    let merged: Session;
    try {
      runTwo = await runCli(sandbox, api.url, url, `[rec2] ${protocol}: anything new?`, { ...ALL_CONTENT, OTEL_EXPORTER_OTLP_PROTOCOL: protocol }, ['--resume', sessionId]);
      expect(expectCliRan(runTwo)).toBe(sessionId);
      merged = await settledSession(receiver, sessionId);
    } finally {
      await receiver.stop();
    }
    // Both interactions' traces, in order (the CLI's startup events, which carry no prompt or
    // trace, are a part of their own: revision counts writes, so it is at least 2).
    const interactionTraces = (merged.traces ?? []).filter((t) => t.agent.name === 'claude-code' && merged.events.some((e) => e.type === 'user_prompt' && e.trace_id === t.trace_id));
    expect(interactionTraces).toHaveLength(2);
    expect(merged.revision).toBeGreaterThanOrEqual(2);
    expect(ofType(merged, 'user_prompt').map((p) => p.prompt)).toEqual([`[rec] ${protocol}: check this folder`, `[rec2] ${protocol}: anything new?`]);
    expect(ofType(merged, 'llm_message').at(-1)!.text).toBe('Still the same: one missing file, a healthy disk.');
    // The CLI's result reports cost cumulatively over a resumed session.
    expect(merged.totals.cost_usd).toBeCloseTo(runTwo.result!.total_cost_usd as number, 9);
    expect(merged.totals.input_tokens).toBe(first.totals.input_tokens + 1800);
  });
});

describe('`claude -p` with spans off (no CLAUDE_CODE_ENHANCED_TELEMETRY_BETA): logs alone', () => {
  it('still gives a useful document: prompt, model calls with tokens and cost, tool calls with input and outcome', async () => {
    rescript();
    const { receiver, url } = await startReceiver();
    let run: CliRun;
    let doc: Session;
    try {
      run = await runCli(sandbox, api.url, url, '[rec] logs only: check this folder', { ...ALL_CONTENT, CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '' });
      const id = expectCliRan(run);
      doc = await settledSession(receiver, id);
    } finally {
      await receiver.stop();
    }
    expect(ofType(doc, 'user_prompt').map((p) => p.prompt)).toContain('[rec] logs only: check this folder');
    expect(ofType(doc, 'llm_message').map((m) => m.text)).toContain('One command failed (missing file); the disk is fine.');
    expect(doc.totals.cost_usd).toBeCloseTo(run.result!.total_cost_usd as number, 9);
    expect(toolById(doc, 'toolu_rec_ok')).toMatchObject({ name: 'Bash', status: 'ok' });
    expect(toolById(doc, 'toolu_rec_fail')).toMatchObject({ name: 'Bash', status: 'error' });
  });
});
