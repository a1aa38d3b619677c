/**
 * Running the real Claude Code CLI (the native binary shipped in the Agent SDK's platform package)
 * with `-p` against the scripted local Anthropic API and its built-in OpenTelemetry pointed at an
 * OTLP endpoint of the test's: the recorder (test/fixtures/claude-code/record.ts) and the live
 * tests (test/claude-code-live.test.ts) share it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_MODEL } from '../../src/demo/claude-env.js';
import type { ScriptedTurn } from '../../src/demo/scripted-api.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLAUDE_BINARY = path.join(ROOT, 'node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude');

/** The CLI's telemetry on, all three signals over OTLP/HTTP, short export intervals. */
export const TELEMETRY_ENV: Record<string, string> = {
  CLAUDE_CODE_ENABLE_TELEMETRY: '1',
  CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_LOGS_EXPORTER: 'otlp',
  OTEL_METRICS_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  // Short intervals so a `-p` run exports while it runs, not only at shutdown.
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_LOGS_EXPORT_INTERVAL: '200',
  OTEL_METRIC_EXPORT_INTERVAL: '500',
};

export const CONTENT_SWITCHES = ['OTEL_LOG_USER_PROMPTS', 'OTEL_LOG_TOOL_DETAILS', 'OTEL_LOG_TOOL_CONTENT', 'OTEL_LOG_RAW_API_BODIES'] as const;
export const ALL_CONTENT: Record<string, string> = Object.fromEntries(CONTENT_SWITCHES.map((k) => [k, '1']));

export interface Sandbox {
  home: string;
  work: string;
}

export function makeSandbox(): Sandbox {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-cc-otel-'));
  const work = path.join(home, 'work');
  fs.mkdirSync(work, { recursive: true });
  return { home, work };
}

export interface CliRun {
  /** When the process exited (ms since epoch). */
  exitedAt: number;
  code: number | null;
  sessionId: string | null;
  result: Record<string, unknown> | null;
  stderr: string;
}

/** One `claude -p` run; resolves when the process has exited. */
export async function runCli(sandbox: Sandbox, apiUrl: string, otlpUrl: string, prompt: string, extraEnv: Record<string, string>, extraArgs: string[] = []): Promise<CliRun> {
  // Variables a probe wants absent are passed as '' and removed here.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('CLAUDE_') && k.toUpperCase() !== 'TRACEPARENT') env[k] = v;
  Object.assign(env, {
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test-scripted',
    HOME: sandbox.home,
    CLAUDE_CONFIG_DIR: path.join(sandbox.home, '.claude'),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    ...TELEMETRY_ENV,
    ...extraEnv,
  });
  for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
  const args = ['-p', prompt, '--model', TEST_MODEL, '--permission-mode', 'default', '--allowedTools', 'Bash,Agent', '--output-format', 'json', ...extraArgs];
  const child = spawn(CLAUDE_BINARY, args, { cwd: sandbox.work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  let result: Record<string, unknown> | null;
  try {
    result = JSON.parse(out) as Record<string, unknown>;
  } catch {
    result = null;
  }
  return { exitedAt: Date.now(), code, sessionId: typeof result?.session_id === 'string' ? result.session_id : null, result, stderr: err };
}

/** Interaction 1: thinking + a Bash call that succeeds, one that fails, a subagent; interaction 2: thinking + text. */
export function sessionScript(): ScriptedTurn[] {
  return [
    {
      name: 'i1: think, run ok',
      prompt: '[rec]',
      usage: { input_tokens: 1200, output_tokens: 90, cache_read_input_tokens: 800, cache_creation_input_tokens: 300 },
      blocks: [
        { type: 'thinking', thinking: 'First list the directory, then read a file that is not there.' },
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_rec_ok', name: 'Bash', input: { command: 'echo hello-from-bash', description: 'Say hello' } },
      ],
    },
    {
      name: 'i1: run failing',
      after: 'toolu_rec_ok',
      usage: { input_tokens: 1300, output_tokens: 40, cache_read_input_tokens: 1100 },
      blocks: [{ type: 'tool_use', id: 'toolu_rec_fail', name: 'Bash', input: { command: 'cat does-not-exist.txt', description: 'Read a missing file' } }],
    },
    {
      name: 'i1: delegate',
      after: 'toolu_rec_fail',
      usage: { input_tokens: 1400, output_tokens: 60, cache_read_input_tokens: 1200 },
      blocks: [
        { type: 'text', text: 'That file is missing. Asking a subagent to check the disk.' },
        {
          type: 'tool_use',
          id: 'toolu_rec_agent',
          name: 'Agent',
          input: { description: 'Disk check', prompt: '[rec-sub] Check the disk usage of the working directory.', subagent_type: 'general-purpose', run_in_background: false },
        },
      ],
    },
    {
      name: 'sub: run',
      prompt: '[rec-sub]',
      usage: { input_tokens: 500, output_tokens: 30 },
      blocks: [
        { type: 'thinking', thinking: 'du gives the size.' },
        { type: 'tool_use', id: 'toolu_rec_sub_du', name: 'Bash', input: { command: 'du -s .', description: 'Disk usage' } },
      ],
    },
    { name: 'sub: report', after: 'toolu_rec_sub_du', usage: { input_tokens: 600, output_tokens: 20 }, blocks: [{ type: 'text', text: 'Disk usage is tiny.' }] },
    {
      name: 'i1: answer',
      after: 'toolu_rec_agent',
      usage: { input_tokens: 1600, output_tokens: 50, cache_read_input_tokens: 1400 },
      blocks: [{ type: 'text', text: 'One command failed (missing file); the disk is fine.' }],
    },
    {
      name: 'i2: answer',
      // On --resume the first user message is still interaction 1's prompt: match the new one.
      when: (v) => v.lastText.includes('[rec2]'),
      usage: { input_tokens: 1800, output_tokens: 35, cache_read_input_tokens: 1600 },
      blocks: [
        { type: 'thinking', thinking: 'Nothing new to run; summarize.' },
        { type: 'text', text: 'Still the same: one missing file, a healthy disk.' },
      ],
    },
  ];
}
