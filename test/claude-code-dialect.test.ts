/**
 * Claude Code's own telemetry (test/fixtures/claude-code/: the real CLI's OTLP/JSON spans and log
 * records, recorded by record.ts) assembled into sessions through the dialect mapping
 * (src/spans/dialects/claude-code.ts). One document per trace, as the receiver assembles them:
 * interaction 1 (Bash ok, Bash failing, Agent subagent, thinking), interaction 2 (--resume), the
 * startup logs (no prompt, no trace context), and interaction 1 again with spans off (log-only).
 *
 * Golden files: UPDATE_GOLDEN=1 npx vitest run test/claude-code-dialect.test.ts rewrites them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleSession } from '../src/index.js';
import { describeRecord, isGenAiRecord } from '../src/processor/describe.js';
import { TraceBuffer } from '../src/processor/trace-buffer.js';
import type { SessionBatch } from '../src/processor/trace-buffer.js';
import { renderTree } from '../src/render/session.js';
import type { LlmMessageEvent, Session, SessionEvent, SpanRecord, SubagentEvent, ToolCallEvent } from '../src/index.js';
import { hasClaudeCodeRecords, isClaudeCodeRecord, readRequestBody } from '../src/spans/dialects/claude-code.js';
import { logRecordToSpanRecord, syntheticTraceId } from '../src/spans/log-record.js';
import { normalizeRecords } from '../src/spans/normalize.js';
import { createReceiver } from '../receiver/index.js';
import { post, WrittenSessions } from './fixtures/otlp/http.js';
import { byTrace, CLAUDE_CODE_FIXTURES, claudeCodeLogs, claudeCodeSpans } from './support/claude-code-records.js';
import { expectValidSession } from './support/schema.js';
import { shuffled } from './support/shuffle.js';

const SESSION_ID = '00000000-0000-4000-8000-000000000001';
const TRACE_1 = '00000000000000000000000000000001';
const TRACE_2 = '00000000000000000000000000000002';
const PROMPT_1 = '00000000-0000-4000-8000-000000000002';

const spans = claudeCodeSpans();
const logs = claudeCodeLogs();
const traces = byTrace([...spans, ...logs]);
const logOnlyTraces = byTrace(claudeCodeLogs({ withoutTraceContext: true }));
const STARTUP_TRACE = syntheticTraceId(SESSION_ID, undefined);
const LOG_ONLY_1 = syntheticTraceId(SESSION_ID, PROMPT_1);

const event = (r: SpanRecord) => r.attributes['ams.log.event_name'];
const trace1 = () => traces.get(TRACE_1)!;

/** Every event, subagents' nested ones included, in document order. */
function flat(events: SessionEvent[]): SessionEvent[] {
  return events.flatMap((e) => [e, ...((e.type === 'subagent' || e.type === 'step') && e.events ? flat(e.events) : [])]);
}
const ofType = <T extends SessionEvent['type']>(s: Session, type: T) => flat(s.events).filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
const tool = (s: Session, id: string) => ofType(s, 'tool_call').find((t) => t.tool_use_id === id) as ToolCallEvent;


const goldens: Array<[string, () => SpanRecord[]]> = [
  ['interaction-1', trace1],
  ['interaction-2', () => traces.get(TRACE_2)!],
  ['startup', () => traces.get(STARTUP_TRACE)!],
  ['logs-only', () => logOnlyTraces.get(LOG_ONLY_1)!],
];

