/**
 * The README's "Not using the Claude SDK?" examples are real programs: run each with tsx in a
 * scratch directory and check what it printed and wrote.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Session } from '../src/index.js';
import { readStore } from './support/generic-harness.js';
import { expectValidSession } from './support/schema.js';
import { tempDir } from './support/tmp.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const env = { ...process.env, AMS_REDACT: '', AMS_CAPTURE_CONTENT: '', AMS_ENABLED: '' };

describe('examples', () => {
  it('examples/any-agent.ts writes a redacted session to ./ams-data and sessions.jsonl and prints a summary', async () => {
    const cwd = tempDir('ex-any');
    const { stdout } = await run(tsx, [path.join(root, 'examples/any-agent.ts')], { cwd, env, timeout: 60_000 });
    expect(stdout).toMatch(/\[ams\] ✓ ok · support-bot \(dev\) · .* · 1 llm · 3 tools · /);
    expect(stdout).toContain('failure tool/timeout in OrdersApi.lookup (attempt 1): orders service timed out');
    const { sessions, rawText } = readStore(path.join(cwd, 'ams-data'));
    expect(sessions).toHaveLength(1);
    expectValidSession(sessions[0]);
    expect(rawText).not.toContain('jane@example.com');
    expect(rawText).not.toContain('tok_live_123');
    const lines = readFileSync(path.join(cwd, 'ams-data/sessions.jsonl'), 'utf8').trim().split('\n');
    expect((JSON.parse(lines[0]!) as Session).id).toBe(sessions[0]!.id);
  });

  it('examples/other-instrumentations.ts turns OpenInference and deprecated gen_ai spans into one session', async () => {
    const cwd = tempDir('ex-other');
    const { stdout } = await run(tsx, [path.join(root, 'examples/other-instrumentations.ts')], { cwd, env, timeout: 60_000 });
    expect(stdout).toContain('[ams] ✓ ok · AgentExecutor');
    expect(stdout).toContain('tool calculator: {"expr":"2 + 3 * 4"} = "14"');
    expect(stdout).toContain('llm gpt-4o: Multiplication binds tighter');
  });
});
