import { describe, expect, it } from 'vitest';
import { isLogRecord, logEventName, logRecordToSpanRecord, syntheticTraceId } from '../src/spans/log-record.js';

const base = { timeMs: 1_700_000_000_123.5, resource: { 'service.name': 'claude-code' }, scope: { name: 'com.anthropic.claude_code.events' } };

describe('log records as SpanRecords', () => {
  it('keeps the trace context, the event name, the body and the attributes', () => {
    const r = logRecordToSpanRecord({
      ...base,
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      body: 'claude_code.api_request',
      attributes: { 'event.name': 'api_request', cost_usd: 0.0063, 'session.id': 's-1' },
    });
    expect(r).toMatchObject({
      traceId: 'a'.repeat(32),
      parentSpanId: 'b'.repeat(16),
      name: 'log api_request',
      startTimeMs: base.timeMs,
      endTimeMs: base.timeMs,
      attributes: { cost_usd: 0.0063, 'ams.log.event_name': 'api_request', 'ams.log.body': 'claude_code.api_request' },
    });
    expect(r?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(isLogRecord(r!)).toBe(true);
    expect(logEventName(r!)).toBe('api_request');
    expect(isLogRecord({ attributes: { 'gen_ai.operation.name': 'chat' } })).toBe(false);
  });

  it('gives the same record the same id (retries and replays do not duplicate it), and different records different ids', () => {
    const log = { ...base, traceId: 'a'.repeat(32), attributes: { 'event.name': 'user_prompt', 'event.sequence': 1 } };
    expect(logRecordToSpanRecord(log)?.spanId).toBe(logRecordToSpanRecord({ ...log })?.spanId);
    expect(logRecordToSpanRecord({ ...log, attributes: { ...log.attributes, 'event.sequence': 2 } })?.spanId).not.toBe(logRecordToSpanRecord(log)?.spanId);
  });

  it('derives a trace from session.id + prompt.id when the log has no trace context, and refuses a log that joins no session', () => {
    const attributes = { 'event.name': 'user_prompt', 'session.id': 's-1', 'prompt.id': 'p-1' };
    const r = logRecordToSpanRecord({ ...base, traceId: '0'.repeat(32), spanId: '', attributes });
    expect(r?.traceId).toBe(syntheticTraceId('s-1', 'p-1'));
    expect(r?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(r?.parentSpanId).toBeUndefined();
    expect(r?.attributes['ams.log.synthetic_trace']).toBe(true);
    expect(syntheticTraceId('s-1', 'p-2')).not.toBe(r?.traceId);
    expect(logRecordToSpanRecord({ ...base, attributes: { 'event.name': 'x' } })).toBeUndefined();
  });

  it('writes a structured body as JSON text and names the event from a short body when no event name is given', () => {
    expect(logRecordToSpanRecord({ ...base, traceId: 'c'.repeat(32), body: { a: 1 }, attributes: {} })?.attributes['ams.log.body']).toBe('{"a":1}');
    expect(logRecordToSpanRecord({ ...base, traceId: 'c'.repeat(32), body: 'claude_code.tool_result', attributes: {} })?.name).toBe('log claude_code.tool_result');
    expect(logRecordToSpanRecord({ ...base, traceId: 'c'.repeat(32), eventName: 'gen_ai.choice', body: 'x', attributes: { 'event.name': 'other' } })?.name).toBe('log gen_ai.choice');
  });
});
