/**
 * Failures in the index, on both capture paths: the same agent runs through the in-process
 * SessionSpanProcessor (LocalStorage) and through a real OTLP exporter to the receiver
 * (LocalStorage), and the index entries each writes carry the same failure summary: errors,
 * failed tools (subagents' included), failure categories and codes. A run whose tools failed but
 * whose agent recovered is `ok` with errors > 0, and the filters tell it apart.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/index.js';
import { createTracing, LocalStorage, SessionSpanProcessor } from '../src/index.js';
import type { SessionIndexEntry } from '../src/index.js';
import { parseFilter, querySessions, readAllIndex } from '../src/query/index.js';
import { failureSummary } from '../src/session/index-entry.js';
import { post, WrittenSessions } from './fixtures/otlp/http.js';
import { CLAUDE_CODE_FIXTURES } from './support/claude-code-records.js';
import { goldenSession } from './fixtures/stores/build.js';
import { expectValidIndexEntry } from './support/schema.js';
import { tempDir } from './support/tmp.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

const FAILURE_FIELDS = ['status', 'errors', 'failed_tools', 'failure_categories', 'failure_codes', 'agent'] as const;
const failureView = (e: SessionIndexEntry) => Object.fromEntries(FAILURE_FIELDS.map((k) => [k, e[k]]));

describe('failures in the index entry, captured in-process and by the receiver', () => {
  const local = tempDir('failures-in-process');
  const received = tempDir('failures-receiver');
  let inProcess: SessionIndexEntry[];
  let fromReceiver: SessionIndexEntry[];

  beforeAll(async () => {
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: new LocalStorage({ dir: received }), walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    const provider = new NodeTracerProvider({
      spanProcessors: [new SessionSpanProcessor({ storage: new LocalStorage({ dir: local }) }), new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    });
    try {
      const t = createTracing({ tracerProvider: provider, env: {} });
      // 1. Tools fail (one in a subagent), the agent carries on: recovered.
      await t.startSession({ agent: { name: 'recovering-bot', version: '3.1' }, metadata: { team: 'pay' }, prompt: 'find the order' }, async () => {
        await t
          .toolCall('search_db', async () => {
            throw Object.assign(new Error('query timed out'), { name: 'TimeoutError' });
          })
          .catch(() => undefined);
        await t.startSession({ agent: 'fetcher', prompt: 'fetch the page' }, async () => {
          await t
            .toolCall('fetch_url', async () => {
              throw Object.assign(new Error('slow down'), { status: 429 });
            })
            .catch(() => undefined);
        });
        await t.llmCall('m', (c) => {
          c.setUsage({ inputTokens: 3, outputTokens: 4 });
          return 'found it';
        });
      });
      // 2. The run itself fails.
      await t
        .startSession({ agent: { name: 'crashing-bot', version: '3.2' }, prompt: 'plan' }, async () => {
          await t.step('plan', () => {
            throw new Error('planner crashed');
          });
        })
        .catch(() => undefined);
      // 3. Nothing fails.
      await t.startSession({ agent: { name: 'clean-bot', version: '3.1' }, prompt: 'hello' }, async () => {
        await t.toolCall('echo', () => 'hi');
      });
      await provider.forceFlush();
      for (let i = 0; i < 3; i++) await written.next();
    } finally {
      await provider.shutdown();
      await receiver.stop();
    }
    const byAgent = (list: SessionIndexEntry[]) => [...list].sort((a, b) => a.agent.name.localeCompare(b.agent.name));
    inProcess = byAgent(await readAllIndex(new LocalStorage({ dir: local })));
    fromReceiver = byAgent(await readAllIndex(new LocalStorage({ dir: received })));
  });

  it('the processor writes the failure summary: recovered, failed and clean runs are told apart', () => {
    expect(inProcess.map(failureView)).toEqual([
      { status: 'ok', errors: 0, failed_tools: [], failure_categories: [], failure_codes: [], agent: { name: 'clean-bot', version: '3.1' } },
      // The step's failure (orchestration/error) and the run's own failure: 2 errors.
      { status: 'error', errors: 2, failed_tools: [], failure_categories: ['orchestration'], failure_codes: ['error'], agent: { name: 'crashing-bot', version: '3.2' } },
      // Recovered: status ok, two failed tools, the subagent's included.
      { status: 'ok', errors: 2, failed_tools: ['search_db', 'fetch_url'], failure_categories: ['tool'], failure_codes: ['timeout', 'rate_limit'], agent: { name: 'recovering-bot', version: '3.1' } },
    ]);
    for (const e of inProcess) expectValidIndexEntry(e);
  });

  it('the receiver writes the same failure summary from the OTLP export', () => {
    expect(fromReceiver.map(failureView)).toEqual(inProcess.map(failureView));
    for (const e of fromReceiver) expectValidIndexEntry(e);
  });

  it('the filters find the recovered run, the failed run and the clean one', () => {
    const names = (raw: Record<string, string | string[]>) => querySessions(fromReceiver, parseFilter(raw)).sessions.map((e) => e.agent.name).sort();
    expect(names({ has_errors: '1', status: 'ok' })).toEqual(['recovering-bot']);
    expect(names({ status: 'error' })).toEqual(['crashing-bot']);
    expect(names({ has_errors: '0' })).toEqual(['clean-bot']);
    expect(names({ tool: 'FETCH_URL' })).toEqual(['recovering-bot']);
    expect(names({ failure_code: 'rate_limit' })).toEqual(['recovering-bot']);
    expect(names({ failure_category: 'orchestration' })).toEqual(['crashing-bot']);
    expect(names({ agent_version: '3.1' })).toEqual(['clean-bot', 'recovering-bot']);
    expect(names({ metadata: 'team=pay' })).toEqual(['recovering-bot']);
  });
});

describe("Claude Code's recorded telemetry through the receiver", () => {
  it('a failed Bash call the agent recovered from: status ok, errors 1, Bash in failed_tools', async () => {
    const dir = tempDir('failures-claude-code');
    const written = new WrittenSessions();
    const receiver = createReceiver({ storage: new LocalStorage({ dir }), walDir: false, waitMs: 0, env: {}, onSessionWritten: written.onSessionWritten });
    const { url } = await receiver.start({ port: 0 });
    try {
      const { _meta: _ignored, ...request } = JSON.parse(readFileSync(path.join(CLAUDE_CODE_FIXTURES, 'traces.json'), 'utf8')) as Record<string, unknown>;
      expect((await post(`${url}/v1/traces`, Buffer.from(JSON.stringify(request)), { 'content-type': 'application/json' })).status).toBe(200);
      // Two interactions of one Claude session: the second write is the merged document.
      await written.next();
      await written.next();
    } finally {
      await receiver.stop();
    }
    const entries = await readAllIndex(new LocalStorage({ dir }));
    expect(entries).toHaveLength(1);
    expectValidIndexEntry(entries[0]);
    // The CLI's failed tool span carries no error type: the code is `error`.
    expect(entries[0]).toMatchObject({ status: 'ok', errors: 1, failed_tools: ['Bash'], failure_categories: ['tool'], failure_codes: ['error'] });
    expect(querySessions(entries, parseFilter({ has_errors: '1', status: 'ok', tool: 'bash' })).total).toBe(1);
  });
});

describe('failureSummary', () => {
  it('a failed call no failure event describes adds the category its kind implies and its error type', () => {
    const s = goldenSession('agent-with-subagent');
    // The golden's Grep call inside the subagent failed with error_type tool_error; nothing else did.
    expect(failureSummary(s.events)).toEqual({ failed_tools: ['Grep'], failure_categories: ['tool'], failure_codes: ['tool_error'] });
  });

  it('keeps at most 20 names, each at most 128 characters', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const events = Array.from({ length: 30 }, (_, i) => ({
      type: 'tool_call' as const,
      span_id: `s${i}`,
      name: `${'t'.repeat(200)}${i}`.slice(i < 2 ? 0 : 100),
      error: 'x',
      status: 'error' as const,
      started_at: at,
      ended_at: at,
      duration_ms: 0,
    }));
    const sum = failureSummary(events);
    expect(sum.failed_tools).toHaveLength(20);
    expect(Math.max(...sum.failed_tools.map((n) => n.length))).toBe(128);
    // The first two names cut to the same 128 characters are one name.
    expect(sum.failed_tools[0]).toBe('t'.repeat(128));
    expect(sum.failure_codes).toEqual(['error']);
  });
});
