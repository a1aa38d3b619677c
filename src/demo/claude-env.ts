/**
 * Options that make the real Claude Agent SDK (its real CLI binary) run against a scripted local
 * API in a throwaway home directory: no key, no network, no state left behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Options } from '@anthropic-ai/claude-agent-sdk';

export interface ClaudeSandbox {
  home: string;
  /** Options to spread into `query()` options. */
  options: Options;
  cleanup(): void;
}

export const TEST_MODEL = 'claude-sonnet-4-5';

export function claudeSandbox(apiUrl: string, extraEnv: Record<string, string> = {}): ClaudeSandbox {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-claude-'));
  const work = path.join(home, 'work');
  fs.mkdirSync(work, { recursive: true });
  return {
    home,
    options: {
      cwd: work,
      model: TEST_MODEL,
      // Running as root here: the CLI refuses --dangerously-skip-permissions, so tools are allowed
      // through the normal permission path instead.
      permissionMode: 'default',
      canUseTool: async (_name, input) => ({ behavior: 'allow', updatedInput: input }),
      // The SDK's `env` replaces the child's environment, so the parent's is spread in.
      env: {
        ...process.env,
        ANTHROPIC_BASE_URL: apiUrl,
        ANTHROPIC_API_KEY: 'sk-ant-test-scripted',
        HOME: home,
        CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        // Errors are scripted: fail at once instead of backing off for minutes.
        CLAUDE_CODE_MAX_RETRIES: '0',
        ...extraEnv,
      },
    },
    cleanup() {
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
