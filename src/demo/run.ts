/**
 * The demo, shipped so that `npm run demo` (examples/demo.ts) and `ams demo` run the same code:
 * the real Claude Agent SDK (an optional peer dependency) traced by a real SessionSpanProcessor
 * into local storage, against the scripted local Anthropic API (no key, no network) or, with
 * `live`, the real API. It returns what it wrote; the caller prints `demoReport()`.
 */
import path from 'node:path';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { tracedQuery } from '../claude/index.js';
import { renderTree } from '../render/session.js';
import type { Session } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import type { SessionStorage } from '../storage/types.js';
import { SessionSpanProcessor } from '../processor/SessionSpanProcessor.js';
import { claudeSandbox } from './claude-env.js';
import { DEMO_PROMPT, demoScript } from './script.js';
import { startScriptedApi } from './scripted-api.js';

export interface DemoOptions {
  /** Local storage folder (default: AMS_LOCAL_DIR, else ./ams-data). */
  dir?: string;
  /** Run against the real Anthropic API (needs ANTHROPIC_API_KEY) instead of the scripted one. */
  live?: boolean;
  /** Prompt for a live run (the scripted API answers its own prompt only). */
  prompt?: string;
}

export interface DemoResult {
  session: Session;
  /** Storage key of the document. */
  key: string;
  /** Path of the document on disk. */
  file: string;
  /** The SDK's final result line, when it sent one. */
  result?: string;
}

const LIVE_PROMPT = 'List the files here and tell me what this project is.';

/** Runs one traced agent session and resolves to the session written; rejects when none was. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const live = options.live === true;
  if (live && !process.env.ANTHROPIC_API_KEY) throw new Error('the live demo needs ANTHROPIC_API_KEY');

  const local = new LocalStorage({ dir: options.dir ?? process.env.AMS_LOCAL_DIR ?? './ams-data' });
  let written: { session: Session; key: string } | undefined;
  // Wraps the storage (rather than a processor callback) to learn what was written.
  const storage: SessionStorage = {
    putSession: async (session) => {
      const key = await local.putSession(session);
      written = { session, key };
      return key;
    },
    flush: () => local.flush(),
    close: () => local.close(),
  };
  // No context manager needed: tracedQuery parents its spans explicitly.
  const provider = new BasicTracerProvider({ spanProcessors: [new SessionSpanProcessor({ storage })] });

  const api = live ? undefined : await startScriptedApi();
  const sandbox = api ? claudeSandbox(api.url) : undefined;
  api?.script(demoScript());
  let result: string | undefined;
  try {
    const q = tracedQuery({
      prompt: live ? (options.prompt ?? LIVE_PROMPT) : DEMO_PROMPT,
      options: sandbox
        ? sandbox.options
        : { permissionMode: 'default', canUseTool: async (_name, input) => ({ behavior: 'allow', updatedInput: input }), maxTurns: 8 },
      agent: { name: 'demo-agent', version: '0.1.0' },
      environment: live ? 'live' : 'demo',
      tags: ['demo', live ? 'live' : 'scripted'],
      metadata: { team: 'docs' },
      tracerProvider: provider,
    });
    for await (const m of q) {
      if (m.type === 'result') result = `${m.subtype}${'result' in m ? ` — ${m.result}` : ''}`;
    }
  } finally {
    await provider.shutdown();
    await api?.close();
    sandbox?.cleanup();
  }
  if (!written) throw new Error('no session was written');
  return { ...written, file: path.join(local.dir, written.key), result };
}

/** What the demo prints: the SDK's result, the session as `ams show` draws it, where it went. */
export function demoReport(r: DemoResult): string[] {
  const s = r.session;
  return [
    ...(r.result !== undefined ? [`result: ${r.result}`, ''] : []),
    ...renderTree(s, { thinking: true }),
    '',
    `session ${s.id} (${s.status}) written to ${r.file}`,
  ];
}