describe('golden sessions from Claude Code telemetry', () => {
  it('the recording splits into the traces the receiver would assemble', () => {
    expect([...traces.keys()].sort()).toEqual([TRACE_1, TRACE_2, STARTUP_TRACE].sort());
    expect(logOnlyTraces.has(LOG_ONLY_1)).toBe(true);
  });

  for (const [name, records] of goldens) {
    it(`${name}: matches its golden session and the schema`, () => {
      const session = assembleSession(records());
      expectValidSession(session);
      const golden = path.join(CLAUDE_CODE_FIXTURES, `${name}.session.json`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, `${JSON.stringify(session, null, 1)}\n`);
      expect(session).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });

    it(`${name}: is the same whatever order the records arrive in`, () => {
      const expected = JSON.stringify(assembleSession(records()));
      for (const seed of [1, 2, 7]) expect(JSON.stringify(assembleSession(shuffled(records(), seed)))).toBe(expected);
    });
  }
});

/** The api_request log events of a trace, by request id. */
function apiRequests(records: SpanRecord[]): Map<string, SpanRecord['attributes']> {
  return new Map(records.filter((r) => event(r) === 'api_request').map((r) => [r.attributes.request_id as string, r.attributes]));
}

describe.each([
  ['spans + logs', trace1],
  ['logs only (spans off)', () => logOnlyTraces.get(LOG_ONLY_1)!],
])('interaction 1, %s: what the CLI sent is in the document', (_label, records) => {
  const session = assembleSession(records());
  const requests = apiRequests(records());

  it('is the Claude Code session: its id, conversation, agent and prompt', () => {
    expect(session.id).toBe(SESSION_ID);
    expect(session.conversation_id).toBe(SESSION_ID);
    expect(session.agent).toEqual({ name: 'claude-code', version: '2.1.330' });
    expect(session.status).toBe('ok');
    expect(ofType(session, 'user_prompt').map((p) => p.prompt)).toEqual(['[rec] Is anything in this directory broken?']);
  });

  it('has one model message per api_request, with its tokens, cost, ttft and text', () => {
    const messages = ofType(session, 'llm_message');
    expect(messages.map((m) => m.response_id).sort()).toEqual([...requests.keys()].sort());
    for (const m of messages) {
      const r = requests.get(m.response_id!)!;
      expect(m.usage).toEqual({
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        cache_read_input_tokens: r.cache_read_tokens,
        cache_creation_input_tokens: r.cache_creation_tokens,
      });
      expect(m.cost_usd).toBe(r.cost_usd);
      expect(m.cost_source).toBe('producer');
      expect(m.cost_reporter).toBe('claude_code.api_request');
      expect(m.ttft_ms).toBe(r.ttft_ms);
      expect(m.model).toBe('claude-sonnet-4-5');
    }
    const byId = (id: string) => messages.find((m) => m.response_id === id) as LlmMessageEvent;
    expect(byId('req_msg_scripted_0001')).toMatchObject({ text: 'Let me look.', finish_reasons: ['tool_use'], tool_uses: [{ id: 'toolu_rec_ok', name: 'Bash', input: { command: 'echo hello-from-bash' } }] });
    expect(byId('req_msg_scripted_0006')).toMatchObject({ text: 'One command failed (missing file); the disk is fine.', finish_reasons: ['end_turn'] });
    const cost = [...requests.values()].reduce((sum, r) => sum + (r.cost_usd as number), 0);
    expect(session.totals.cost_usd).toBeCloseTo(cost, 9);
    expect(session.totals.cost_usd).toBeCloseTo(0.026625, 9); // the CLI's own total_cost_usd for this interaction
    expect(session.totals).toMatchObject({ turns: 6, tool_calls: 4, subagents: 1, errors: 1 });
  });

  it('marks thinking the CLI redacted instead of showing "<REDACTED>" as thinking', () => {
    const thinking = ofType(session, 'llm_message').filter((m) => m.thinking_redacted);
    expect(thinking.map((m) => m.response_id).sort()).toEqual(['req_msg_scripted_0001', 'req_msg_scripted_0004']);
    for (const m of ofType(session, 'llm_message')) expect(m.thinking).toBeUndefined();
    expect(JSON.stringify(session)).not.toContain('<REDACTED>');
  });

  it('shows the failing Bash call as an error with its output, the succeeding one with its output', () => {
    expect(tool(session, 'toolu_rec_fail')).toMatchObject({
      name: 'Bash',
      status: 'error',
      error: 'Shell command failed',
      input: { command: 'cat does-not-exist.txt', description: 'Read a missing file' },
      result: 'Exit code 1\ncat: does-not-exist.txt: No such file or directory',
      permission_decision: 'accept',
      permission_source: 'config',
    });
    expect(tool(session, 'toolu_rec_ok')).toMatchObject({ name: 'Bash', status: 'ok', error: null, result: 'hello-from-bash', input: { command: 'echo hello-from-bash' } });
  });

  it('nests the subagent under the Agent call, with why, type, its own model calls (cost) and tool calls', () => {
    const agentCall = session.events.findIndex((e) => e.type === 'tool_call' && e.tool_use_id === 'toolu_rec_agent');
    const sub = session.events[agentCall + 1] as SubagentEvent;
    expect(sub).toMatchObject({
      type: 'subagent',
      tool_use_id: 'toolu_rec_agent',
      agent_id: 'a0000000000000001',
      agent_type: 'general-purpose',
      description: 'Disk check',
      why: '[rec-sub] Check the disk usage of the working directory.',
      status: 'ok',
    });
    expect(sub.events.map((e) => e.type)).toEqual(['llm_message', 'tool_call', 'llm_message']);
    const [first, , last] = sub.events as [LlmMessageEvent, ToolCallEvent, LlmMessageEvent];
    expect([first.cost_usd, last.cost_usd]).toEqual([requests.get('req_msg_scripted_0004')!.cost_usd, requests.get('req_msg_scripted_0005')!.cost_usd]);
    expect(last.text).toBe('Disk usage is tiny.');
    expect(tool(session, 'toolu_rec_sub_du')).toMatchObject({ status: 'ok', result: '4\t.' });
  });

  it('leaves no log record and no folded span behind as a step of its own', () => {
    expect(ofType(session, 'step')).toEqual([]);
  });
});

