/**
 * The scripted conversation the demo (and the benchmark) plays against the real SDK: thinking,
 * text, parallel Bash calls (one failing), and a foreground subagent with its own tool call.
 */
import type { ScriptedTurn } from './scripted-api.js';

export const DEMO_PROMPT = '[demo] How big is this project, and is the disk healthy?';
export const DEMO_SUBAGENT_PROMPT = '[demo-sub] Check the disk usage of the working directory and report anything unusual.';

export function demoScript(): ScriptedTurn[] {
  return [
    {
      name: 'plan',
      prompt: '[demo]',
      usage: { input_tokens: 2400, output_tokens: 180, cache_read_input_tokens: 1800, cache_creation_input_tokens: 600 },
      delayMs: 120,
      blocks: [
        { type: 'thinking', thinking: 'I need the file count and a disk check. The disk check can go to a subagent.' },
        { type: 'text', text: 'Let me look around first.' },
        { type: 'tool_use', id: 'toolu_demo_count', name: 'Bash', input: { command: 'ls -1 | wc -l', description: 'Count entries' } },
        { type: 'tool_use', id: 'toolu_demo_missing', name: 'Bash', input: { command: 'cat does-not-exist.txt', description: 'Read a missing file' } },
      ],
    },
    {
      name: 'delegate',
      after: ['toolu_demo_count', 'toolu_demo_missing'],
      usage: { input_tokens: 2700, output_tokens: 95, cache_read_input_tokens: 2300 },
      delayMs: 80,
      blocks: [
        { type: 'text', text: 'One command failed; that file does not exist. Now the disk check.' },
        {
          type: 'tool_use',
          id: 'toolu_demo_agent',
          name: 'Agent',
          input: { description: 'Disk check', prompt: DEMO_SUBAGENT_PROMPT, subagent_type: 'general-purpose', run_in_background: false },
        },
      ],
    },
    {
      name: 'subagent works',
      prompt: '[demo-sub]',
      usage: { input_tokens: 900, output_tokens: 60 },
      delayMs: 60,
      blocks: [
        { type: 'thinking', thinking: 'du will tell me the size.' },
        { type: 'tool_use', id: 'toolu_demo_du', name: 'Bash', input: { command: 'du -sh .', description: 'Disk usage' } },
      ],
    },
    { name: 'subagent reports', after: 'toolu_demo_du', usage: { input_tokens: 1000, output_tokens: 40 }, blocks: [{ type: 'text', text: 'Disk usage is tiny; nothing unusual.' }] },
    {
      name: 'answer',
      after: 'toolu_demo_agent',
      usage: { input_tokens: 3100, output_tokens: 70, cache_read_input_tokens: 2700 },
      blocks: [{ type: 'text', text: 'The project is small and the disk is healthy.' }],
    },
  ];
}
