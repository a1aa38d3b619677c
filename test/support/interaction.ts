/**
 * Hand-built span records of one agent interaction (one trace): an invoke_agent root carrying
 * `ams.session.id`, the user's prompt, one model call with tokens and cost, one tool call. Several
 * of them with the same session id are what the Claude Code CLI sends (one trace per interaction).
 */
import { assembleSession } from '../../src/session/assemble.js';
import type { Session } from '../../src/session/types.js';
import type { SpanRecord } from '../../src/spans/record.js';
import * as sc from '../../src/spans/semconv.js';
import type { SessionBatch } from '../../src/processor/trace-buffer.js';


/** The cost each scripted model call reports unless the spec says otherwise (null: it reports none). */
const DEFAULT_CALL_COST_USD = 0.01;
const DEFAULT_MODEL = 'claude-sonnet-4-5';

export interface InteractionSpec {
  /** 32 hex characters. */
  traceId: string;
  /** Epoch ms the interaction starts. */
  at: number;
  sessionId?: string;
  prompt?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Cost of the model call (default 0.01); null: the call reports no cost. */
  costUsd?: number | null;
  /** The model called (default claude-sonnet-4-5, which the bundled price table knows). */
  model?: string;
  tool?: string;
  /** Extra spans (late ones): more tool calls under the root. */
  extraTools?: number;
  toolError?: string;
  tags?: string[];
}

const hex16 = (traceId: string, n: number): string => (traceId.slice(0, 12) + n.toString(16).padStart(4, '0')).slice(0, 16);

export function interactionRecords(spec: InteractionSpec): SpanRecord[] {
  const { traceId, at } = spec;
  const resource = { 'service.name': 'claude-code' };
  const root = hex16(traceId, 1);
  const rootAttrs: SpanRecord['attributes'] = {
    [sc.GEN_AI_OPERATION_NAME]: 'invoke_agent',
    [sc.GEN_AI_AGENT_NAME]: 'claude-code',
  };
  if (spec.sessionId !== undefined) rootAttrs[sc.AMS_SESSION_ID] = spec.sessionId;
  if (spec.tags) rootAttrs[sc.AMS_TAGS] = spec.tags;
  const records: SpanRecord[] = [
    {
      traceId,
      spanId: root,
      name: 'invoke_agent claude-code',
      kind: 'internal',
      startTimeMs: at,
      endTimeMs: at + 1000,
      status: { code: 'unset' },
      attributes: rootAttrs,
      events: [{ name: sc.EVENT_USER_PROMPT, timeMs: at + 1, attributes: { [sc.AMS_PROMPT]: spec.prompt ?? `prompt of ${traceId.slice(0, 6)}` } }],
      resource,
    },
    {
      traceId,
      spanId: hex16(traceId, 2),
      parentSpanId: root,
      name: `chat ${spec.model ?? DEFAULT_MODEL}`,
      kind: 'client',
      startTimeMs: at + 10,
      endTimeMs: at + 400,
      status: { code: 'unset' },
      attributes: {
        [sc.GEN_AI_OPERATION_NAME]: 'chat',
        [sc.GEN_AI_REQUEST_MODEL]: spec.model ?? DEFAULT_MODEL,
        [sc.GEN_AI_USAGE_INPUT_TOKENS]: spec.inputTokens ?? 100,
        [sc.GEN_AI_USAGE_OUTPUT_TOKENS]: spec.outputTokens ?? 10,
        ...(spec.costUsd === null ? {} : { [sc.AMS_COST_USD]: spec.costUsd ?? DEFAULT_CALL_COST_USD }),
      },
      events: [],
      resource,
    },
  ];
  const tools = 1 + (spec.extraTools ?? 0);
  for (let i = 0; i < tools; i++) {
    records.push({
      traceId,
      spanId: hex16(traceId, 3 + i),
      parentSpanId: root,
      name: `execute_tool ${spec.tool ?? 'Bash'}`,
      kind: 'internal',
      startTimeMs: at + 500 + i * 10,
      endTimeMs: at + 505 + i * 10,
      status: spec.toolError && i === 0 ? { code: 'error', message: spec.toolError } : { code: 'unset' },
      attributes: { [sc.GEN_AI_OPERATION_NAME]: 'execute_tool', [sc.GEN_AI_TOOL_NAME]: spec.tool ?? 'Bash' },
      events: [],
      resource,
    });
  }
  return records;
}

/** The per-trace document the writer would assemble. */
export function interaction(spec: InteractionSpec, revision = 1): Session {
  return assembleSession(interactionRecords(spec), { revision });
}

/** What the trace buffer hands the writer for this interaction. */
export function interactionBatch(spec: InteractionSpec, revision = 1): SessionBatch {
  const records = interactionRecords(spec);
  return { traceId: spec.traceId, rootSpanId: records[0]!.spanId, sessionId: spec.traceId, records, revision, droppedSpans: 0 };
}