describe('interaction 1 with spans: what only the spans have', () => {
  const session = assembleSession(trace1());

  it('times the wait on the permission decision (claude_code.tool.blocked_on_user)', () => {
    expect(tool(session, 'toolu_rec_ok').blocked_ms).toBe(35);
    expect(tool(session, 'toolu_rec_fail').blocked_ms).toBe(26);
  });

  it('the text view shows the permission, the wait and withheld thinking', () => {
    const lines = renderTree(session);
    expect(lines).toContain('  thinking: (withheld by the producer)');
    expect(lines.find((l) => l.includes('✗ Bash'))).toContain('accept by config, waited 26 ms');
  });

  it('keeps the span timing and ids of the CLI', () => {
    expect(session.root_span_id).toBe('0000000000000001');
    expect(session.trace_id).toBe(TRACE_1);
    expect(ofType(session, 'llm_message')[0]!.span_id).toBe('0000000000000002');
  });
});

describe('partial and redacted telemetry', () => {
  it('spans without any log: cost from the price table, or unknown (not 0) without one; the failure still shown', () => {
    const session = assembleSession(spans.filter((s) => s.traceId === TRACE_1));
    for (const m of ofType(session, 'llm_message')) {
      expect(m).toMatchObject({ cost_source: 'price_table', priced_as: 'genai-prices:anthropic/claude-sonnet-4-5' });
      const u = m.usage!;
      expect(m.cost_usd).toBeCloseTo((u.input_tokens * 3 + u.output_tokens * 15 + u.cache_read_input_tokens * 0.3 + u.cache_creation_input_tokens * 3.75) / 1e6, 12);
    }
    const unpriced = assembleSession(spans.filter((s) => s.traceId === TRACE_1), { price: false });
    for (const m of ofType(unpriced, 'llm_message')) {
      expect(m.cost_source).toBe('unknown');
      expect(m).not.toHaveProperty('cost_usd');
    }
    expect(unpriced.totals.cost_usd).toBeNull();
    expect(ofType(session, 'llm_message')[0]!.usage?.input_tokens).toBe(1200);
    expect(tool(session, 'toolu_rec_fail')).toMatchObject({ status: 'error', error: 'Shell command failed', input: { command: 'cat does-not-exist.txt' } });
    expect(ofType(session, 'user_prompt')[0]!.prompt).toBe('[rec] Is anything in this directory broken?'); // the span's user_prompt
    expect(ofType(session, 'subagent')[0]).toMatchObject({ agent_type: 'general-purpose', agent_id: 'a0000000000000001' });
  });

  it('logs that arrive before their spans already make a useful document', () => {
    const session = assembleSession(logs.filter((l) => l.traceId === TRACE_1));
    expect(session.id).toBe(SESSION_ID);
    expect(ofType(session, 'user_prompt')[0]!.prompt).toBe('[rec] Is anything in this directory broken?');
    expect(ofType(session, 'llm_message')).toHaveLength(6);
    expect(tool(session, 'toolu_rec_fail')).toMatchObject({ status: 'error', error: 'Shell command failed' });
    expect(ofType(session, 'subagent')[0]!.why).toBe('[rec-sub] Check the disk usage of the working directory.');
  });

  it('without raw bodies: text from assistant_response, tool uses from the tool logs', () => {
    const records = logOnlyTraces.get(LOG_ONLY_1)!.filter((r) => event(r) !== 'api_request_body' && event(r) !== 'api_response_body');
    const session = assembleSession(records);
    const first = ofType(session, 'llm_message')[0]!;
    expect(first).toMatchObject({ text: 'Let me look.', tool_uses: [{ id: 'toolu_rec_ok', name: 'Bash', input: { command: 'echo hello-from-bash' } }] });
    expect(first.thinking_redacted).toBeUndefined(); // nothing says there was thinking
    expect(tool(session, 'toolu_rec_ok')).not.toHaveProperty('result'); // the output was only in the span event / next request body
  });

  it('content the CLI redacted is not shown as content; a redacted prompt is read from the request body', () => {
    const redact = (r: SpanRecord): SpanRecord => {
      const a = { ...r.attributes };
      for (const k of ['prompt', 'prompt_text', 'response', 'user_prompt']) if (a[k] !== undefined) a[k] = '<REDACTED>';
      return { ...r, attributes: a };
    };
    const withBodies = assembleSession(trace1().map(redact));
    expect(ofType(withBodies, 'user_prompt')[0]!.prompt).toBe('[rec] Is anything in this directory broken?');
    const bare = assembleSession(trace1().filter((r) => event(r) !== 'api_request_body' && event(r) !== 'api_response_body').map(redact));
    expect(ofType(bare, 'user_prompt')[0]!.prompt).toBe('<REDACTED>'); // a prompt was given; its text was withheld
    for (const m of ofType(bare, 'llm_message')) expect(m).not.toHaveProperty('text');
  });

  it('thinking the CLI does send in clear is shown as thinking', () => {
    const clear = trace1().map((r) =>
      event(r) === 'api_response_body' && r.attributes.request_id === 'req_msg_scripted_0001'
        ? { ...r, attributes: { ...r.attributes, body: String(r.attributes.body).replace('"thinking":"<REDACTED>"', '"thinking":"Check the files first."') } }
        : r,
    );
    const first = ofType(assembleSession(clear), 'llm_message')[0]!;
    expect(first).toMatchObject({ thinking: 'Check the files first.', text: 'Let me look.' });
    expect(first).not.toHaveProperty('thinking_redacted');
  });

  it('reads numbers and booleans sent as strings', () => {
    const stringly = trace1().map((r) => {
      if (event(r) !== 'api_request') return r;
      const a = { ...r.attributes };
      for (const k of ['cost_usd', 'ttft_ms']) a[k] = String(a[k]);
      return { ...r, attributes: a };
    });
    const logOnly = logOnlyTraces.get(LOG_ONLY_1)!.map((r) => (event(r) === 'api_request' ? { ...r, attributes: { ...r.attributes, input_tokens: String(r.attributes.input_tokens) } } : r));
    expect(ofType(assembleSession(stringly), 'llm_message')[0]).toMatchObject({ cost_usd: 0.006314999999999999, ttft_ms: 74 });
    expect(ofType(assembleSession(logOnly), 'llm_message')[0]!.usage?.input_tokens).toBe(1200);
  });
});

