/**
 * Where the examples' agent runs: the real Anthropic API with `--live` (needs ANTHROPIC_API_KEY),
 * otherwise the real SDK and CLI against the scripted local API (no key, no network).
 */
import type { Options } from '@anthropic-ai/claude-agent-sdk';
import { startScriptedApi } from './scripted-api.js';
import { claudeSandbox } from './claude-env.js';
import { demoScript } from './script.js';

export interface ExampleBackend {
  /** SDK options to spread into yours. */
  options: Options;
  /** A prompt the scripted API knows how to answer (any prompt works live). */
  prompt: string;
  close(): Promise<void>;
}

export async function exampleBackend(livePrompt: string): Promise<ExampleBackend> {
  if (process.argv.includes('--live')) {
    if (!process.env.ANTHROPIC_API_KEY) throw new Error('--live needs ANTHROPIC_API_KEY');
    return {
      options: { permissionMode: 'default', canUseTool: async (_n, input) => ({ behavior: 'allow', updatedInput: input }), maxTurns: 8 },
      prompt: livePrompt,
      close: async () => undefined,
    };
  }
  const api = await startScriptedApi();
  api.script(demoScript());
  const sandbox = claudeSandbox(api.url);
  return {
    options: sandbox.options,
    prompt: '[demo] How big is this project, and is the disk healthy?',
    async close() {
      await api.close();
      sandbox.cleanup();
    },
  };
}
