/**
 * Records the hook calls and messages of a real SDK run (real CLI, scripted API) as JSONL, for
 * replay tests that feed a ClaudeTracer in orders a real consumer could produce.
 *
 *   npx tsx test/support/claude-record.ts > test/fixtures/claude/subagent-run.jsonl
 */
import { query } from '@anthropic-ai/claude-agent-sdk';
import type { HookCallbackMatcher, HookEvent } from '@anthropic-ai/claude-agent-sdk';
import { startScriptedApi } from '../../src/demo/scripted-api.js';
import { claudeSandbox } from '../../src/demo/claude-env.js';
import { DEMO_PROMPT, demoScript } from '../../src/demo/script.js';

const EVENTS: HookEvent[] = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'SubagentStart', 'SubagentStop', 'Notification', 'PermissionDenied'];

const api = await startScriptedApi();
const sandbox = claudeSandbox(api.url);
api.script(demoScript());
const lines: string[] = [];
const hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>> = {};
for (const event of EVENTS) {
  hooks[event] = [
    {
      hooks: [
        async (input, toolUseId) => {
          lines.push(JSON.stringify({ kind: 'hook', event, toolUseId: toolUseId ?? null, input }));
          return {};
        },
      ],
    },
  ];
}
// The options instrumentOptions() would set.
for await (const m of query({ prompt: DEMO_PROMPT, options: { ...sandbox.options, hooks, includePartialMessages: true, forwardSubagentText: true } })) {
  // The init message lists the whole tool/skill catalogue; only its session id and model matter here.
  const slim = m.type === 'system' && m.subtype === 'init' ? { type: m.type, subtype: m.subtype, session_id: m.session_id, model: m.model, uuid: m.uuid } : m;
  lines.push(JSON.stringify({ kind: 'message', message: slim }));
}
await api.close();
// Machine-specific paths out, so the fixture is stable.
const home = sandbox.home;
sandbox.cleanup();
process.stdout.write(lines.map((l) => l.split(home).join('/home/test')).join('\n') + '\n');