describe('other Claude Code records', () => {
  it('startup logs become notifications of a document with the session id', () => {
    const session = assembleSession(traces.get(STARTUP_TRACE)!);
    expect(session.id).toBe(SESSION_ID);
    expect(ofType(session, 'notification').map((n) => n.message)).toContain('plugin loaded: cc-plugin-privacy');
    expect(session.totals.turns).toBe(0);
  });

  it('hook spans and unknown log events are steps where they happened', () => {
    const failing = trace1().find((r) => r.name === 'claude_code.tool.execution' && r.status.code === 'error')!;
    const hook: SpanRecord = { ...failing, spanId: 'ffffffffffffff01', parentSpanId: failing.spanId, name: 'claude_code.hook', status: { code: 'unset' }, attributes: { hook_event: 'PostToolUse', 'session.id': SESSION_ID }, events: [] };
    const unknown = logRecordToSpanRecord({
      traceId: TRACE_1,
      spanId: '0000000000000001',
      timeMs: 1_700_000_002_000,
      body: 'claude_code.something_new',
      attributes: { 'event.name': 'something_new', 'session.id': SESSION_ID, detail: 'x' },
      resource: { 'service.name': 'claude-code' },
    })!;
    const session = assembleSession([...trace1(), hook, unknown]);
    const steps = ofType(session, 'step');
    expect(steps.map((s) => s.name).sort()).toEqual(['claude_code.hook', 'claude_code.something_new']);
    expect(steps.find((s) => s.name === 'claude_code.something_new')!.attributes).toEqual({ detail: 'x' });
    // The hook ran inside the failing tool's execution: it surfaces at that tool's level, after it.
    const i = session.events.findIndex((e) => e.type === 'tool_call' && e.tool_use_id === 'toolu_rec_fail');
    expect(session.events[i + 1]).toMatchObject({ type: 'step', name: 'claude_code.hook' });
  });

  /** A Claude Code log record of interaction 1 (with its trace context, or none: spans off). */
  const log = (name: string, attributes: Record<string, string | number>, timeMs: number, traced = true): SpanRecord =>
    logRecordToSpanRecord({
      ...(traced ? { traceId: TRACE_1, spanId: '0000000000000001' } : {}),
      timeMs,
      body: `claude_code.${name}`,
      attributes: { 'event.name': name, 'session.id': SESSION_ID, 'prompt.id': PROMPT_1, ...attributes },
      resource: { 'service.name': 'claude-code', 'service.version': '2.1.330' },
      scope: { name: 'com.anthropic.claude_code.events' },
    })!;

  it('a failed API call (api_error) is a model message with its error; with spans on, its llm_request span tells it once', () => {
    const error = (traced: boolean) => log('api_error', { model: 'claude-sonnet-4-5', error: 'overloaded', status_code: '529', duration_ms: 40, attempt: 1 }, 1_700_000_000_900, traced);
    const logOnly = assembleSession([...logOnlyTraces.get(LOG_ONLY_1)!, error(false)]);
    const failed = ofType(logOnly, 'llm_message').filter((m) => m.error);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ error: 'overloaded', model: 'claude-sonnet-4-5' });
    expect(failed[0]).not.toHaveProperty('cost_usd');
    expect(logOnly.totals.errors).toBe(2);
    expect(ofType(assembleSession([...trace1(), error(true)]), 'llm_message')).toHaveLength(6);
  });

  it('hook runs from hook_execution_* logs are steps; the system_prompt log is the system prompt, not a step', () => {
    const session = assembleSession([
      ...trace1(),
      log('hook_execution_start', { hook_event: 'PreToolUse', hook_name: 'PreToolUse:Bash', num_hooks: '1' }, 1_700_000_001_090),
      log('hook_execution_complete', { hook_event: 'PreToolUse', hook_name: 'PreToolUse:Bash', num_success: '1', total_duration_ms: '3' }, 1_700_000_001_093),
      log('system_prompt', { system_prompt: 'You are Claude Code.', system_prompt_length: '20' }, 1_700_000_000_500),
    ]);
    const steps = ofType(session, 'step');
    expect(steps.map((s) => s.name)).toEqual(['claude_code.hook']);
    expect(steps[0]).toMatchObject({ started_at: '2023-11-14T22:13:21.090Z', attributes: { hook_event: 'PreToolUse', hook_name: 'PreToolUse:Bash', num_success: '1' } });
    expect(session.system_prompt).toBe('You are Claude Code.');
    expect(assembleSession(trace1())).not.toHaveProperty('system_prompt'); // not sent: unknown
  });

  it('a claude_code.subagent.spawn span (newer CLIs) folds into the subagent', () => {
    const execution = trace1().find((r) => r.spanId === '000000000000000d')!;
    const spawn: SpanRecord = { ...execution, spanId: 'ffffffffffffff02', parentSpanId: execution.spanId, name: 'claude_code.subagent.spawn', attributes: { agent_id: 'a0000000000000001', agent_type: 'general-purpose' }, events: [] };
    const session = assembleSession([...trace1(), spawn]);
    expect(ofType(session, 'step')).toEqual([]);
    expect(ofType(session, 'subagent')).toHaveLength(1);
    expect(ofType(session, 'subagent')[0]!.events.map((e) => e.type)).toEqual(['llm_message', 'tool_call', 'llm_message']);
  });

  it("another producer's span under a folded execution span hangs on the tool call", () => {
    const execution = trace1().find((r) => r.spanId === '0000000000000005')!;
    const child: SpanRecord = { ...execution, spanId: 'ffffffffffffff03', parentSpanId: execution.spanId, name: 'script step', scope: { name: 'app' }, resource: { 'service.name': 'app' }, attributes: { work: 1 }, events: [] };
    const session = assembleSession([...trace1(), child]);
    const i = session.events.findIndex((e) => e.type === 'tool_call' && e.tool_use_id === 'toolu_rec_ok');
    expect(session.events[i + 1]).toMatchObject({ type: 'step', name: 'script step' });
    expect(session.status).toBe('ok');
  });

  it('an MCP tool (mcp__<server>__<tool>) names its server', () => {
    const renamed = trace1().map((r) => (r.attributes.tool_use_id === 'toolu_rec_ok' && r.name === 'claude_code.tool' ? { ...r, attributes: { ...r.attributes, tool_name: 'mcp__files__list', 'gen_ai.tool.name': 'mcp__files__list' } } : r));
    expect(tool(assembleSession(renamed), 'toolu_rec_ok')).toMatchObject({ name: 'mcp__files__list', mcp_server: 'files' });
  });

  it("TRACEPARENT with spans off: the logs name the caller's span, and the CLI's run nests under it", () => {
    const APP_TRACE = 'abcdefabcdefabcdefabcdefabcdef12';
    const app: SpanRecord = {
      traceId: APP_TRACE,
      spanId: 'abcdefabcdef0001',
      name: 'invoke_agent app',
      kind: 'internal',
      startTimeMs: 1_700_000_000_000,
      endTimeMs: 1_700_000_003_000,
      status: { code: 'unset' },
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'app' },
      events: [],
      resource: { 'service.name': 'app' },
    };
    const cliLogs = logOnlyTraces.get(LOG_ONLY_1)!.map((r) => ({ ...r, traceId: APP_TRACE, parentSpanId: app.spanId }));
    const session = assembleSession([app, ...cliLogs]);
    expect(session.agent.name).toBe('app');
    expect(session.events.map((e) => e.type)).toEqual(['subagent']);
    const cli = session.events[0] as SubagentEvent;
    expect(cli).toMatchObject({ name: 'claude-code', status: 'ok' });
    expect(cli.events.filter((e) => e.type === 'llm_message')).toHaveLength(4); // the main thread's; the subagent's 2 nest deeper
    expect(session.totals).toMatchObject({ turns: 6, tool_calls: 4, subagents: 2 });
    expect(session.totals.cost_usd).toBeCloseTo(0.026625, 9);
  });

  it('detects Claude Code by scope, service, span name or event body; other traces pass through untouched', () => {
    expect(spans.every(isClaudeCodeRecord)).toBe(true);
    expect(logs.every(isClaudeCodeRecord)).toBe(true);
    const other: SpanRecord = { ...spans[0]!, name: 'invoke_agent x', scope: { name: 'app' }, resource: { 'service.name': 'app' }, attributes: { 'gen_ai.operation.name': 'invoke_agent' } };
    expect(isClaudeCodeRecord(other)).toBe(false);
    expect(hasClaudeCodeRecords([other])).toBe(false);
    const input = [other];
    expect(normalizeRecords(input)).toBe(input);
  });

  it('reads the complete leading messages of a request body cut at 60 KB', () => {
    const whole = { model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'text', text: 'b } ]' }] }], system: 'sys' };
    expect(readRequestBody(JSON.stringify(whole))).toEqual({ messages: whole.messages, system: 'sys' });
    const cut = JSON.stringify(whole).slice(0, JSON.stringify(whole).indexOf('"b }') + 3) + '\n\n[TRUNCATED - Content exceeds 60KB limit]';
    expect(readRequestBody(cut)).toEqual({ messages: [{ role: 'user', content: 'a' }] });
  });
});

