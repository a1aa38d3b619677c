/**
 * `ams run "prompt"`: one Claude Agent SDK run through tracedQuery, shown on the terminal as it
 * happens, written as one session to the configured storage (and sent to an OTLP backend when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set). Loaded only by `ams run`: it pulls in the Agent SDK.
 */
import type { McpServerConfig, Options, PermissionMode } from '@anthropic-ai/claude-agent-sdk';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { tracedQuery } from '../../src/claude/index.js';
import { resolve, SETTINGS } from '../../src/config/env.js';
import type { Env } from '../../src/config/env.js';
import { SessionSpanProcessor } from '../../src/processor/SessionSpanProcessor.js';
import { storageFromEnv } from '../../src/storage/from-env.js';
import type { SessionStorage } from '../../src/storage/types.js';
import type { SessionWrittenEvent } from '../../src/writer/types.js';
import { EXIT_FAIL, EXIT_OK } from '../common.js';
import type { McpConfig } from './mcp-config.js';
import { reportingFailures } from './otlp-export.js';
import type { OtlpTarget } from './otlp-export.js';
import { locationOf } from './where.js';
import { Terminal } from './terminal.js';

export interface AgentRunOptions {
  prompt: string;
  cwd: string;
  model?: string;
  systemPrompt?: string;
  allowedTools?: string[];
  maxTurns?: number;
  permissionMode?: PermissionMode;
  mcp: McpConfig;
  /** Also send the spans here (OTEL_EXPORTER_OTLP_ENDPOINT), with this exporter. */
  otlp?: { target: OtlpTarget; exporter: SpanExporter };
  /** The environment with the settings flags applied (storage, capture). */
  env: Env;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export const AGENT_NAME = 'ams-run';
/** Exit code after Ctrl-C, as shells report a command ended by SIGINT. */
const EXIT_INTERRUPTED = 130;

/** Runs the agent; resolves to the exit code (1 when the run failed or no session was written). */
export async function runAgent(o: AgentRunOptions): Promise<number> {
  const term = new Terminal({ out: o.out, err: o.err });
  const env = o.env;
  const storage: SessionStorage = storageFromEnv(env);
  const written: SessionWrittenEvent[] = [];
  const processors: SpanProcessor[] = [
    new SessionSpanProcessor({
      storage,
      onSessionWritten: (w) => written.push(w),
      redact: resolve(SETTINGS.redact, undefined, env),
      captureContent: resolve(SETTINGS.captureContent, undefined, env),
      captureThinking: resolve(SETTINGS.captureThinking, undefined, env),
    }),
  ];
  if (o.otlp) processors.push(new BatchSpanProcessor(reportingFailures(o.otlp.exporter, o.otlp.target, (line) => term.line(line))));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || AGENT_NAME }),
    spanProcessors: processors,
  });

  if (o.mcp.file) term.line(`MCP servers from ${o.mcp.file}: ${Object.keys(o.mcp.servers).join(', ') || '(none)'}`);
  if (o.otlp) term.line(`spans also go to ${o.otlp.target.endpoint} (${o.otlp.target.protocol})`);

  const options: Options = {
    cwd: o.cwd,
    // The SDK's `env` replaces the CLI's environment; the settings flags are part of it.
    env: { ...env },
    // .mcp.json is read here, so the CLI must not load it (or other MCP configs) a second time.
    mcpServers: o.mcp.servers as Record<string, McpServerConfig>,
    strictMcpConfig: true,
  };
  if (o.model) options.model = o.model;
  if (o.systemPrompt !== undefined) options.systemPrompt = o.systemPrompt;
  if (o.allowedTools?.length) options.allowedTools = o.allowedTools;
  if (o.maxTurns !== undefined) options.maxTurns = o.maxTurns;
  if (o.permissionMode) options.permissionMode = o.permissionMode;

  // Ctrl-C stops the agent, not ams: the run is aborted (the SDK ends its CLI child) and the
  // session written, as far as it got. A second Ctrl-C quits at once.
  const abort = new AbortController();
  options.abortController = abort;
  const onInterrupt = (): void => {
    if (abort.signal.aborted) process.exit(EXIT_INTERRUPTED);
    term.line('ams run: interrupted; writing the session (Ctrl-C again to quit now)');
    abort.abort();
  };
  process.on('SIGINT', onInterrupt);

  let failure: string | undefined;
  try {
    const q = tracedQuery({
      prompt: o.prompt,
      // Partial messages let the answer stream; tracedQuery asks for them anyway.
      options: { ...options, includePartialMessages: true },
      agent: AGENT_NAME,
      tracerProvider: provider,
      captureContent: resolve(SETTINGS.captureContent, undefined, env),
      captureThinking: resolve(SETTINGS.captureThinking, undefined, env),
    });
    for await (const m of q) term.show(m);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    process.off('SIGINT', onInterrupt);
    term.close();
    // Writes the session (the root span has ended) and sends what is batched for the backend. A
    // backend that cannot be reached was reported (reportingFailures) and must not stop the rest.
    await Promise.allSettled(processors.map((p) => p.shutdown()));
    await storage.close?.();
  }

  const r = term.result;
  if (abort.signal.aborted) term.line('ams run: the run was interrupted');
  else if (failure) term.line(`ams run: the run failed: ${failure}`);
  else if (!r) term.line('ams run: the run ended without a result');
  else if (!r.ok) term.line(`ams run: the run ended with ${r.subtype}${r.errors.length ? `: ${r.errors.join('; ')}` : ''}`);

  if (!written.length) {
    term.line('ams run: no session was written (see the messages above)');
    return abort.signal.aborted ? EXIT_INTERRUPTED : EXIT_FAIL;
  }
  for (const w of written) {
    term.line(`session ${w.sessionId} (${w.status}) written to ${locationOf(storage, w.key)}`);
  }
  term.line(`next: ams show ${written[written.length - 1]!.sessionId}`);
  if (abort.signal.aborted) return EXIT_INTERRUPTED;
  return failure || !r?.ok ? EXIT_FAIL : EXIT_OK;
}