describe('through the receiver', () => {
  it("the CLI's recorded /v1/traces request: each interaction mapped the same way, merged into one document for the session", async () => {
    const written = new WrittenSessions();
    const sessions: Session[] = [];
    const receiver = createReceiver({ storage: { putSession: async (s) => (sessions.push(s), s.id) }, walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    try {
      const { _meta: _ignored, ...request } = JSON.parse(readFileSync(path.join(CLAUDE_CODE_FIXTURES, 'traces.json'), 'utf8')) as Record<string, unknown>;
      const reply = await post(`${url}/v1/traces`, Buffer.from(JSON.stringify(request)), { 'content-type': 'application/json' });
      expect(reply.status).toBe(200);
      await written.next((e) => e.traceId === TRACE_1);
      await written.next((e) => e.traceId === TRACE_2);
    } finally {
      await receiver.stop();
    }
    // The document id is the writer's to choose (its session id for the trace; the root's
    // ams.session.id = session.id is there for it): everything else is the dialect's.
    const withoutId = ({ id: _id, ...rest }: Session) => rest;
    const first = sessions.find((s) => s.trace_id === TRACE_1)!;
    expectValidSession(first);
    expect(withoutId(first)).toEqual(withoutId(assembleSession(spans.filter((s) => s.traceId === TRACE_1))));
    expect(first.conversation_id).toBe(SESSION_ID);
    expect(tool(first, 'toolu_rec_fail')).toMatchObject({ status: 'error', error: 'Shell command failed' });
    // Both interactions share the CLI's session id: the second write is the one document holding
    // both (the writer merges what it wrote before; docs/session-document.md).
    const merged = sessions.at(-1)!;
    expectValidSession(merged);
    expect(merged.id).toBe(first.id);
    expect(merged.conversation_id).toBe(SESSION_ID);
    expect(merged.traces?.map((t) => t.trace_id)).toEqual([TRACE_1, TRACE_2]);
    expect(merged.revision).toBe(2);
  });
});

describe("the receiver's trace buffer", () => {
  const buffered = (records: SpanRecord[]): SessionBatch[] => {
    const batches: SessionBatch[] = [];
    const buffer = new TraceBuffer<SpanRecord>({ describe: describeRecord, toRecord: (r) => r, onSessionReady: (b) => batches.push(b), waitMs: 0, maxAgeMs: 3_600_000, maxTraces: 100, maxSpansPerTrace: 100_000 });
    for (const r of records) buffer.add(r);
    buffer.close('the test flushed it');
    return batches;
  };

  it('keeps a log-only trace together as one session, which counts as an agent session', () => {
    const batches = buffered(logOnlyTraces.get(LOG_ONLY_1)!);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.records).toHaveLength(logOnlyTraces.get(LOG_ONLY_1)!.length);
    expect(batches[0]!.records.some(isGenAiRecord)).toBe(true);
    const session = assembleSession(batches[0]!.records, { sessionId: batches[0]!.sessionId, incompleteReason: batches[0]!.incompleteReason });
    expect(ofType(session, 'llm_message')).toHaveLength(6);
  });

  it('keeps logs that arrive before their spans with the interaction', () => {
    const batches = buffered([...logs.filter((l) => l.traceId === TRACE_1), ...spans.filter((s) => s.traceId === TRACE_1)]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.rootSpanId).toBe('0000000000000001');
    expect(assembleSession(batches[0]!.records, { rootSpanId: batches[0]!.rootSpanId })).toEqual(assembleSession(trace1()));
  });
});

describe('privacy on the way in', () => {
  it('redacts secrets that arrive in Claude Code log events (prompt, tool input) before anything is stored', async () => {
    const SECRET = 'AKIAIOSFODNN7EXAMPLE';
    const stored: string[] = [];
    const receiver = createReceiver({
      storage: { putSession: async (s) => (stored.push(JSON.stringify(s)), s.id) },
      walDir: false,
      waitMs: 0,
      env: { AMS_REDACT: '1' },
    });
    const { url } = await receiver.start({ port: 0 });
    try {
      // The recorded logs, with a secret in the user's prompt and in the failing command's input.
      const raw = readFileSync(path.join(CLAUDE_CODE_FIXTURES, 'logs.json'), 'utf8')
        .replaceAll('Is anything in this directory broken?', `Is anything in this directory broken? key ${SECRET}`)
        .replaceAll('cat does-not-exist.txt', `cat does-not-exist.txt # ${SECRET}`);
      expect(raw).toContain(SECRET);
      const { _meta: _l, ...logsBody } = JSON.parse(raw) as Record<string, unknown>;
      const { _meta: _t, ...tracesBody } = JSON.parse(readFileSync(path.join(CLAUDE_CODE_FIXTURES, 'traces.json'), 'utf8')) as Record<string, unknown>;
      expect((await post(`${url}/v1/logs`, Buffer.from(JSON.stringify(logsBody)), { 'content-type': 'application/json' })).status).toBe(200);
      expect((await post(`${url}/v1/traces`, Buffer.from(JSON.stringify(tracesBody)), { 'content-type': 'application/json' })).status).toBe(200);
    } finally {
      await receiver.stop();
    }
    expect(stored.length).toBeGreaterThan(0);
    const all = stored.join('\n');
    // The prompt and the tool input made it into the documents, redacted.
    expect(all).toContain('Is anything in this directory broken? key [REDACTED:aws_access_key]');
    expect(all).toContain('cat does-not-exist.txt # [REDACTED:aws_access_key]');
    expect(all).not.toContain(SECRET);
    expect(all).toContain('[REDACTED:aws_access_key]');
  });
});
